//! What a resident sees of a case: the public face of its timeline. The lifecycle table says of
//! each action whether a resident sees the event with its note, the event alone, or nothing
//! (`Face`); an event shown names the unit that acted (「东湖区城管局」, 「孺子亭社区网格员」),
//! never a staff member, and carries no place, no data and no phone's result. A resident sees the
//! photos they sent and those of the events shown.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use super::event::EventView;
use super::lifecycle::Face;
use super::photo::Photo;
use crate::access::Role;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{communities, departments, districts, streets, users};

/// The timeline as a resident sees it.
pub(crate) fn timeline(conn: &mut DbConn, events: Vec<EventView>) -> StoreResult<Vec<EventView>> {
    let shown: Vec<(EventView, Face)> = events
        .into_iter()
        .map(|v| {
            let face = Face::of(&v.event.action);
            (v, face)
        })
        .filter(|(_, face)| *face != Face::Hidden)
        .collect();
    let actors: Vec<String> = shown.iter().filter_map(|(v, _)| v.event.actor_id.clone()).collect();
    let units = units_of(conn, &actors)?;
    Ok(shown
        .into_iter()
        .map(|(mut v, face)| {
            let e = &mut v.event;
            v.actor_name = Some(match e.actor_id.as_ref().and_then(|id| units.get(id)) {
                Some(unit) => unit.clone(),
                None => Role::parse(&e.actor_role).map_or("系统", Role::label).to_owned(),
            });
            e.actor_id = None;
            if face != Face::Note {
                e.note = None;
            }
            e.lng = None;
            e.lat = None;
            e.data = "{}".into();
            e.result = None;
            e.reason = None;
            v
        })
        .collect())
}

/// A case as a resident sees it: not who in the department holds it, nor what the offices weigh
/// (a pending extension, the routing rule that chose the department).
pub(crate) fn case(v: &mut super::CaseView) {
    v.case.assignee_id = None;
    v.case.pending_extension = None;
    v.case.routing_rule_id = None;
}

/// The photos of a case a resident sees: those not of an event (sent with the report) and those
/// of the events shown.
pub(crate) fn photos(photos: Vec<Photo>, shown: &[EventView]) -> Vec<Photo> {
    let events: HashSet<&str> = shown.iter().map(|v| v.event.id.as_str()).collect();
    photos.into_iter().filter(|p| p.event_id.as_deref().is_none_or(|e| events.contains(e))).collect()
}

/// The unit each actor acted for, as a resident reads it: a department's name, a street's or a
/// district's office, a community, and a grid worker or volunteer by their community and role.
fn units_of(conn: &mut DbConn, actors: &[String]) -> StoreResult<HashMap<String, String>> {
    let people: Vec<(String, String, Option<String>)> =
        users::table.filter(users::id.eq_any(actors)).select((users::id, users::role, users::scope_id)).load(conn)?;
    let scopes: Vec<&str> = people.iter().filter_map(|(_, _, s)| s.as_deref()).collect();
    let mut names: HashMap<String, String> = HashMap::new();
    names.extend(
        districts::table.filter(districts::id.eq_any(&scopes)).select((districts::id, districts::name)).load::<(
            String,
            String,
        )>(
            conn
        )?,
    );
    names.extend(
        streets::table
            .filter(streets::id.eq_any(&scopes))
            .select((streets::id, streets::name))
            .load::<(String, String)>(conn)?,
    );
    names.extend(
        communities::table
            .filter(communities::id.eq_any(&scopes))
            .select((communities::id, communities::name))
            .load::<(String, String)>(conn)?,
    );
    names.extend(
        departments::table
            .filter(departments::id.eq_any(&scopes))
            .select((departments::id, departments::name))
            .load::<(String, String)>(conn)?,
    );
    Ok(people
        .into_iter()
        .map(|(id, role, scope)| {
            let role = Role::parse(&role);
            let place = scope.and_then(|s| names.get(&s).cloned());
            let unit = match (role, place) {
                (Some(Role::GridWorker | Role::Volunteer), Some(place)) => {
                    format!("{place}{}", role.map_or("", Role::label))
                }
                (Some(Role::StreetAdmin), Some(place)) => format!("{place}办事处"),
                (_, Some(place)) => place,
                (Some(role), None) => role.label().to_owned(),
                (None, None) => "系统".to_owned(),
            };
            (id, unit)
        })
        .collect())
}
