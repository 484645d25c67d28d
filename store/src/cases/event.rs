//! The timeline of a case: every step with who took it (and in which role), when it happened
//! (`occurred_at`: a phone's own time for what was done offline) and when the server recorded it
//! (`at`), why, with what evidence, and — for a dispatch — how the department was chosen.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::Status;
use super::photo::{self, Photo};
use crate::access::Caller;
use crate::db::{DbConn, clock};
use crate::error::StoreResult;
use crate::schema::{case_events, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = case_events)]
pub struct Event {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub data: String,
    /// When the server recorded it.
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: NaiveDateTime,
    #[serde(skip)]
    pub sync_ms: i64,
    /// For an event made on a phone: `applied`, or `rejected` with a `reason`.
    pub result: Option<String>,
    pub reason: Option<String>,
    /// When it happened: the phone's time for what was done offline, else when it was recorded.
    #[serde(serialize_with = "crate::time::serialize")]
    pub occurred_at: NaiveDateTime,
}

impl Event {
    /// The event as the figures read it.
    pub(crate) fn moment(&self) -> super::tally::Moment {
        super::tally::Moment {
            case_id: self.case_id.clone(),
            action: self.action.clone(),
            from_status: self.from_status,
            to_status: self.to_status,
            data: self.data.clone(),
            occurred_at: self.occurred_at,
        }
    }

    /// The event as the photos it names see it.
    pub(crate) fn step(&self) -> photo::Step<'_> {
        photo::Step { id: &self.id, case_id: &self.case_id, sync_ms: self.sync_ms, attachments: &self.attachments }
    }
}

/// An event to record: what happened to which case, and what it comes with.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub case_id: &'a str,
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<&'a str>,
    pub attachments: &'a [String],
    /// Where the actor stood (WGS-84).
    pub at_point: Option<(f64, f64)>,
    pub data: Value,
    /// When it happened, when not now (an offline action).
    pub occurred_at: Option<NaiveDateTime>,
    /// The id a phone made for it.
    pub id: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    /// An event that leaves the case in `state`.
    pub fn new(case_id: &'a str, action: &'a str, from: Option<Status>, to: Status) -> Self {
        Self {
            case_id,
            action,
            from,
            to,
            note: None,
            attachments: &[],
            at_point: None,
            data: json!({}),
            occurred_at: None,
            id: None,
        }
    }

    /// An event that does not change the case's state.
    pub fn on(case_id: &'a str, action: &'a str, state: Status) -> Self {
        Self::new(case_id, action, Some(state), state)
    }

    pub fn note(self, note: Option<&'a str>) -> Self {
        Self { note, ..self }
    }

    pub fn data(self, data: Value) -> Self {
        Self { data, ..self }
    }

    /// The row, stamped `stamp` and recorded at `t`.
    pub fn row(&self, actor: &Caller, stamp: i64, t: NaiveDateTime) -> Event {
        Event {
            id: self.id.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned),
            case_id: self.case_id.to_owned(),
            action: self.action.to_owned(),
            from_status: self.from,
            to_status: self.to,
            actor_id: actor.actor_id().map(str::to_owned),
            // the service itself (the overdue sweep, the command line) acts as `system`
            actor_role: if actor.actor_id().is_some() { actor.role.as_str() } else { "system" }.to_owned(),
            note: self.note.map(str::to_owned),
            attachments: json!(self.attachments).to_string(),
            lng: self.at_point.map(|p| p.0),
            lat: self.at_point.map(|p| p.1),
            data: self.data.to_string(),
            at: t,
            sync_ms: stamp,
            result: None,
            reason: None,
            occurred_at: self.occurred_at.unwrap_or(t),
        }
    }
}

/// Writes one event, stamped; call it in the transaction of the change it records.
pub(crate) fn record(conn: &mut DbConn, actor: &Caller, new: NewEvent) -> StoreResult<Event> {
    let e = new.row(actor, clock::tick(conn)?, now());
    insert_all(conn, std::slice::from_ref(&e))?;
    photo::link(conn, actor, &e.step())?;
    // what the case counts for follows its timeline, in the same transaction
    super::tally::recount(conn, &[&e.case_id])?;
    Ok(e)
}

/// Writes events in one statement (a push's reports); the caller counts their cases
/// (`tally::recount`, or `tally::insert` for cases new with them).
pub(crate) fn insert_all(conn: &mut DbConn, rows: &[Event]) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        crate::db::per_backend!(conn, c => diesel::insert_into(case_events::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// An event with the name of who did it and its photos, as a timeline shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: Event,
    pub actor_name: Option<String>,
    /// When the server recorded it (the same as `at`).
    #[serde(serialize_with = "crate::time::serialize")]
    pub recorded_at: NaiveDateTime,
    pub photos: Vec<Photo>,
}

/// Gives an event the outcome of a phone's action (`applied`, or `rejected` and why).
pub(crate) fn set_result(conn: &mut DbConn, id: &str, rejected: Option<&str>) -> StoreResult<()> {
    diesel::update(case_events::table.find(id))
        .set((
            case_events::result.eq(if rejected.is_some() { "rejected" } else { "applied" }),
            case_events::reason.eq(rejected),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of `ids` are events already.
pub(crate) fn existing(conn: &mut DbConn, ids: &[&str]) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            case_events::table.filter(case_events::id.eq_any(chunk)).select(case_events::id).load::<String>(conn)?,
        );
    }
    Ok(out)
}

/// A case's timeline, oldest first by when things happened.
pub(crate) fn of_case(conn: &mut DbConn, case_id: &str) -> StoreResult<Vec<EventView>> {
    let events: Vec<Event> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order((case_events::occurred_at.asc(), case_events::at.asc(), case_events::id.asc()))
        .select(Event::as_select())
        .load(conn)?;
    let actors: Vec<&str> = events.iter().filter_map(|e| e.actor_id.as_deref()).collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&actors))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut photos: HashMap<String, Vec<Photo>> = HashMap::new();
    for p in photo::of_case(conn, case_id)? {
        if let Some(e) = &p.event_id {
            photos.entry(e.clone()).or_default().push(p);
        }
    }
    Ok(events
        .into_iter()
        .map(|event| {
            let actor_name = event.actor_id.as_ref().and_then(|id| names.get(id)).cloned();
            let photos = photos.remove(&event.id).unwrap_or_default();
            EventView { recorded_at: event.at, event, actor_name, photos }
        })
        .collect())
}

/// When the case was last suspended.
pub(crate) fn last_suspended(conn: &mut DbConn, case_id: &str) -> StoreResult<Option<NaiveDateTime>> {
    Ok(case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::action.eq("suspend"))
        .select(case_events::at)
        .order(case_events::at.desc())
        .first(conn)
        .optional()?)
}
