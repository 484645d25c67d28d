//! Push: what a phone changed offline, applied in one transaction — all of it or nothing.
//! A record changed on the server after the phone's `last_pulled_at` aborts the push (409,
//! naming the records): the phone pulls, merges and pushes again. A `created` record that
//! exists already is an upsert (a retried push after a lost answer changes nothing), and an
//! `updated` one that does not exist is created (clients with `sendCreatedAsUpdated`). `_status`,
//! `_changed` and server-owned columns are ignored. A record that can never be accepted is kept
//! in the quarantine with the reason, for the street office to see, and its id is returned so
//! the phone stops sending it.

use std::collections::BTreeMap;

use diesel::prelude::*;
use gridhub_geo::{Crs, GridIndex};
use gridhub_store::cases::Policy;
use gridhub_store::cases::correct::{self, PatchDraft};
use gridhub_store::cases::intake::{self, Draft, NewCase};
use gridhub_store::cases::phone::{self, Outcome, PhoneEvent};
use gridhub_store::cases::photo::{self, Attachment};
use gridhub_store::clocks::{Calendar, calendar};
use gridhub_store::db::clock;
use gridhub_store::grid::Located;
use gridhub_store::input::Check;
use gridhub_store::phones::patrol::{self, Patrol};
use gridhub_store::phones::quarantine;
use gridhub_store::schema::{attachments, cases, patrols};
use gridhub_store::{Caller, DbConn, StoreError, StoreResult};
use serde_json::{Map, Value, json};

use crate::schema;

/// One table's part of a push.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TableChanges {
    #[serde(default)]
    pub created: Vec<Map<String, Value>>,
    #[serde(default)]
    pub updated: Vec<Map<String, Value>>,
    #[serde(default)]
    pub deleted: Vec<String>,
}

/// The body of a push: the changes by table.
pub type Changes = BTreeMap<String, TableChanges>;

/// Reads a push body, refusing anything not of the protocol's shape: an object of the schema's
/// tables, each an object whose `created` and `updated` are arrays of records with string ids and
/// `deleted` an array of ids. The error says what is wrong.
pub fn parse(body: &[u8]) -> Result<Changes, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(tables) = value else { return Err("the body must be an object of tables".into()) };
    for (table, c) in &tables {
        if !schema::tables().any(|t| t == table) {
            return Err(format!("{table:?} is not a table of schema version {}", schema::VERSION));
        }
        let Value::Object(lists) = c else {
            return Err(format!("{table} must be an object of created, updated and deleted"));
        };
        for (list, items) in lists {
            let record = |r: &Value| r.get("id").is_some_and(Value::is_string);
            let ok = match (list.as_str(), items) {
                ("created" | "updated", Value::Array(a)) => a.iter().all(record),
                ("deleted", Value::Array(a)) => a.iter().all(Value::is_string),
                _ => false,
            };
            if !ok {
                return Err(format!("{table}.{list} is not an array of records with string ids"));
            }
        }
    }
    serde_json::from_value(Value::Object(tables)).map_err(|e| e.to_string())
}

#[derive(Debug, Default)]
pub struct PushOutcome {
    /// Records that can never be accepted, by table (`experimentalRejectedIds`).
    pub rejected: BTreeMap<String, Vec<String>>,
}

/// Settings of a push.
pub struct PushSettings<'a> {
    pub policy: &'a Policy,
    /// The grid index that places reports (the API holds it).
    pub index: &'a GridIndex<Located>,
    pub max_photo_bytes: i64,
}

/// Refusals of a whole push.
#[derive(Debug)]
pub enum PushError {
    /// Records changed on the server since the phone's last pull, by table.
    Conflict(BTreeMap<String, Vec<String>>),
    Store(StoreError),
}

impl From<StoreError> for PushError {
    fn from(e: StoreError) -> Self {
        PushError::Store(e)
    }
}

impl From<diesel::result::Error> for PushError {
    fn from(e: diesel::result::Error) -> Self {
        PushError::Store(e.into())
    }
}

/// Applies a push (read by `parse`) by `caller`, who last pulled at `last_pulled_at`.
pub fn push(
    conn: &mut DbConn,
    caller: &Caller,
    last_pulled_at: i64,
    changes: Changes,
    settings: &PushSettings,
) -> Result<PushOutcome, PushError> {
    gridhub_store::write(conn, |conn| {
        // hold the clock: nothing is stamped between the conflict check and the commit
        clock::tick(conn)?;
        let conflicts = conflicts(conn, last_pulled_at, &changes)?;
        if !conflicts.is_empty() {
            return Err(PushError::Conflict(conflicts));
        }
        let cal = calendar::load(conn, &settings.policy.hours)?;
        let mut out = PushOutcome::default();
        let mut apply =
            |conn: &mut DbConn, table: &str, id: &str, raw: Value, result: StoreResult<()>| -> StoreResult<()> {
                match result {
                    Ok(()) => Ok(()),
                    Err(e) if e.is_refusal() => {
                        quarantine::keep(conn, caller, table, id, &raw, &e.to_string())?;
                        out.rejected.entry(table.to_owned()).or_default().push(id.to_owned());
                        Ok(())
                    }
                    Err(other) => Err(other),
                }
            };
        // in an order where what a record names arrives first: cases, then their events and photos
        for table in ["cases", "case_events", "patrols", "attachments"] {
            let Some(c) = changes.get(table) else { continue };
            for r in c.created.iter().chain(&c.updated) {
                let id = r["id"].as_str().expect("parse checked the ids").to_owned();
                let result = match table {
                    "cases" => case_record(conn, caller, &id, r, settings, &cal),
                    "case_events" => event_record(conn, caller, &id, r, settings),
                    "patrols" => patrol_record(conn, caller, &id, r),
                    _ => attachment_record(conn, caller, &id, r, settings),
                };
                apply(conn, table, &id, Value::Object(r.clone()), result)?;
            }
            for id in &c.deleted {
                let result = match table {
                    "patrols" => patrol::delete(conn, caller, id),
                    _ => Err(StoreError::Forbidden(format!(
                        "{table} are not deleted from a phone; the street office voids or corrects them"
                    ))),
                };
                apply(conn, table, id, json!({"id": id, "_status": "deleted"}), result)?;
            }
        }
        Ok(out)
    })
}

/// The pushed records the server changed after `since`.
fn conflicts(conn: &mut DbConn, since: i64, changes: &Changes) -> StoreResult<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (table, c) in changes {
        let ids: Vec<&str> = c
            .updated
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_str))
            .chain(c.deleted.iter().map(String::as_str))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let changed: Vec<String> = match table.as_str() {
            "cases" => cases::table
                .filter(cases::id.eq_any(&ids))
                .filter(cases::sync_ms.gt(since))
                .select(cases::id)
                .load(conn)?,
            "patrols" => patrols::table
                .filter(patrols::id.eq_any(&ids))
                .filter(patrols::sync_ms.gt(since))
                .select(patrols::id)
                .load(conn)?,
            "attachments" => attachments::table
                .filter(attachments::id.eq_any(&ids))
                .filter(attachments::sync_ms.gt(since))
                .select(attachments::id)
                .load(conn)?,
            // events are never changed once made; pull-only tables are ignored
            _ => Vec::new(),
        };
        if !changed.is_empty() {
            out.insert(table.clone(), changed);
        }
    }
    Ok(out)
}

fn text(r: &Map<String, Value>, key: &str) -> Option<String> {
    r.get(key).and_then(Value::as_str).map(str::to_owned).filter(|s| !s.is_empty())
}

fn number(r: &Map<String, Value>, key: &str) -> Option<f64> {
    r.get(key).and_then(Value::as_f64)
}

fn invalid(field: &str, detail: &str) -> StoreError {
    StoreError::invalid(field, detail)
}

/// A phone id (`gridhub_store::is_client_id`).
fn check_id(id: &str) -> StoreResult<()> {
    if gridhub_store::is_client_id(id) {
        Ok(())
    } else {
        Err(invalid("id", "must be 1 to 64 letters, digits, _ . or -"))
    }
}

/// A WGS-84 point from a record's `lng`, `lat` and `crs`.
fn point(r: &Map<String, Value>) -> StoreResult<Option<(f64, f64)>> {
    let (Some(lng), Some(lat)) = (number(r, "lng"), number(r, "lat")) else { return Ok(None) };
    if !(lng.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(invalid("lng", "the point is not on the earth"));
    }
    let crs = match text(r, "crs") {
        None => Crs::Wgs84,
        Some(c) => Crs::parse(&c).ok_or_else(|| invalid("crs", "must be wgs84, gcj02 or bd09"))?,
    };
    Ok(Some(crs.to_wgs84(lng, lat)))
}

fn case_record(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    r: &Map<String, Value>,
    s: &PushSettings,
    cal: &Calendar,
) -> StoreResult<()> {
    check_id(id)?;
    let exists = cases::table.find(id).select(cases::id).first::<String>(conn).optional()?.is_some();
    if exists {
        // corrections of the phone's own columns, while the case waits to be filed
        let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
        let draft = PatchDraft {
            title: text("title"),
            description: text("description"),
            address: r.get("address").map(|a| a.as_str().map(str::to_owned).filter(|a| !a.trim().is_empty())),
            priority: text("priority").filter(|p| !p.is_empty()),
            category_code: None,
        };
        let patch = draft.check()?;
        return match correct::update(conn, caller, id, patch, None, s.policy) {
            Ok(_) => Ok(()),
            // a case that moved on keeps the server's words: the phone's edit is dropped, not
            // refused, and the case is stamped so that the phone pulls the server's record back
            Err(StoreError::Forbidden(_) | StoreError::Conflict { .. }) => {
                diesel::update(cases::table.find(id)).set(cases::sync_ms.eq(clock::tick(conn)?)).execute(conn)?;
                Ok(())
            }
            Err(e) => Err(e),
        };
    }
    let mut check = Check::default();
    let report = Draft::from_record(r, &mut check).check(check)?;
    let placement = s.index.place(report.lng, report.lat).map(Clone::clone);
    let new = NewCase { report, placement, idempotency: None };
    // in a savepoint: a refused report leaves nothing behind in the push
    gridhub_store::write(conn, |conn| intake::file(conn, caller, &new, cal)).map(|_| ())
}

fn event_record(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    r: &Map<String, Value>,
    s: &PushSettings,
) -> StoreResult<()> {
    check_id(id)?;
    let e = PhoneEvent {
        id: id.to_owned(),
        case_id: text(r, "case_id").ok_or_else(|| invalid("case_id", "is required"))?,
        action: text(r, "action").ok_or_else(|| invalid("action", "is required"))?,
        note: text(r, "note"),
        at_point: point(r)?,
    };
    match phone::act(conn, caller, &e, s.policy)? {
        // a refused action stays on the timeline with its reason; the phone pulls it back
        Outcome::Applied | Outcome::Rejected(_) | Outcome::Known => Ok(()),
    }
}

fn patrol_record(conn: &mut DbConn, caller: &Caller, id: &str, r: &Map<String, Value>) -> StoreResult<()> {
    check_id(id)?;
    let int = |k: &str| r.get(k).and_then(Value::as_i64);
    let track = r.get("track").and_then(Value::as_str).unwrap_or("").to_owned();
    if track.len() > 1_000_000 {
        return Err(invalid("track", "is longer than a patrol's track can be"));
    }
    let distance_m = number(r, "distance_m").unwrap_or(0.0);
    if !(0.0..=200_000.0).contains(&distance_m) {
        return Err(invalid("distance_m", "must be from 0 to 200 km"));
    }
    let p = Patrol {
        id: id.to_owned(),
        user_id: caller.user_id.clone(),
        cell_id: text(r, "cell_id").ok_or_else(|| invalid("cell_id", "is required"))?,
        started_at: int("started_at").ok_or_else(|| invalid("started_at", "is required (ms)"))?,
        ended_at: int("ended_at"),
        distance_m,
        track,
        note: r.get("note").and_then(Value::as_str).unwrap_or("").chars().take(2000).collect(),
        created_ms: 0,
        sync_ms: 0,
    };
    patrol::upsert(conn, caller, p)
}

fn attachment_record(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    r: &Map<String, Value>,
    s: &PushSettings,
) -> StoreResult<()> {
    check_id(id)?;
    let a = Attachment {
        id: id.to_owned(),
        case_id: text(r, "case_id").ok_or_else(|| invalid("case_id", "is required"))?,
        user_id: caller.user_id.clone(),
        sha256: text(r, "sha256").ok_or_else(|| invalid("sha256", "is required"))?.to_ascii_lowercase(),
        mime: text(r, "mime").ok_or_else(|| invalid("mime", "is required"))?,
        size: r.get("size").and_then(Value::as_i64).ok_or_else(|| invalid("size", "is required"))?,
        created_ms: 0,
        sync_ms: 0,
    };
    photo::upsert(conn, caller, a, s.max_photo_bytes)
}
