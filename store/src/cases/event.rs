//! The timeline of a case: every transition with who did it (and in which role), when, why, with
//! what evidence, and — for a dispatch — how the department was chosen.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::Status;
use crate::access::Caller;
use crate::db::DbConn;
use crate::db::clock;
use crate::error::StoreResult;
use crate::schema::{case_events, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = case_events)]
pub struct Event {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub data: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub at: NaiveDateTime,
    #[serde(skip)]
    pub sync_ms: i64,
    /// For an event made on a phone: `applied`, or `rejected` with a `reason`.
    pub result: Option<String>,
    pub reason: Option<String>,
}

/// Writes one event; call it in the transaction of the change it records.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &mut DbConn,
    actor: &Caller,
    case_id: &str,
    action: &str,
    from: Option<Status>,
    to: Status,
    note: Option<&str>,
    attachments: &[String],
    at_point: Option<(f64, f64)>,
    data: Value,
) -> StoreResult<Event> {
    let e = Event {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case_id.to_owned(),
        action: action.to_owned(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.as_str().to_owned(),
        actor_id: actor.actor_id().map(str::to_owned),
        // the service itself (the overdue sweep, the command line) acts as `system`
        actor_role: if actor.actor_id().is_some() { actor.role.as_str() } else { "system" }.to_owned(),
        note: note.map(str::to_owned),
        attachments: json!(attachments).to_string(),
        lng: at_point.map(|p| p.0),
        lat: at_point.map(|p| p.1),
        data: data.to_string(),
        at: now(),
        sync_ms: clock::tick(conn)?,
        result: None,
        reason: None,
    };
    diesel::insert_into(case_events::table).values(&e).execute(conn)?;
    Ok(e)
}

/// An event with the name of who did it, as a timeline shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    #[serde(flatten)]
    pub event: Event,
    pub actor_name: Option<String>,
}

/// Gives an event the id its phone made for it, with the outcome (`applied`, or `rejected` and
/// why): the phone's record and the timeline's are one.
pub(crate) fn adopt(conn: &mut DbConn, id: &str, phone_id: &str, rejected: Option<&str>) -> StoreResult<()> {
    diesel::update(case_events::table.find(id))
        .set((
            case_events::id.eq(phone_id),
            case_events::result.eq(if rejected.is_some() { "rejected" } else { "applied" }),
            case_events::reason.eq(rejected),
        ))
        .execute(conn)?;
    Ok(())
}

pub(crate) fn exists(conn: &mut DbConn, id: &str) -> StoreResult<bool> {
    Ok(case_events::table.find(id).select(case_events::id).first::<String>(conn).optional()?.is_some())
}

pub(crate) fn of_case(conn: &mut DbConn, case_id: &str) -> StoreResult<Vec<EventView>> {
    let events: Vec<Event> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order((case_events::at.asc(), case_events::id.asc()))
        .select(Event::as_select())
        .load(conn)?;
    let actors: Vec<&str> = events.iter().filter_map(|e| e.actor_id.as_deref()).collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&actors))
        .select((users::id, users::display_name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(events
        .into_iter()
        .map(|event| {
            let actor_name = event.actor_id.as_ref().and_then(|id| names.get(id)).cloned();
            EventView { event, actor_name }
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
