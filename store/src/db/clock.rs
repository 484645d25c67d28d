//! The sync clock: integer milliseconds that never go back, whatever the wall clock does. Every
//! change a phone may pull is stamped with a tick of it in the change's own transaction.
//!
//! Why a pull never misses a change: a tick holds the clock until its transaction ends
//! (PostgreSQL: an exclusive transaction-level advisory lock taken before the clock is read, and
//! the clock row's own lock; SQLite: the write lock every write holds), so writers stamp one at
//! a time in commit order, and the clock's committed value is never below a committed stamp. A
//! pull reads the committed clock first and returns it as its `timestamp`: whatever commits
//! later carries a larger stamp and comes with the next pull. A pull therefore waits for no
//! push (it may send a record that committed while it read twice; the client takes that).

use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::sync_clock;
use crate::time::now;

const LOCK: i64 = 7_411_002;

/// A new stamp: later than every stamp before it, and at least the current time in ms.
/// Call it inside the write transaction of the change it stamps.
pub fn tick(conn: &mut DbConn) -> StoreResult<i64> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK})")).execute(c)?;
    }
    let last: i64 = sync_clock::table.find(1).select(sync_clock::last_ms).first(conn)?;
    crate::time::tick_pause();
    let next = (last + 1).max(now().and_utc().timestamp_millis());
    diesel::update(sync_clock::table.find(1)).set(sync_clock::last_ms.eq(next)).execute(conn)?;
    crate::time::tick_pause();
    Ok(next)
}

/// The last stamp committed: every change stamped at or below it has committed (see the module).
pub fn read(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(sync_clock::table.find(1).select(sync_clock::last_ms).first(conn)?)
}
