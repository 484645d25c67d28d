//! 吹哨报到 — the whistle: a street office summons several departments to one case that none
//! can solve alone. Each must report in (报到) within the time given, from the place: a report
//! within `on_site_m` of the case counts as on site. Departments that have not reported in by
//! the deadline are marked overdue by the sweep, escalated to the district and counted against
//! them (a late report-in still arrives, but the overdue mark stays).
//!
//! Reporting in is not the end: the whistle stays open until the problem is solved — its case
//! closed (or voided), or the street office closes it with its result. Its plan gives each
//! summoned department a task (kind `whistle`, assigned by the street), and at the end the street
//! rates each department's response (1–5), counted in their figures. A community asks its street
//! to blow the whistle (`requests`).

pub mod requests;
mod settle;

pub use settle::{PlanItem, close, plan, rate};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Caller, Reach, Role};
use crate::cases::event::NewEvent;
use crate::cases::{self as case, Status};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About, Recipient};
use crate::page::{Page, Paged};
use crate::regions::department;
use crate::schema::{cases, departments, tasks, whistle_departments, whistle_plans, whistles};
use crate::tasks::{Task, TaskStatus, is_overdue};
use crate::time::now;
use crate::types::CaseId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = whistles)]
pub struct Whistle {
    pub id: String,
    pub case_id: CaseId,
    pub district_id: String,
    pub street_id: String,
    pub summoned_by: Option<String>,
    pub note: Option<String>,
    pub report_in_within_minutes: i32,
    #[serde(serialize_with = "crate::time::serialize")]
    pub deadline_at: NaiveDateTime,
    /// `open` until the problem is solved: its case closed or voided, or the street office
    /// closed it with its result (see `counts` for how each department answered).
    pub status: WhistleStatus,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub closed_at: Option<NaiveDateTime>,
    /// What came of it, when it closed.
    pub result: Option<String>,
    /// Who closed it (none when its case closed it).
    pub closed_by: Option<String>,
}

crate::types::text_enum! {
    /// Where a whistle stands.
    pub enum WhistleStatus {
        Open = "open",
        Closed = "closed",
    }
}

/// How the summoned departments answered, at a glance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub summoned: usize,
    /// Reported in on site, in time.
    pub on_site: usize,
    /// Reported in, but away from the place.
    pub off_site: usize,
    /// Reported in after the deadline.
    pub late: usize,
    /// Not reported in, and the deadline has passed.
    pub absent: usize,
    /// Not reported in yet, with time left.
    pub waiting: usize,
}

impl Counts {
    fn of(departments: &[SummonedView]) -> Self {
        let mut c = Counts { summoned: departments.len(), ..Counts::default() };
        for d in departments.iter().map(|d| &d.summoned) {
            match (d.reported_at.is_some(), d.overdue_at.is_some(), d.state.as_str()) {
                (true, true, _) => c.late += 1,
                (true, false, "on_site") => c.on_site += 1,
                (true, false, _) => c.off_site += 1,
                (false, true, _) => c.absent += 1,
                (false, false, _) => c.waiting += 1,
            }
        }
        c
    }
}

/// One summoned department and how it answered.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = whistle_departments)]
pub struct Summoned {
    #[serde(skip)]
    pub whistle_id: String,
    pub department_id: String,
    /// `summoned`, `reported_in` (but not on site), `on_site`, or `overdue`.
    pub state: String,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub reported_at: Option<NaiveDateTime>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// How far from the case the report-in was made.
    pub distance_m: Option<f64>,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    /// When it was found not to have reported in in time (kept after a late report-in).
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub overdue_at: Option<NaiveDateTime>,
    /// The street's rating of its response, 1–5, once the whistle closed.
    pub rating: Option<i32>,
    pub rating_note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub rated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WhistleView {
    #[serde(flatten)]
    pub whistle: Whistle,
    pub counts: Counts,
    pub departments: Vec<SummonedView>,
    /// The plan: each summoned department's task.
    pub plan: Vec<PlanTask>,
}

/// A task of a whistle's plan, as the whistle shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanTask {
    pub task_id: String,
    pub department_id: String,
    pub title: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub due_at: NaiveDateTime,
    pub status: TaskStatus,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SummonedView {
    #[serde(flatten)]
    pub summoned: Summoned,
    pub department_name: String,
}

/// The most departments one whistle summons.
pub const MAX_DEPARTMENTS: usize = 20;

pub struct NewWhistle {
    pub departments: Vec<String>,
    pub report_in_within_minutes: i32,
    pub note: Option<String>,
}

/// Blows the whistle where there is no case yet (吹哨 on what the street found itself): the
/// problem reported becomes a case of source `whistle` (whatever source it came with), filed by
/// the street office, and the departments are
/// summoned to it — all in one transaction, so a refused summons leaves no case behind.
pub fn blow_new(
    conn: &mut DbConn,
    caller: &Caller,
    mut report: case::intake::NewCase,
    new: NewWhistle,
    policy: &case::Policy,
) -> StoreResult<WhistleView> {
    if !caller.role.is_office() {
        return Err(StoreError::Forbidden(format!("a {} may not blow the whistle", caller.role.as_str())));
    }
    report.report.source = case::Source::Whistle;
    crate::db::write(conn, |conn| {
        let made = case::intake::create(conn, caller, &report, policy)?;
        let id = made.case.case.id.to_string();
        case::transition(conn, caller, &id, case::Act::new(case::Action::File), policy)?;
        blow(conn, caller, &id, new)
    })
}

/// Blows the whistle on a case: street offices for their street (and admins above them).
pub fn blow(conn: &mut DbConn, caller: &Caller, case_id: &str, new: NewWhistle) -> StoreResult<WhistleView> {
    if !caller.role.is_office() {
        return Err(StoreError::Forbidden(format!("a {} may not blow the whistle", caller.role.as_str())));
    }
    crate::db::write(conn, |conn| {
        let c = case::find_case(conn, caller, case_id)?;
        let reach = caller.reach();
        let (Some(district), Some(street)) = (c.district_id.clone(), c.street_id.clone()) else {
            return Err(StoreError::invalid("case", "the case lies in no street; place it first"));
        };
        if !reach.covers(&c.place()) {
            return Err(StoreError::Forbidden("only the case's own street office summons departments to it".into()));
        }
        if !Status::OPEN.contains(&c.status) {
            return Err(StoreError::Conflict { field: "case", detail: format!("the case is {}", c.status) });
        }
        let mut depts = Vec::new();
        let mut problems = Vec::new();
        for (i, id) in new.departments.iter().enumerate() {
            let field = format!("departments[{i}]");
            // of the case's district; a street's own unit only in its street
            match department::serving(conn, id, &c.place(), &field) {
                Ok(d) => {
                    if depts.iter().any(|x: &department::Department| x.id == d.id) {
                        problems.push(crate::error::FieldProblem::new(field, "is named twice"));
                    }
                    depts.push(d);
                }
                Err(StoreError::Invalid(p)) => problems.extend(p),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let t = now();
        let w = Whistle {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: c.id.clone(),
            district_id: district,
            street_id: street,
            summoned_by: caller.actor_id().map(Into::into),
            note: new.note.clone(),
            report_in_within_minutes: new.report_in_within_minutes,
            deadline_at: t + Duration::minutes(i64::from(new.report_in_within_minutes)),
            status: WhistleStatus::Open,
            created_at: t,
            closed_at: None,
            result: None,
            closed_by: None,
        };
        diesel::insert_into(whistles::table).values(&w).execute(conn)?;
        let about = About::whistle(&c.id, &w.id);
        for d in &depts {
            let row = Summoned {
                whistle_id: w.id.clone(),
                department_id: d.id.clone(),
                state: "summoned".into(),
                reported_at: None,
                lng: None,
                lat: None,
                distance_m: None,
                note: None,
                attachments: "[]".into(),
                overdue_at: None,
                rating: None,
                rating_note: None,
                rated_at: None,
            };
            diesel::insert_into(whistle_departments::table).values(&row).execute(conn)?;
            let message = format!("吹哨报到：请于 {} 分钟内到「{}」现场报到", w.report_in_within_minutes, c.title);
            notify::notify(conn, Recipient::Department(&d.id), "whistle.summoned", about, message)?;
            let data = json!({"whistle_id": w.id, "deadline_at": crate::time::rfc3339(&w.deadline_at), "note": w.note, "case": case::payload(&c)});
            notify::enqueue(conn, d, "whistle.summoned", data)?;
        }
        let names: Vec<&str> = depts.iter().map(|d| d.name.as_str()).collect();
        let data =
            json!({"whistle_id": w.id, "departments": names, "report_in_within_minutes": w.report_in_within_minutes});
        let state = c.status;
        case::event::record(conn, caller, NewEvent::on(&c.id, "whistle", state).note(new.note.as_deref()).data(data))?;
        view(conn, w)
    })
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Whistle> {
    whistles::table
        .find(id)
        .select(Whistle::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("whistle", id))
}

pub(crate) fn view(conn: &mut DbConn, whistle: Whistle) -> StoreResult<WhistleView> {
    let whistle = settle(conn, whistle)?;
    let rows: Vec<(Summoned, String)> = whistle_departments::table
        .inner_join(departments::table)
        .filter(whistle_departments::whistle_id.eq(&whistle.id))
        .order(departments::code.asc())
        .select((Summoned::as_select(), departments::name))
        .load(conn)?;
    let departments: Vec<SummonedView> =
        rows.into_iter().map(|(summoned, department_name)| SummonedView { summoned, department_name }).collect();
    let at = now();
    let tasks: Vec<Task> = whistle_plans::table
        .inner_join(tasks::table)
        .filter(whistle_plans::whistle_id.eq(&whistle.id))
        .order(tasks::id.asc())
        .select(Task::as_select())
        .load(conn)?;
    let plan = tasks
        .into_iter()
        .map(|t| PlanTask {
            overdue: is_overdue(&t, at),
            task_id: t.id,
            department_id: t.owner_id,
            title: t.title,
            due_at: t.due_at,
            status: t.status,
        })
        .collect();
    Ok(WhistleView { whistle, counts: Counts::of(&departments), departments, plan })
}

/// A whistle whose case has closed (or been voided) is closed with it: the problem is solved.
fn settle(conn: &mut DbConn, w: Whistle) -> StoreResult<Whistle> {
    if w.status != WhistleStatus::Open {
        return Ok(w);
    }
    let (status, closed_at): (Status, Option<NaiveDateTime>) =
        cases::table.find(&w.case_id).select((cases::status, cases::closed_at)).first(conn)?;
    let result = match status {
        Status::Closed => "案件已结案",
        Status::Void => "案件已作废",
        _ => return Ok(w),
    };
    let at = closed_at.unwrap_or_else(now);
    crate::db::write(conn, |conn| {
        diesel::update(whistles::table.find(&w.id).filter(whistles::status.eq(WhistleStatus::Open)))
            .set((whistles::status.eq(WhistleStatus::Closed), whistles::closed_at.eq(at), whistles::result.eq(result)))
            .execute(conn)?;
        get(conn, &w.id)
    })
}

/// Whether the caller sees the whistle: whoever sees its case, and the staff of a summoned
/// department.
pub(crate) fn visible(conn: &mut DbConn, caller: &Caller, w: &Whistle) -> StoreResult<bool> {
    if caller.role == Role::DeptStaff {
        let scope = caller.scope_id.clone().unwrap_or_default();
        let summoned = whistle_departments::table
            .find((&w.id, &scope))
            .select(whistle_departments::state)
            .first::<String>(conn)
            .optional()?;
        return Ok(summoned.is_some());
    }
    Ok(case::find_case(conn, caller, &w.case_id).is_ok())
}

pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<WhistleView> {
    let w = get(conn, id)?;
    if !visible(conn, caller, &w)? {
        return Err(StoreError::not_found("whistle", id));
    }
    view(conn, w)
}

/// The whistles the caller may see, newest first: an office its street's, a district admin
/// its district's, department staff those that summon their department.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    street_id: Option<&str>,
    status: Option<WhistleStatus>,
    page: &Page,
) -> StoreResult<Paged<WhistleView>> {
    let reach = caller.reach();
    let mut q = whistles::table.select(Whistle::as_select()).order(whistles::id.desc()).into_boxed();
    q = match (caller.role, reach) {
        (Role::DeptStaff, _) => {
            let mine = whistle_departments::table
                .filter(whistle_departments::department_id.eq(caller.scope_id.clone().unwrap_or_default()))
                .select(whistle_departments::whistle_id);
            q.filter(whistles::id.eq_any(mine))
        }
        (_, Reach::Everywhere) => q,
        (_, Reach::District { district }) => q.filter(whistles::district_id.eq(district.clone())),
        (_, Reach::Street { street, .. } | Reach::Community { street, .. }) => {
            q.filter(whistles::street_id.eq(street.clone()))
        }
        (_, Reach::Nothing) => return Ok(Paged::from_rows(Vec::new(), page, |w: &WhistleView| &w.whistle.id)),
    };
    if let Some(s) = street_id {
        q = q.filter(whistles::street_id.eq(s.to_owned()));
    }
    if let Some(s) = status {
        q = q.filter(whistles::status.eq(s));
    }
    if let Some(after) = &page.after {
        q = q.filter(whistles::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |w: &Whistle| &w.id);
    let items = paged.items.into_iter().map(|w| view(conn, w)).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged { items, next_after: paged.next_after })
}

pub struct ReportIn {
    pub department_id: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub note: Option<String>,
    pub attachments: Vec<String>,
}

/// A department reports in, by one of its staff.
pub fn report_in(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    report: ReportIn,
    on_site_m: f64,
) -> StoreResult<WhistleView> {
    crate::db::write(conn, |conn| {
        let w = get(conn, id)?;
        if !visible(conn, caller, &w)? {
            return Err(StoreError::not_found("whistle", id));
        }
        if caller.role != Role::DeptStaff || caller.scope_id.as_deref() != Some(report.department_id.as_str()) {
            return Err(StoreError::Forbidden("a department reports in by its own staff".into()));
        }
        let row: Summoned = whistle_departments::table
            .find((&w.id, &report.department_id))
            .select(Summoned::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::invalid("department_id", "this department was not summoned"))?;
        if row.reported_at.is_some() {
            return Err(StoreError::Conflict {
                field: "department_id",
                detail: "the department has reported in".into(),
            });
        }
        let c = case::get(conn, &w.case_id)?;
        let (mx, my) = gridhub_geo::measure::metres_per_degree(c.lat);
        let distance = ((report.lng - c.lng) * mx).hypot((report.lat - c.lat) * my);
        let state = if distance <= on_site_m { "on_site" } else { "reported_in" };
        let t = now();
        diesel::update(whistle_departments::table.find((&w.id, &report.department_id)))
            .set((
                whistle_departments::state.eq(state),
                whistle_departments::reported_at.eq(t),
                whistle_departments::lng.eq(report.lng),
                whistle_departments::lat.eq(report.lat),
                whistle_departments::distance_m.eq((distance * 10.0).round() / 10.0),
                whistle_departments::note.eq(&report.note),
                whistle_departments::attachments.eq(json!(report.attachments).to_string()),
            ))
            .execute(conn)?;
        let data = json!({"whistle_id": w.id, "department_id": report.department_id, "state": state, "distance_m": (distance * 10.0).round() / 10.0, "late": row.overdue_at.is_some()});
        let s = c.status;
        let mut e = NewEvent::on(&c.id, "report_in", s).note(report.note.as_deref()).data(data);
        e.attachments = &report.attachments;
        e.at_point = Some((report.lng, report.lat));
        case::event::record(conn, caller, e)?;
        let w = get(conn, id)?;
        view(conn, w)
    })
}

/// Marks the departments that have not reported in by their whistle's deadline; escalates each
/// to the district. Safe on several servers at once (see `case::overdue`). Returns how many.
pub fn sweep(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let late = whistles::table
            .filter(whistles::deadline_at.lt(at))
            .filter(whistles::status.eq(WhistleStatus::Open))
            .select(whistles::id);
        let due: Vec<Summoned> = crate::db::claim!(
            conn,
            whistle_departments::table
                .filter(whistle_departments::state.eq("summoned"))
                .filter(whistle_departments::whistle_id.eq_any(late))
                .select(Summoned::as_select())
        )?;
        let system = Caller::system();
        for s in &due {
            diesel::update(whistle_departments::table.find((&s.whistle_id, &s.department_id)))
                .set((whistle_departments::state.eq("overdue"), whistle_departments::overdue_at.eq(at)))
                .execute(conn)?;
            let w = get(conn, &s.whistle_id)?;
            let d = department::get(conn, &s.department_id)?;
            let c = case::get(conn, &w.case_id)?;
            let about = About::whistle(&c.id, &w.id);
            let message = format!("吹哨报到超时：{} 未在时限内到「{}」报到", d.name, c.title);
            notify::notify(conn, Recipient::District(&w.district_id), "whistle.overdue", about, message.clone())?;
            notify::notify(conn, Recipient::Street(&w.street_id), "whistle.overdue", about, message.clone())?;
            notify::notify(conn, Recipient::Department(&d.id), "whistle.overdue", about, message)?;
            notify::enqueue(conn, &d, "whistle.overdue", json!({"whistle_id": w.id, "case": case::payload(&c)}))?;
            let state = c.status;
            let data = json!({"whistle_id": w.id, "department_id": d.id, "department_name": d.name, "escalated_to": "district"});
            case::event::record(conn, &system, NewEvent::on(&c.id, "whistle_overdue", state).data(data))?;
        }
        // whistles whose case is done are closed with it
        let done: Vec<Whistle> = whistles::table
            .inner_join(cases::table.on(cases::id.eq(whistles::case_id)))
            .filter(whistles::status.eq(WhistleStatus::Open))
            .filter(cases::status.eq_any([Status::Closed, Status::Void]))
            .select(Whistle::as_select())
            .limit(200)
            .load(conn)?;
        for w in done {
            settle(conn, w)?;
        }
        Ok(due.len())
    })
}
