//! The overdue sweep of tasks: an open task past its due date is marked once (`overdue_at`),
//! on its timeline, told to its owner and to the unit that assigned it, and sent through the
//! owner department's webhook. Safe on several servers, as the cases' sweep is.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Task, flow, payload, record, tell_assigner, tell_owner, touch};
use crate::access::Caller;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::notify;
use crate::regions::department;
use crate::schema::tasks;

const BATCH: i64 = 200;

/// Marks the tasks overdue at `at`; returns how many.
pub fn sweep(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let due: Vec<Task> = crate::db::claim!(
            conn,
            tasks::table
                .filter(tasks::overdue_at.is_null())
                .filter(tasks::due_at.lt(at))
                .filter(tasks::status.eq_any(flow::OPEN))
                .order(tasks::due_at.asc())
                .limit(BATCH)
                .select(Task::as_select())
        )?;
        let system = Caller::system();
        for task in &due {
            diesel::update(tasks::table.find(&task.id)).set(tasks::overdue_at.eq(at)).execute(conn)?;
            touch(conn, &[&task.id])?;
            record(conn, &system, task, "overdue", Some(task.status), task.status, None, None, &[])?;
            let due = notify::wechat::time_field(task.due_at);
            tell_owner(
                conn,
                task,
                "task.overdue",
                format!("任务「{}」已超期（应于{due}前完成），请尽快办理", task.title),
            )?;
            tell_assigner(conn, task, "task.overdue", format!("交办的任务「{}」已超期未完成", task.title))?;
            if task.owner_type == super::Unit::Department {
                let d = department::get(conn, &task.owner_id)?;
                notify::enqueue(conn, &d, "task.overdue", payload(task))?;
            }
        }
        Ok(due.len())
    })
}
