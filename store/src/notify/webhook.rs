//! Department webhooks through a transactional outbox: a delivery is written in the transaction of
//! the change it reports (nothing is sent for a change that rolled back, nothing is lost when the
//! receiver or gridhub is down), and a worker sends it, retrying with backoff until it is
//! dead-lettered. Departments read their deliveries; district admins retry failed ones.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::regions::department::Department;
use crate::schema::{departments, webhook_deliveries};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    /// The `id` of the JSON sent: the same on every attempt, so a receiver can drop repeats.
    pub event_id: String,
    pub event_type: String,
    pub department_id: String,
    pub district_id: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub payload: String,
    /// `pending`, `delivered` or `failed` (dead-lettered).
    pub status: String,
    pub attempts: i32,
    #[serde(serialize_with = "crate::time::serialize")]
    pub next_attempt_at: NaiveDateTime,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub delivered_at: Option<NaiveDateTime>,
}

/// Queues `data` as an event of `event_type` for the department's webhook, if it has one.
/// Call it in the transaction of the change the event reports.
pub fn enqueue(conn: &mut DbConn, department: &Department, event_type: &str, data: Value) -> StoreResult<()> {
    if department.webhook_url.is_none() {
        return Ok(());
    }
    let t = now();
    let event_id = uuid::Uuid::now_v7().to_string();
    let payload = json!({"id": event_id, "type": event_type, "occurred_at": crate::time::rfc3339(&t), "data": data});
    let row = Delivery {
        id: uuid::Uuid::now_v7().to_string(),
        event_id,
        event_type: event_type.into(),
        department_id: department.id.clone(),
        district_id: department.district_id.clone(),
        payload: payload.to_string(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: t,
        last_status: None,
        last_error: None,
        created_at: t,
        delivered_at: None,
    };
    diesel::insert_into(webhook_deliveries::table).values(&row).execute(conn)?;
    Ok(())
}

/// A delivery to send now, with where and how to sign it.
#[derive(Debug, Clone)]
pub struct Due {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Takes up to `limit` deliveries that are due at `at`, and holds them for `lease` (pushing
/// their next attempt on), so that no other worker — on this server or another — sends them
/// meanwhile. On PostgreSQL rows another worker is claiming are skipped, not waited for.
pub fn claim_due(conn: &mut DbConn, at: NaiveDateTime, limit: i64, lease: Duration) -> StoreResult<Vec<Due>> {
    crate::db::write(conn, |conn| {
        let rows: Vec<Delivery> = crate::db::claim!(
            conn,
            webhook_deliveries::table
                .filter(webhook_deliveries::status.eq("pending"))
                .filter(webhook_deliveries::next_attempt_at.le(at))
                .order(webhook_deliveries::next_attempt_at.asc())
                .limit(limit)
                .select(Delivery::as_select())
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for d in rows {
            diesel::update(webhook_deliveries::table.find(&d.id))
                .set(webhook_deliveries::next_attempt_at.eq(at + lease))
                .execute(conn)?;
            let (url, secret): (Option<String>, Option<String>) = departments::table
                .find(&d.department_id)
                .select((departments::webhook_url, departments::webhook_secret))
                .first(conn)?;
            match (url, secret) {
                (Some(url), Some(secret)) => out.push(Due { delivery: d, url, secret }),
                // the department removed its webhook since: nothing to send to
                _ => {
                    record_attempt(conn, &d.id, Err(("the department has no webhook any more".into(), None)), at, None)?
                }
            }
        }
        Ok(out)
    })
}

/// What an attempt to deliver came to: the status of a 2xx answer, or why it failed and the
/// HTTP status the receiver gave, if it answered at all.
pub type Attempt = Result<u16, (String, Option<u16>)>;

/// Records an attempt: delivered on `Ok`; otherwise retried at `retry_at`, or dead-lettered
/// (`failed`) when there is none.
pub fn record_attempt(
    conn: &mut DbConn,
    id: &str,
    outcome: Attempt,
    at: NaiveDateTime,
    retry_at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    let target = webhook_deliveries::table.find(id);
    match outcome {
        Ok(status) => diesel::update(target)
            .set((
                webhook_deliveries::status.eq("delivered"),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(i32::from(status)),
                webhook_deliveries::last_error.eq(None::<String>),
                webhook_deliveries::delivered_at.eq(at),
            ))
            .execute(conn)?,
        Err((error, status)) => diesel::update(target)
            .set((
                webhook_deliveries::status.eq(if retry_at.is_some() { "pending" } else { "failed" }),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status.eq(status.map(i32::from)),
                webhook_deliveries::last_error.eq(error),
                webhook_deliveries::next_attempt_at.eq(retry_at.unwrap_or(at)),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Deliveries the caller may read: district admins their district's, department staff their
/// department's, system admins all; newest first, optionally of one status.
pub fn deliveries(
    conn: &mut DbConn,
    caller: &Caller,
    status: Option<&str>,
    page: &Page,
) -> StoreResult<Paged<Delivery>> {
    let reach = caller.reach();
    let mut q =
        webhook_deliveries::table.select(Delivery::as_select()).order(webhook_deliveries::id.desc()).into_boxed();
    q = match (caller.role, reach.district()) {
        (Role::SystemAdmin, _) => q,
        (Role::DistrictAdmin, Some(d)) => q.filter(webhook_deliveries::district_id.eq(d.to_owned())),
        (Role::DeptStaff, _) => {
            q.filter(webhook_deliveries::department_id.eq(caller.scope_id.clone().unwrap_or_default()))
        }
        _ => {
            return Err(StoreError::Forbidden(format!("a {} does not read webhook deliveries", caller.role.as_str())));
        }
    };
    if let Some(s) = status {
        q = q.filter(webhook_deliveries::status.eq(s.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(webhook_deliveries::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |d| &d.id))
}

/// Sends a dead-lettered (or pending) delivery again at once: district and system admins.
pub fn retry(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Delivery> {
    crate::db::write(conn, |conn| {
        let d: Delivery = webhook_deliveries::table
            .find(id)
            .select(Delivery::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found("webhook delivery", id))?;
        let reach = caller.reach();
        let sees = caller.role == Role::SystemAdmin || reach.district() == Some(d.district_id.as_str());
        if !sees || !matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin) {
            return Err(StoreError::not_found("webhook delivery", id));
        }
        if d.status == "delivered" {
            return Err(StoreError::Conflict { field: "status", detail: "this delivery was delivered".into() });
        }
        diesel::update(webhook_deliveries::table.find(id))
            .set((webhook_deliveries::status.eq("pending"), webhook_deliveries::next_attempt_at.eq(now())))
            .execute(conn)?;
        Ok(webhook_deliveries::table.find(id).select(Delivery::as_select()).first(conn)?)
    })
}
