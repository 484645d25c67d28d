//! Applying what a phone pushed, in one transaction: all of it or nothing — but for records that
//! can never be accepted, which go to the quarantine with the reason (their ids come back, so
//! the phone stops sending them). What can be read and decided is, first, outside the write lock:
//! which records exist, every report checked and placed. Then, holding the sync clock, the
//! conflict check and the writes, stamped with one tick — one statement per table for the
//! reports that make up most of a push, whatever their number.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::patrol::{self, Patrol};
use super::quarantine;
use crate::access::Caller;
use crate::cases::category::Category;
use crate::cases::correct::PatchDraft;
use crate::cases::intake::{self, Draft, Filed, NewCase};
use crate::cases::phone::{self, Outcome, PhoneEdit, PhoneEvent};
use crate::cases::photo::{self, Attachment};
use crate::cases::{Case, Policy, find_case};
use crate::clocks::calendar;
use crate::db::{DbConn, clock};
use crate::error::{StoreError, StoreResult};
use crate::grid::Layers;
use crate::input::Check;
use crate::schema::{attachments, cases, categories, patrols};
use crate::time::now;
use crate::types::{CaseId, is_client_id};

/// A record as a phone pushed it.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub id: String,
    /// The columns the phone owns (the phone schema's), as sent.
    pub fields: Map<String, Value>,
    /// Whether it came in `updated` (it should exist) rather than `created`.
    pub updated: bool,
    /// The whole record as sent, for the quarantine.
    pub raw: Value,
}

/// A push, table by table (the sync protocol has read its shape).
#[derive(Debug, Default)]
pub struct Push {
    /// The phone's last pull.
    pub since: i64,
    pub cases: Vec<Pushed>,
    pub events: Vec<Pushed>,
    pub patrols: Vec<Pushed>,
    pub patrols_deleted: Vec<String>,
    pub photos: Vec<Pushed>,
    /// Progress reports on tasks (schema version 2).
    pub progress: Vec<Pushed>,
    /// Records refused before they reached here, by table, with why.
    pub refused: Vec<(&'static str, Pushed, String)>,
}

/// What a push needs besides itself.
pub struct PushSettings<'a> {
    pub policy: &'a Policy,
    /// The grid index that places reports (the API holds it).
    pub index: &'a Layers,
    pub max_photo_bytes: i64,
}

/// Why a whole push is refused.
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

/// Records that can never be accepted, by table (`experimentalRejectedIds`).
pub type Rejected = BTreeMap<String, Vec<String>>;

/// The refusals of a push, kept for the quarantine.
#[derive(Default)]
struct Refusals(Vec<(&'static str, String, Value, String)>);

impl Refusals {
    fn add(&mut self, table: &'static str, record: &Pushed, why: impl std::fmt::Display) {
        self.0.push((table, record.id.clone(), record.raw.clone(), why.to_string()));
    }
}

/// A time a phone sent in ms.
fn ms(r: &Map<String, Value>, key: &str) -> Option<NaiveDateTime> {
    r.get(key).and_then(Value::as_i64).and_then(DateTime::from_timestamp_millis).map(|t| t.naive_utc())
}

fn text(r: &Map<String, Value>, key: &str) -> Option<String> {
    r.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Applies a push by `caller` (see the module).
pub fn apply(conn: &mut DbConn, caller: &Caller, push: Push, s: &PushSettings) -> Result<Rejected, PushError> {
    super::may_sync(caller)?;
    let mut refused = Refusals::default();
    for (table, record, why) in &push.refused {
        refused.add(table, record, why);
    }
    let valid = |table: &'static str, records: Vec<Pushed>, refused: &mut Refusals| -> Vec<Pushed> {
        records
            .into_iter()
            .filter(|r| {
                let ok = is_client_id(&r.id);
                if !ok {
                    refused.add(table, r, "id: must be 1 to 64 letters, digits, _ . or -");
                }
                ok
            })
            .collect()
    };
    let case_records = valid("cases", push.cases, &mut refused);
    let event_records = valid("case_events", push.events, &mut refused);
    let patrol_records = valid("patrols", push.patrols, &mut refused);
    let photo_records = valid("attachments", push.photos, &mut refused);
    let progress_records = valid("task_progress", push.progress, &mut refused);

    // first, what can be read and decided outside the write lock
    let cal = calendar::load(conn, &s.policy.hours)?;
    let watching = crate::cases::campaign::Watching::load(conn)?;
    let catalogue: HashMap<String, Category> = categories::table
        .select(Category::as_select())
        .load::<Category>(conn)?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect();
    let ids: Vec<&str> = case_records.iter().map(|r| r.id.as_str()).collect();
    let known = existing_cases(conn, &ids)?;
    let t = now();
    let mut reports: Vec<(Pushed, Filed)> = Vec::new();
    let mut edits: Vec<(Pushed, PhoneEdit)> = Vec::new();
    for record in case_records {
        if known.contains_key(record.id.as_str()) {
            match phone_edit(&record.fields) {
                Ok(edit) => edits.push((record, edit)),
                Err(why) => refused.add("cases", &record, why),
            }
            continue;
        }
        let mut check = Check::default();
        let mut fields = record.fields.clone();
        fields.insert("id".into(), json!(record.id));
        let prepared = Draft::from_record(&fields, &mut check).check(check).and_then(|report| {
            let placement = s.index.place(report.lng, report.lat);
            let category = catalogue.get(&report.category_code);
            let new = NewCase { report, placement, idempotency: None };
            intake::prepare(caller, &new, category, 0, t, &cal, &watching)
        });
        match prepared {
            Ok(filed) => reports.push((record, filed)),
            Err(why) if why.is_refusal() => refused.add("cases", &record, why),
            Err(e) => return Err(e.into()),
        }
    }
    let mut events = Vec::new();
    for record in event_records {
        let f = &record.fields;
        let (Some(case_id), Some(action)) = (text(f, "case_id"), text(f, "action")) else {
            refused.add("case_events", &record, "case_id and action are required");
            continue;
        };
        let point = match (f.get("lng").and_then(Value::as_f64), f.get("lat").and_then(Value::as_f64)) {
            (Some(lng), Some(lat)) if lng.abs() <= 180.0 && lat.abs() <= 90.0 => Some((lng, lat)),
            (None, None) => None,
            _ => {
                refused.add("case_events", &record, "lng, lat: not a point on the earth");
                continue;
            }
        };
        let mut check = Check::default();
        let note = text(f, "note").map(|n| check.text("note", &n, intake::DESCRIPTION_MAX, false));
        if let Err(why) = check.done() {
            refused.add("case_events", &record, why);
            continue;
        }
        let made_at = ms(f, "created_at");
        events.push((record.clone(), PhoneEvent { id: record.id, case_id, action, note, at_point: point, made_at }));
    }
    let mut patrol_rows = Vec::new();
    let mut patrol_of = HashMap::new();
    for record in patrol_records {
        match Patrol::from_record(&record.id, caller, &record.fields) {
            Ok(p) => {
                patrol_of.insert(record.id.clone(), record);
                patrol_rows.push(p);
            }
            Err(why) => refused.add("patrols", &record, why),
        }
    }
    let mut progress = Vec::new();
    for record in progress_records {
        match super::tasks::read(&record.id, &record.fields) {
            Ok((task_id, p)) => progress.push((record, task_id, p)),
            Err(why) => refused.add("task_progress", &record, why),
        }
    }
    let mut photo_rows = Vec::new();
    for record in photo_records {
        let f = &record.fields;
        let a = Attachment {
            id: record.id.clone(),
            case_id: text(f, "case_id").unwrap_or_default(),
            user_id: caller.user_id.clone(),
            sha256: text(f, "sha256").unwrap_or_default().to_ascii_lowercase(),
            mime: text(f, "mime").unwrap_or_default(),
            size: f.get("size").and_then(Value::as_i64).unwrap_or(0),
            created_ms: 0,
            sync_ms: 0,
            event_id: None,
        };
        match photo::check(&a, s.max_photo_bytes) {
            Ok(()) => photo_rows.push((record, a)),
            Err(why) => refused.add("attachments", &record, why),
        }
    }

    // then, in one transaction: what the new reports count for and the street told (before the
    // clock, out of the section pushes take one at a time), then, holding the clock, the conflict
    // check and the writes, all or nothing
    crate::db::write(conn, |conn| {
        let ids: Vec<&str> = reports.iter().map(|(r, _)| r.id.as_str()).collect();
        let there = existing_cases(conn, &ids)?;
        let new: Vec<&Filed> =
            reports.iter().filter(|(r, _)| !there.contains_key(r.id.as_str())).map(|(_, f)| f).collect();
        intake::announce(conn, &new)?;
        let stamp = clock::tick(conn)?;
        let conflicts = conflicts(conn, push.since, &known, &edits, &patrol_of, &push.patrols_deleted, &photo_rows)?;
        if !conflicts.is_empty() {
            return Err(PushError::Conflict(conflicts));
        }
        // a report sent again (its answer was lost) while this push waited: the first stands
        let ids: Vec<&str> = reports.iter().map(|(r, _)| r.id.as_str()).collect();
        let arrived = existing_cases(conn, &ids)?;
        let mut filed = Vec::new();
        for (record, mut f) in reports {
            match arrived.get(record.id.as_str()) {
                Some(c) if c.reporter_id == caller.user_id => {}
                Some(_) => refused.add("cases", &record, format!("id: the id {} is taken", record.id)),
                None => {
                    (f.case.sync_ms, f.case.created_ms, f.event.sync_ms) = (stamp, stamp, stamp);
                    filed.push(f);
                }
            }
        }
        intake::store_rows(conn, caller, &filed)?;
        let report_of: HashMap<&str, &str> = filed.iter().map(|f| (f.case.id.as_str(), f.event.id.as_str())).collect();
        for (record, edit) in edits {
            outcome(phone::edit(conn, caller, &record.id, edit, s.policy), "cases", &record, &mut refused)?;
        }
        for (record, e) in events {
            outcome(phone::act(conn, caller, &e, s.policy), "case_events", &record, &mut refused)?;
        }
        for (id, why) in patrol::save(conn, caller, patrol_rows, stamp)? {
            refused.add("patrols", &patrol_of[&id], why);
        }
        for (id, why) in patrol::delete(conn, caller, &push.patrols_deleted, stamp)? {
            refused.0.push(("patrols", id.clone(), json!({"id": id, "_status": "deleted"}), why.to_string()));
        }
        save_photos(conn, caller, photo_rows, &report_of, stamp, &mut refused)?;
        for (record, task_id, p) in progress {
            match super::tasks::report(conn, caller, &task_id, p) {
                Ok(()) => {}
                Err(why) if why.is_refusal() => refused.add("task_progress", &record, why),
                Err(e) => return Err(e.into()),
            }
        }
        let mut rejected = Rejected::new();
        for (table, id, raw, why) in &refused.0 {
            quarantine::keep(conn, caller, table, id, raw, why)?;
            rejected.entry((*table).to_owned()).or_default().push(id.clone());
        }
        Ok(rejected)
    })
}

/// The cases among `ids`, by id.
fn existing_cases(conn: &mut DbConn, ids: &[&str]) -> StoreResult<HashMap<CaseId, Case>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        for c in cases::table.filter(cases::id.eq_any(chunk)).select(Case::as_select()).load::<Case>(conn)? {
            out.insert(c.id.clone(), c);
        }
    }
    Ok(out)
}

/// A phone's report pushed again: the fields it may have edited, checked as a correction is, and
/// where it puts the report.
fn phone_edit(r: &Map<String, Value>) -> StoreResult<PhoneEdit> {
    let draft = PatchDraft {
        title: text(r, "title"),
        description: text(r, "description"),
        address: r.get("address").map(|a| a.as_str().map(str::to_owned).filter(|a| !a.trim().is_empty())),
        priority: text(r, "priority").filter(|p| !p.is_empty()),
        category_code: text(r, "category_code").filter(|c| !c.is_empty()),
    };
    let mut check = Check::default();
    let crs = check.crs(text(r, "crs").as_deref().filter(|c| !c.is_empty()));
    let number = |key| r.get(key).and_then(Value::as_f64);
    let point = match (number("lng"), number("lat")) {
        (Some(lng), Some(lat)) => Some(check.point(lng, lat, crs)),
        _ => None,
    };
    let patch = draft.check_with(check)?;
    Ok(PhoneEdit { patch, point, edited_at: ms(r, "updated_at") })
}

/// Keeps what a phone's record came to: applied or noted, or refused into the quarantine.
fn outcome(
    result: StoreResult<Outcome>,
    table: &'static str,
    record: &Pushed,
    refused: &mut Refusals,
) -> StoreResult<()> {
    match result {
        Ok(_) => Ok(()),
        Err(why) if why.is_refusal() => {
            refused.add(table, record, why);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The pushed records the server changed after `since`: updates and deletions of cases, patrols
/// and photos (events are never changed once made), by table.
fn conflicts(
    conn: &mut DbConn,
    since: i64,
    known: &HashMap<CaseId, Case>,
    edits: &[(Pushed, PhoneEdit)],
    patrols_pushed: &HashMap<String, Pushed>,
    patrols_deleted: &[String],
    photos: &[(Pushed, Attachment)],
) -> StoreResult<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    let cases: Vec<&str> = edits.iter().filter(|(r, _)| r.updated).map(|(r, _)| r.id.as_str()).collect();
    let changed: Vec<String> = if cases.is_empty() {
        Vec::new()
    } else {
        let ids: Vec<&str> = cases.into_iter().filter(|id| known.contains_key(*id)).collect();
        cases::table.filter(cases::id.eq_any(ids)).filter(cases::sync_ms.gt(since)).select(cases::id).load(conn)?
    };
    if !changed.is_empty() {
        out.insert("cases".to_owned(), changed);
    }
    let mut ids: Vec<&str> = patrols_pushed.values().filter(|r| r.updated).map(|r| r.id.as_str()).collect();
    ids.extend(patrols_deleted.iter().map(String::as_str));
    if !ids.is_empty() {
        let changed: Vec<String> = patrols::table
            .filter(patrols::id.eq_any(ids))
            .filter(patrols::sync_ms.gt(since))
            .select(patrols::id)
            .load(conn)?;
        if !changed.is_empty() {
            out.insert("patrols".to_owned(), changed);
        }
    }
    let ids: Vec<&str> = photos.iter().filter(|(r, _)| r.updated).map(|(r, _)| r.id.as_str()).collect();
    if !ids.is_empty() {
        let changed: Vec<String> = attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::sync_ms.gt(since))
            .select(attachments::id)
            .load(conn)?;
        if !changed.is_empty() {
            out.insert("attachments".to_owned(), changed);
        }
    }
    Ok(out)
}

/// Stores a push's photos: each on a case the caller can see, on the event it belongs to — the
/// report filed in this push, or else the uploader's latest event on the case.
fn save_photos(
    conn: &mut DbConn,
    caller: &Caller,
    rows: Vec<(Pushed, Attachment)>,
    report_of: &HashMap<&str, &str>,
    stamp: i64,
    refused: &mut Refusals,
) -> StoreResult<()> {
    let ids: Vec<&str> = rows.iter().map(|(r, _)| r.id.as_str()).collect();
    let old: HashMap<String, Attachment> =
        photo::existing(conn, &ids)?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let mut seen_cases: HashSet<String> = HashSet::new();
    let (mut new, mut changed) = (Vec::new(), Vec::new());
    for (record, mut a) in rows {
        if !seen_cases.contains(&a.case_id) {
            match find_case(conn, caller, &a.case_id) {
                Ok(_) => {
                    seen_cases.insert(a.case_id.clone());
                }
                Err(why) if why.is_refusal() => {
                    refused.add("attachments", &record, why);
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        a.sync_ms = stamp;
        match old.get(&a.id) {
            Some(o) if o.user_id != caller.user_id => {
                refused.add("attachments", &record, format!("id: the id {} is taken", a.id));
            }
            Some(o) => {
                (a.created_ms, a.event_id) = (o.created_ms, o.event_id.clone());
                changed.push(a);
            }
            None => {
                a.created_ms = stamp;
                a.event_id = match report_of.get(a.case_id.as_str()) {
                    Some(e) => Some((*e).to_owned()),
                    None => photo::event_of(conn, &a.case_id, &caller.user_id)?,
                };
                new.push(a);
            }
        }
    }
    photo::save_all(conn, &new, &changed)
}
