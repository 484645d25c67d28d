//! 巡查 — patrols: a grid worker's round of a cell, recorded on the phone (its id, its times in
//! ms, the track as an encoded polyline) and sent by sync. A worker patrols the cells of their
//! own area; only they change or delete their patrols, and a deletion leaves a tombstone so
//! their other devices delete it too.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::access::{Caller, Place};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::{CONTROL_CHARACTER, Check, has_control};
use crate::schema::{cells, communities, patrols, streets, tombstones};
use crate::types::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = patrols, treat_none_as_null = true)]
pub struct Patrol {
    pub id: String,
    pub user_id: UserId,
    pub cell_id: String,
    /// ms since the epoch, the phone's clock.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub distance_m: f64,
    pub track: String,
    pub note: String,
    #[serde(skip)]
    pub created_ms: i64,
    #[serde(skip)]
    pub sync_ms: i64,
}

/// The longest track a patrol may carry (an encoded polyline), characters.
const TRACK_MAX: usize = 1_000_000;
const NOTE_MAX: usize = 2000;

impl Patrol {
    /// Reads a phone's patrol record, naming each bad field.
    pub fn from_record(id: &str, caller: &Caller, r: &Map<String, Value>) -> StoreResult<Self> {
        let mut check = Check::default();
        let text = |check: &mut Check, k: &str| match r.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                check.push(k, "must be text");
                None
            }
        };
        let cell_id = text(&mut check, "cell_id").unwrap_or_default();
        if cell_id.is_empty() {
            check.push("cell_id", "is required");
        }
        let started_at = r.get("started_at").and_then(Value::as_i64);
        if started_at.is_none() {
            check.push("started_at", "is required (ms)");
        }
        let ended_at = match r.get("ended_at") {
            None | Some(Value::Null) => None,
            Some(v) => v.as_i64().or_else(|| {
                check.push("ended_at", "must be a time in ms");
                None
            }),
        };
        let track = text(&mut check, "track").unwrap_or_default();
        if track.len() > TRACK_MAX {
            check.push("track", "is longer than a patrol's track can be");
        }
        let distance_m = r.get("distance_m").and_then(Value::as_f64).unwrap_or(0.0);
        if !(0.0..=200_000.0).contains(&distance_m) {
            check.push("distance_m", "must be from 0 to 200 km");
        }
        let note = text(&mut check, "note").unwrap_or_default();
        let note = check.text("note", &note, NOTE_MAX, false);
        if has_control(&track) {
            check.push("track", CONTROL_CHARACTER);
        }
        check.done()?;
        Ok(Patrol {
            id: id.to_owned(),
            user_id: caller.user_id.clone(),
            cell_id,
            started_at: started_at.unwrap_or_default(),
            ended_at,
            distance_m,
            track,
            note,
            created_ms: 0,
            sync_ms: 0,
        })
    }
}

/// Records the caller's patrols outside a phone's push (the demo's month of walks), stamped now;
/// what was refused, and why.
pub fn record(conn: &mut DbConn, caller: &Caller, rows: Vec<Patrol>) -> StoreResult<Vec<(String, StoreError)>> {
    let stamp = crate::db::clock::tick(conn)?;
    save(conn, caller, rows, stamp)
}

/// Stores the caller's patrols stamped `stamp`: new ones in one statement, changed ones each.
/// Each refused one comes back with why (a cell outside the caller's area, another's id).
pub(crate) fn save(
    conn: &mut DbConn,
    caller: &Caller,
    rows: Vec<Patrol>,
    stamp: i64,
) -> StoreResult<Vec<(String, StoreError)>> {
    if rows.is_empty() {
        return Ok(Vec::new()); // most pushes carry no patrol: no statements under the clock's lock
    }
    let cell_ids: Vec<&str> = rows.iter().map(|p| p.cell_id.as_str()).collect();
    let places: HashMap<String, Place> = cells::table
        .inner_join(communities::table.inner_join(streets::table))
        .filter(cells::id.eq_any(&cell_ids))
        .select((cells::id, streets::district_id, streets::id, communities::id))
        .load::<(String, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, d, s, c)| (id, Place::community(&d, &s, &c)))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|p| p.id.as_str()).collect();
    let old: HashMap<String, Patrol> = patrols::table
        .filter(patrols::id.eq_any(&ids))
        .select(Patrol::as_select())
        .load::<Patrol>(conn)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let (mut new, mut refused) = (Vec::new(), Vec::new());
    for mut p in rows {
        let why = match places.get(&p.cell_id) {
            None => Some(StoreError::invalid("cell_id", format!("no cell has the id {}", p.cell_id))),
            Some(at) if !caller.reach().covers(at) => {
                Some(StoreError::Forbidden("a patrol is of a cell of one's own area".into()))
            }
            _ => None,
        };
        if let Some(why) = why {
            refused.push((p.id, why));
            continue;
        }
        p.sync_ms = stamp;
        match old.get(&p.id) {
            Some(o) if o.user_id != caller.user_id => {
                let why = StoreError::Conflict { field: "id", detail: format!("the id {} is taken", p.id) };
                refused.push((p.id, why));
            }
            Some(o) => {
                p.created_ms = o.created_ms;
                diesel::update(patrols::table.find(&p.id)).set(&p).execute(conn)?;
            }
            None => {
                p.created_ms = stamp;
                new.push(p);
            }
        }
    }
    for chunk in new.chunks(500) {
        crate::db::per_backend!(conn, c => diesel::insert_into(patrols::table).values(chunk).execute(c))?;
    }
    Ok(refused)
}

/// Deletes the caller's patrols, leaving tombstones stamped `stamp`; another's is refused.
pub(crate) fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    ids: &[String],
    stamp: i64,
) -> StoreResult<Vec<(String, StoreError)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let owners: HashMap<String, String> = patrols::table
        .filter(patrols::id.eq_any(ids))
        .select((patrols::id, patrols::user_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut refused = Vec::new();
    for id in ids {
        match owners.get(id) {
            None => {}
            Some(o) if *o != caller.user_id => {
                refused.push((id.clone(), StoreError::Forbidden("only its worker deletes a patrol".into())));
            }
            Some(_) => {
                diesel::delete(patrols::table.find(id)).execute(conn)?;
                diesel::insert_into(tombstones::table)
                    .values((
                        tombstones::table_name.eq("patrols"),
                        tombstones::record_id.eq(id),
                        tombstones::user_id.eq(&caller.user_id),
                        tombstones::sync_ms.eq(stamp),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(refused)
}
