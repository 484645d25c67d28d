//! What may happen to a task, when, and by whom: the one home of the task's states, rendered
//! into docs/tasks.md.

use serde::Serialize;

use super::{Rollup, Task, unit};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::StoreResult;

crate::types::text_enum! {
    /// Where a task stands.
    pub enum TaskStatus {
        Assigned = "assigned",
        Accepted = "accepted",
        InProgress = "in_progress",
        Submitted = "submitted",
        Verified = "verified",
        Returned = "returned",
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Assigned => "待签收",
            TaskStatus::Accepted => "已签收",
            TaskStatus::InProgress => "办理中",
            TaskStatus::Submitted => "待核验",
            TaskStatus::Verified => "已完成",
            TaskStatus::Returned => "被退回",
            TaskStatus::Cancelled => "已撤销",
        }
    }
}

/// The states in which a task is still to be done by its owner (and can be late).
pub const OPEN: [TaskStatus; 4] =
    [TaskStatus::Assigned, TaskStatus::Accepted, TaskStatus::InProgress, TaskStatus::Returned];

/// Who takes an action: the unit that owns the task, or the unit that assigned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Owner,
    Assigner,
}

impl By {
    pub fn label(self) -> &'static str {
        match self {
            By::Owner => "承办单位",
            By::Assigner => "交办单位",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct TaskAction {
    pub name: &'static str,
    /// 中文.
    pub label: &'static str,
    pub from: &'static [TaskStatus],
    /// The state it leads to; none where the state stays or moves as the text says.
    pub to: TaskStatus,
    pub by: By,
    /// Whether a note (the reason) is required.
    pub note: bool,
    pub what: &'static str,
}

use TaskStatus::*;

/// Every action on a task.
#[rustfmt::skip]
pub const FLOW: &[TaskAction] = &[
    TaskAction { name: "accept", label: "签收", from: &[Assigned], to: Accepted, by: By::Owner, note: false,
        what: "The owner takes the task on." },
    TaskAction { name: "progress", label: "报进度", from: &[Assigned, Accepted, InProgress, Returned], to: InProgress, by: By::Owner, note: false,
        what: "The owner reports what was done (a quantity towards the target, a note, photos); it counts for every task above." },
    TaskAction { name: "decompose", label: "分解", from: &[Assigned, Accepted, InProgress, Returned], to: InProgress, by: By::Owner, note: false,
        what: "The owner assigns one child task to each unit of a kind under it (see the units table)." },
    TaskAction { name: "submit", label: "提交", from: &[Accepted, InProgress, Returned], to: Submitted, by: By::Owner, note: false,
        what: "The owner reports it done; refused while a child task is not verified." },
    TaskAction { name: "verify", label: "核验通过", from: &[Submitted], to: Verified, by: By::Assigner, note: false,
        what: "The unit that assigned it finds it done." },
    TaskAction { name: "return", label: "退回", from: &[Submitted], to: Returned, by: By::Assigner, note: true,
        what: "The unit that assigned it sends it back to the owner, saying why." },
    TaskAction { name: "cancel", label: "撤销", from: &[Assigned, Accepted, InProgress, Submitted, Returned], to: Cancelled, by: By::Assigner, note: true,
        what: "The unit that assigned it withdraws it, saying why; its open children are cancelled with it." },
];

pub fn action(name: &str) -> Option<&'static TaskAction> {
    FLOW.iter().find(|a| a.name == name)
}

/// The actions the caller may take on the task now.
pub(super) fn allowed(
    conn: &mut DbConn,
    caller: &Caller,
    task: &Task,
    children: &Rollup,
) -> StoreResult<Vec<&'static str>> {
    let owner = unit::acts_for(conn, caller, task.owner_type, &task.owner_id)?;
    let assigner =
        caller.role == Role::SystemAdmin || unit::acts_for(conn, caller, task.assigner_type, &task.assigner_id)?;
    let decomposes = unit::DECOMPOSES.iter().any(|(u, _)| *u == task.owner_type);
    Ok(FLOW
        .iter()
        .filter(|a| a.from.contains(&task.status))
        .filter(|a| match a.by {
            By::Owner => owner,
            By::Assigner => assigner,
        })
        .filter(|a| a.name != "decompose" || decomposes)
        .filter(|a| a.name != "submit" || children.verified == children.total)
        .map(|a| a.name)
        .collect())
}

/// The table as markdown, for docs/tasks.md.
pub fn markdown() -> String {
    let mut out =
        String::from("| action | 中文 | from | to | by | note | what it does |\n|---|---|---|---|---|---|---|\n");
    for a in FLOW {
        let from: Vec<&str> = a.from.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` | {} ({}) | {} | {} |\n",
            a.name,
            a.label,
            from.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "),
            a.to.as_str(),
            serde_json::to_value(a.by).unwrap().as_str().unwrap_or_default(),
            a.by.label(),
            if a.note { "required" } else { "" },
            a.what,
        ));
    }
    out.push_str("\n| state | 中文 |\n|---|---|\n");
    for s in TaskStatus::ALL {
        out.push_str(&format!("| `{}` | {} |\n", s.as_str(), s.label()));
    }
    out.push_str("\n| role | may assign tasks to |\n|---|---|\n");
    for (role, units) in unit::ASSIGNS {
        let units: Vec<String> = units.iter().map(|u| format!("{} ({})", u.as_str(), u.label())).collect();
        out.push_str(&format!("| `{}` ({}) | {} |\n", role.as_str(), role.label(), units.join(", ")));
    }
    out.push_str("\n| a task owned by | decomposes into |\n|---|---|\n");
    for (owner, into) in unit::DECOMPOSES {
        let into: Vec<String> = into.iter().map(|u| format!("{} ({})", u.as_str(), u.label())).collect();
        out.push_str(&format!("| {} ({}) | {} |\n", owner.as_str(), owner.label(), into.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rendered_table_is_in_the_docs() {
        let docs = include_str!("../../../docs/tasks.md");
        let table = markdown();
        assert!(docs.contains(&table), "docs/tasks.md is out of date; paste this in:\n{table}\n");
    }

    #[test]
    fn every_open_state_can_be_left() {
        for s in OPEN {
            assert!(FLOW.iter().any(|a| a.from.contains(&s) && a.to != s), "{s}");
        }
        for s in [Verified, Cancelled] {
            assert!(!FLOW.iter().any(|a| a.from.contains(&s)), "{s} is final");
        }
    }
}
