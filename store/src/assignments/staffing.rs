//! The staffing report: which cells lack a grid leader or a worker, and how many cells and
//! households each worker carries.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use super::{Assignment, Duty, in_force};
use crate::access::{Caller, place};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::grid::{Cell, cell};
use crate::regions::street;
use crate::schema::{assignments, users};
use crate::time::now;
use crate::types::CellId;
use crate::types::UserId;

/// One cell's people, for the staffing report and the map.
#[derive(Debug, Clone, Serialize)]
pub struct CellStaff {
    pub cell_id: CellId,
    pub code: String,
    pub name: String,
    pub households: Option<i32>,
    pub grid_leader: Option<String>,
    pub workers: Vec<String>,
    pub police_liaison: Option<String>,
    pub building_stewards: usize,
    pub volunteers: usize,
    pub party_members: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkerLoad {
    pub user_id: UserId,
    pub name: String,
    pub cells: usize,
    pub households: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Staffing {
    pub cells: usize,
    pub households: i64,
    pub cells_without_grid_leader: Vec<String>,
    pub cells_without_worker: Vec<String>,
    pub per_cell: Vec<CellStaff>,
    pub per_worker: Vec<WorkerLoad>,
}

/// Staffing of the given active cells now.
pub fn staffing_of(conn: &mut DbConn, cells_in: &[Cell]) -> StoreResult<Staffing> {
    let t = now();
    let ids: Vec<&str> = cells_in.iter().map(|c| c.id.as_str()).collect();
    let rows: Vec<(Assignment, String)> = assignments::table
        .inner_join(users::table)
        .filter(assignments::cell_id.eq_any(&ids))
        .filter(in_force(t))
        .select((Assignment::as_select(), users::display_name))
        .load(conn)?;
    let mut per_cell = Vec::with_capacity(cells_in.len());
    let mut loads: BTreeMap<UserId, WorkerLoad> = BTreeMap::new();
    for c in cells_in {
        let here: Vec<&(Assignment, String)> = rows.iter().filter(|(a, _)| a.cell_id == c.id).collect();
        let named = |d: Duty| here.iter().find(|(a, _)| a.duty == d).map(|(_, n)| n.clone());
        let count = |d: Duty| here.iter().filter(|(a, _)| a.duty == d).count();
        let workers: Vec<&(Assignment, String)> = here
            .iter()
            .copied()
            .filter(|(a, _)| a.duty == Duty::FullTimeWorker || a.duty == Duty::PartTimeWorker)
            .collect();
        for (a, n) in &workers {
            let load = loads.entry(a.user_id.clone()).or_insert_with(|| WorkerLoad {
                user_id: a.user_id.clone(),
                name: n.clone(),
                cells: 0,
                households: 0,
            });
            load.cells += 1;
            load.households += i64::from(c.households.unwrap_or(0));
        }
        per_cell.push(CellStaff {
            cell_id: c.id.clone(),
            code: c.code.clone(),
            name: c.name.clone(),
            households: c.households,
            grid_leader: named(Duty::GridLeader),
            workers: workers.iter().map(|(_, n)| n.clone()).collect(),
            police_liaison: named(Duty::PoliceLiaison),
            building_stewards: count(Duty::BuildingSteward),
            volunteers: count(Duty::Volunteer),
            party_members: count(Duty::PartyMember),
        });
    }
    Ok(Staffing {
        cells: per_cell.len(),
        households: cells_in.iter().map(|c| i64::from(c.households.unwrap_or(0))).sum(),
        cells_without_grid_leader: per_cell
            .iter()
            .filter(|c| c.grid_leader.is_none())
            .map(|c| c.code.clone())
            .collect(),
        cells_without_worker: per_cell.iter().filter(|c| c.workers.is_empty()).map(|c| c.code.clone()).collect(),
        per_cell,
        per_worker: loads.into_values().collect(),
    })
}

/// Staffing of a street's or a community's cells. It names people, so the area must lie inside
/// the caller's reach (seeing its name, as those below it do, is not enough): 404 otherwise.
pub fn staffing(
    conn: &mut DbConn,
    caller: &Caller,
    street_id: Option<&str>,
    community_id: Option<&str>,
) -> StoreResult<Staffing> {
    let reach = caller.reach();
    let cells_in: Vec<Cell> = match (street_id, community_id) {
        (_, Some(c)) => {
            let (community, cells) = cell::of_community(conn, caller, c)?;
            if !reach.covers(&place::of_community(conn, &community.id)?) {
                return Err(StoreError::not_found("community", c));
            }
            cells
        }
        (Some(s), None) => {
            let s = street::find(conn, caller, s)?;
            if !reach.covers(&s.place()) {
                return Err(StoreError::not_found("street", &s.id));
            }
            let mut all = Vec::new();
            for c in place::communities_of_street(conn, &s.id)? {
                all.extend(cell::of_community(conn, caller, &c)?.1);
            }
            all
        }
        (None, None) => Vec::new(),
    };
    staffing_of(conn, &cells_in)
}
