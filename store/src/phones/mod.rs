//! What the phones' sync needs from the store: the change feeds a pull reads, applying a push,
//! grid workers' patrols (with the tombstones of deleted ones), the tasks of their grids with the
//! progress they report offline, and the quarantine of records
//! that can never be accepted.

pub mod feeds;
mod holding;
pub mod patrol;
pub mod push;
pub mod quarantine;
pub mod tasks;

use crate::access::{Caller, Role};
use crate::error::{StoreError, StoreResult};

/// Who syncs a phone: grid workers, volunteers and admins; department staff and residents use
/// the API.
pub fn may_sync(caller: &Caller) -> StoreResult<()> {
    match caller.role {
        Role::GridWorker
        | Role::Volunteer
        | Role::CommunityAdmin
        | Role::StreetAdmin
        | Role::DistrictAdmin
        | Role::SystemAdmin => Ok(()),
        Role::DeptStaff | Role::Resident => Err(StoreError::Forbidden(format!(
            "sync is for grid workers, volunteers and admins; a {} uses the API",
            caller.role
        ))),
    }
}
