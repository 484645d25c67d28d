//! The quarantine: records a phone pushed that can never be accepted, kept whole with the reason
//! for the street office of the pusher's area to see (the phone is told to stop sending them).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::access::Caller;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::schema::sync_quarantine;
use crate::time::now;

/// Keeps a record that can never be accepted, with the pusher's place for the office to find it.
pub fn keep(conn: &mut DbConn, caller: &Caller, table: &str, id: &str, raw: &Value, reason: &str) -> StoreResult<()> {
    let place = caller.place();
    // an id no record could have (a control character in it) is kept as it reads, escaped
    let shown = crate::input::shown(id);
    diesel::insert_into(sync_quarantine::table)
        .values((
            sync_quarantine::id.eq(uuid::Uuid::now_v7().to_string()),
            sync_quarantine::user_id.eq(&caller.user_id),
            sync_quarantine::district_id.eq(place.district),
            sync_quarantine::street_id.eq(place.street),
            sync_quarantine::community_id.eq(place.community),
            sync_quarantine::table_name.eq(table),
            sync_quarantine::record_id.eq(&shown),
            sync_quarantine::raw.eq(raw.to_string()),
            sync_quarantine::reason.eq(reason),
            sync_quarantine::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Quarantined {
    pub id: String,
    pub user_id: String,
    pub table_name: String,
    pub record_id: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub raw: String,
    pub reason: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

/// The quarantined records the caller's area's phones pushed, newest first (admins only).
pub fn list(conn: &mut DbConn, caller: &Caller, page: &Page) -> StoreResult<Paged<Quarantined>> {
    if !caller.role.is_admin() {
        return Err(StoreError::Forbidden(format!("a {} does not read the sync quarantine", caller.role)));
    }
    let q = sync_quarantine::table.order(sync_quarantine::id.desc()).into_boxed();
    let mut q = crate::access::within_reach!(
        q,
        caller.reach(),
        sync_quarantine::district_id,
        sync_quarantine::street_id,
        sync_quarantine::community_id
    );
    if let Some(after) = &page.after {
        q = q.filter(sync_quarantine::id.lt(after.clone()));
    }
    let rows = q
        .select((
            sync_quarantine::id,
            sync_quarantine::user_id,
            sync_quarantine::table_name,
            sync_quarantine::record_id,
            sync_quarantine::raw,
            sync_quarantine::reason,
            sync_quarantine::created_at,
        ))
        .limit(page.fetch())
        .load::<Quarantined>(conn)?;
    Ok(Paged::from_rows(rows, page, |r| &r.id))
}
