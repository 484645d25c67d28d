//! Who is asking, and what part of the hierarchy they answer for. A `Caller` carries its reach,
//! resolved once (the API resolves it when it authenticates a request and caches it like the
//! user's status), so no store function looks it up again. The rules of who may write what live
//! here, once; handlers never decide them.

use super::place::{self, Place};
use super::role::Role;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::types::UserId;

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
    /// The reach of a place: as deep as the place goes.
    pub fn of_place(place: Place) -> Self {
        match place {
            Place { district: Some(district), street: Some(street), community: Some(community) } => {
                Self::Community { district, street, community }
            }
            Place { district: Some(district), street: Some(street), community: None } => {
                Self::Street { district, street }
            }
            Place { district: Some(district), street: None, .. } => Self::District { district },
            _ => Self::Nothing,
        }
    }

    /// Resolves the reach of a role and scope; department staff reach their department's district.
    pub fn resolve(conn: &mut DbConn, role: Role, scope_id: Option<&str>) -> StoreResult<Self> {
        if role == Role::SystemAdmin {
            return Ok(Self::Everywhere);
        }
        match place::of_scope(conn, role.scope_level(), scope_id) {
            Ok(p) => Ok(Self::of_place(p)),
            Err(StoreError::NotFound { .. }) => Ok(Self::Nothing),
            Err(e) => Err(e),
        }
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

    /// Where the reach lies, as a place.
    pub fn place(&self) -> Place {
        match self {
            Self::District { district } => Place::district(district),
            Self::Street { district, street } => Place::street(district, street),
            Self::Community { district, street, community } => Place::community(district, street, community),
            Self::Everywhere | Self::Nothing => Place::default(),
        }
    }
}

/// Keeps the rows of a boxed query that lie within a reach, for a table that carries the
/// district, street and community of each row (cases, the audit log, the quarantine …):
/// `within_reach!(q, caller.reach(), cases::district_id, cases::street_id, cases::community_id)`,
/// or with `, or <expression>` what else the caller sees (`cases::id.eq_any(mine)`).
/// `Nothing` keeps no row. The one reach filter of the store and of sync.
macro_rules! within_reach {
    ($q:expr, $reach:expr, $district:expr, $street:expr, $community:expr) => {{
        use crate::access::Reach;
        match $reach {
            Reach::Everywhere => $q,
            Reach::District { district } => $q.filter($district.eq(district.clone())),
            Reach::Street { street, .. } => $q.filter($street.eq(street.clone())),
            Reach::Community { community, .. } => $q.filter($community.eq(community.clone())),
            Reach::Nothing => $q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0")),
        }
    }};
    // within reach, or also what `$also` keeps (the caller's own reports, seen wherever they lie)
    ($q:expr, $reach:expr, $district:expr, $street:expr, $community:expr, or $also:expr) => {{
        use crate::access::Reach;
        match $reach {
            Reach::Everywhere => $q,
            Reach::District { district } => $q.filter($district.eq(district.clone()).or($also)),
            Reach::Street { street, .. } => $q.filter($street.eq(street.clone()).or($also)),
            Reach::Community { community, .. } => $q.filter($community.eq(community.clone()).or($also)),
            Reach::Nothing => $q.filter($also),
        }
    }};
}

/// The authenticated user on whose behalf the store acts, with the reach of their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: UserId,
    pub role: Role,
    pub scope_id: Option<String>,
    reach: Reach,
}

impl Caller {
    /// The operator at the command line (`gridhub user create`, `gridhub demo`): full rights,
    /// recorded in the audit log as `system`.
    pub fn system() -> Self {
        Self { user_id: "system".into(), role: Role::SystemAdmin, scope_id: None, reach: Reach::Everywhere }
    }

    /// A caller whose reach is already known (the API's cache).
    pub fn with_reach(user_id: String, role: Role, scope_id: Option<String>, reach: Reach) -> Self {
        Self { user_id: user_id.into(), role, scope_id, reach }
    }

    /// A caller, with the reach of their role and scope looked up.
    pub fn resolve(conn: &mut DbConn, user_id: &str, role: Role, scope_id: Option<&str>) -> StoreResult<Self> {
        let reach = Reach::resolve(conn, role, scope_id)?;
        Ok(Self { user_id: user_id.into(), role, scope_id: scope_id.map(str::to_owned), reach })
    }

    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Where the caller belongs (their scope's place; nowhere for system admins and residents).
    pub fn place(&self) -> Place {
        self.reach.place()
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

    /// Writes to the grid (importing, generating, reshaping cells): a system admin anywhere, a
    /// district or street admin inside their area — the street office divides its communities.
    pub fn require_grid_admin(&self, place: &Place) -> StoreResult<()> {
        if self.role.is_office() && self.reach.covers(place) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!("a {} may not change the grid of this community", self.role.as_str())))
        }
    }

    /// Whether this caller may manage an account of `role` at `place`: create it, change it,
    /// reset its password, disable it. System admins manage everyone; other admins manage roles
    /// below their own, inside their reach (department staff: district admins). Residents are
    /// managed by system admins only.
    pub fn may_manage(&self, role: Role, place: &Place) -> bool {
        match self.role.admin_rank() {
            Some(0) => true,
            Some(rank) => role != Role::Resident && role.rank() > rank && self.reach.covers(place),
            None => false,
        }
    }

    pub fn require_manage(&self, role: Role, place: &Place) -> StoreResult<()> {
        if self.may_manage(role, place) {
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

pub(crate) use within_reach;

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, reach: Reach) -> Caller {
        let scope = reach.place().community.or(reach.place().street).or(reach.place().district);
        Caller::with_reach("u".into(), role, scope, reach)
    }

    fn district(d: &str) -> Reach {
        Reach::District { district: d.into() }
    }

    #[test]
    fn region_writes() {
        assert!(Caller::system().require_region_admin(None).is_ok());
        assert!(caller(Role::DistrictAdmin, district("d1")).require_region_admin(Some("d1")).is_ok());
        assert!(caller(Role::DistrictAdmin, district("d1")).require_region_admin(Some("d2")).is_err());
        assert!(caller(Role::DistrictAdmin, district("d1")).require_region_admin(None).is_err());
        for role in [Role::StreetAdmin, Role::CommunityAdmin, Role::GridWorker, Role::Resident] {
            assert!(caller(role, district("d1")).require_region_admin(Some("d1")).is_err());
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
        let office = caller(Role::StreetAdmin, Reach::Street { district: "d".into(), street: "s".into() });
        let inside = Place::community("d", "s", "c");
        assert!(office.may_manage(Role::GridWorker, &inside));
        assert!(office.may_manage(Role::CommunityAdmin, &inside));
        assert!(!office.may_manage(Role::StreetAdmin, &Place::street("d", "s")), "not its peers");
        assert!(!office.may_manage(Role::GridWorker, &Place::community("d", "s2", "c2")), "not elsewhere");
        assert!(!office.may_manage(Role::DeptStaff, &Place::district("d")));
        let admin = caller(Role::DistrictAdmin, district("d"));
        assert!(admin.may_manage(Role::DeptStaff, &Place::district("d")));
        assert!(!admin.may_manage(Role::Resident, &Place::default()));
        assert!(Caller::system().may_manage(Role::Resident, &Place::default()));
        let worker = caller(Role::GridWorker, Reach::Everywhere);
        assert!(!worker.may_manage(Role::Volunteer, &inside));
    }
}
