//! The units figures are of: every district, street, community, governance grid, department or
//! grid worker of a kind that lies in both the caller's reach and the place asked about.

use diesel::prelude::*;

use super::{Ask, Period, UnitKind, UnitRef};
use crate::access::{Caller, Place, Reach, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{cells, communities, departments, districts, streets, users};

/// The units of the kind asked for in the caller's reach (one, when `id` is given), by code.
pub fn units(conn: &mut DbConn, caller: &Caller, ask: &Ask) -> StoreResult<Vec<UnitRef>> {
    let reach = caller.reach().clone();
    let (district, street, community) = match &reach {
        Reach::Everywhere => (None, None, None),
        Reach::District { district } => (Some(district.clone()), None, None),
        Reach::Street { district, street } => (Some(district.clone()), Some(street.clone()), None),
        Reach::Community { district, street, community } => {
            (Some(district.clone()), Some(street.clone()), Some(community.clone()))
        }
        Reach::Nothing => return Ok(Vec::new()),
    };
    // the narrower of the caller's reach and the place asked about
    let narrower = |mine: Option<String>, asked: &Option<String>| match (mine, asked) {
        (Some(m), Some(a)) if &m != a => Err(()),
        (m, a) => Ok(m.or(a.clone())),
    };
    let (Ok(district), Ok(street), Ok(community)) = (
        narrower(district, &ask.within.district),
        narrower(street, &ask.within.street),
        narrower(community, &ask.within.community),
    ) else {
        return Ok(Vec::new());
    };
    let id = ask.id.map(str::to_owned);
    let named = |rows: Vec<(String, String, String)>| -> Vec<UnitRef> {
        rows.into_iter().map(|(id, name, code)| UnitRef { id, name, code: Some(code) }).collect()
    };
    let out = match ask.unit {
        UnitKind::District => {
            let mut q = districts::table
                .select((districts::id, districts::name, districts::code))
                .order(districts::code)
                .into_boxed();
            if let Some(d) = district {
                q = q.filter(districts::id.eq(d));
            }
            if let Some(id) = id {
                q = q.filter(districts::id.eq(id));
            }
            named(q.load(conn)?)
        }
        UnitKind::Street => {
            let mut q =
                streets::table.select((streets::id, streets::name, streets::code)).order(streets::code).into_boxed();
            if let Some(d) = district {
                q = q.filter(streets::district_id.eq(d));
            }
            if let Some(s) = street {
                q = q.filter(streets::id.eq(s));
            }
            if let Some(id) = id {
                q = q.filter(streets::id.eq(id));
            }
            named(q.load(conn)?)
        }
        UnitKind::Community | UnitKind::Cell | UnitKind::Worker => {
            let mut q = communities::table
                .inner_join(streets::table)
                .select(communities::id)
                .order(communities::code)
                .into_boxed();
            if let Some(d) = district {
                q = q.filter(streets::district_id.eq(d));
            }
            if let Some(s) = street {
                q = q.filter(communities::street_id.eq(s));
            }
            if let Some(c) = community {
                q = q.filter(communities::id.eq(c));
            }
            let within: Vec<String> = q.load(conn)?;
            match ask.unit {
                UnitKind::Community => {
                    let mut q = communities::table
                        .filter(communities::id.eq_any(&within))
                        .select((communities::id, communities::name, communities::code))
                        .order(communities::code)
                        .into_boxed();
                    if let Some(id) = id {
                        q = q.filter(communities::id.eq(id));
                    }
                    named(q.load(conn)?)
                }
                UnitKind::Cell => {
                    let mut q = cells::table
                        .filter(cells::community_id.eq_any(&within))
                        .filter(cells::retired_at.is_null())
                        .filter(cells::layer.eq("governance"))
                        .select((cells::id, cells::name, cells::code))
                        .order(cells::code)
                        .into_boxed();
                    if let Some(id) = id {
                        q = q.filter(cells::id.eq(id));
                    }
                    named(q.load(conn)?)
                }
                _ => {
                    let mut q = users::table
                        .filter(users::role.eq(Role::GridWorker.as_str()))
                        .filter(users::scope_id.eq_any(within.into_iter().map(Some).collect::<Vec<_>>()))
                        .select((users::id, users::display_name, users::username))
                        .order(users::username)
                        .into_boxed();
                    if caller.role == Role::GridWorker {
                        q = q.filter(users::id.eq(caller.user_id.clone()));
                    }
                    if let Some(id) = id {
                        q = q.filter(users::id.eq(id));
                    }
                    q.load::<(String, String, String)>(conn)?
                        .into_iter()
                        .map(|(id, name, _)| UnitRef { id, name, code: None })
                        .collect()
                }
            }
        }
        UnitKind::Department => {
            let mut q = departments::table
                .select((departments::id, departments::name, departments::code))
                .order(departments::code)
                .into_boxed();
            if let Some(d) = district {
                q = q.filter(departments::district_id.eq(d));
            }
            if caller.role == Role::DeptStaff {
                q = q.filter(departments::id.eq(caller.scope_id.clone().unwrap_or_default()));
            }
            if let Some(id) = id {
                q = q.filter(departments::id.eq(id));
            }
            named(q.load(conn)?)
        }
    };
    Ok(out)
}

/// The place a trend or a digest is of: a district, a street or a community in the caller's
/// reach (404 for any other), with its name.
pub fn place_of(conn: &mut DbConn, caller: &Caller, unit: UnitKind, id: &str) -> StoreResult<(String, Place)> {
    if !matches!(unit, UnitKind::District | UnitKind::Street | UnitKind::Community) {
        return Err(StoreError::invalid("unit", "must be district, street or community"));
    }
    unit.require_readable(caller.role)?;
    let today = crate::time::now().date();
    let ask =
        Ask { unit, id: Some(id), within: Place::default(), period: Period { from: today, to: today }, category: None };
    let found = units(conn, caller, &ask)?.pop().ok_or_else(|| StoreError::not_found(unit.as_str(), id))?;
    let place = match unit {
        UnitKind::District => Place { district: Some(id.to_owned()), street: None, community: None },
        UnitKind::Street => crate::regions::street::get(conn, id)?.place(),
        _ => crate::access::place::of_community(conn, id)?,
    };
    Ok((found.name, place))
}
