//! Acting on a task: the state changes of `flow::FLOW`, progress reports (counted up the chain of
//! parents), and decomposition into one child per unit under the owner.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::flow::{self, By, FLOW, TaskAction, TaskStatus};
use super::{
    NewTask, Task, TaskDetail, Unit, detail, event, find_task, get, insert, insert_event, record, rollup,
    tell_assigner, tell_owner, touch, unit,
};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::tasks;
use crate::time::now;

/// Refuses an action the caller may not take on the task now: 403 for who, 409 for when.
fn check(conn: &mut DbConn, caller: &Caller, task: &Task, a: &TaskAction) -> StoreResult<()> {
    let who = match a.by {
        By::Owner => unit::acts_for(conn, caller, task.owner_type, &task.owner_id)?,
        By::Assigner => {
            caller.role == Role::SystemAdmin || unit::acts_for(conn, caller, task.assigner_type, &task.assigner_id)?
        }
    };
    if !who {
        return Err(StoreError::Forbidden(format!("only the {} of a task may {} it", a.by.as_str(), a.name)));
    }
    if !a.from.contains(&task.status) {
        let children = rollup(conn, &task.id)?;
        return Err(StoreError::NotAllowedNow {
            detail: format!("the action {} is not open to a task that is {}", a.name, task.status),
            allowed: flow::allowed(conn, caller, task, &children)?,
        });
    }
    Ok(())
}

impl By {
    fn as_str(self) -> &'static str {
        match self {
            By::Owner => "owner",
            By::Assigner => "assigner",
        }
    }
}

fn expect_version(task: &Task, expected: Option<i64>) -> StoreResult<()> {
    match expected {
        Some(v) if v != task.version => {
            Err(StoreError::VersionMismatch { entity: "task", id: task.id.clone(), current: task.version })
        }
        _ => Ok(()),
    }
}

/// Saves the task's new state.
fn save(conn: &mut DbConn, task: &Task) -> StoreResult<()> {
    diesel::update(tasks::table.find(&task.id)).set(task).execute(conn)?;
    touch(conn, &[&task.id])
}

/// Takes a state-changing action of the table (`accept`, `submit`, `verify`, `return`, `cancel`).
pub fn act(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: &str,
    note: Option<String>,
    expected_version: Option<i64>,
) -> StoreResult<TaskDetail> {
    // progress and decomposition have their own routes, with what they need
    let own_route = |name: &str| matches!(name, "progress" | "decompose");
    let a = flow::action(action).filter(|a| !own_route(a.name)).ok_or_else(|| {
        let names: Vec<&str> = FLOW.iter().map(|a| a.name).filter(|n| !own_route(n)).collect();
        StoreError::invalid("action", format!("must be one of {}", names.join(", ")))
    })?;
    if a.note && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(StoreError::invalid("note", format!("is required to {} a task", a.name)));
    }
    crate::db::write(conn, |conn| {
        let old = find_task(conn, caller, id)?;
        check(conn, caller, &old, a)?;
        expect_version(&old, expected_version)?;
        if a.name == "submit" {
            let children = rollup(conn, &old.id)?;
            if children.verified < children.total {
                return Err(StoreError::Conflict {
                    field: "children",
                    detail: format!(
                        "{} of {} child tasks are not verified yet",
                        children.total - children.verified,
                        children.total
                    ),
                });
            }
        }
        let t = now();
        let mut task = Task { status: a.to, version: old.version + 1, updated_at: t, ..old.clone() };
        match a.to {
            TaskStatus::Submitted => task.submitted_at = Some(t),
            TaskStatus::Verified => task.verified_at = Some(t),
            _ => {}
        }
        save(conn, &task)?;
        record(conn, caller, &task, a.name, Some(old.status), a.to, note.as_deref(), None, &[])?;
        let title = &task.title;
        let reason = note.as_deref().unwrap_or("").trim();
        match a.to {
            TaskStatus::Accepted => {}
            TaskStatus::Submitted => {
                let (_, owner) = unit::find(conn, task.owner_type, &task.owner_id)?;
                tell_assigner(conn, &task, "task.submitted", format!("{owner}已提交任务「{title}」，待核验"))?;
            }
            TaskStatus::Verified => tell_owner(conn, &task, "task.verified", format!("任务「{title}」已核验通过"))?,
            TaskStatus::Returned => {
                tell_owner(conn, &task, "task.returned", format!("任务「{title}」被退回：{reason}"))?
            }
            _ => {
                tell_owner(conn, &task, "task.cancelled", format!("任务「{title}」已撤销：{reason}"))?;
                cancel_children(conn, caller, &task.id, reason)?;
            }
        }
        detail(conn, caller, task)
    })
}

/// Cancels the open children of a cancelled task, and theirs.
fn cancel_children(conn: &mut DbConn, caller: &Caller, parent_id: &str, reason: &str) -> StoreResult<()> {
    let children: Vec<Task> = tasks::table
        .filter(tasks::parent_id.eq(parent_id))
        .filter(tasks::status.ne_all([TaskStatus::Verified, TaskStatus::Cancelled]))
        .select(Task::as_select())
        .load(conn)?;
    for old in children {
        let task = Task { status: TaskStatus::Cancelled, version: old.version + 1, updated_at: now(), ..old.clone() };
        save(conn, &task)?;
        let note = format!("上级任务已撤销：{reason}");
        record(conn, caller, &task, "cancel", Some(old.status), TaskStatus::Cancelled, Some(&note), None, &[])?;
        tell_owner(conn, &task, "task.cancelled", format!("任务「{}」已撤销：{note}", task.title))?;
        cancel_children(conn, caller, &task.id, reason)?;
    }
    Ok(())
}

pub struct Progress {
    pub quantity: i64,
    pub note: Option<String>,
    pub attachments: Vec<String>,
    /// Made on a phone: the report's id there and when it was made (offline, maybe long before).
    pub made: Option<Made>,
}

/// A progress report as a phone made it.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: String,
    pub at: Option<NaiveDateTime>,
}

/// The owner reports progress: the quantity counts for the task and every task above it.
pub fn progress(conn: &mut DbConn, caller: &Caller, id: &str, p: Progress) -> StoreResult<TaskDetail> {
    crate::db::write(conn, |conn| {
        let old = find_task(conn, caller, id)?;
        check(conn, caller, &old, flow::action("progress").expect("in the table"))?;
        let t = now();
        let task = Task {
            status: TaskStatus::InProgress,
            quantity_done: old.quantity_done + p.quantity,
            version: old.version + 1,
            updated_at: t,
            ..old.clone()
        };
        save(conn, &task)?;
        let mut e = event(
            caller,
            &task,
            "progress",
            Some(old.status),
            task.status,
            p.note.as_deref(),
            Some(p.quantity),
            &p.attachments,
        );
        if let Some(made) = p.made {
            (e.id, e.made_at) = (made.id, made.at);
        }
        insert_event(conn, &e)?;
        let mut above = task.parent_id.clone();
        while let Some(parent_id) = above {
            let parent = get(conn, &parent_id)?;
            diesel::update(tasks::table.find(&parent.id))
                .set((tasks::quantity_done.eq(parent.quantity_done + p.quantity), tasks::updated_at.eq(t)))
                .execute(conn)?;
            touch(conn, &[&parent.id])?;
            above = parent.parent_id;
        }
        detail(conn, caller, task)
    })
}

/// The owner decomposes its task: one child for each unit of kind `to` under it that has none
/// yet, due by `due_at` (the parent's due date by default), assigned by the owner.
pub fn decompose(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    to: Unit,
    due_at: Option<NaiveDateTime>,
) -> StoreResult<TaskDetail> {
    crate::db::write(conn, |conn| {
        let old = find_task(conn, caller, id)?;
        check(conn, caller, &old, flow::action("decompose").expect("in the table"))?;
        let into =
            unit::DECOMPOSES.iter().find(|(u, _)| *u == old.owner_type).map(|(_, into)| *into).unwrap_or_default();
        if !into.contains(&to) {
            let kinds: Vec<&str> = into.iter().map(|u| u.as_str()).collect();
            return Err(StoreError::invalid(
                "to",
                if kinds.is_empty() {
                    format!("a task of a {} is not decomposed", old.owner_type)
                } else {
                    format!("a task of a {} is decomposed into {}", old.owner_type, kinds.join(", "))
                },
            ));
        }
        let due_at = due_at.unwrap_or(old.due_at);
        if due_at > old.due_at {
            return Err(StoreError::invalid("due_at", "must not be after the parent task's due date"));
        }
        let units = unit::under(conn, old.owner_type, &old.owner_id, to)?;
        if units.is_empty() {
            return Err(StoreError::invalid("to", format!("there is no {to} under this {}", old.owner_type)));
        }
        let have: Vec<String> = tasks::table
            .filter(tasks::parent_id.eq(&old.id))
            .filter(tasks::owner_type.eq(to))
            .filter(tasks::status.ne(TaskStatus::Cancelled))
            .select(tasks::owner_id)
            .load(conn)?;
        let mut made = 0;
        for owner_id in units.into_iter().filter(|u| !have.contains(u)) {
            let (place, _) = unit::find(conn, to, &owner_id)?;
            let new = NewTask {
                title: old.title.clone(),
                description: old.description.clone(),
                kind: Some(old.kind),
                owner: (to, owner_id),
                due_at,
                target_quantity: None,
                parent_id: Some(old.id.clone()),
                campaign_id: old.campaign_id.clone(),
            };
            insert(conn, caller, &new, (old.owner_type, old.owner_id.clone()), &place)?;
            made += 1;
        }
        let task = Task { status: TaskStatus::InProgress, version: old.version + 1, updated_at: now(), ..old.clone() };
        save(conn, &task)?;
        let note = format!("分解至{made}个{}", to.label());
        record(conn, caller, &task, "decompose", Some(old.status), task.status, Some(&note), None, &[])?;
        detail(conn, caller, task)
    })
}
