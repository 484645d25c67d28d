//! 职能部门 — departments of a district (城管, 公安, 消防, 市场监管 …) that act on dispatched
//! cases. Their staff users are scoped to one department.

use diesel::prelude::*;
use serde_json::json;

use crate::access::Place;
use crate::error::unique_as_conflict;
use crate::schema::departments;
use crate::{Caller, DbConn, StoreError, StoreResult, audit, district, now};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = departments)]
pub struct Department {
    pub id: String,
    pub district_id: String,
    pub code: String,
    pub name: String,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    district_id: &str,
    code: &str,
    name: &str,
) -> StoreResult<Department> {
    crate::write(conn, |conn| {
        let parent = district::get(conn, district_id)
            .map_err(|_| StoreError::invalid("district_id", format!("no district has the id {district_id}")))?;
        caller.require_region_admin(Some(&parent.id))?;
        let t = now();
        let row = Department {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: parent.id,
            code: code.to_owned(),
            name: name.to_owned(),
            version: 1,
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(departments::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("code", format!("the district already has a department with code {code}")))?;
        audit::record(
            conn,
            caller,
            "department.create",
            ("department", &row.id),
            &Place::district(district_id),
            json!({"code": code, "name": name}),
        )?;
        Ok(row)
    })
}

pub fn get(conn: &mut DbConn, id: &str) -> StoreResult<Department> {
    departments::table
        .find(id)
        .select(Department::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("department", id))
}
