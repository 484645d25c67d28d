//! Reading cases: one case with what the caller may do with it, lists filtered and paged within
//! the caller's reach, the timeline, and open cases per cell for the map. Lists show the names a
//! screen needs (category, cell, department) in a fixed number of queries whatever the page size.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::allowed::allowed;
use super::category::Step;
use super::{Case, CaseView, Policy, Source, Status, event, find_case, photo};
use crate::access::{Caller, Role};
use crate::clocks::{Calendar, calendar};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::grid::Layer;
use crate::page::{Page, Paged};
use crate::schema::{case_events, case_reporters, cases, categories, cells, departments};
use crate::time::now;

/// A case with what the caller may do with it now.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str, policy: &Policy) -> StoreResult<CaseView> {
    let case = find_case(conn, caller, id)?;
    let cal = calendar::load(conn, &policy.hours)?;
    detail(conn, caller, case, &cal, policy)
}

/// A case as one caller sees it alone: its view and what they may do with it now.
pub(crate) fn detail(
    conn: &mut DbConn,
    caller: &Caller,
    case: Case,
    cal: &Calendar,
    policy: &Policy,
) -> StoreResult<CaseView> {
    let mut v = view(conn, case, cal)?;
    v.allowed_actions = Some(allowed(conn, caller, &v.case, policy)?);
    v.photos = Some(photo::of_case(conn, &v.case.id)?);
    Ok(v)
}

pub(crate) fn view(conn: &mut DbConn, case: Case, cal: &Calendar) -> StoreResult<CaseView> {
    Ok(views(conn, vec![case], cal)?.pop().expect("one case in, one view out"))
}

/// Views of a page of cases, with the names a screen shows (category, cell, department) and
/// the counts, in a fixed number of queries whatever the page size.
fn views(conn: &mut DbConn, rows: Vec<Case>, cal: &Calendar) -> StoreResult<Vec<CaseView>> {
    let at = now();
    let ids: Vec<&str> = rows.iter().map(|c| c.id.as_str()).collect();
    let codes: Vec<&str> = rows.iter().map(|c| c.category_code.as_str()).collect();
    let cell_ids: Vec<&str> = rows.iter().filter_map(|c| c.cell_id.as_deref()).collect();
    let dept_ids: Vec<&str> = rows.iter().filter_map(|c| c.department_id.as_deref()).collect();
    let category_names: HashMap<String, String> = categories::table
        .filter(categories::code.eq_any(&codes))
        .select((categories::code, categories::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let cell_names: HashMap<String, (String, String)> = cells::table
        .filter(cells::id.eq_any(&cell_ids))
        .select((cells::id, cells::code, cells::name))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let dept_names: HashMap<String, String> = departments::table
        .filter(departments::id.eq_any(&dept_ids))
        .select((departments::id, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let reporters: HashMap<String, i64> = case_reporters::table
        .filter(case_reporters::case_id.eq_any(&ids))
        .group_by(case_reporters::case_id)
        .select((case_reporters::case_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let counted: Vec<(String, String, i64)> = case_events::table
        .filter(case_events::case_id.eq_any(&ids))
        .filter(case_events::action.eq_any(["verify_fail", "return"]))
        .group_by((case_events::case_id, case_events::action))
        .select((case_events::case_id, case_events::action, diesel::dsl::count_star()))
        .load(conn)?;
    let count =
        |id: &str, action: &str| counted.iter().find(|(c, a, _)| c == id && a == action).map_or(0, |(_, _, n)| *n);
    Ok(rows
        .into_iter()
        .map(|case| {
            let cell = case.cell_id.as_ref().and_then(|id| cell_names.get(id.as_str()));
            CaseView {
                outside_grid: case.cell_id.is_none(),
                step: case.status.step().map(Step::as_str),
                light: case.light(cal, at),
                category_name: category_names.get(&case.category_code).cloned().unwrap_or_default(),
                cell_code: cell.map(|c| c.0.clone()),
                cell_name: cell.map(|c| c.1.clone()),
                department_name: case.department_id.as_ref().and_then(|id| dept_names.get(id)).cloned(),
                reporters_count: reporters.get(case.id.as_str()).copied().unwrap_or(0),
                rework_count: count(&case.id, "verify_fail"),
                misdispatch_count: count(&case.id, "return"),
                allowed_actions: None,
                photos: None,
                case,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<Status>,
    /// A category code, or a 大类 for all its 小类.
    pub category: Option<String>,
    pub source: Option<Source>,
    /// Its governance grid.
    pub cell_id: Option<String>,
    /// Its unit grid (where problems cluster).
    pub unit_cell_id: Option<String>,
    pub community_id: Option<String>,
    pub street_id: Option<String>,
    pub department_id: Option<String>,
    /// Open cases past their deadline (suspended ones are not counted).
    pub overdue: bool,
    /// Shelved cases (挂账) due for the district's periodic review.
    pub review_due: bool,
    pub received_from: Option<NaiveDateTime>,
    pub received_to: Option<NaiveDateTime>,
}

/// The cases the caller may see, newest first.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    filter: &CaseFilter,
    page: &Page,
    policy: &Policy,
) -> StoreResult<Paged<CaseView>> {
    let mine = case_reporters::table
        .filter(case_reporters::user_id.eq(caller.user_id.clone()))
        .select(case_reporters::case_id);
    let mut q = cases::table.select(Case::as_select()).order(cases::id.desc()).into_boxed();
    q = match (caller.role, caller.reach()) {
        (Role::DeptStaff, _) => {
            q.filter(cases::department_id.eq(caller.scope_id.clone().unwrap_or_default()).or(cases::id.eq_any(mine)))
        }
        (Role::Resident, _) => q.filter(cases::id.eq_any(mine)),
        (_, reach) => crate::access::within_reach!(
            q,
            reach,
            cases::district_id,
            cases::street_id,
            cases::community_id,
            or cases::id.eq_any(mine)
        ),
    };
    if !filter.statuses.is_empty() {
        q = q.filter(cases::status.eq_any(filter.statuses.clone()));
    }
    if let Some(code) = &filter.category {
        q = if code.len() == 4 {
            q.filter(cases::category_code.like(format!("{code}%")))
        } else {
            q.filter(cases::category_code.eq(code.clone()))
        };
    }
    if let Some(s) = filter.source {
        q = q.filter(cases::source.eq(s));
    }
    if let Some(id) = &filter.cell_id {
        q = q.filter(cases::cell_id.eq(id.clone()));
    }
    if let Some(id) = &filter.unit_cell_id {
        q = q.filter(cases::unit_cell_id.eq(id.clone()));
    }
    if let Some(id) = &filter.community_id {
        q = q.filter(cases::community_id.eq(id.clone()));
    }
    if let Some(id) = &filter.street_id {
        q = q.filter(cases::street_id.eq(id.clone()));
    }
    if let Some(id) = &filter.department_id {
        q = q.filter(cases::department_id.eq(id.clone()));
    }
    if filter.overdue {
        q = q.filter(cases::deadline_at.lt(now())).filter(cases::status.eq_any(Status::RUNNING));
    }
    if filter.review_due {
        q = q.filter(cases::status.eq(Status::Shelved)).filter(cases::shelved_review_at.le(now()));
    }
    if let Some(t) = filter.received_from {
        q = q.filter(cases::received_at.ge(t));
    }
    if let Some(t) = filter.received_to {
        q = q.filter(cases::received_at.lt(t));
    }
    if let Some(after) = &page.after {
        q = q.filter(cases::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |c: &Case| &c.id);
    let cal = calendar::load(conn, &policy.hours)?;
    Ok(Paged { items: views(conn, paged.items, &cal)?, next_after: paged.next_after })
}

/// The timeline of a case the caller may see, oldest first.
pub fn events(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Vec<event::EventView>> {
    find_case(conn, caller, id)?;
    event::of_case(conn, id)
}

/// How many open cases (or, `only_overdue`, cases whose running step is past its deadline) each
/// of `cell_ids` (of one layer) has: by governance grid who has work waiting, by unit grid where
/// problems cluster.
pub fn open_per_cell(
    conn: &mut DbConn,
    layer: Layer,
    cell_ids: &[String],
    only_overdue: bool,
) -> StoreResult<HashMap<String, i64>> {
    type Id = diesel::sql_types::Nullable<diesel::sql_types::Text>;
    let column = if layer == Layer::Governance { "cell_id" } else { "unit_cell_id" };
    // diesel groups before it boxes
    let mut q = cases::table
        .group_by(diesel::dsl::sql::<Id>(column))
        .select((diesel::dsl::sql::<Id>(column), diesel::dsl::sql::<diesel::sql_types::BigInt>("COUNT(*)")))
        .into_boxed();
    q = match layer {
        Layer::Governance => q.filter(cases::cell_id.eq_any(cell_ids)),
        Layer::Unit => q.filter(cases::unit_cell_id.eq_any(cell_ids)),
    };
    q = if only_overdue {
        q.filter(cases::status.eq_any(Status::RUNNING)).filter(cases::deadline_at.lt(now()))
    } else {
        q.filter(cases::status.eq_any(Status::OPEN))
    };
    let rows: Vec<(Option<String>, i64)> = q.load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, n)| id.map(|id| (id, n))).collect())
}
