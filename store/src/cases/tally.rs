//! What a case counts for in the figures (绩效评价), read from its timeline: one row per
//! department that held it (its steps on the case: dispatched to it, accepted, handled, returned,
//! reworked) and, on exactly one of them (`main`: the department it ended with, or '' for none),
//! what the case itself counts for (reported, filed, closed on time, …). Rewritten in the
//! transaction of every event of the case (`recount`), so that a district's month is one indexed
//! sum; `COUNTS` says what each count is, and `docs/figures.md` shows it.
//!
//! Period: a case belongs to the China Standard Time day it was filed (立案), or, never filed, the
//! day it was reported. Void cases and merged duplicates count for nothing. Times are the moments
//! things happened (`occurred_at`: an offline action at its phone's time).

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::outcome::{Outcome, OutcomeKind};
use super::{Case, Status};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{case_events, case_tallies, cases, tally_state};

/// One row of `case_tallies`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = case_tallies)]
pub struct Tally {
    pub case_id: String,
    pub department_id: String,
    pub main: bool,
    pub district_id: Option<String>,
    pub street_id: Option<String>,
    pub community_id: Option<String>,
    pub cell_id: Option<String>,
    pub unit_cell_id: Option<String>,
    pub category_code: String,
    pub major_code: String,
    pub source: String,
    pub reporter_id: String,
    pub day: String,
    pub closed_day: Option<String>,
    pub overdue_day: Option<String>,
    pub reported: i64,
    pub filed: i64,
    pub due_to_close: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub self_handled: i64,
    pub evaluated: i64,
    pub satisfied: i64,
    pub overdue: i64,
    pub dispatched_cases: i64,
    pub handled_cases: i64,
    pub dispatched: i64,
    pub accepted: i64,
    pub accepted_on_time: i64,
    pub handled: i64,
    pub handled_on_time: i64,
    pub returned: i64,
    pub reworked: i64,
    pub redone: i64,
    pub file_steps: i64,
    pub file_minutes: i64,
    pub dispatch_steps: i64,
    pub dispatch_minutes: i64,
    pub accept_minutes: i64,
    pub handle_minutes: i64,
    pub verify_steps: i64,
    pub verify_minutes: i64,
    pub enforced: i64,
    pub fined: i64,
    pub detained: i64,
    pub fines_yuan: i64,
    pub escalated: i64,
    pub delegated: i64,
}

/// Whose a count is: the case's (on its main row only) or the department's that held it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Case,
    Department,
}

/// A count: its name in the figures, what offices call it, whose it is and what it counts.
pub struct Count {
    pub name: &'static str,
    pub label: &'static str,
    pub owner: Owner,
    pub counts: &'static str,
}

use Owner::{Case as C, Department as D};

/// Every count of a case, in the order the figures show them.
#[rustfmt::skip]
pub const COUNTS: &[Count] = &[
    Count { name: "reported", label: "上报数", owner: C, counts: "every case (not void, not a merged duplicate)" },
    Count { name: "filed", label: "立案数", owner: C, counts: "cases filed (立案; a resident's request answered without dispatch is filed by the answer)" },
    Count { name: "due_to_close", label: "应结案数", owner: C, counts: "cases filed and not shelved (挂账) now" },
    Count { name: "closed", label: "结案数", owner: C, counts: "cases closed now (a reopened case counts again when it closes again)" },
    Count { name: "closed_on_time", label: "按期结案数", owner: C, counts: "closed cases none of whose steps ran past its deadline, and never marked overdue" },
    Count { name: "self_handled", label: "就地解决数", owner: C, counts: "closed cases closed by `self_handle` in the grid (自处理), or by `answer` (a resident's request answered without dispatch)" },
    Count { name: "evaluated", label: "评价数", owner: C, counts: "closed cases their reporter rated (1–5)" },
    Count { name: "satisfied", label: "满意数", owner: C, counts: "evaluated cases rated 4 or 5" },
    Count { name: "overdue", label: "超时案件数", owner: C, counts: "cases a step of which ran past its deadline" },
    Count { name: "dispatched_cases", label: "派遣案件数", owner: C, counts: "cases dispatched at least once (the funnel's 派遣)" },
    Count { name: "handled_cases", label: "处置案件数", owner: C, counts: "cases a department reported handled at least once (the funnel's 处置)" },
    Count { name: "dispatched", label: "派遣数", owner: D, counts: "dispatches to the department (a case dispatched again after a return counts again)" },
    Count { name: "accepted", label: "签收数", owner: D, counts: "`accept`s by the department" },
    Count { name: "accepted_on_time", label: "按时签收数", owner: D, counts: "`accept`s by the accept step's deadline" },
    Count { name: "handled", label: "处置数", owner: D, counts: "`handle`s (处置反馈) by the department, a rework's included" },
    Count { name: "handled_on_time", label: "按期处置数", owner: D, counts: "`handle`s by the handle step's deadline (extensions granted count)" },
    Count { name: "returned", label: "退回数", owner: D, counts: "`return`s by the department (误派)" },
    Count { name: "reworked", label: "返工数", owner: D, counts: "`verify_fail`s of the department's handling (返工)" },
    Count { name: "enforced", label: "执法处置数", owner: D, counts: "`handle`s by the department that recorded what the enforcement did (`outcome`)" },
    Count { name: "fined", label: "罚款数", owner: D, counts: "`handle`s whose outcome was a fine (罚款)" },
    Count { name: "detained", label: "行政拘留数", owner: D, counts: "`handle`s whose outcome was an administrative detention (行政拘留)" },
    Count { name: "fines_yuan", label: "罚款金额(元)", owner: D, counts: "the fines of those handlings, in whole yuan" },
    Count { name: "redone", label: "重办数", owner: C, counts: "cases sent back for a second handling (重办): a reporter's rating of 1–2, or a revisit (回访) that found the problem unsolved" },
    Count { name: "escalated", label: "提级案件数", owner: C, counts: "cases escalated a level up at least once (提级: community → street → district)" },
    Count { name: "delegated", label: "下派案件数", owner: C, counts: "cases handed a level down at least once (下派)" },
    Count { name: "file_steps", label: "立案环节数", owner: C, counts: "reports filed or rejected (their minutes: `file_minutes`)" },
    Count { name: "dispatch_steps", label: "派遣环节数", owner: C, counts: "filed cases dispatched or self-handled (their minutes: `dispatch_minutes`)" },
    Count { name: "verify_steps", label: "核查环节数", owner: C, counts: "handlings verified, passed or failed (their minutes: `verify_minutes`)" },
];

/// What the tally reads of an event of the timeline.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = case_events)]
pub struct Moment {
    pub case_id: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub data: String,
    /// When it happened (a phone's time for what was done offline).
    pub occurred_at: NaiveDateTime,
}

/// The China Standard Time day of a UTC time.
pub fn day(t: NaiveDateTime) -> String {
    (t + Duration::hours(8)).date().format("%Y-%m-%d").to_string()
}

/// The UTC moments a CST day begins and (exclusive) the next begins.
pub fn day_bounds(first: NaiveDate, last: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = first.and_hms_opt(0, 0, 0).expect("midnight") - Duration::hours(8);
    let end = last.succ_opt().unwrap_or(last).and_hms_opt(0, 0, 0).expect("midnight") - Duration::hours(8);
    (start, end)
}

/// The step an event ended, as `transition` wrote it: its name, whether it ended by the step's
/// deadline and its minutes on the case's clock.
fn ended_step(data: &Value) -> Option<(&str, Option<bool>, i64)> {
    let step = data.get("step")?;
    let name = step.get("name")?.as_str()?;
    Some((name, step.get("on_time").and_then(Value::as_bool), step.get("minutes").and_then(Value::as_i64).unwrap_or(0)))
}

/// The row of the department holding the case ('' for none).
fn held<'a>(departments: &'a mut BTreeMap<String, Tally>, current: &Option<String>) -> &'a mut Tally {
    let id = current.clone().unwrap_or_default();
    departments.entry(id.clone()).or_insert_with(|| Tally { department_id: id, ..Tally::default() })
}

/// The rows of one case from its timeline (oldest first by when things happened).
pub fn of_timeline(case: &Case, events: &[Moment]) -> Vec<Tally> {
    if case.status == Status::Void || case.merged_into.is_some() {
        return Vec::new();
    }
    let mut main = Tally::default();
    let mut departments: BTreeMap<String, Tally> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut filed_at = None;
    let mut overdue_at = None;
    let mut late = false;
    // an old event carries no step data: a step marked overdue by the sweep then ended late
    let mut step_overdue = false;
    let mut self_handled = false;
    for e in events {
        let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
        if let Some((name, on_time, minutes)) = ended_step(&data) {
            let on_time = on_time.unwrap_or(!step_overdue);
            late |= !on_time;
            let d = held(&mut departments, &current);
            match (name, e.action.as_str()) {
                ("file", "file" | "reject" | "answer") => {
                    main.file_steps += 1;
                    main.file_minutes += minutes;
                }
                ("dispatch", "dispatch" | "self_handle" | "answer") => {
                    main.dispatch_steps += 1;
                    main.dispatch_minutes += minutes;
                }
                ("accept", "accept") => {
                    d.accept_minutes += minutes;
                    d.accepted_on_time += i64::from(on_time);
                }
                ("handle", "handle") => {
                    d.handle_minutes += minutes;
                    d.handled_on_time += i64::from(on_time);
                }
                ("verify", "verify_pass" | "verify_fail") => {
                    main.verify_steps += 1;
                    main.verify_minutes += minutes;
                }
                _ => {}
            }
        }
        match e.action.as_str() {
            "file" => {
                filed_at.get_or_insert(e.occurred_at);
            }
            "dispatch" => {
                current = data.pointer("/routing/department_id").and_then(Value::as_str).map(str::to_owned);
                held(&mut departments, &current).dispatched += 1;
            }
            "accept" | "handle" | "return" | "verify_fail" => {
                let d = held(&mut departments, &current);
                match e.action.as_str() {
                    "accept" => d.accepted += 1,
                    "handle" => {
                        d.handled += 1;
                        if let Some(o) =
                            data.get("outcome").and_then(|o| serde_json::from_value::<Outcome>(o.clone()).ok())
                        {
                            d.enforced += 1;
                            d.fined += i64::from(o.kind == OutcomeKind::Fined);
                            d.detained += i64::from(o.kind == OutcomeKind::Detained);
                            d.fines_yuan += o.amount_yuan.unwrap_or(0.0).round() as i64;
                        }
                    }
                    "return" => d.returned += 1,
                    _ => d.reworked += 1,
                }
                if e.action == "return" {
                    current = None;
                }
            }
            "shelve" | "reopen" => current = None,
            "redo" => {
                current = None;
                main.redone = 1;
            }
            // fixed on the spot from the report (随手办), or a consultation answered on the spot
            // (受理 and settled): filed and settled in one step
            "self_handle" | "answer" => {
                filed_at.get_or_insert(e.occurred_at);
                self_handled = true;
            }
            "overdue" => {
                late = true;
                step_overdue = true;
                overdue_at.get_or_insert(e.occurred_at);
            }
            _ => {}
        }
        if e.from_status != Some(e.to_status) {
            step_overdue = false;
        }
    }
    let closed = case.status == Status::Closed;
    main.reported = 1;
    main.filed = i64::from(filed_at.is_some());
    main.due_to_close = i64::from(filed_at.is_some() && case.status != Status::Shelved);
    main.closed = i64::from(closed);
    main.closed_on_time = i64::from(closed && !late);
    main.self_handled = i64::from(closed && self_handled);
    main.evaluated = i64::from(closed && case.satisfaction.is_some());
    main.satisfied = i64::from(closed && case.satisfaction.is_some_and(|s| s >= 4));
    main.overdue = i64::from(late);
    main.dispatched_cases = i64::from(events.iter().any(|e| e.action == "dispatch"));
    main.handled_cases = i64::from(events.iter().any(|e| e.action == "handle"));
    main.escalated = i64::from(events.iter().any(|e| e.action == "escalate"));
    main.delegated = i64::from(events.iter().any(|e| e.action == "delegate"));
    let main_department = case.department_id.clone().unwrap_or_default();
    let mut rows = Vec::new();
    departments.entry(main_department.clone()).or_default();
    for (department_id, d) in departments {
        let is_main = department_id == main_department;
        let own = if is_main { main.clone() } else { Tally::default() };
        rows.push(Tally {
            case_id: case.id.to_string(),
            main: is_main,
            district_id: case.district_id.clone(),
            street_id: case.street_id.clone(),
            community_id: case.community_id.clone(),
            cell_id: case.cell_id.as_ref().map(ToString::to_string),
            unit_cell_id: case.unit_cell_id.as_ref().map(ToString::to_string),
            category_code: case.category_code.clone(),
            major_code: case.category_code.chars().take(4).collect(),
            source: case.source.as_str().to_owned(),
            reporter_id: case.reporter_id.to_string(),
            day: day(filed_at.unwrap_or(case.reported_at)),
            closed_day: case.closed_at.filter(|_| closed).map(day),
            overdue_day: overdue_at.map(day),
            dispatched: d.dispatched,
            accepted: d.accepted,
            accepted_on_time: d.accepted_on_time,
            handled: d.handled,
            handled_on_time: d.handled_on_time,
            returned: d.returned,
            reworked: d.reworked,
            enforced: d.enforced,
            fined: d.fined,
            detained: d.detained,
            fines_yuan: d.fines_yuan,
            accept_minutes: d.accept_minutes,
            handle_minutes: d.handle_minutes,
            department_id,
            ..own
        });
    }
    rows
}

/// Writes the rows of cases new with their first events (a push's reports: counted from what is
/// in hand, no read); call it in the transaction that files them. A case counted already keeps
/// its rows (a report sent again).
pub(crate) fn insert(conn: &mut DbConn, new: &[(&Case, Moment)]) -> StoreResult<()> {
    let rows: Vec<Tally> =
        new.iter().flat_map(|(case, first)| of_timeline(case, std::slice::from_ref(first))).collect();
    for rows in rows.chunks(200) {
        // SQLite writes one transaction at a time, and the push looked first; PostgreSQL's pushes
        // meet here, before either takes the clock
        match conn {
            DbConn::Sqlite(c) => diesel::insert_into(case_tallies::table).values(rows).execute(c)?,
            DbConn::Pg(c) => {
                diesel::insert_into(case_tallies::table).values(rows).on_conflict_do_nothing().execute(c)?
            }
        };
    }
    Ok(())
}

/// Rewrites the rows of `ids` from their timelines; call it in the transaction of their events.
pub(crate) fn recount(conn: &mut DbConn, ids: &[&str]) -> StoreResult<()> {
    for chunk in ids.chunks(500) {
        let rows = recomputed(conn, chunk)?;
        diesel::delete(case_tallies::table.filter(case_tallies::case_id.eq_any(chunk))).execute(conn)?;
        for rows in rows.chunks(200) {
            crate::db::per_backend!(conn, c => diesel::insert_into(case_tallies::table).values(rows).execute(c))?;
        }
    }
    Ok(())
}

/// The rows of `ids` as their timelines give them now.
fn recomputed(conn: &mut DbConn, ids: &[&str]) -> StoreResult<Vec<Tally>> {
    let cases: Vec<Case> = cases::table.filter(cases::id.eq_any(ids)).select(Case::as_select()).load(conn)?;
    let mut events: HashMap<String, Vec<Moment>> = HashMap::new();
    for e in case_events::table
        .filter(case_events::case_id.eq_any(ids))
        .order((case_events::occurred_at.asc(), case_events::at.asc(), case_events::id.asc()))
        .select(Moment::as_select())
        .load::<Moment>(conn)?
    {
        events.entry(e.case_id.clone()).or_default().push(e);
    }
    Ok(cases.iter().flat_map(|c| of_timeline(c, events.get(c.id.as_str()).map_or(&[][..], Vec::as_slice))).collect())
}

/// Counts the cases of a database from before the tallies (every case since is counted in the
/// transaction that writes it), once: a marker says it is done, so later starts read one row.
/// Returns how many cases it counted.
pub fn backfill(conn: &mut DbConn) -> StoreResult<usize> {
    let done: bool = tally_state::table.find(1).select(tally_state::backfilled).first(conn)?;
    if done {
        return Ok(0);
    }
    let mut counted = 0;
    loop {
        let missing: Vec<String> = cases::table
            .left_join(case_tallies::table.on(case_tallies::case_id.eq(cases::id)))
            .filter(case_tallies::case_id.is_null())
            .filter(cases::status.ne(Status::Void))
            .filter(cases::merged_into.is_null())
            .select(cases::id)
            .limit(1000)
            .load(conn)?;
        if missing.is_empty() {
            diesel::update(tally_state::table.find(1)).set(tally_state::backfilled.eq(true)).execute(conn)?;
            return Ok(counted);
        }
        let ids: Vec<&str> = missing.iter().map(String::as_str).collect();
        crate::db::write(conn, |conn| recount(conn, &ids))?;
        counted += missing.len();
    }
}

/// The cases whose stored rows differ from what their timelines give: empty when every path
/// that writes an event kept them (the tests ask).
pub fn mismatches(conn: &mut DbConn) -> StoreResult<Vec<String>> {
    let ids: Vec<String> = cases::table.select(cases::id).order(cases::id).load(conn)?;
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let mut want = recomputed(conn, &ids)?;
        let mut have: Vec<Tally> =
            case_tallies::table.filter(case_tallies::case_id.eq_any(&ids)).select(Tally::as_select()).load(conn)?;
        let key = |t: &Tally| (t.case_id.clone(), t.department_id.clone());
        want.sort_by_key(key);
        have.sort_by_key(key);
        for id in &ids {
            let w: Vec<&Tally> = want.iter().filter(|t| t.case_id == *id).collect();
            let h: Vec<&Tally> = have.iter().filter(|t| t.case_id == *id).collect();
            if w != h {
                out.push((*id).to_owned());
            }
        }
    }
    Ok(out)
}
