//! 区 — districts: the top of the administrative hierarchy gridhub manages.

use diesel::prelude::*;
use gridhub_geo::DistrictCode;
use serde_json::json;

use crate::access::{Caller, Place, Reach, audit};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::error::{expect_version, unique_as_conflict};
use crate::page::{Page, Paged};
use crate::schema::districts;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = districts)]
pub struct District {
    pub id: String,
    pub code: String,
    pub name: String,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

pub struct NewDistrict {
    pub code: DistrictCode,
    pub name: String,
}

#[derive(Default)]
pub struct DistrictPatch {
    pub name: Option<String>,
}

pub fn create(conn: &mut DbConn, caller: &Caller, new: NewDistrict) -> StoreResult<District> {
    caller.require_region_admin(None)?;
    let t = now();
    let row = District {
        id: uuid::Uuid::now_v7().to_string(),
        code: new.code.to_string(),
        name: new.name,
        version: 1,
        created_at: t,
        updated_at: t,
    };
    crate::db::write(conn, |conn| {
        diesel::insert_into(districts::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("code", format!("a district with code {} already exists", row.code)))?;
        audit::record(
            conn,
            caller,
            "district.create",
            ("district", &row.id),
            &Place::district(&row.id),
            json!({"code": row.code, "name": row.name}),
        )?;
        Ok(row)
    })
}

/// Unscoped: for the store itself. The API reads through `find`.
pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<District> {
    districts::table
        .find(id)
        .select(District::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("district", id))
}

/// A district the caller may see; 404 for one outside their reach.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<District> {
    let reach = caller.reach();
    get(conn, id).and_then(|d| {
        if reach.sees(&Place::district(&d.id)) { Ok(d) } else { Err(StoreError::not_found("district", id)) }
    })
}

/// The districts the caller may see.
pub fn list(conn: &mut DbConn, caller: &Caller, page: &Page) -> StoreResult<Paged<District>> {
    let mut q = districts::table.select(District::as_select()).order(districts::id.asc()).into_boxed();
    match caller.reach() {
        Reach::Everywhere => {}
        Reach::Nothing => return Ok(Paged::from_rows(Vec::new(), page, |d: &District| &d.id)),
        other => q = q.filter(districts::id.eq(other.district().unwrap_or_default().to_owned())),
    }
    if let Some(after) = &page.after {
        q = q.filter(districts::id.gt(after));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |d| &d.id))
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: DistrictPatch,
    expected_version: Option<i64>,
) -> StoreResult<District> {
    crate::db::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        caller.require_region_admin(Some(&old.id))?;
        expect_version("district", id, old.version, expected_version)?;
        let new = District {
            name: patch.name.unwrap_or_else(|| old.name.clone()),
            version: old.version + 1,
            updated_at: now(),
            ..old.clone()
        };
        diesel::update(districts::table.find(id))
            .set((
                districts::name.eq(&new.name),
                districts::version.eq(new.version),
                districts::updated_at.eq(new.updated_at),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            caller,
            "district.update",
            ("district", id),
            &Place::district(id),
            audit::diff(&[("name", json!(old.name), json!(new.name))]),
        )?;
        Ok(new)
    })
}
