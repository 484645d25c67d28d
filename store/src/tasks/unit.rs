//! The units a task is owned by or assigned from — a district, street, community, governance
//! grid, department or person: where each lies, what it is called, who acts for it, who is told,
//! and the units under it a task is decomposed into.

use diesel::prelude::*;

use crate::access::{Caller, Place, Role, place};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::notify::Recipient;
use crate::schema::{assignments, cells, communities, departments, districts, streets, users};
use crate::time::now;

crate::types::text_enum! {
    /// What kind of unit owns (or assigned) a task.
    pub enum Unit {
        District = "district",
        Street = "street",
        Community = "community",
        /// A governance grid (网格): its grid workers act for it.
        Cell = "cell",
        Department = "department",
        User = "user",
    }
}

impl Unit {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            Unit::District => "区",
            Unit::Street => "街道",
            Unit::Community => "社区",
            Unit::Cell => "网格",
            Unit::Department => "部门",
            Unit::User => "人员",
        }
    }

    /// The unit an admin or department member belongs to (their scope); none for the roles that
    /// act for no unit of their own.
    pub fn of_caller(caller: &Caller) -> Option<(Unit, String)> {
        let unit = match caller.role {
            Role::DistrictAdmin => Unit::District,
            Role::StreetAdmin => Unit::Street,
            Role::CommunityAdmin => Unit::Community,
            Role::DeptStaff => Unit::Department,
            _ => return None,
        };
        caller.scope_id.clone().map(|id| (unit, id))
    }
}

/// Who may assign a task to which kinds of unit (inside their reach): the one home of the rule,
/// rendered into docs/tasks.md.
#[rustfmt::skip]
pub const ASSIGNS: &[(Role, &[Unit])] = &[
    (Role::SystemAdmin, &[Unit::District, Unit::Street, Unit::Community, Unit::Cell, Unit::Department, Unit::User]),
    (Role::DistrictAdmin, &[Unit::Street, Unit::Community, Unit::Cell, Unit::Department, Unit::User]),
    (Role::StreetAdmin, &[Unit::Community, Unit::Cell, Unit::User]),
    (Role::CommunityAdmin, &[Unit::Cell, Unit::User]),
];

/// Into what a unit's task is decomposed: one child per unit of that kind under it.
#[rustfmt::skip]
pub const DECOMPOSES: &[(Unit, &[Unit])] = &[
    (Unit::District, &[Unit::Street, Unit::Community, Unit::Cell, Unit::Department]),
    (Unit::Street, &[Unit::Community, Unit::Cell]),
    (Unit::Community, &[Unit::Cell]),
];

/// Where a unit lies, and what it is called; not found when it does not exist.
pub fn find(conn: &mut DbConn, unit: Unit, id: &str) -> StoreResult<(Place, String)> {
    let name = |found: Option<String>, what: &'static str| found.ok_or_else(|| StoreError::not_found(what, id));
    Ok(match unit {
        Unit::District => {
            let n = districts::table.find(id).select(districts::name).first(conn).optional()?;
            (Place::district(id), name(n, "district")?)
        }
        Unit::Street => {
            let n = streets::table.find(id).select(streets::name).first(conn).optional()?;
            let n = name(n, "street")?;
            (place::of_street(conn, id)?, n)
        }
        Unit::Community => {
            let n = communities::table.find(id).select(communities::name).first(conn).optional()?;
            let n = name(n, "community")?;
            (place::of_community(conn, id)?, n)
        }
        Unit::Cell => {
            let n = cells::table
                .find(id)
                .filter(cells::layer.eq("governance"))
                .filter(cells::retired_at.is_null())
                .select(cells::name)
                .first(conn)
                .optional()?;
            let n = name(n, "cell")?;
            (place::of_cell(conn, id)?, n)
        }
        Unit::Department => {
            let n = departments::table.find(id).select(departments::name).first(conn).optional()?;
            let n = name(n, "department")?;
            (place::of_department(conn, id)?, n)
        }
        Unit::User => {
            let found: Option<(String, String, Option<String>, bool)> = users::table
                .find(id)
                .select((users::display_name, users::role, users::scope_id, users::disabled))
                .first(conn)
                .optional()?;
            let (display, role, scope, _) = found.filter(|f| !f.3).ok_or_else(|| StoreError::not_found("user", id))?;
            let role = Role::parse(&role).unwrap_or(Role::Resident);
            (place::of_scope(conn, role.scope_level(), scope.as_deref()).unwrap_or_default(), display)
        }
    })
}

/// Whether the caller acts for the unit: its admins (a district's, street's, community's), its
/// department's staff, the grid workers assigned to a grid and its community's admins, the person.
pub fn acts_for(conn: &mut DbConn, caller: &Caller, unit: Unit, id: &str) -> StoreResult<bool> {
    let scoped = |role: Role| caller.role == role && caller.scope_id.as_deref() == Some(id);
    Ok(match unit {
        Unit::District => scoped(Role::DistrictAdmin),
        Unit::Street => scoped(Role::StreetAdmin),
        Unit::Community => scoped(Role::CommunityAdmin),
        Unit::Department => scoped(Role::DeptStaff),
        Unit::User => caller.user_id.as_str() == id,
        Unit::Cell => match caller.role {
            Role::CommunityAdmin => place::of_cell(conn, id)?.community == caller.scope_id,
            Role::GridWorker => workers_of(conn, id)?.iter().any(|u| u == caller.user_id.as_str()),
            _ => false,
        },
    })
}

/// The grid workers (and others) assigned to a grid now.
fn workers_of(conn: &mut DbConn, cell_id: &str) -> StoreResult<Vec<String>> {
    Ok(assignments::table
        .filter(assignments::cell_id.eq(cell_id))
        .filter(crate::assignments::in_force(now()))
        .select(assignments::user_id)
        .distinct()
        .load(conn)?)
}

/// Who is told of what happens to a unit's task: the unit's notifications, or each person
/// assigned to a grid.
pub fn recipients(conn: &mut DbConn, unit: Unit, id: &str) -> StoreResult<Vec<(Unit, String)>> {
    Ok(match unit {
        Unit::Cell => workers_of(conn, id)?.into_iter().map(|u| (Unit::User, u)).collect(),
        _ => vec![(unit, id.to_owned())],
    })
}

/// The notification recipient of a unit told directly (never a grid: see `recipients`).
pub fn recipient(unit: Unit, id: &str) -> Recipient<'_> {
    match unit {
        Unit::District => Recipient::District(id),
        Unit::Street => Recipient::Street(id),
        Unit::Community => Recipient::Community(id),
        Unit::Department => Recipient::Department(id),
        Unit::Cell | Unit::User => Recipient::User(id),
    }
}

/// The units of kind `to` under a unit, in code order: a district's streets, communities,
/// governance grids or departments; a street's communities or grids; a community's grids.
pub fn under(conn: &mut DbConn, unit: Unit, id: &str, to: Unit) -> StoreResult<Vec<String>> {
    let in_district = || streets::table.filter(streets::district_id.eq(id.to_owned())).select(streets::id);
    let grids = || cells::table.filter(cells::layer.eq("governance")).filter(cells::retired_at.is_null());
    Ok(match (unit, to) {
        (Unit::District, Unit::Street) => in_district().order(streets::code.asc()).load(conn)?,
        (Unit::District, Unit::Community) => communities::table
            .filter(communities::street_id.eq_any(in_district()))
            .order(communities::code.asc())
            .select(communities::id)
            .load(conn)?,
        (Unit::District, Unit::Cell) => {
            let c = communities::table.filter(communities::street_id.eq_any(in_district())).select(communities::id);
            grids().filter(cells::community_id.eq_any(c)).order(cells::code.asc()).select(cells::id).load(conn)?
        }
        (Unit::District, Unit::Department) => departments::table
            .filter(departments::district_id.eq(id))
            .order(departments::code.asc())
            .select(departments::id)
            .load(conn)?,
        (Unit::Street, Unit::Community) => communities::table
            .filter(communities::street_id.eq(id))
            .order(communities::code.asc())
            .select(communities::id)
            .load(conn)?,
        (Unit::Street, Unit::Cell) => {
            let c = communities::table.filter(communities::street_id.eq(id.to_owned())).select(communities::id);
            grids().filter(cells::community_id.eq_any(c)).order(cells::code.asc()).select(cells::id).load(conn)?
        }
        (Unit::Community, Unit::Cell) => {
            grids().filter(cells::community_id.eq(id)).order(cells::code.asc()).select(cells::id).load(conn)?
        }
        _ => Vec::new(),
    })
}
