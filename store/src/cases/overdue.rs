//! The overdue sweep: a running step past its deadline is marked once (`overdue_at`), with an
//! event on the timeline, a notification to the street and the department, and the
//! department's webhook. Safe to run on several servers at once: on PostgreSQL each claims its
//! cases with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::event::{self, NewEvent};
use super::{Case, Status, payload};
use crate::access::Caller;
use crate::db::DbConn;
use crate::db::clock;
use crate::error::StoreResult;
use crate::notify::{self, About, Recipient};
use crate::regions::department;
use crate::schema::cases;

/// How many cases one sweep takes at most; the next sweep takes the rest.
const BATCH: i64 = 200;

/// Marks the steps overdue at `at`; returns how many.
pub fn sweep(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let due: Vec<Case> = crate::db::claim!(
            conn,
            cases::table
                .filter(cases::overdue_at.is_null())
                .filter(cases::deadline_at.lt(at))
                .filter(cases::status.eq_any(Status::RUNNING))
                .order(cases::deadline_at.asc())
                .limit(BATCH)
                .select(Case::as_select())
        )?;
        let system = Caller::system();
        for case in &due {
            diesel::update(cases::table.find(&case.id))
                .set((cases::overdue_at.eq(at), cases::sync_ms.eq(clock::tick(conn)?)))
                .execute(conn)?;
            let state = case.status;
            let step = state.step().map(|s| s.as_str());
            let data = json!({"step": step, "deadline_at": case.deadline_at.as_ref().map(crate::time::rfc3339)});
            event::record(conn, &system, NewEvent::on(&case.id, "overdue", state).data(data))?;
            let about = About::case(&case.id);
            let message = match state.step() {
                Some(step) => format!("「{}」的{}环节已超时", case.title, step.label()),
                None => format!("「{}」已超时", case.title),
            };
            if let Some(street) = &case.street_id {
                notify::notify(conn, Recipient::Street(street), "case.overdue", about, message.clone())?;
            }
            if let Some(id) = &case.department_id {
                notify::notify(conn, Recipient::Department(id), "case.overdue", about, message)?;
                let d = department::get(conn, id)?;
                notify::enqueue(conn, &d, "case.overdue", payload(case))?;
            }
        }
        Ok(due.len())
    })
}
