//! 主办/协办 — the assisting departments' parts of a case. A dispatch names the lead (the case's
//! department) and may name assisting departments; each accepts, returns and reports its part with
//! the case's own `accept`, `return` and `handle`, by deadlines on the case's clock; the lead's
//! `handle` waits until every part is in or waived. The steps are `lifecycle::PARTS`; here they are
//! applied, shown on the case, swept for lateness and counted (协办按期率).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::category::Category;
use super::event::{self, NewEvent};
use super::lifecycle::{PART_ACTIONS, PARTS_WORKED, PartStatus, PartStep};
use super::{Act, Action, Case, payload, save};
use crate::access::{Caller, Role, audit};
use crate::clocks::Calendar;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About, Recipient};
use crate::regions::department;
use crate::schema::{case_parts, cases, departments};
use crate::time::{now, rfc3339};

/// One assisting department's part, as the case shows it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = case_parts)]
pub struct Part {
    #[serde(skip)]
    pub case_id: String,
    pub department_id: String,
    pub status: PartStatus,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub step_started_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub deadline_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub overdue_at: Option<NaiveDateTime>,
    /// When it first ran past a deadline while open (its deadline): not on time (协办按期率).
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub late_at: Option<NaiveDateTime>,
    pub accepted_by: Option<String>,
    /// What the department did, or why it was returned or waived.
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub dispatched_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub finished_at: Option<NaiveDateTime>,
}

/// A part with its department's name, for the case's detail.
#[derive(Debug, Clone, Serialize)]
pub struct PartView {
    #[serde(flatten)]
    pub part: Part,
    pub department_name: String,
    /// 中文: where the part stands.
    pub status_label: &'static str,
    /// Ever past a deadline while open.
    pub late: bool,
}

/// The case's parts, the earliest dispatched first.
pub fn list(conn: &mut DbConn, case_id: &str) -> StoreResult<Vec<PartView>> {
    let rows: Vec<(Part, String)> = case_parts::table
        .inner_join(departments::table)
        .filter(case_parts::case_id.eq(case_id))
        .order((case_parts::dispatched_at.asc(), case_parts::department_id.asc()))
        .select((Part::as_select(), departments::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(part, department_name)| PartView {
            status_label: part.status.label(),
            late: part.late_at.is_some(),
            part,
            department_name,
        })
        .collect())
}

/// The part of the caller's department on the case, if it assists there.
pub(crate) fn mine(conn: &mut DbConn, caller: &Caller, case_id: &str) -> StoreResult<Option<Part>> {
    let Some(department) = caller.scope_id.as_deref().filter(|_| caller.role == Role::DeptStaff) else {
        return Ok(None);
    };
    Ok(case_parts::table.find((case_id, department)).select(Part::as_select()).first(conn).optional()?)
}

/// The departments whose parts are still to come in: they hold the lead's `handle`.
pub(crate) fn waiting(conn: &mut DbConn, case_id: &str) -> StoreResult<Vec<String>> {
    Ok(case_parts::table
        .inner_join(departments::table)
        .filter(case_parts::case_id.eq(case_id))
        .filter(case_parts::status.eq_any(PartStatus::WAITING))
        .order(departments::name.asc())
        .select(departments::name)
        .load(conn)?)
}

/// The actions the caller's department may take on its part now.
pub(crate) fn allowed(case: &Case, part: &Part) -> Vec<Action> {
    if !PARTS_WORKED.contains(&case.status) {
        return Vec::new();
    }
    PART_ACTIONS.into_iter().filter(|a| PartStep::of(*a, Some(part.status)).is_some()).collect()
}

/// Dispatches (or dispatches again) the parts of `departments` on `case`, led by `lead`: each must
/// be a department of the case's district, not the lead, not named twice, without an open part.
/// Each department is told, and its webhook fires. Returns their ids, for the timeline.
pub(crate) fn dispatch(
    conn: &mut DbConn,
    case: &Case,
    lead: &str,
    named: &[String],
    category: &Category,
    cal: &Calendar,
    at: NaiveDateTime,
) -> StoreResult<Vec<String>> {
    let field = "co_departments";
    let mut ids: Vec<String> = Vec::new();
    for id in named {
        if ids.contains(id) {
            return Err(StoreError::invalid(field, format!("names {id} twice")));
        }
        if id == lead {
            return Err(StoreError::invalid(field, format!("{id} leads the case (主办); it does not assist it")));
        }
        let d = department::serving(conn, id, &case.place(), field)?;
        let known: Option<Part> =
            case_parts::table.find((case.id.as_str(), id.as_str())).select(Part::as_select()).first(conn).optional()?;
        if let Some(p) = &known
            && PartStep::of(Action::CoDispatch, Some(p.status)).is_none()
        {
            return Err(StoreError::invalid(field, format!("{} assists already ({})", d.name, p.status.label())));
        }
        let deadline = category.limit(super::category::Step::Accept).map(|l| case.timer(cal).deadline(at, l));
        let values = (
            case_parts::status.eq(PartStatus::Dispatched),
            case_parts::step_started_at.eq(Some(at)),
            case_parts::deadline_at.eq(deadline),
            case_parts::overdue_at.eq(None::<NaiveDateTime>),
            case_parts::late_at.eq(None::<NaiveDateTime>),
            case_parts::accepted_by.eq(None::<String>),
            case_parts::note.eq(None::<String>),
            case_parts::dispatched_at.eq(at),
            case_parts::finished_at.eq(None::<NaiveDateTime>),
        );
        if known.is_some() {
            diesel::update(case_parts::table.find((case.id.as_str(), id.as_str()))).set(values).execute(conn)?;
        } else {
            diesel::insert_into(case_parts::table)
                .values((case_parts::case_id.eq(case.id.as_str()), case_parts::department_id.eq(id), values))
                .execute(conn)?;
        }
        let message = format!("新协办案件「{}」，请签收并按期反馈协办情况", case.title);
        notify::notify(conn, Recipient::Department(id), "case.assist", About::case(&case.id), message)?;
        notify::enqueue(conn, &d, "case.assist", payload(case))?;
        ids.push(id.clone());
    }
    Ok(ids)
}

/// A department made the lead (主办) of a case it assisted: its part, if still to come in, is
/// settled — it answers for the whole case now.
pub(crate) fn lead_takes_over(conn: &mut DbConn, case: &Case, lead: &str, at: NaiveDateTime) -> StoreResult<()> {
    let part: Option<Part> =
        case_parts::table.find((case.id.as_str(), lead)).select(Part::as_select()).first(conn).optional()?;
    match part {
        Some(p) if PartStatus::WAITING.contains(&p.status) => {
            finish(conn, case, &p, PartStatus::Waived, "改为主办", at)
        }
        _ => Ok(()),
    }
}

/// A case voided or merged into another needs no help any more: its parts still to come in are
/// waived, and their departments told.
pub(crate) fn withdraw(conn: &mut DbConn, case: &Case, why: &str, at: NaiveDateTime) -> StoreResult<()> {
    let open: Vec<Part> = case_parts::table
        .filter(case_parts::case_id.eq(case.id.as_str()))
        .filter(case_parts::status.eq_any(PartStatus::WAITING))
        .select(Part::as_select())
        .load(conn)?;
    for p in &open {
        finish(conn, case, p, PartStatus::Waived, why, at)?;
        let message = format!("「{}」{why}，协办任务已免除", case.title);
        notify::notify(
            conn,
            Recipient::Department(&p.department_id),
            "case.part_waived",
            About::case(&case.id),
            message,
        )?;
    }
    Ok(())
}

/// The office waives a part no longer needed (免除协办): the data for the timeline.
pub(crate) fn waive(
    conn: &mut DbConn,
    case: &Case,
    named: Option<&str>,
    note: &str,
    at: NaiveDateTime,
) -> StoreResult<Value> {
    let Some(id) = named else {
        return Err(StoreError::invalid("department_id", "is required: the assisting department whose part is waived"));
    };
    let part: Option<Part> =
        case_parts::table.find((case.id.as_str(), id)).select(Part::as_select()).first(conn).optional()?;
    let Some(part) = part.filter(|p| PartStep::of(Action::WaivePart, Some(p.status)).is_some()) else {
        return Err(StoreError::invalid("department_id", format!("{id} has no part of this case still to come in")));
    };
    finish(conn, case, &part, PartStatus::Waived, note, at)?;
    let message = format!("「{}」的协办任务已免除：{note}", case.title);
    notify::notify(conn, Recipient::Department(id), "case.part_waived", About::case(&case.id), message)?;
    let name = department::get(conn, id)?.name;
    Ok(json!({"department_id": id, "department_name": name, "from": part.status}))
}

fn finish(
    conn: &mut DbConn,
    case: &Case,
    part: &Part,
    to: PartStatus,
    note: &str,
    at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::update(case_parts::table.find((case.id.as_str(), part.department_id.as_str())))
        .set((
            case_parts::status.eq(to),
            case_parts::step_started_at.eq(None::<NaiveDateTime>),
            case_parts::deadline_at.eq(None::<NaiveDateTime>),
            case_parts::overdue_at.eq(None::<NaiveDateTime>),
            case_parts::note.eq(Some(note)),
            case_parts::finished_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An assisting department accepts, returns or reports its part: checked like the case's own
/// action (state → 409 with what is allowed, input → 422), then the part, the case's version and
/// timeline, and who must hear of it, in the caller's transaction. Returns the case as it is now.
pub(crate) fn act(
    conn: &mut DbConn,
    caller: &Caller,
    case: &Case,
    part: &Part,
    act: &Act,
    category: &Category,
    cal: &Calendar,
) -> StoreResult<Case> {
    let step = PartStep::of(act.action, Some(part.status)).filter(|_| PARTS_WORKED.contains(&case.status));
    let Some(step) = step else {
        let allowed: Vec<&'static str> = allowed(case, part).into_iter().map(Action::as_str).collect();
        let detail = format!(
            "your department's part (协办) is {} on a {} case; allowed now: {}",
            part.status.as_str(),
            case.status.as_str(),
            allowed.join(", ")
        );
        return Err(StoreError::NotAllowedNow { detail, allowed });
    };
    let note = act.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if act.action.transition().note && note.is_none() {
        return Err(StoreError::invalid("note", format!("is required to {} your part", act.action.as_str())));
    }
    let at = now();
    let done = act.occurred_at.unwrap_or(at);
    let timer = case.timer(cal);
    let name = department::get(conn, &part.department_id)?.name;
    // past its deadline, whether or not the sweep has marked it yet
    let on_time = part.deadline_at.is_none_or(|d| done <= d);
    let data = json!({
        "department_id": part.department_id,
        "department_name": name,
        "step": part.status.step().map(|s| s.as_str()),
        "due": part.deadline_at.as_ref().map(rfc3339),
        "on_time": on_time,
        "minutes": part.step_started_at.map_or(0, |s| timer.minutes(s, done)),
    });
    let key = (case.id.as_str(), part.department_id.as_str());
    match step.to {
        PartStatus::Accepted => {
            let deadline = category.limit(super::category::Step::Handle).map(|l| timer.deadline(at, l));
            diesel::update(case_parts::table.find(key))
                .set((
                    case_parts::status.eq(PartStatus::Accepted),
                    case_parts::step_started_at.eq(Some(at)),
                    case_parts::deadline_at.eq(deadline),
                    case_parts::overdue_at.eq(None::<NaiveDateTime>),
                    case_parts::accepted_by.eq(Some(caller.user_id.as_str())),
                ))
                .execute(conn)?;
        }
        to => finish(conn, case, part, to, note.unwrap_or_default(), at)?,
    }
    if !on_time && part.late_at.is_none() {
        diesel::update(case_parts::table.find(key)).set(case_parts::late_at.eq(part.deadline_at)).execute(conn)?;
    }
    let new = Case { version: case.version + 1, updated_at: at, ..case.clone() };
    save(conn, case.version, &new)?;
    let mut e = NewEvent::on(&case.id, step.event, case.status).note(note).data(data.clone());
    e.attachments = &act.attachments;
    e.at_point = act.at_point;
    e.occurred_at = act.occurred_at;
    event::record(conn, caller, e)?;
    audit::record(conn, caller, &format!("case.{}", step.event), ("case", &case.id), &case.place(), data)?;
    let about = About::case(&case.id);
    match step.to {
        PartStatus::Returned => {
            if let Some(street) = &case.street_id {
                let message =
                    format!("「{}」的协办任务被{name}退回，请重新增派或免除：{}", case.title, note.unwrap_or_default());
                notify::notify(conn, Recipient::Street(street), "case.part_returned", about, message)?;
            }
        }
        PartStatus::Handled => {
            let left = waiting(conn, &case.id)?;
            let message = if left.is_empty() {
                format!("「{}」的协办部门均已反馈，可处置反馈", case.title)
            } else {
                format!("{name}已反馈「{}」的协办情况；尚待：{}", case.title, left.join("、"))
            };
            if let Some(lead) = &case.department_id {
                notify::notify(conn, Recipient::Department(lead), "case.part_handled", about, message)?;
            }
        }
        _ => {}
    }
    Ok(new)
}

/// A suspended case's parts stand still with it: on resume each open part's deadline moves on
/// by the time the case was suspended (`since` to `at`), on the case's clock.
pub(crate) fn resume(
    conn: &mut DbConn,
    case: &Case,
    cal: &Calendar,
    since: NaiveDateTime,
    at: NaiveDateTime,
) -> StoreResult<()> {
    let open: Vec<Part> = case_parts::table
        .filter(case_parts::case_id.eq(case.id.as_str()))
        .filter(case_parts::deadline_at.is_not_null())
        .select(Part::as_select())
        .load(conn)?;
    let timer = case.timer(cal);
    for p in open {
        let Some(deadline) = p.deadline_at else { continue };
        let left = timer.minutes(since, deadline);
        let used = p.step_started_at.map(|s| timer.minutes(s, since));
        diesel::update(case_parts::table.find((case.id.as_str(), p.department_id.as_str())))
            .set((
                case_parts::deadline_at.eq(Some(timer.add_minutes(at, left))),
                case_parts::step_started_at.eq(used.map(|u| timer.sub_minutes(at, u))),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many parts one sweep marks at most.
const BATCH: i64 = 200;

/// Marks the open parts past their deadline at `at` (while the case is with its departments):
/// once each, with an event on the case's timeline, a notification to the department and the
/// street, and the department's webhook. Returns how many.
pub fn sweep(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let due: Vec<Part> = crate::db::claim!(
            conn,
            case_parts::table
                .filter(case_parts::overdue_at.is_null())
                .filter(case_parts::deadline_at.lt(at))
                .filter(case_parts::status.eq_any([PartStatus::Dispatched, PartStatus::Accepted]))
                .filter(
                    case_parts::case_id
                        .eq_any(cases::table.filter(cases::status.eq_any(PARTS_WORKED)).select(cases::id),)
                )
                .order(case_parts::deadline_at.asc())
                .limit(BATCH)
                .select(Part::as_select())
        )?;
        let system = Caller::system();
        for p in &due {
            diesel::update(case_parts::table.find((p.case_id.as_str(), p.department_id.as_str())))
                .set((case_parts::overdue_at.eq(Some(at)), case_parts::late_at.eq(p.late_at.or(p.deadline_at))))
                .execute(conn)?;
            let case = super::get(conn, &p.case_id)?;
            let d = department::get(conn, &p.department_id)?;
            let step = p.status.step();
            let data = json!({"department_id": p.department_id, "department_name": d.name, "step": step.map(|s| s.as_str()), "deadline_at": p.deadline_at.as_ref().map(rfc3339)});
            event::record(conn, &system, NewEvent::on(&case.id, "part_overdue", case.status).data(data))?;
            let what = step.map_or("协办", |s| s.label());
            let message = format!("「{}」中{}的协办任务（{what}）已超时", case.title, d.name);
            let about = About::case(&case.id);
            if let Some(street) = &case.street_id {
                notify::notify(conn, Recipient::Street(street), "case.part_overdue", about, message.clone())?;
            }
            notify::notify(conn, Recipient::Department(&d.id), "case.part_overdue", about, message)?;
            let mut body = payload(&case);
            body["part"] =
                json!({"department_id": d.id, "status": p.status, "deadline_at": p.deadline_at.as_ref().map(rfc3339)});
            notify::enqueue(conn, &d, "case.part_overdue", body)?;
        }
        Ok(due.len())
    })
}

/// Per department, the parts that count in a period `[start, end)`: handled in it, or still open
/// and gone late in it (`assists`), and of them those handled never late (`assists_on_time`).
pub fn counts(
    conn: &mut DbConn,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> StoreResult<Vec<(String, &'static str, i64)>> {
    let handled = case_parts::status
        .eq(PartStatus::Handled)
        .and(case_parts::finished_at.ge(start))
        .and(case_parts::finished_at.lt(end));
    let late_open = case_parts::status
        .eq_any([PartStatus::Dispatched, PartStatus::Accepted])
        .and(case_parts::late_at.ge(start))
        .and(case_parts::late_at.lt(end));
    let rows: Vec<(String, PartStatus, Option<NaiveDateTime>)> = case_parts::table
        .filter(handled.or(late_open))
        .select((case_parts::department_id, case_parts::status, case_parts::late_at))
        .load(conn)?;
    let mut out = Vec::new();
    for (department, status, late_at) in rows {
        if status == PartStatus::Handled && late_at.is_none() {
            out.push((department.clone(), "assists_on_time", 1));
        }
        out.push((department, "assists", 1));
    }
    Ok(out)
}

/// Whether the department has a part of the case.
pub(crate) fn assists(conn: &mut DbConn, case_id: &str, department: &str) -> StoreResult<bool> {
    Ok(case_parts::table
        .find((case_id, department))
        .select(case_parts::case_id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}
