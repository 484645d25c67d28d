//! What gridhub proposes for a street's agenda by itself: problems that are stuck — cases
//! overdue by more than five working days, suspended for more than thirty days, reopened twice
//! or more; whistles whose summoned departments did not report in; hotspots of last month's
//! analysis (one category three times or more in one unit grid) — each with why. What an item
//! of the street already names is left out. The thresholds are `RULES`, rendered into
//! docs/consultation-day.md.

use std::collections::HashSet;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::agenda::{self, ItemStatus};
use crate::access::Caller;
use crate::cases::Status;
use crate::clocks::calendar::Calendar;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{agenda_items, case_events, cases, whistle_departments, whistles};
use crate::supervision::digest::hotspots;
use crate::supervision::figures::Period;
use crate::time::{local_date, now};

/// Overdue by more than this many working days.
pub const OVERDUE_WORKDAYS: i64 = 5;
/// Suspended for more than this many days.
pub const SUSPENDED_DAYS: i64 = 30;
/// Reopened (or redone) this many times or more.
pub const REOPENED: i64 = 2;

/// Why a thing is proposed: (reason, 中文, what), the one home of the thresholds.
pub const RULES: &[(&str, &str, &str)] = &[
    ("overdue", "超期未办结", "an open case more than 5 working days past its deadline"),
    ("suspended", "长期挂起", "a case suspended for more than 30 days"),
    ("reopened", "反复办理", "an open case reopened or redone twice or more"),
    ("absent_departments", "部门未报到", "an open whistle whose summoned departments did not report in"),
    ("hotspot", "高发点位", "a unit grid where one category came up 3 times or more last month"),
];

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// One of `RULES`.
    pub reason: &'static str,
    pub title: String,
    /// Why, in words (中文).
    pub why: String,
    pub case_id: Option<String>,
    pub whistle_id: Option<String>,
    pub unit_cell_id: Option<String>,
    pub category_code: Option<String>,
}

/// Working days from `from` to `to` (the days after `from`'s date, up to `to`'s).
fn workdays_between(cal: &Calendar, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
    let (mut d, end) = (local_date(from), local_date(to));
    let mut n = 0;
    while d < end {
        d = d.succ_opt().unwrap_or(end);
        if cal.is_workday(d) {
            n += 1;
        }
    }
    n
}

/// The candidates for the agenda of `street_id`, for its street's or district's office.
pub fn candidates(conn: &mut DbConn, caller: &Caller, street_id: &str, cal: &Calendar) -> StoreResult<Vec<Candidate>> {
    let place =
        crate::access::place::of_street(conn, street_id).map_err(|_| StoreError::not_found("street", street_id))?;
    if !agenda::runs(caller, &place) {
        return Err(StoreError::Forbidden("the street's or the district's office prepares its agenda".into()));
    }
    let at = now();
    // what the street's live items already name
    let named: Vec<(String, String)> = agenda_items::table
        .filter(agenda_items::street_id.eq(street_id))
        .filter(agenda_items::status.ne_all([ItemStatus::Declined, ItemStatus::Resolved]))
        .select((agenda_items::case_ids, agenda_items::whistle_ids))
        .load(conn)?;
    let mut taken: HashSet<String> = HashSet::new();
    for (c, w) in named {
        taken.extend(serde_json::from_str::<Vec<String>>(&c).unwrap_or_default());
        taken.extend(serde_json::from_str::<Vec<String>>(&w).unwrap_or_default());
    }
    let mut out = Vec::new();
    let case = |reason, id: String, title: String, category: String, why: String| Candidate {
        reason,
        title,
        why,
        case_id: Some(id),
        whistle_id: None,
        unit_cell_id: None,
        category_code: Some(category),
    };
    let overdue: Vec<(String, String, String, Option<NaiveDateTime>)> = cases::table
        .filter(cases::street_id.eq(street_id))
        .filter(cases::status.eq_any(Status::RUNNING))
        .filter(cases::deadline_at.lt(at))
        .order(cases::deadline_at.asc())
        .select((cases::id, cases::title, cases::category_code, cases::deadline_at))
        .load(conn)?;
    for (id, title, category, deadline) in overdue {
        let Some(deadline) = deadline else { continue };
        let late = workdays_between(cal, deadline, at);
        if late > OVERDUE_WORKDAYS && !taken.contains(&id) {
            out.push(case("overdue", id, title, category, format!("超过办理时限{late}个工作日仍未办结")));
        }
    }
    let suspended: Vec<(String, String, String)> = cases::table
        .filter(cases::street_id.eq(street_id))
        .filter(cases::status.eq(Status::Suspended))
        .select((cases::id, cases::title, cases::category_code))
        .load(conn)?;
    for (id, title, category) in suspended {
        let since: Option<NaiveDateTime> = case_events::table
            .filter(case_events::case_id.eq(&id))
            .filter(case_events::action.eq("suspend"))
            .select(case_events::occurred_at)
            .order(case_events::occurred_at.desc())
            .first(conn)
            .optional()?;
        if let Some(since) = since.filter(|s| *s < at - Duration::days(SUSPENDED_DAYS))
            && !taken.contains(&id)
        {
            let days = (at - since).num_days();
            out.push(case("suspended", id, title, category, format!("已挂起{days}天")));
        }
    }
    let reopened: Vec<(String, String, String, i64)> = cases::table
        .inner_join(case_events::table)
        .filter(cases::street_id.eq(street_id))
        .filter(cases::status.eq_any(Status::RUNNING))
        .filter(case_events::action.eq_any(["reopen", "redo"]))
        .group_by((cases::id, cases::title, cases::category_code))
        .select((cases::id, cases::title, cases::category_code, diesel::dsl::count_star()))
        .load(conn)?;
    for (id, title, category, n) in reopened {
        if n >= REOPENED && !taken.contains(&id) {
            out.push(case("reopened", id, title, category, format!("已重新办理{n}次仍未解决")));
        }
    }
    let absent: Vec<(String, String, i64)> = whistles::table
        .inner_join(whistle_departments::table)
        .filter(whistles::street_id.eq(street_id))
        .filter(whistles::status.eq("open"))
        .filter(whistle_departments::state.eq("overdue"))
        .group_by((whistles::id, whistles::case_id))
        .select((whistles::id, whistles::case_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (id, case_id, n) in absent {
        if !taken.contains(&id) {
            let title: String = cases::table.find(&case_id).select(cases::title).first(conn)?;
            out.push(Candidate {
                reason: "absent_departments",
                title,
                why: format!("吹哨后{n}个部门未按时报到"),
                case_id: None,
                whistle_id: Some(id),
                unit_cell_id: None,
                category_code: None,
            });
        }
    }
    let this = Period::month(&Period::this_month()).expect("this month is a month");
    for h in hotspots(conn, &place, this.previous_month())? {
        out.push(Candidate {
            reason: "hotspot",
            title: format!("{} {}", h.unit_code.clone().unwrap_or_default(), h.category_name),
            why: format!("上月同一单元网格发生{}{}次", h.category_name, h.count),
            case_id: None,
            whistle_id: None,
            unit_cell_id: Some(h.unit_cell_id),
            category_code: Some(h.category_code),
        });
    }
    Ok(out)
}
