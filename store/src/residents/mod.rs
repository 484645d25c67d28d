//! Residents (民情民意) as their community knows them: where each lives, verified by the
//! community (`residence`); the community's notices with read receipts (`notices`); its
//! consultations, one vote per verified resident (`polls`). Who may act for a community's residents
//! has one home: `office_of`.

pub mod notices;
pub mod polls;
pub mod residence;

use crate::access::{Caller, Place, Role, place};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};

/// The community's own work with its residents — verifying where they live, its notices and
/// consultations — is its community admins' and the offices' above it, inside their reach.
pub(crate) fn office_of(conn: &mut DbConn, caller: &Caller, community_id: &str) -> StoreResult<Place> {
    let at = place::of_community(conn, community_id)?;
    if !caller.reach().sees(&at) {
        return Err(StoreError::not_found("community", community_id));
    }
    if !caller.reach().covers(&at) {
        return Err(not_theirs(caller));
    }
    require_office(caller)?;
    Ok(at)
}

/// Whether the caller's role acts for residents at all: the community and the offices above.
fn require_office(caller: &Caller) -> StoreResult<()> {
    if matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin | Role::CommunityAdmin) {
        Ok(())
    } else {
        Err(not_theirs(caller))
    }
}

fn not_theirs(caller: &Caller) -> StoreError {
    StoreError::Forbidden(format!("a {} may not act for the residents of this community", caller.role.as_str()))
}

/// The communities an office's lists cover: the one named (it must be the caller's to act for),
/// or every community in reach.
pub(crate) fn communities_for(conn: &mut DbConn, caller: &Caller, named: Option<&str>) -> StoreResult<Vec<String>> {
    use diesel::prelude::*;

    use crate::schema::{communities, streets};
    if let Some(id) = named {
        office_of(conn, caller, id)?;
        return Ok(vec![id.to_owned()]);
    }
    require_office(caller)?;
    let q = communities::table.inner_join(streets::table).select(communities::id).into_boxed();
    let q =
        crate::access::within_reach!(q, caller.reach(), streets::district_id, communities::street_id, communities::id);
    Ok(q.load(conn)?)
}
