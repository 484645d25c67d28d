//! Who may do what. Roles and their scopes (ARCHITECTURE: People, roles, scope), and the one
//! place where a write is allowed or refused. Handlers never decide this themselves.

use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SystemAdmin,
    DistrictAdmin,
    /// 街道办: files, dispatches, supervises.
    StreetAdmin,
    CommunityAdmin,
    GridWorker,
    Volunteer,
    /// 职能部门 staff: act on dispatched cases.
    DeptStaff,
    Resident,
}

/// What a role's `scope_id` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeLevel {
    District,
    Street,
    Community,
    Department,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::SystemAdmin,
        Role::DistrictAdmin,
        Role::StreetAdmin,
        Role::CommunityAdmin,
        Role::GridWorker,
        Role::Volunteer,
        Role::DeptStaff,
        Role::Resident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::DistrictAdmin => "district_admin",
            Role::StreetAdmin => "street_admin",
            Role::CommunityAdmin => "community_admin",
            Role::GridWorker => "grid_worker",
            Role::Volunteer => "volunteer",
            Role::DeptStaff => "dept_staff",
            Role::Resident => "resident",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The level a user of this role is scoped to; `None` for roles without a region
    /// (system admins see everything, residents see their own records).
    pub fn scope_level(self) -> Option<ScopeLevel> {
        match self {
            Role::SystemAdmin | Role::Resident => None,
            Role::DistrictAdmin => Some(ScopeLevel::District),
            Role::StreetAdmin => Some(ScopeLevel::Street),
            Role::CommunityAdmin | Role::GridWorker | Role::Volunteer => Some(ScopeLevel::Community),
            Role::DeptStaff => Some(ScopeLevel::Department),
        }
    }
}

/// The authenticated user on whose behalf the store acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub scope_id: Option<String>,
}

impl Caller {
    /// The operator at the command line (`gridhub user create`, `gridhub demo`): full rights,
    /// recorded in the audit log as `system`.
    pub fn system() -> Self {
        Self { user_id: "system".into(), role: Role::SystemAdmin, scope_id: None }
    }

    /// The audit log's actor: the user, or none for the command line.
    pub fn actor_id(&self) -> Option<&str> {
        (self.user_id != "system").then_some(self.user_id.as_str())
    }

    /// Writes to the administrative hierarchy: a system admin anywhere, a district admin
    /// within their district. `district_id` is the district the change falls in, or `None`
    /// for creating a district (system admins only).
    pub fn require_region_admin(&self, district_id: Option<&str>) -> StoreResult<()> {
        let allowed = match self.role {
            Role::SystemAdmin => true,
            Role::DistrictAdmin => district_id.is_some() && self.scope_id.as_deref() == district_id,
            _ => false,
        };
        if allowed {
            Ok(())
        } else if self.role == Role::DistrictAdmin {
            Err(StoreError::Forbidden("district admins may change only their own district".into()))
        } else {
            Err(StoreError::Forbidden(format!(
                "the role {} may not change districts, streets or communities",
                self.role.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, scope: Option<&str>) -> Caller {
        Caller { user_id: "u".into(), role, scope_id: scope.map(Into::into) }
    }

    #[test]
    fn region_writes() {
        assert!(caller(Role::SystemAdmin, None).require_region_admin(None).is_ok());
        assert!(caller(Role::DistrictAdmin, Some("d1")).require_region_admin(Some("d1")).is_ok());
        assert!(caller(Role::DistrictAdmin, Some("d1")).require_region_admin(Some("d2")).is_err());
        assert!(caller(Role::DistrictAdmin, Some("d1")).require_region_admin(None).is_err());
        for role in [Role::StreetAdmin, Role::CommunityAdmin, Role::GridWorker, Role::Resident] {
            assert!(caller(role, Some("d1")).require_region_admin(Some("d1")).is_err());
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
