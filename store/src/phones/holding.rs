//! Whose pull it is and what they hold: a grid worker's or volunteer's assigned cells (with
//! the cells gained and lost since their last pull), or an admin's area. The feeds read it.

use std::collections::HashSet;

use diesel::prelude::*;

use crate::access::{Caller, Reach, Role};
use crate::assignments::{Duty, in_force};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{assignments, scope_changes};
use crate::time::now;
use crate::types::UserId;

/// A pull: whose, since when (`None`: the first), and what their holding was found to be.
pub struct Pull {
    pub(super) user_id: UserId,
    pub(super) since: Option<i64>,
    pub(super) holding: Holding,
    /// A worker's cells now, with their duty.
    pub(super) cells: Vec<(String, Duty)>,
    /// Cells the worker gained or lost since the last pull (a worker's holding only).
    pub(super) gained: Vec<String>,
    pub(super) lost: Vec<String>,
}

pub(super) enum Holding {
    /// A grid worker's or volunteer's assigned cells.
    Cells,
    /// An admin's area.
    Area(Reach),
}

impl Pull {
    /// What `caller` holds, as of now. Department staff and residents do not sync.
    pub fn new(conn: &mut DbConn, caller: &Caller, since: Option<i64>) -> StoreResult<Self> {
        super::may_sync(caller)?;
        let holding = match caller.role {
            Role::GridWorker | Role::Volunteer => Holding::Cells,
            _ => Holding::Area(caller.reach().clone()),
        };
        let mut pull =
            Self { user_id: caller.user_id.clone(), since, holding, cells: vec![], gained: vec![], lost: vec![] };
        if let Holding::Cells = pull.holding {
            pull.cells = assignments::table
                .filter(assignments::user_id.eq(&caller.user_id))
                .filter(in_force(now()))
                .select((assignments::cell_id, assignments::duty))
                .load(conn)?;
            if let Some(t) = since {
                let changed = |change: &str, conn: &mut DbConn| -> StoreResult<Vec<String>> {
                    Ok(scope_changes::table
                        .filter(scope_changes::user_id.eq(&caller.user_id))
                        .filter(scope_changes::change.eq(change))
                        .filter(scope_changes::sync_ms.gt(t))
                        .select(scope_changes::cell_id)
                        .distinct()
                        .load(conn)?)
                };
                let held: HashSet<&str> = pull.cells.iter().map(|(c, _)| c.as_str()).collect();
                pull.gained = changed("gained", conn)?.into_iter().filter(|c| held.contains(c.as_str())).collect();
                pull.lost = changed("lost", conn)?.into_iter().filter(|c| !held.contains(c.as_str())).collect();
            }
        }
        Ok(pull)
    }

    pub fn since(&self) -> Option<i64> {
        self.since
    }

    pub(super) fn cell_ids(&self) -> Vec<&str> {
        self.cells.iter().map(|(c, _)| c.as_str()).collect()
    }

    /// The caller's duty in a cell of their holding.
    pub fn duty(&self, cell: &str) -> Option<Duty> {
        self.cells.iter().find(|(c, _)| c == cell).map(|(_, d)| *d)
    }
}
