//! Where a record lies in the administrative hierarchy (区 → 街道 → 社区), answered from the
//! schema alone: the one home of "which district, street and community is this in".

use diesel::prelude::*;

use super::role::ScopeLevel;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{cells, communities, departments, districts, streets};

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
}

/// The place of a district (it must exist).
pub fn of_district(conn: &mut DbConn, id: &str) -> StoreResult<Place> {
    let found: Option<String> = districts::table.find(id).select(districts::id).first(conn).optional()?;
    found.map(|d| Place::district(&d)).ok_or_else(|| StoreError::not_found("district", id))
}

pub fn of_street(conn: &mut DbConn, id: &str) -> StoreResult<Place> {
    let district: Option<String> = streets::table.find(id).select(streets::district_id).first(conn).optional()?;
    district.map(|d| Place::street(&d, id)).ok_or_else(|| StoreError::not_found("street", id))
}

pub fn of_community(conn: &mut DbConn, id: &str) -> StoreResult<Place> {
    let found: Option<(String, String)> = communities::table
        .inner_join(streets::table)
        .filter(communities::id.eq(id))
        .select((streets::district_id, streets::id))
        .first(conn)
        .optional()?;
    found.map(|(d, s)| Place::community(&d, &s, id)).ok_or_else(|| StoreError::not_found("community", id))
}

/// A department lies in its district; a street's own unit in its street.
pub fn of_department(conn: &mut DbConn, id: &str) -> StoreResult<Place> {
    let found: Option<(String, Option<String>)> = departments::table
        .find(id)
        .select((departments::district_id, departments::street_id))
        .first(conn)
        .optional()?;
    match found {
        // a street's own unit (综合执法队, 派出所) stands in its street
        Some((d, Some(s))) => Ok(Place::street(&d, &s)),
        Some((d, None)) => Ok(Place::district(&d)),
        None => Err(StoreError::not_found("department", id)),
    }
}

/// A cell lies in its community.
pub fn of_cell(conn: &mut DbConn, id: &str) -> StoreResult<Place> {
    let found: Option<(String, String, String)> = cells::table
        .inner_join(communities::table.inner_join(streets::table))
        .filter(cells::id.eq(id))
        .select((streets::district_id, streets::id, communities::id))
        .first(conn)
        .optional()?;
    found.map(|(d, s, c)| Place::community(&d, &s, &c)).ok_or_else(|| StoreError::not_found("cell", id))
}

/// The place of the record a role's scope names (a user's place); nowhere for the roles without
/// a scope.
pub fn of_scope(conn: &mut DbConn, level: Option<ScopeLevel>, id: Option<&str>) -> StoreResult<Place> {
    let (Some(level), Some(id)) = (level, id) else { return Ok(Place::default()) };
    match level {
        ScopeLevel::District => of_district(conn, id),
        ScopeLevel::Street => of_street(conn, id),
        ScopeLevel::Community => of_community(conn, id),
        ScopeLevel::Department => of_department(conn, id),
    }
}

/// The ids of the communities of a street, in creation order.
pub fn communities_of_street(conn: &mut DbConn, street_id: &str) -> StoreResult<Vec<String>> {
    Ok(communities::table
        .filter(communities::street_id.eq(street_id))
        .order(communities::id.asc())
        .select(communities::id)
        .load(conn)?)
}
