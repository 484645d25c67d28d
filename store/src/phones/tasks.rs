//! Tasks on phones (schema version 2): the tasks of a grid worker's grids and their own (an
//! admin's: of their area), with the progress reported on them, as feeds a pull reads — and the
//! progress reports a phone made offline, read from a push and reported as the phone's user
//! (`tasks::progress`: the quantity counts up the tree, the owner's photos named), once each
//! however often the push is sent.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};

use crate::access::Caller;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::{Check, is_sha256};
use crate::phones::feeds::List;
use crate::phones::holding::{Holding, Pull};
use crate::schema::{task_events, tasks};
use crate::tasks::{Made, Progress, Task, Unit};

/// Keeps the tasks of a pull's holding: a worker's grids' and their own; an admin's area's
/// and their own.
macro_rules! tasks_held {
    ($q:expr, $pull:expr) => {{
        let own = tasks::owner_type.eq(Unit::User).and(tasks::owner_id.eq($pull.user_id.as_str().to_owned()));
        match &$pull.holding {
            Holding::Cells => {
                $q.filter(tasks::owner_type.eq(Unit::Cell).and(tasks::owner_id.eq_any($pull.cell_ids())).or(own))
            }
            Holding::Area(reach) => {
                crate::access::within_reach!($q, reach, tasks::district_id, tasks::street_id, tasks::community_id, or own)
            }
        }
    }};
}

/// The tasks of grids the worker gained (`gained`) or lost (`lost`) since the last pull.
macro_rules! of_cells {
    ($cells:expr) => {
        tasks::owner_type.eq(Unit::Cell).and(tasks::owner_id.eq_any($cells.clone()))
    };
}

/// Tasks of the holding: all on a first pull; since, new ones and those of grids the worker
/// gained (created), and the rest that changed (updated).
pub fn tasks(conn: &mut DbConn, pull: &Pull, list: List, page: Option<&str>, limit: i64) -> StoreResult<Vec<Task>> {
    let q = tasks::table.select(Task::as_select()).into_boxed();
    let mut q =
        tasks_held!(q, pull).filter(tasks::id.gt(page.unwrap_or("").to_owned())).order(tasks::id.asc()).limit(limit);
    match (list, pull.since) {
        (List::Created, None) => {}
        (List::Updated, None) => return Ok(Vec::new()),
        (List::Created, Some(t)) => q = q.filter(of_cells!(pull.gained).or(tasks::created_ms.gt(t))),
        (List::Updated, Some(t)) => {
            q = q
                .filter(tasks::sync_ms.gt(t))
                .filter(tasks::created_ms.le(t))
                .filter(diesel::dsl::not(of_cells!(pull.gained)))
        }
    }
    Ok(q.load(conn)?)
}

/// The tasks of the grids the worker lost since.
pub fn tasks_gone(conn: &mut DbConn, pull: &Pull) -> StoreResult<Vec<String>> {
    if pull.lost.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tasks::table.filter(of_cells!(pull.lost)).select(tasks::id).order(tasks::id.asc()).load(conn)?)
}

/// A progress report as a phone keeps it.
#[derive(Debug, Clone, Queryable)]
pub struct ProgressRecord {
    pub id: String,
    pub task_id: String,
    pub quantity: Option<i64>,
    pub note: Option<String>,
    /// JSON: the photos' SHA-256 (or other attachment ids).
    pub attachments: String,
    pub created_at: NaiveDateTime,
    pub made_at: Option<NaiveDateTime>,
}

/// The progress reports on the holding's tasks. Created: all on a first pull; since, others'
/// new reports (and reports made outside a phone) and all of a gained grid's; updated: the
/// caller's own phone's reports (their phone has them).
pub fn progress(
    conn: &mut DbConn,
    pull: &Pull,
    list: List,
    page: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<ProgressRecord>> {
    let q = task_events::table
        .inner_join(tasks::table)
        .filter(task_events::action.eq("progress"))
        .select((
            task_events::id,
            task_events::task_id,
            task_events::quantity,
            task_events::note,
            task_events::attachments,
            task_events::created_at,
            task_events::made_at,
        ))
        .into_boxed();
    let mut q = tasks_held!(q, pull)
        .filter(task_events::id.gt(page.unwrap_or("").to_owned()))
        .order(task_events::id.asc())
        .limit(limit);
    let me = pull.user_id.as_str().to_owned();
    match (list, pull.since) {
        (List::Created, None) => {}
        (List::Updated, None) => return Ok(Vec::new()),
        (List::Created, Some(t)) => {
            let not_my_phones = task_events::made_at
                .is_null()
                .or(task_events::actor_id.is_null())
                .or(task_events::actor_id.ne(me).assume_not_null());
            q = q.filter(of_cells!(pull.gained).or(task_events::sync_ms.gt(t).and(not_my_phones)))
        }
        (List::Updated, Some(t)) => {
            q = q
                .filter(task_events::sync_ms.gt(t))
                .filter(task_events::made_at.is_not_null())
                .filter(task_events::actor_id.eq(me))
                .filter(diesel::dsl::not(of_cells!(pull.gained)))
        }
    }
    Ok(q.load(conn)?)
}

/// The progress reports of the tasks of grids the worker lost.
pub fn progress_gone(conn: &mut DbConn, pull: &Pull) -> StoreResult<Vec<String>> {
    if pull.lost.is_empty() {
        return Ok(Vec::new());
    }
    Ok(task_events::table
        .inner_join(tasks::table)
        .filter(task_events::action.eq("progress"))
        .filter(of_cells!(pull.lost))
        .select(task_events::id)
        .order(task_events::id.asc())
        .load(conn)?)
}

/// The most photos one report names.
const PHOTOS: usize = 20;

/// A progress report as a phone pushed it, read: the task and what was done, or why it can
/// never be taken.
pub fn read(id: &str, r: &Map<String, Value>) -> Result<(String, Progress), String> {
    let Some(task_id) = r.get("task_id").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return Err("task_id: required".into());
    };
    let quantity = match r.get("quantity") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_f64() {
            Some(q) if q >= 0.0 && q.fract() == 0.0 && q <= 1e9 => q as i64,
            _ => return Err("quantity: must be a whole number, 0 or more".into()),
        },
    };
    let mut check = Check::default();
    let note = r.get("note").and_then(Value::as_str).map(|n| check.text("note", n, 2000, false));
    check.done().map_err(|e| e.to_string())?;
    let photos: Vec<String> = match r.get("photos").and_then(Value::as_str).filter(|p| !p.trim().is_empty()) {
        None => Vec::new(),
        Some(text) => match serde_json::from_str::<Vec<String>>(text) {
            Ok(p) if p.len() <= PHOTOS && p.iter().all(|s| is_sha256(s)) => p,
            _ => return Err(format!("photos: must be a JSON array of at most {PHOTOS} SHA-256 hashes of photos")),
        },
    };
    let note = note.filter(|n| !n.trim().is_empty());
    if quantity == 0 && note.is_none() && photos.is_empty() {
        return Err("a progress report says what was done: a quantity, a note or photos".into());
    }
    let at = r
        .get("created_at")
        .and_then(Value::as_i64)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.naive_utc());
    let made = Some(Made { id: id.to_owned(), at });
    Ok((task_id.to_owned(), Progress { quantity, note, attachments: photos, made }))
}

/// Reports a phone's progress as its user, once: a report sent again (its answer was lost) is
/// taken as done. A refusal (not the owner's, not open, no such task) is the caller's to keep.
pub fn report(conn: &mut DbConn, caller: &Caller, task_id: &str, p: Progress) -> StoreResult<()> {
    let id = p.made.as_ref().map(|m| m.id.clone()).unwrap_or_default();
    let before: Option<Option<String>> =
        task_events::table.find(&id).select(task_events::actor_id).first(conn).optional()?;
    match before {
        Some(actor) if actor.as_deref() == Some(caller.user_id.as_str()) => Ok(()),
        Some(_) => Err(StoreError::invalid("id", format!("the id {id} is taken"))),
        None => crate::tasks::progress(conn, caller, task_id, p).map(|_| ()),
    }
}
