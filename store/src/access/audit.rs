//! The audit log: every privileged write records who did what to which record, where, and
//! what changed — in the same transaction as the write itself. Admins read the rows of their
//! own area.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::{Caller, Place};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::page::{Page, Paged};
use crate::schema::audit_log;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub changes: String,
    pub district_id: Option<String>,
    pub street_id: Option<String>,
    pub community_id: Option<String>,
}

/// Writes one audit row. Call it inside the transaction of the write it describes.
pub fn record(
    conn: &mut DbConn,
    actor: &Caller,
    action: &str,
    (target_type, target_id): (&str, &str),
    place: &Place,
    changes: Value,
) -> StoreResult<()> {
    let entry = AuditEntry {
        id: uuid::Uuid::now_v7().to_string(),
        at: now(),
        actor_id: actor.actor_id().map(str::to_owned),
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        changes: changes.to_string(),
        district_id: place.district.clone(),
        street_id: place.street.clone(),
        community_id: place.community.clone(),
    };
    diesel::insert_into(audit_log::table).values(&entry).execute(conn)?;
    Ok(())
}

/// What to read of the log.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
    pub since: Option<NaiveDateTime>,
}

/// The rows of the caller's area that match `filter`, oldest first. Admins only.
pub fn list(conn: &mut DbConn, caller: &Caller, filter: &AuditFilter, page: &Page) -> StoreResult<Paged<AuditEntry>> {
    if !caller.role.is_admin() {
        return Err(crate::error::StoreError::Forbidden("only admins read the audit log".into()));
    }
    let q = audit_log::table.select(AuditEntry::as_select()).order(audit_log::id.asc()).into_boxed();
    let mut q = crate::access::within_reach!(
        q,
        caller.reach(),
        audit_log::district_id,
        audit_log::street_id,
        audit_log::community_id
    );
    if let Some(t) = &filter.target_id {
        q = q.filter(audit_log::target_id.eq(t.clone()));
    }
    if let Some(a) = &filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(a.clone()));
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_log::at.ge(since));
    }
    if let Some(after) = &page.after {
        q = q.filter(audit_log::id.gt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |e| &e.id))
}

/// `{"field": {"from": old, "to": new}}` for the fields that differ.
pub fn diff(pairs: &[(&str, Value, Value)]) -> Value {
    let changed: serde_json::Map<String, Value> = pairs
        .iter()
        .filter(|(_, from, to)| from != to)
        .map(|(k, from, to)| ((*k).to_owned(), serde_json::json!({"from": from, "to": to})))
        .collect();
    Value::Object(changed)
}
