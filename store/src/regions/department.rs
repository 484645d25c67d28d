//! 职能部门 — departments of a district (城管, 公安, 消防, 市场监管 …) that act on dispatched
//! cases. Their staff users are scoped to one department. Everyone who works in the district
//! reads them; district admins add and change them. A department may belong to a street (its own
//! units: 综合执法队, 派出所, 司法所, a property manager): the street office adds and changes those,
//! they serve that street's cases only, and their staff file field reports in it (人员下沉).

use diesel::prelude::*;
use serde_json::json;

use super::district;
use crate::access::{Caller, Place, Reach, audit};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::error::{expect_version, unique_as_conflict};
use crate::page::{Page, Paged};
use crate::schema::departments;
use crate::time::now;

crate::types::text_enum! {
    /// What kind of body a department is: cases go to whoever owns the thing — a power company's
    /// manhole cover to the power company, a housing estate's lift to its property manager.
    pub enum Kind {
        /// 政府职能部门: a bureau of the district government.
        Government = "government",
        /// 公用事业单位: a utility (power, telecom, water, gas).
        Utility = "utility",
        /// 物业服务企业: a property management company.
        PropertyManagement = "property_management",
        /// 其他: anything else that answers for cases (a school, a market operator).
        Other = "other",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = departments, treat_none_as_null = true)]
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
    /// The duty phone (值班电话).
    pub phone: Option<String>,
    /// Where dispatch, whistle, overdue and closure events are POSTed.
    pub webhook_url: Option<String>,
    /// The key of their HMAC-SHA256 signature; never shown.
    #[serde(skip)]
    pub webhook_secret: Option<String>,
    pub kind: Kind,
    /// The street whose own unit it is; none for a district's department.
    pub street_id: Option<String>,
}

/// A department to add to a district.
#[derive(Debug, Clone)]
pub struct NewDepartment<'a> {
    pub district_id: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub kind: Kind,
    pub phone: Option<&'a str>,
    /// A street's own unit.
    pub street_id: Option<&'a str>,
}

impl<'a> NewDepartment<'a> {
    /// A government bureau without a duty phone.
    pub fn government(district_id: &'a str, code: &'a str, name: &'a str) -> Self {
        Self { district_id, code, name, kind: Kind::Government, phone: None, street_id: None }
    }
}

pub fn create(conn: &mut DbConn, caller: &Caller, new: NewDepartment) -> StoreResult<Department> {
    let NewDepartment { district_id, code, name, kind, phone, street_id } = new;
    crate::db::write(conn, |conn| {
        let parent = district::get(conn, district_id)
            .map_err(|_| StoreError::invalid("district_id", format!("no district has the id {district_id}")))?;
        require_admin(conn, caller, &parent.id, street_id)?;
        let t = now();
        let row = Department {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: parent.id,
            code: code.to_owned(),
            name: name.to_owned(),
            version: 1,
            created_at: t,
            updated_at: t,
            phone: phone.map(str::to_owned),
            webhook_url: None,
            webhook_secret: None,
            kind,
            street_id: street_id.map(str::to_owned),
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
            json!({"code": code, "name": name, "kind": kind, "street_id": street_id}),
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

/// The department of `district_id` with `code`, if there is one.
pub fn by_code(conn: &mut DbConn, district_id: &str, code: &str) -> StoreResult<Option<Department>> {
    Ok(departments::table
        .filter(departments::district_id.eq(district_id))
        .filter(departments::code.eq(code))
        .select(Department::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the caller may read the departments of `district_id`: anyone who works there
/// (department staff included), system admins everywhere.
fn readable(reach: &Reach, district_id: &str) -> bool {
    matches!(reach, Reach::Everywhere) || reach.district() == Some(district_id)
}

/// Who adds and changes a department: the district's admin; for a street's own unit, also that
/// street's office. The street must be of the district.
fn require_admin(conn: &mut DbConn, caller: &Caller, district_id: &str, street_id: Option<&str>) -> StoreResult<()> {
    let Some(street) = street_id else { return caller.require_region_admin(Some(district_id)) };
    let place = crate::access::place::of_street(conn, street)
        .ok()
        .filter(|p| p.district.as_deref() == Some(district_id))
        .ok_or_else(|| StoreError::invalid("street_id", format!("no street of the district has the id {street}")))?;
    if caller.role == crate::access::Role::StreetAdmin && caller.reach().covers(&place) {
        return Ok(());
    }
    caller.require_region_admin(Some(district_id))
}

/// The department `id` as one that may take a case at `place` (lead or assisting): of the case's
/// district, and — a street's own unit — of its street. Else 422 on `field`.
pub fn serving(conn: &mut DbConn, id: &str, place: &Place, field: &str) -> StoreResult<Department> {
    let d = get(conn, id)
        .ok()
        .filter(|d| place.district.as_ref().is_none_or(|c| *c == d.district_id))
        .ok_or_else(|| StoreError::invalid(field, format!("no department of this case's district has the id {id}")))?;
    match &d.street_id {
        Some(street) if place.street.as_ref() != Some(street) => Err(StoreError::invalid(
            field,
            format!("{} is a street's own unit; it takes that street's cases only", d.name),
        )),
        _ => Ok(d),
    }
}

/// A department the caller may read; 404 for one outside their district.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Department> {
    let d = get(conn, id)?;
    if readable(caller.reach(), &d.district_id) { Ok(d) } else { Err(StoreError::not_found("department", id)) }
}

/// The departments the caller may read, of one district if `district_id` is given.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    district_id: Option<&str>,
    page: &Page,
) -> StoreResult<Paged<Department>> {
    let reach = caller.reach();
    let mut q = departments::table.select(Department::as_select()).order(departments::id.asc()).into_boxed();
    match (reach, reach.district()) {
        (Reach::Everywhere, _) => {}
        (_, Some(d)) => q = q.filter(departments::district_id.eq(d.to_owned())),
        _ => return Ok(Paged::from_rows(Vec::new(), page, |d: &Department| &d.id)),
    }
    if let Some(d) = district_id {
        q = q.filter(departments::district_id.eq(d.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(departments::id.gt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |d| &d.id))
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub kind: Option<Kind>,
    pub phone: Option<Option<String>>,
    pub webhook_url: Option<Option<String>>,
    pub webhook_secret: Option<Option<String>>,
    /// Make it a street's own unit, or (null) the district's.
    pub street_id: Option<Option<String>>,
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: DepartmentPatch,
    expected_version: Option<i64>,
) -> StoreResult<Department> {
    crate::db::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        require_admin(conn, caller, &old.district_id, old.street_id.as_deref())?;
        if let Some(street) = &patch.street_id {
            require_admin(conn, caller, &old.district_id, street.as_deref())?;
        }
        expect_version("department", id, old.version, expected_version)?;
        let mut new = Department { version: old.version + 1, updated_at: now(), ..old.clone() };
        new.name = patch.name.unwrap_or(new.name);
        new.kind = patch.kind.unwrap_or(new.kind);
        new.phone = patch.phone.unwrap_or(new.phone);
        new.webhook_url = patch.webhook_url.unwrap_or(new.webhook_url);
        new.webhook_secret = patch.webhook_secret.unwrap_or(new.webhook_secret);
        new.street_id = patch.street_id.unwrap_or(new.street_id);
        if new.webhook_url.is_some() && new.webhook_secret.is_none() {
            return Err(StoreError::invalid("webhook_secret", "is required with a webhook_url, to sign what is sent"));
        }
        diesel::update(departments::table.find(id)).set(&new).execute(conn)?;
        audit::record(
            conn,
            caller,
            "department.update",
            ("department", id),
            &Place::district(&old.district_id),
            audit::diff(&[
                ("name", json!(old.name), json!(new.name)),
                ("kind", json!(old.kind), json!(new.kind)),
                ("phone", json!(old.phone), json!(new.phone)),
                ("webhook_url", json!(old.webhook_url), json!(new.webhook_url)),
                ("webhook_secret", json!(old.webhook_secret.is_some()), json!(new.webhook_secret.is_some())),
                ("street_id", json!(old.street_id), json!(new.street_id)),
            ]),
        )?;
        Ok(new)
    })
}
