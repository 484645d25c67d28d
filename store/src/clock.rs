//! The sync clock: integer milliseconds that never go back, whatever the wall clock does. Every
//! change a phone may pull is stamped with a tick of it in the change's own transaction. A tick
//! holds the clock until its transaction ends (PostgreSQL: an exclusive transaction-level
//! advisory lock; SQLite: the write lock every write holds), and a pull holds it too (shared),
//! so stamps are handed out in commit order and a pull never misses a change committed after it
//! read the clock.

use diesel::prelude::*;

use crate::schema::sync_clock;
use crate::{DbConn, StoreResult, now};

const LOCK: i64 = 7_411_002;

/// A new stamp: later than every stamp before it, and at least the current time in ms.
/// Call it inside the write transaction of the change it stamps.
pub fn tick(conn: &mut DbConn) -> StoreResult<i64> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({LOCK})")).execute(c)?;
    }
    let last: i64 = sync_clock::table.find(1).select(sync_clock::last_ms).first(conn)?;
    let next = (last + 1).max(now().and_utc().timestamp_millis());
    diesel::update(sync_clock::table.find(1)).set(sync_clock::last_ms.eq(next)).execute(conn)?;
    Ok(next)
}

/// The last stamp handed out, holding the clock (shared) until the transaction ends, so that no
/// change can be stamped at or below it and commit afterwards. Call it inside a transaction.
pub fn read(conn: &mut DbConn) -> StoreResult<i64> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock_shared({LOCK})")).execute(c)?;
    }
    Ok(sync_clock::table.find(1).select(sync_clock::last_ms).first(conn)?)
}
