//! 街道/乡镇 — streets: a district's subdivisions, each run by a street office (街道办).

use diesel::prelude::*;
use gridhub_geo::{Boundary, StreetCode};
use serde_json::json;

use super::{district, outside, strays};
use crate::access::{Caller, Place, Reach, audit};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::error::{expect_version, unique_as_conflict};
use crate::input::Geometry;
use crate::page::{Page, Paged};
use crate::schema::{communities, streets};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = streets, treat_none_as_null = true)]
pub struct Street {
    pub id: String,
    pub district_id: String,
    pub code: String,
    pub name: String,
    #[serde(serialize_with = "crate::time::json_text_opt")]
    pub boundary: Option<String>,
    #[serde(skip)]
    pub min_lng: Option<f64>,
    #[serde(skip)]
    pub min_lat: Option<f64>,
    #[serde(skip)]
    pub max_lng: Option<f64>,
    #[serde(skip)]
    pub max_lat: Option<f64>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

impl Street {
    fn set_boundary(&mut self, boundary: Option<&Boundary>) {
        let bbox = boundary.map(Boundary::bbox);
        self.boundary = boundary.map(|b| b.to_geojson().to_string());
        self.min_lng = bbox.map(|b| b.min_lng);
        self.min_lat = bbox.map(|b| b.min_lat);
        self.max_lng = bbox.map(|b| b.max_lng);
        self.max_lat = bbox.map(|b| b.max_lat);
    }
}

pub struct NewStreet {
    pub district_id: String,
    pub code: StreetCode,
    pub name: String,
    pub boundary: Option<Geometry>,
}

#[derive(Default)]
pub struct StreetPatch {
    pub name: Option<String>,
    /// `Some(None)` removes the boundary.
    pub boundary: Option<Option<Geometry>>,
}

/// Creates a street. Who may is decided before its boundary is read.
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewStreet) -> StoreResult<Street> {
    let parent = district::find(conn, caller, &new.district_id)
        .map_err(|_| StoreError::invalid("district_id", format!("no district has the id {}", new.district_id)))?;
    caller.require_region_admin(Some(&parent.id))?;
    let boundary = new.boundary.as_ref().map(|g| g.read("boundary")).transpose()?;
    crate::db::write(conn, |conn| {
        if !new.code.as_str().starts_with(&parent.code) {
            return Err(StoreError::invalid("code", format!("must begin with its district's code {}", parent.code)));
        }
        let t = now();
        let mut row = Street {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: parent.id.clone(),
            code: new.code.to_string(),
            name: new.name.clone(),
            boundary: None,
            min_lng: None,
            min_lat: None,
            max_lng: None,
            max_lat: None,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        row.set_boundary(boundary.as_ref());
        diesel::insert_into(streets::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("code", format!("a street with code {} already exists", row.code)))?;
        audit::record(
            conn,
            caller,
            "street.create",
            ("street", &row.id),
            &Place::street(&row.district_id, &row.id),
            json!({"code": row.code, "name": row.name, "district_id": row.district_id}),
        )?;
        Ok(row)
    })
}

/// Unscoped: for the store itself. The API reads through `find`.
pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Street> {
    streets::table
        .find(id)
        .select(Street::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("street", id))
}

impl Street {
    pub fn place(&self) -> Place {
        Place::street(&self.district_id, &self.id)
    }
}

/// A street the caller may see; 404 for one outside their reach.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Street> {
    let reach = caller.reach();
    get(conn, id).and_then(|s| if reach.sees(&s.place()) { Ok(s) } else { Err(StoreError::not_found("street", id)) })
}

/// The streets the caller may see, of one district if `district_id` is given.
pub fn list(conn: &mut DbConn, caller: &Caller, district_id: Option<&str>, page: &Page) -> StoreResult<Paged<Street>> {
    let mut q = streets::table.select(Street::as_select()).order(streets::id.asc()).into_boxed();
    match caller.reach() {
        Reach::Everywhere => {}
        Reach::District { district } => q = q.filter(streets::district_id.eq(district.clone())),
        Reach::Street { street, .. } | Reach::Community { street, .. } => q = q.filter(streets::id.eq(street.clone())),
        Reach::Nothing => return Ok(Paged::from_rows(Vec::new(), page, |s: &Street| &s.id)),
    }
    if let Some(d) = district_id {
        q = q.filter(streets::district_id.eq(d));
    }
    if let Some(after) = &page.after {
        q = q.filter(streets::id.gt(after));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |s| &s.id))
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: StreetPatch,
    expected_version: Option<i64>,
) -> StoreResult<Street> {
    let old = find(conn, caller, id)?;
    caller.require_region_admin(Some(&old.district_id))?;
    let boundary = match &patch.boundary {
        Some(Some(g)) => Some(Some(g.read("boundary")?)),
        Some(None) => Some(None),
        None => None,
    };
    if let Some(Some(b)) = &boundary {
        // its communities stay within it
        let communities: Vec<(String, String, String)> = communities::table
            .filter(communities::street_id.eq(id))
            .select((communities::name, communities::code, communities::boundary))
            .load(conn)?;
        for (name, code, boundary) in communities {
            let shape = Boundary::stored_shape(&boundary).unwrap_or_else(|| geo::MultiPolygon::new(vec![]));
            if let Some(m) = strays(&shape, b.shape()) {
                let what = format!("its community {name} ({code})");
                return Err(StoreError::Invalid(vec![outside("boundary", &what, m, "the new boundary")]));
            }
        }
    }
    crate::db::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        expect_version("street", id, old.version, expected_version)?;
        let mut new = Street { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(name) = patch.name {
            new.name = name;
        }
        if let Some(boundary) = &boundary {
            new.set_boundary(boundary.as_ref());
        }
        diesel::update(streets::table.find(id)).set(&new).execute(conn)?;
        audit::record(
            conn,
            caller,
            "street.update",
            ("street", id),
            &Place::street(&old.district_id, id),
            audit::diff(&[
                ("name", json!(old.name), json!(new.name)),
                ("boundary", json!(old.boundary), json!(new.boundary)),
            ]),
        )?;
        Ok(new)
    })
}
