//! Who may do what. Roles and their scopes (ARCHITECTURE: People, roles, scope), and the one
//! place where a write is allowed or refused. Handlers never decide this themselves.

use serde::{Deserialize, Serialize};

use crate::{DbConn, StoreError, StoreResult, community, department, street};

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

/// Where a record sits in the hierarchy: always a district, then a street and a community
/// when it lies that deep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
}

impl Place {
    pub fn district(id: &str) -> Self {
        Self { district: Some(id.into()), ..Self::default() }
    }

    pub fn street(district: &str, street: &str) -> Self {
        Self { street: Some(street.into()), ..Self::district(district) }
    }

    pub fn community(district: &str, street: &str, community: &str) -> Self {
        Self { community: Some(community.into()), ..Self::street(district, street) }
    }

    /// The place of the record a role's scope names (a user's place).
    pub fn of_scope(conn: &mut DbConn, level: Option<ScopeLevel>, id: Option<&str>) -> StoreResult<Self> {
        let (Some(level), Some(id)) = (level, id) else { return Ok(Self::default()) };
        Ok(match level {
            ScopeLevel::District => Self::district(id),
            ScopeLevel::Street => Self::street(&street::get(conn, id)?.district_id, id),
            ScopeLevel::Community => {
                let c = community::get(conn, id)?;
                let s = street::get(conn, &c.street_id)?;
                Self::community(&s.district_id, &s.id, id)
            }
            ScopeLevel::Department => Self::district(&department::get(conn, id)?.district_id),
        })
    }
}

/// The part of the hierarchy a caller answers for, resolved from their role and scope. What
/// they may read is what lies inside it, and the regions above it (their own district's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// System admins.
    Everywhere,
    District {
        district: String,
    },
    Street {
        district: String,
        street: String,
    },
    Community {
        district: String,
        street: String,
        community: String,
    },
    /// Residents (their own records only), and anyone whose scope no longer exists.
    Nothing,
}

impl Reach {
    /// Resolves the caller's reach; department staff reach their department's district.
    pub fn of(conn: &mut DbConn, caller: &Caller) -> StoreResult<Self> {
        if caller.role == Role::SystemAdmin {
            return Ok(Self::Everywhere);
        }
        let place = match Place::of_scope(conn, caller.role.scope_level(), caller.scope_id.as_deref()) {
            Ok(p) => p,
            Err(StoreError::NotFound { .. }) => return Ok(Self::Nothing),
            Err(e) => return Err(e),
        };
        Ok(match place {
            Place { district: Some(district), street: Some(street), community: Some(community) } => {
                Self::Community { district, street, community }
            }
            Place { district: Some(district), street: Some(street), community: None } => {
                Self::Street { district, street }
            }
            Place { district: Some(district), street: None, .. } => Self::District { district },
            _ => Self::Nothing,
        })
    }

    /// Whether `place` lies inside this reach.
    pub fn covers(&self, place: &Place) -> bool {
        match self {
            Self::Everywhere => true,
            Self::District { district } => place.district.as_ref() == Some(district),
            Self::Street { street, .. } => place.street.as_ref() == Some(street),
            Self::Community { community, .. } => place.community.as_ref() == Some(community),
            Self::Nothing => false,
        }
    }

    /// Whether a record at `place` may be read: inside the reach, or one of the regions above it.
    pub fn sees(&self, place: &Place) -> bool {
        if self.covers(place) {
            return true;
        }
        let above = |d: &String, s: Option<&String>| {
            place.district.as_ref() == Some(d)
                && place.community.is_none()
                && (place.street.is_none() || place.street.as_ref() == s)
        };
        match self {
            Self::Street { district, .. } => above(district, None),
            Self::Community { district, street, .. } => above(district, Some(street)),
            _ => false,
        }
    }

    /// The district the reach lies in, if any.
    pub fn district(&self) -> Option<&str> {
        match self {
            Self::District { district } | Self::Street { district, .. } | Self::Community { district, .. } => {
                Some(district)
            }
            _ => None,
        }
    }
}

impl Caller {
    /// Writes to the grid (importing, generating, reshaping cells): a system admin anywhere, a
    /// district or street admin inside their area — the street office divides its communities.
    pub fn require_grid_admin(&self, reach: &Reach, place: &Place) -> StoreResult<()> {
        let allowed =
            matches!(self.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin) && reach.covers(place);
        if allowed {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!("a {} may not change the grid of this community", self.role.as_str())))
        }
    }
}

impl Role {
    /// How high the role stands among administrators; lower manages higher. `None` for the
    /// roles that administer nothing.
    fn admin_rank(self) -> Option<u8> {
        match self {
            Role::SystemAdmin => Some(0),
            Role::DistrictAdmin => Some(1),
            Role::StreetAdmin => Some(2),
            Role::CommunityAdmin => Some(3),
            _ => None,
        }
    }

    fn rank(self) -> u8 {
        match self {
            Role::SystemAdmin => 0,
            Role::DistrictAdmin => 1,
            Role::StreetAdmin | Role::DeptStaff => 2,
            Role::CommunityAdmin => 3,
            Role::GridWorker | Role::Volunteer => 4,
            Role::Resident => 5,
        }
    }

    pub fn is_admin(self) -> bool {
        self.admin_rank().is_some()
    }
}

impl Caller {
    /// Whether this caller, of `reach`, may manage an account of `role` at `place`: create it,
    /// change it, reset its password, disable it. System admins manage everyone; other admins
    /// manage roles below their own, inside their reach (department staff: district admins).
    /// Residents are managed by system admins only.
    pub fn may_manage(&self, reach: &Reach, role: Role, place: &Place) -> bool {
        match self.role.admin_rank() {
            Some(0) => true,
            Some(rank) => role != Role::Resident && role.rank() > rank && reach.covers(place),
            None => false,
        }
    }

    pub fn require_manage(&self, reach: &Reach, role: Role, place: &Place) -> StoreResult<()> {
        if self.may_manage(reach, role, place) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!(
                "a {} may not manage a {} account there",
                self.role.as_str(),
                role.as_str()
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
    fn reach_covers_below_and_sees_above() {
        let street = Reach::Street { district: "d".into(), street: "s".into() };
        assert!(street.covers(&Place::community("d", "s", "c")));
        assert!(street.covers(&Place::street("d", "s")));
        assert!(!street.covers(&Place::district("d")));
        assert!(street.sees(&Place::district("d")), "its own district, by name");
        assert!(!street.sees(&Place::street("d", "s2")), "not a sibling street");
        assert!(!street.sees(&Place::community("d", "s2", "c2")));
        assert!(!street.sees(&Place::district("d2")));
        let community = Reach::Community { district: "d".into(), street: "s".into(), community: "c".into() };
        assert!(community.sees(&Place::street("d", "s")) && community.sees(&Place::district("d")));
        assert!(!community.sees(&Place::community("d", "s", "c2")));
        assert!(!Reach::Nothing.sees(&Place::district("d")));
        assert!(Reach::Everywhere.covers(&Place::default()));
    }

    #[test]
    fn admins_manage_roles_below_them_inside_their_reach() {
        let reach = Reach::Street { district: "d".into(), street: "s".into() };
        let office = caller(Role::StreetAdmin, Some("s"));
        let inside = Place::community("d", "s", "c");
        assert!(office.may_manage(&reach, Role::GridWorker, &inside));
        assert!(office.may_manage(&reach, Role::CommunityAdmin, &inside));
        assert!(!office.may_manage(&reach, Role::StreetAdmin, &Place::street("d", "s")), "not its peers");
        assert!(!office.may_manage(&reach, Role::GridWorker, &Place::community("d", "s2", "c2")), "not elsewhere");
        assert!(!office.may_manage(&reach, Role::DeptStaff, &Place::district("d")));
        let district = caller(Role::DistrictAdmin, Some("d"));
        let d_reach = Reach::District { district: "d".into() };
        assert!(district.may_manage(&d_reach, Role::DeptStaff, &Place::district("d")));
        assert!(!district.may_manage(&d_reach, Role::Resident, &Place::default()));
        assert!(caller(Role::SystemAdmin, None).may_manage(&Reach::Everywhere, Role::Resident, &Place::default()));
        let worker = caller(Role::GridWorker, Some("c"));
        assert!(!worker.may_manage(&Reach::Everywhere, Role::Volunteer, &inside));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
