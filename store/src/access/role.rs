//! Roles and the level of the hierarchy each is scoped to (ARCHITECTURE: People, roles, scope).

/// What a role's `scope_id` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeLevel {
    District,
    Street,
    Community,
    Department,
}

impl ScopeLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeLevel::District => "district",
            ScopeLevel::Street => "street",
            ScopeLevel::Community => "community",
            ScopeLevel::Department => "department",
        }
    }
}

crate::types::text_enum! {
    /// A user's role; every role but `system_admin` and `resident` is scoped (see `ScopeLevel`).
    pub enum Role {
        SystemAdmin = "system_admin",
        DistrictAdmin = "district_admin",
        /// 街道办: files, dispatches, supervises.
        StreetAdmin = "street_admin",
        CommunityAdmin = "community_admin",
        GridWorker = "grid_worker",
        Volunteer = "volunteer",
        /// 职能部门 staff: act on dispatched cases.
        DeptStaff = "dept_staff",
        Resident = "resident",
    }
}

impl Role {
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

    /// How high the role stands among administrators; lower manages higher. `None` for the
    /// roles that administer nothing.
    pub(crate) fn admin_rank(self) -> Option<u8> {
        match self {
            Role::SystemAdmin => Some(0),
            Role::DistrictAdmin => Some(1),
            Role::StreetAdmin => Some(2),
            Role::CommunityAdmin => Some(3),
            _ => None,
        }
    }

    pub(crate) fn rank(self) -> u8 {
        match self {
            Role::SystemAdmin => 0,
            Role::DistrictAdmin => 1,
            Role::StreetAdmin | Role::DeptStaff => 2,
            Role::CommunityAdmin => 3,
            Role::GridWorker | Role::Volunteer => 4,
            Role::Resident => 5,
        }
    }

    /// What people call the role (中文).
    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "系统管理员",
            Role::DistrictAdmin => "区网格中心",
            Role::StreetAdmin => "街道办",
            Role::CommunityAdmin => "社区",
            Role::GridWorker => "网格员",
            Role::Volunteer => "志愿者",
            Role::DeptStaff => "职能部门",
            Role::Resident => "居民",
        }
    }

    pub fn is_admin(self) -> bool {
        self.admin_rank().is_some()
    }

    /// The offices that file, dispatch and supervise: the street office and those above it.
    pub fn is_office(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
