//! 巡查 — patrols: a grid worker's round of a cell, recorded on the phone (its id, its times in
//! ms, the track as an encoded polyline) and sent by sync. A worker patrols the cells of their
//! own community; only they change or delete their patrols.

use diesel::prelude::*;
use serde::Serialize;

use crate::access::{Caller, place};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::{StoreError, StoreResult};
use crate::schema::{patrols, tombstones};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = patrols, treat_none_as_null = true)]
pub struct Patrol {
    pub id: String,
    pub user_id: String,
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

/// Creates or replaces the caller's patrol `p` (its user is the caller).
pub fn upsert(conn: &mut DbConn, caller: &Caller, mut p: Patrol) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let at = place::of_cell(conn, &p.cell_id)
            .map_err(|_| StoreError::invalid("cell_id", format!("no cell has the id {}", p.cell_id)))?;
        if !caller.reach().covers(&at) {
            return Err(StoreError::Forbidden("a patrol is of a cell of one's own area".into()));
        }
        let old: Option<Patrol> = patrols::table.find(&p.id).select(Patrol::as_select()).first(conn).optional()?;
        p.user_id = caller.user_id.clone();
        p.sync_ms = clock::tick(conn)?;
        match old {
            Some(o) if o.user_id != caller.user_id => {
                return Err(StoreError::Conflict { field: "id", detail: format!("the id {} is taken", p.id) });
            }
            Some(o) => {
                p.created_ms = o.created_ms;
                diesel::update(patrols::table.find(&p.id)).set(&p).execute(conn)?;
            }
            None => {
                p.created_ms = p.sync_ms;
                diesel::insert_into(patrols::table).values(&p).execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Deletes the caller's patrol, leaving a tombstone so their other devices delete it too.
pub fn delete(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let owner: Option<String> = patrols::table.find(id).select(patrols::user_id).first(conn).optional()?;
        match owner {
            None => Ok(()),
            Some(o) if o != caller.user_id => Err(StoreError::Forbidden("only its worker deletes a patrol".into())),
            Some(_) => {
                diesel::delete(patrols::table.find(id)).execute(conn)?;
                diesel::insert_into(tombstones::table)
                    .values((
                        tombstones::table_name.eq("patrols"),
                        tombstones::record_id.eq(id),
                        tombstones::user_id.eq(&caller.user_id),
                        tombstones::sync_ms.eq(clock::tick(conn)?),
                    ))
                    .execute(conn)?;
                Ok(())
            }
        }
    })
}
