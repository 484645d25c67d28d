//! The audit log: every privileged write records who did what to which record, and what
//! changed, in the same transaction as the write itself.

use diesel::prelude::*;
use serde_json::Value;

use crate::schema::audit_log;
use crate::{Caller, DbConn, StoreResult, now};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: chrono::NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub changes: String,
}

/// Writes one audit row. Call it inside the transaction of the write it describes.
pub fn record(
    conn: &mut DbConn,
    actor: &Caller,
    action: &str,
    target_type: &str,
    target_id: &str,
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
    };
    diesel::insert_into(audit_log::table).values(&entry).execute(conn)?;
    Ok(())
}

/// The audit rows about one record, oldest first.
pub fn for_target(conn: &mut DbConn, target_type: &str, target_id: &str) -> StoreResult<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::target_type.eq(target_type))
        .filter(audit_log::target_id.eq(target_id))
        .order(audit_log::id.asc())
        .select(AuditEntry::as_select())
        .load(conn)?)
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
