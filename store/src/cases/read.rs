//! Reading cases: one case with what the caller may do with it, lists filtered and paged within
//! the caller's reach, the timeline, and open cases per cell for the map. Lists show the names a
//! screen needs (category, cell, department) in a fixed number of queries whatever the page size.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::allowed::allowed;
use super::category::Step;
use super::{Case, CaseView, Policy, Source, Status, event, face, find_case, photo};
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
    if caller.role != Role::Resident {
        v.parts = Some(super::parts::list(conn, &v.case.id)?);
    }
    let photos = photo::of_case(conn, &v.case.id)?;
    if caller.role == Role::Resident {
        face::case(&mut v);
    }
    v.photos = Some(if caller.role == Role::Resident {
        let timeline = event::of_case(conn, &v.case.id)?;
        let shown = face::timeline(conn, timeline)?;
        face::photos(photos, &shown)
    } else {
        photos
    });
    Ok(v)
}

pub(crate) fn view(conn: &mut DbConn, case: Case, cal: &Calendar) -> StoreResult<CaseView> {
    Ok(views(conn, vec![case], cal)?.pop().expect("one case in, one view out"))
}

/// Views of a page of cases, with the names a screen shows (category, cell, department and those
/// assisting it) and
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
    // the assisting departments (协办) of each, waived parts left out
    let mut assisting: HashMap<String, Vec<String>> = HashMap::new();
    for (case_id, name) in crate::schema::case_parts::table
        .inner_join(departments::table)
        .filter(crate::schema::case_parts::case_id.eq_any(&ids))
        .filter(crate::schema::case_parts::status.ne(super::PartStatus::Waived))
        .order((crate::schema::case_parts::dispatched_at.asc(), departments::name.asc()))
        .select((crate::schema::case_parts::case_id, departments::name))
        .load::<(String, String)>(conn)?
    {
        assisting.entry(case_id).or_default().push(name);
    }
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
                co_department_names: assisting.remove(case.id.as_str()).unwrap_or_default(),
                reporters_count: reporters.get(case.id.as_str()).copied().unwrap_or(0),
                rework_count: count(&case.id, "verify_fail"),
                misdispatch_count: count(&case.id, "return"),
                allowed_actions: None,
                photos: None,
                parts: None,
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
    /// Words each of which the title, the description or the address holds (`井盖 破损`).
    pub words: Vec<String>,
    /// The running step's traffic light: `green`, `yellow` or `red`.
    pub light: Option<&'static str>,
}

/// The order of a list of cases, and where a page of it continues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest received first (the default).
    #[default]
    Received,
    /// The soonest deadline first; cases with no running deadline last.
    Deadline,
    /// Newest reported (on the reporter's clock) first.
    Reported,
}

/// Where a sorted list continues: after the case with this id, and its sort value.
#[derive(Debug, Clone)]
pub struct After {
    id: String,
    at: Option<NaiveDateTime>,
}

const CURSOR_TIME: &str = "%Y%m%dT%H%M%S%.f";

impl Sort {
    pub const NAMES: &str = "deadline_at, reported_at or received_at";

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "received_at" => Some(Self::Received),
            "deadline_at" => Some(Self::Deadline),
            "reported_at" => Some(Self::Reported),
            _ => None,
        }
    }

    /// The cursor that continues this order after `case`: its id in the default order, the
    /// sort value and the id in the others (`d:20261127T080000:0190…`, `d:-:…` for none).
    fn cursor(self, case: &Case) -> String {
        let time = |t: Option<NaiveDateTime>| t.map_or("-".to_owned(), |t| t.format(CURSOR_TIME).to_string());
        match self {
            Self::Received => case.id.to_string(),
            Self::Deadline => format!("d:{}:{}", time(case.deadline_at), case.id),
            Self::Reported => format!("r:{}:{}", time(Some(case.reported_at)), case.id),
        }
    }

    /// Reads a cursor this order gave out; `None` for any other text.
    pub fn after(self, cursor: &str) -> Option<After> {
        let keyed = |tag: &str| -> Option<After> {
            let mut parts = cursor.splitn(3, ':');
            (parts.next()? == tag).then_some(())?;
            let at = match parts.next()? {
                "-" => None,
                t => Some(NaiveDateTime::parse_from_str(t, CURSOR_TIME).ok()?),
            };
            Some(After { at, id: parts.next()?.to_owned() })
        };
        match self {
            Self::Received => (!cursor.contains(':')).then(|| After { id: cursor.to_owned(), at: None }),
            Self::Deadline => keyed("d"),
            Self::Reported => keyed("r").filter(|a| a.at.is_some()),
        }
    }
}

diesel::define_sql_function! {
    /// Lower case (ASCII on SQLite), so that a search finds `PM2.5` as `pm2.5` on both backends.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The pattern that finds `word` anywhere in a text, its `%`, `_` and `\` taken as themselves.
fn containing(word: &str) -> String {
    let mut p = String::from("%");
    for c in word.to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The cases the caller may see, in `sort` order (newest first by default).
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    filter: &CaseFilter,
    sort: Sort,
    page: &Page,
    policy: &Policy,
) -> StoreResult<Paged<CaseView>> {
    let cal = calendar::load(conn, &policy.hours)?;
    let at = now();
    let want = page.fetch() as usize;
    let mut after = page.after.as_deref().and_then(|c| sort.after(c));
    let mut rows: Vec<Case> = Vec::new();
    // the light of a step is counted on the working calendar, which SQL does not know: read on
    // in larger runs and keep the cases whose light it is
    let run = if filter.light.is_some() { page.fetch().max(200) } else { page.fetch() };
    loop {
        let read = run_of(conn, caller, filter, sort, after.as_ref(), run)?;
        let last_run = (read.len() as i64) < run;
        if let Some(last) = read.last() {
            after = sort.after(&sort.cursor(last));
        }
        rows.extend(read.into_iter().filter(|c| filter.light.is_none() || c.light(&cal, at) == filter.light));
        if rows.len() >= want || last_run {
            break;
        }
    }
    rows.truncate(want);
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_after = if more { rows.last().map(|c| sort.cursor(c)) } else { None };
    let mut items = views(conn, rows, &cal)?;
    if caller.role == Role::Resident {
        items.iter_mut().for_each(face::case);
    }
    Ok(Paged { items, next_after })
}

/// At most `n` cases of the selection, in `sort` order, after `after`.
fn run_of(
    conn: &mut DbConn,
    caller: &Caller,
    filter: &CaseFilter,
    sort: Sort,
    after: Option<&After>,
    n: i64,
) -> StoreResult<Vec<Case>> {
    let mine = case_reporters::table
        .filter(case_reporters::user_id.eq(caller.user_id.clone()))
        .select(case_reporters::case_id);
    let mut q = cases::table.select(Case::as_select()).into_boxed();
    q = match (caller.role, caller.reach()) {
        (Role::DeptStaff, _) => {
            let department = caller.scope_id.clone().unwrap_or_default();
            // the cases it leads, those it assists on (协办), and those its staff reported
            let assisted = crate::schema::case_parts::table
                .filter(crate::schema::case_parts::department_id.eq(department.clone()))
                .select(crate::schema::case_parts::case_id);
            q.filter(cases::department_id.eq(department).or(cases::id.eq_any(assisted)).or(cases::id.eq_any(mine)))
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
    if filter.overdue || filter.light == Some("red") {
        q = q.filter(cases::deadline_at.lt(now())).filter(cases::status.eq_any(Status::RUNNING));
    } else if filter.light.is_some() {
        q = q.filter(cases::deadline_at.ge(now())).filter(cases::status.eq_any(Status::RUNNING));
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
    for word in &filter.words {
        let p = containing(word);
        q = q.filter(
            lower(cases::title)
                .like(p.clone())
                .escape('\\')
                .or(lower(cases::description).like(p.clone()).escape('\\'))
                .or(lower(cases::address.assume_not_null()).like(p).escape('\\')),
        );
    }
    q = match (sort, after) {
        (Sort::Received, after) => {
            if let Some(a) = after {
                q = q.filter(cases::id.lt(a.id.clone()));
            }
            q.order(cases::id.desc())
        }
        (Sort::Reported, after) => {
            if let Some(After { id, at: Some(t) }) = after {
                q = q.filter(cases::reported_at.lt(*t).or(cases::reported_at.eq(*t).and(cases::id.lt(id.clone()))));
            }
            q.order((cases::reported_at.desc(), cases::id.desc()))
        }
        (Sort::Deadline, after) => {
            match after {
                Some(After { id, at: Some(d) }) => {
                    q = q.filter(
                        cases::deadline_at
                            .gt(*d)
                            .or(cases::deadline_at.eq(*d).and(cases::id.gt(id.clone())))
                            .or(cases::deadline_at.is_null()),
                    )
                }
                Some(After { id, at: None }) => {
                    q = q.filter(cases::deadline_at.is_null().and(cases::id.gt(id.clone())))
                }
                None => {}
            }
            q.order((cases::deadline_at.is_null(), cases::deadline_at.asc(), cases::id.asc()))
        }
    };
    Ok(q.limit(n).load(conn)?)
}

/// The timeline of a case the caller may see, oldest first; a resident's, its public face.
pub fn events(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Vec<event::EventView>> {
    find_case(conn, caller, id)?;
    let timeline = event::of_case(conn, id)?;
    if caller.role == Role::Resident { face::timeline(conn, timeline) } else { Ok(timeline) }
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
