//! 社区/村 — communities: a street's subdivisions, each with a boundary that its grid cells
//! will cover.

use diesel::prelude::*;
use gridhub_geo::{Boundary, CommunityCode};
use serde_json::json;

use super::{outside, strays, street};
use crate::access::{Caller, Place, Reach, audit};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::error::{expect_version, unique_as_conflict};
use crate::input::Geometry;
use crate::page::{Page, Paged};
use crate::schema::{cells, communities, streets};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = communities)]
pub struct Community {
    pub id: String,
    pub street_id: String,
    pub code: String,
    pub name: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub boundary: String,
    #[serde(skip)]
    pub min_lng: f64,
    #[serde(skip)]
    pub min_lat: f64,
    #[serde(skip)]
    pub max_lng: f64,
    #[serde(skip)]
    pub max_lat: f64,
    pub area_m2: f64,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

impl Community {
    fn set_boundary(&mut self, boundary: &Boundary) {
        let bbox = boundary.bbox();
        self.boundary = boundary.to_geojson().to_string();
        (self.min_lng, self.min_lat, self.max_lng, self.max_lat) =
            (bbox.min_lng, bbox.min_lat, bbox.max_lng, bbox.max_lat);
        self.area_m2 = (boundary.area_m2() * 10.0).round() / 10.0;
    }
}

pub struct NewCommunity {
    pub street_id: String,
    pub code: CommunityCode,
    pub name: String,
    pub boundary: Geometry,
}

#[derive(Default)]
pub struct CommunityPatch {
    pub name: Option<String>,
    pub boundary: Option<Geometry>,
}

/// A community's boundary lies within its street's, if the street has one.
fn within_street(parent: &street::Street, boundary: &Boundary) -> StoreResult<()> {
    let Some(shape) = parent.boundary.as_deref().and_then(Boundary::stored_shape) else { return Ok(()) };
    match strays(boundary.shape(), &shape) {
        Some(m) => Err(StoreError::Invalid(vec![outside(
            "boundary",
            "the community",
            m,
            &format!("its street {} ({})", parent.name, parent.code),
        )])),
        None => Ok(()),
    }
}

/// Creates a community. Who may is decided before its boundary is read; the boundary must lie
/// within the street's.
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewCommunity) -> StoreResult<Community> {
    let parent = street::find(conn, caller, &new.street_id)
        .map_err(|_| StoreError::invalid("street_id", format!("no street has the id {}", new.street_id)))?;
    caller.require_region_admin(Some(&parent.district_id))?;
    let boundary = new.boundary.read("boundary")?;
    within_street(&parent, &boundary)?;
    crate::db::write(conn, |conn| {
        if !new.code.as_str().starts_with(&parent.code) {
            return Err(StoreError::invalid("code", format!("must begin with its street's code {}", parent.code)));
        }
        let t = now();
        let mut row = Community {
            id: uuid::Uuid::now_v7().to_string(),
            street_id: parent.id.clone(),
            code: new.code.to_string(),
            name: new.name.clone(),
            boundary: String::new(),
            min_lng: 0.0,
            min_lat: 0.0,
            max_lng: 0.0,
            max_lat: 0.0,
            area_m2: 0.0,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        row.set_boundary(&boundary);
        diesel::insert_into(communities::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("code", format!("a community with code {} already exists", row.code)))?;
        audit::record(
            conn,
            caller,
            "community.create",
            ("community", &row.id),
            &Place::community(&parent.district_id, &row.street_id, &row.id),
            json!({"code": row.code, "name": row.name, "street_id": row.street_id}),
        )?;
        Ok(row)
    })
}

/// Unscoped: for the store itself. The API reads through `find`.
pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Community> {
    communities::table
        .find(id)
        .select(Community::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("community", id))
}

/// A community the caller may see; 404 for one outside their reach.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Community> {
    let c = get(conn, id)?;
    let district = street::get(conn, &c.street_id)?.district_id;
    if caller.reach().sees(&Place::community(&district, &c.street_id, &c.id)) {
        Ok(c)
    } else {
        Err(StoreError::not_found("community", id))
    }
}

/// The communities the caller may see, of one street if `street_id` is given.
pub fn list(conn: &mut DbConn, caller: &Caller, street_id: Option<&str>, page: &Page) -> StoreResult<Paged<Community>> {
    let mut q = communities::table.select(Community::as_select()).order(communities::id.asc()).into_boxed();
    match caller.reach() {
        Reach::Everywhere => {}
        Reach::District { district } => {
            let in_district = streets::table.filter(streets::district_id.eq(district.clone())).select(streets::id);
            q = q.filter(communities::street_id.eq_any(in_district));
        }
        Reach::Street { street, .. } => q = q.filter(communities::street_id.eq(street.clone())),
        Reach::Community { community, .. } => q = q.filter(communities::id.eq(community.clone())),
        Reach::Nothing => return Ok(Paged::from_rows(Vec::new(), page, |c: &Community| &c.id)),
    }
    if let Some(s) = street_id {
        q = q.filter(communities::street_id.eq(s));
    }
    if let Some(after) = &page.after {
        q = q.filter(communities::id.gt(after));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |c| &c.id))
}

/// Changes a community. A new boundary lies within the street's, and keeps its cells within it.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: CommunityPatch,
    expected_version: Option<i64>,
) -> StoreResult<Community> {
    let old = find(conn, caller, id)?;
    let parent = street::get(conn, &old.street_id)?;
    caller.require_region_admin(Some(&parent.district_id))?;
    let boundary = patch.boundary.as_ref().map(|g| g.read("boundary")).transpose()?;
    if let Some(b) = &boundary {
        within_street(&parent, b)?;
        let shapes: Vec<(String, String)> = cells::table
            .filter(cells::community_id.eq(id))
            .filter(cells::retired_at.is_null())
            .select((cells::code, cells::boundary))
            .load(conn)?;
        for (code, text) in shapes {
            let shape = Boundary::stored_shape(&text).unwrap_or_else(|| geo::MultiPolygon::new(vec![]));
            if let Some(m) = strays(&shape, b.shape()) {
                return Err(StoreError::Invalid(vec![outside(
                    "boundary",
                    &format!("its cell {code}"),
                    m,
                    "the new boundary",
                )]));
            }
        }
    }
    crate::db::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        expect_version("community", id, old.version, expected_version)?;
        let mut new = Community { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(name) = patch.name {
            new.name = name;
        }
        if let Some(boundary) = &boundary {
            new.set_boundary(boundary);
        }
        diesel::update(communities::table.find(id)).set(&new).execute(conn)?;
        audit::record(
            conn,
            caller,
            "community.update",
            ("community", id),
            &Place::community(&parent.district_id, &parent.id, id),
            audit::diff(&[
                ("name", json!(old.name), json!(new.name)),
                ("boundary", json!(old.boundary), json!(new.boundary)),
            ]),
        )?;
        Ok(new)
    })
}

/// The community with this code, if the caller may see it.
pub fn find_by_code(conn: &mut DbConn, caller: &Caller, code: &str) -> StoreResult<Community> {
    let id: Option<String> =
        communities::table.filter(communities::code.eq(code)).select(communities::id).first(conn).optional()?;
    match id {
        Some(id) => find(conn, caller, &id),
        None => Err(StoreError::not_found("community", code)),
    }
}
