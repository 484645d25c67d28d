//! What a meeting decides, and what came of it. A decision on an agenda item leaves with
//! milestones, each a task (kind `meeting`) owned by one department — with the departments that
//! help it named — so it is supervised like any task (overdue sweep, notifications, webhooks,
//! figures). The plan is the timetable and division of work (方案实施时间表和任务分工图); the
//! report says per item what was decided, done, late and carried on, with the meeting's
//! resolution rate (解决率 = resolved ÷ decided) and each department's milestones on time.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::agenda::{self, ItemStatus};
use super::{MeetingStatus, agenda_of, find_meeting, require_runner};
use crate::access::Caller;
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::schema::{decisions, departments, meeting_items, meetings, milestones, tasks};
use crate::tasks::{NewTask, Task, TaskKind, TaskStatus, Unit, is_overdue};
use crate::time::now;

pub struct NewMilestone {
    pub title: String,
    pub owner_department_id: String,
    pub co_department_ids: Vec<String>,
    pub due_at: NaiveDateTime,
    pub deliverable: String,
}

pub struct NewDecision {
    pub agenda_item_id: String,
    pub summary: String,
    pub milestones: Vec<NewMilestone>,
}

/// A milestone of a decision, as the plan shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub decision_id: String,
    pub agenda_item_id: String,
    pub item_title: String,
    pub decision: String,
    pub task_id: String,
    pub milestone: String,
    pub owner_department_id: String,
    pub owner_department: String,
    pub co_departments: Vec<String>,
    pub deliverable: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub due_at: NaiveDateTime,
    pub status: TaskStatus,
    pub status_label: &'static str,
    pub done: bool,
    pub overdue: bool,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: String,
    pub summary: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    pub milestones: Vec<PlanRow>,
}

/// The meeting's decision on an item on its agenda: the item is `decided`, each milestone a task.
/// The district's office decides (it assigns the departments' tasks).
pub fn decide(conn: &mut DbConn, caller: &Caller, meeting_id: &str, new: NewDecision) -> StoreResult<Decision> {
    crate::db::write(conn, |conn| {
        let m = find_meeting(conn, caller, meeting_id)?;
        require_runner(caller, &m)?;
        if m.status == MeetingStatus::MinutesPublished {
            return Err(StoreError::NotAllowedNow { detail: "the minutes are published".into(), allowed: vec![] });
        }
        let on = agenda_of(conn, &m.id)?;
        let Some(item) = on.into_iter().find(|i| i.id == new.agenda_item_id) else {
            return Err(StoreError::invalid("agenda_item_id", "must be an item on the meeting's agenda"));
        };
        let mut problems = Vec::new();
        for (i, ms) in new.milestones.iter().enumerate() {
            let ids = std::iter::once((format!("milestones[{i}].owner_department_id"), &ms.owner_department_id)).chain(
                ms.co_department_ids
                    .iter()
                    .enumerate()
                    .map(|(k, d)| (format!("milestones[{i}].co_department_ids[{k}]"), d)),
            );
            for (field, id) in ids {
                if !crate::regions::department::get(conn, id).is_ok_and(|d| d.district_id == m.district_id) {
                    problems.push(FieldProblem::new(field, "must be a department of the meeting's district"));
                }
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        agenda::moved_by_meeting(conn, caller, &item, "decide", &m.id, Some(&new.summary))?;
        let t = now();
        let id = uuid::Uuid::now_v7().to_string();
        diesel::insert_into(decisions::table)
            .values((
                decisions::id.eq(&id),
                decisions::meeting_id.eq(&m.id),
                decisions::item_id.eq(&item.id),
                decisions::summary.eq(&new.summary),
                decisions::created_by.eq(caller.actor_id()),
                decisions::created_at.eq(t),
            ))
            .execute(conn)?;
        for (i, ms) in new.milestones.iter().enumerate() {
            let task = NewTask {
                title: ms.title.clone(),
                description: format!("{}：{}。交付成果：{}", m.title, new.summary, ms.deliverable),
                kind: Some(TaskKind::Meeting),
                owner: (Unit::Department, ms.owner_department_id.clone()),
                due_at: ms.due_at,
                target_quantity: None,
                parent_id: None,
                campaign_id: None,
            };
            let task = crate::tasks::create(conn, caller, task).map_err(|e| match e {
                StoreError::Invalid(p) if p.iter().any(|p| p.field == "due_at") => StoreError::invalid(
                    format!("milestones[{i}].due_at"),
                    "must be in the future, at most two years ahead",
                ),
                e => e,
            })?;
            diesel::insert_into(milestones::table)
                .values((
                    milestones::task_id.eq(&task.view.task.id),
                    milestones::decision_id.eq(&id),
                    milestones::position.eq(i as i32 + 1),
                    milestones::co_department_ids.eq(json!(ms.co_department_ids).to_string()),
                    milestones::deliverable.eq(&ms.deliverable),
                ))
                .execute(conn)?;
        }
        // the departments given work sat at the table
        let mut attendees = m.department_ids();
        for d in
            new.milestones.iter().flat_map(|ms| std::iter::once(&ms.owner_department_id).chain(&ms.co_department_ids))
        {
            if !attendees.contains(d) {
                attendees.push(d.clone());
            }
        }
        diesel::update(meetings::table.find(&m.id))
            .set(meetings::departments.eq(json!(attendees).to_string()))
            .execute(conn)?;
        let mut all = of_meeting(conn, &m.id)?;
        Ok(all.remove(all.iter().position(|d| d.id == id).expect("just made")))
    })
}

/// The meeting's decisions with their milestones, in the agenda's order.
pub fn of_meeting(conn: &mut DbConn, meeting_id: &str) -> StoreResult<Vec<Decision>> {
    let rows: Vec<(String, String, String, NaiveDateTime)> = decisions::table
        .filter(decisions::meeting_id.eq(meeting_id))
        .order(decisions::id.asc())
        .select((decisions::id, decisions::item_id, decisions::summary, decisions::created_at))
        .load(conn)?;
    let names: BTreeMap<String, String> = departments::table
        .select((departments::id, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let order: Vec<(String, String)> = agenda_of(conn, meeting_id)?.into_iter().map(|i| (i.id, i.title)).collect();
    let at = now();
    let mut out = Vec::new();
    for (id, item_id, summary, created_at) in rows {
        let ms: Vec<(Task, String, String)> = milestones::table
            .inner_join(tasks::table)
            .filter(milestones::decision_id.eq(&id))
            .order(milestones::position.asc())
            .select((Task::as_select(), milestones::co_department_ids, milestones::deliverable))
            .load(conn)?;
        let item_title = order.iter().find(|o| o.0 == item_id).map(|o| o.1.clone()).unwrap_or_default();
        let milestones = ms
            .into_iter()
            .map(|(t, co, deliverable)| {
                let co: Vec<String> = serde_json::from_str(&co).unwrap_or_default();
                PlanRow {
                    decision_id: id.clone(),
                    agenda_item_id: item_id.clone(),
                    item_title: item_title.clone(),
                    decision: summary.clone(),
                    task_id: t.id.clone(),
                    milestone: t.title.clone(),
                    owner_department: names.get(&t.owner_id).cloned().unwrap_or_default(),
                    owner_department_id: t.owner_id.clone(),
                    co_departments: co.iter().map(|d| names.get(d).cloned().unwrap_or_default()).collect(),
                    deliverable,
                    starts_at: t.created_at,
                    due_at: t.due_at,
                    status: t.status,
                    status_label: t.status.label(),
                    done: t.status == TaskStatus::Verified,
                    overdue: is_overdue(&t, at),
                    verified_at: t.verified_at,
                }
            })
            .collect();
        out.push(Decision {
            id,
            meeting_id: meeting_id.to_owned(),
            agenda_item_id: item_id,
            summary,
            created_at,
            milestones,
        });
    }
    let rank = |d: &Decision| order.iter().position(|o| o.0 == d.agenda_item_id).unwrap_or(usize::MAX);
    out.sort_by_key(rank);
    Ok(out)
}

/// The plan of a meeting the caller sees: every milestone, by item.
pub fn plan(conn: &mut DbConn, caller: &Caller, meeting_id: &str) -> StoreResult<Vec<PlanRow>> {
    let m = find_meeting(conn, caller, meeting_id)?;
    Ok(of_meeting(conn, &m.id)?.into_iter().flat_map(|d| d.milestones).collect())
}

/// An item's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ItemLine {
    pub agenda_item_id: String,
    pub title: String,
    pub class: String,
    pub status: ItemStatus,
    pub status_label: &'static str,
    pub decided: bool,
    pub milestones: usize,
    pub done: usize,
    pub late: usize,
    /// Carried on to a later meeting undecided (持续推进).
    pub continuing: bool,
}

/// A department's milestones: how many were due (or done), how many done by their date.
#[derive(Debug, Clone, Serialize)]
pub struct DepartmentLine {
    pub department_id: String,
    pub department: String,
    pub milestones: usize,
    pub due: usize,
    pub on_time: usize,
    /// On time ÷ due, in percent to one decimal; none while nothing is due.
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub meeting_id: String,
    pub items: Vec<ItemLine>,
    pub on_agenda: usize,
    pub decided: usize,
    pub resolved: usize,
    pub in_progress: usize,
    pub continuing: usize,
    pub declined: usize,
    /// 解决率: resolved ÷ decided, in percent to one decimal; none before any decision.
    pub resolution_rate: Option<f64>,
    pub departments: Vec<DepartmentLine>,
}

fn percent(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

/// What came of a meeting: per item decided, done, late, continuing; the resolution rate; each
/// department's milestones on time.
pub fn report(conn: &mut DbConn, caller: &Caller, meeting_id: &str) -> StoreResult<Report> {
    let m = find_meeting(conn, caller, meeting_id)?;
    let items = agenda_of(conn, &m.id)?;
    let decisions = of_meeting(conn, &m.id)?;
    let at = now();
    // items carried on: taken up by a later meeting since
    let elsewhere: Vec<String> = meeting_items::table
        .filter(meeting_items::item_id.eq_any(items.iter().map(|i| i.id.clone()).collect::<Vec<_>>()))
        .filter(meeting_items::meeting_id.ne(&m.id))
        .select(meeting_items::item_id)
        .load(conn)?;
    let mut lines = Vec::new();
    for i in &items {
        let rows: Vec<&PlanRow> =
            decisions.iter().filter(|d| d.agenda_item_id == i.id).flat_map(|d| d.milestones.iter()).collect();
        let decided = decisions.iter().any(|d| d.agenda_item_id == i.id);
        lines.push(ItemLine {
            agenda_item_id: i.id.clone(),
            title: i.title.clone(),
            class: i.class.clone(),
            status: i.status,
            status_label: i.status.label(),
            decided,
            milestones: rows.len(),
            done: rows.iter().filter(|r| r.done).count(),
            late: rows.iter().filter(|r| r.overdue).count(),
            continuing: !decided && (i.status == ItemStatus::Continuing || elsewhere.contains(&i.id)),
        });
    }
    let count = |s: ItemStatus| items.iter().filter(|i| i.status == s).count();
    let decided = lines.iter().filter(|l| l.decided).count();
    let resolved = count(ItemStatus::Resolved);
    let mut by_department: BTreeMap<String, DepartmentLine> = BTreeMap::new();
    for r in decisions.iter().flat_map(|d| d.milestones.iter()) {
        let line = by_department.entry(r.owner_department_id.clone()).or_insert_with(|| DepartmentLine {
            department_id: r.owner_department_id.clone(),
            department: r.owner_department.clone(),
            milestones: 0,
            due: 0,
            on_time: 0,
            on_time_rate: None,
        });
        line.milestones += 1;
        if r.done || r.due_at <= at {
            line.due += 1;
        }
        if r.verified_at.is_some_and(|v| v <= r.due_at) {
            line.on_time += 1;
        }
    }
    let departments = by_department
        .into_values()
        .map(|mut l| {
            l.on_time_rate = percent(l.on_time, l.due);
            l
        })
        .collect();
    let continuing = lines.iter().filter(|l| l.continuing).count();
    Ok(Report {
        meeting_id: m.id,
        on_agenda: items.len(),
        decided,
        resolved,
        in_progress: count(ItemStatus::InProgress) + count(ItemStatus::Decided),
        continuing,
        declined: count(ItemStatus::Declined),
        resolution_rate: percent(resolved, decided),
        items: lines,
        departments,
    })
}
