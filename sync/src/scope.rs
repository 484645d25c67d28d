//! What a caller's phone holds: a grid worker's or volunteer's assigned cells (with their duty),
//! an admin's whole area; the cases of those cells or that area, and whatever they reported.

use std::collections::HashMap;

use diesel::prelude::*;
use gridhub_store::access::Reach;
use gridhub_store::schema::{case_reporters, cases, cells, communities, streets};
use gridhub_store::{Caller, DbConn, Role, StoreError, StoreResult, assignments};

pub enum Scope {
    /// Cell id → the caller's duty there.
    Cells(HashMap<String, String>),
    Area(Reach),
}

impl Scope {
    pub fn of(conn: &mut DbConn, caller: &Caller) -> StoreResult<Self> {
        match caller.role {
            Role::GridWorker | Role::Volunteer => Ok(Scope::Cells(
                assignments::cells_of(conn, &caller.user_id)?
                    .into_iter()
                    .map(|(id, _, _, duty)| (id, duty.as_str().to_owned()))
                    .collect(),
            )),
            Role::CommunityAdmin | Role::StreetAdmin | Role::DistrictAdmin | Role::SystemAdmin => {
                Ok(Scope::Area(caller.reach().clone()))
            }
            Role::DeptStaff | Role::Resident => Err(StoreError::Forbidden(format!(
                "sync is for grid workers, volunteers and admins; a {} uses the API",
                caller.role.as_str()
            ))),
        }
    }

    pub fn duty(&self, cell: &str) -> Option<&str> {
        match self {
            Scope::Cells(m) => m.get(cell).map(String::as_str),
            Scope::Area(_) => None,
        }
    }

    /// The ids of the cells in scope (retired ones too: phones must learn they are gone).
    pub fn cell_ids(&self, conn: &mut DbConn) -> StoreResult<Vec<String>> {
        Ok(match self {
            Scope::Cells(m) => m.keys().cloned().collect(),
            Scope::Area(reach) => {
                let mut q = cells::table.select(cells::id).into_boxed();
                q = match reach {
                    Reach::Everywhere => q,
                    Reach::District { district } => q.filter(
                        cells::community_id.eq_any(
                            communities::table
                                .inner_join(streets::table)
                                .filter(streets::district_id.eq(district.clone()))
                                .select(communities::id),
                        ),
                    ),
                    Reach::Street { street, .. } => q.filter(cells::community_id.eq_any(
                        communities::table.filter(communities::street_id.eq(street.clone())).select(communities::id),
                    )),
                    Reach::Community { community, .. } => q.filter(cells::community_id.eq(community.clone())),
                    Reach::Nothing => return Ok(Vec::new()),
                };
                q.load(conn)?
            }
        })
    }

    /// The ids of the cases in scope: of the scope's cells or area, and those the caller reported.
    pub fn case_ids(&self, conn: &mut DbConn, caller: &Caller) -> StoreResult<Vec<String>> {
        let mine = case_reporters::table
            .filter(case_reporters::user_id.eq(caller.user_id.clone()))
            .select(case_reporters::case_id);
        let mut q = cases::table.select(cases::id).into_boxed();
        q = match self {
            Scope::Cells(m) => {
                let ids: Vec<String> = m.keys().cloned().collect();
                q.filter(cases::cell_id.eq_any(ids).or(cases::id.eq_any(mine)))
            }
            Scope::Area(Reach::Everywhere) => q,
            Scope::Area(Reach::District { district }) => {
                q.filter(cases::district_id.eq(district.clone()).or(cases::id.eq_any(mine)))
            }
            Scope::Area(Reach::Street { street, .. }) => {
                q.filter(cases::street_id.eq(street.clone()).or(cases::id.eq_any(mine)))
            }
            Scope::Area(Reach::Community { community, .. }) => {
                q.filter(cases::community_id.eq(community.clone()).or(cases::id.eq_any(mine)))
            }
            Scope::Area(Reach::Nothing) => q.filter(cases::id.eq_any(mine)),
        };
        Ok(q.load(conn)?)
    }
}
