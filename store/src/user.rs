//! Users: staff, grid workers, volunteers and residents. Each has one role and, for most
//! roles, a scope (the district, street, community or department they answer for). A user
//! without a password cannot log in but can still be named (a volunteer on a cell).

use diesel::prelude::*;
use serde_json::json;

use crate::access::ScopeLevel;
use crate::error::unique_as_conflict;
use crate::schema::users;
use crate::{Caller, DbConn, Role, StoreError, StoreResult, audit, community, department, district, now, street};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: String,
    pub scope_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: chrono::NaiveDateTime,
}

impl User {
    /// The caller this user acts as. A role the code no longer knows acts as a resident,
    /// the least privileged.
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: self.id.clone(),
            role: Role::parse(&self.role).unwrap_or(Role::Resident),
            scope_id: self.scope_id.clone(),
        }
    }
}

pub struct NewUser {
    pub username: String,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub scope_id: Option<String>,
}

/// A username: 2 to 64 characters, letters (any script), digits, `_ . @ -`.
pub fn check_username(username: &str) -> StoreResult<()> {
    let n = username.chars().count();
    let ok = (2..=64).contains(&n) && username.chars().all(|c| c.is_alphanumeric() || "_.@-".contains(c));
    if ok { Ok(()) } else { Err(StoreError::invalid("username", "must be 2-64 letters, digits or _ . @ -")) }
}

/// Checks that `scope_id` names a record of the level the role answers for.
fn check_scope(conn: &mut DbConn, role: Role, scope_id: Option<&str>) -> StoreResult<()> {
    let (level, id) = match (role.scope_level(), scope_id) {
        (None, None) => return Ok(()),
        (None, Some(_)) => {
            return Err(StoreError::invalid("scope_id", format!("the role {} has no scope", role.as_str())));
        }
        (Some(level), None) => {
            return Err(StoreError::invalid(
                "scope_id",
                format!("the role {} needs a {level:?} scope", role.as_str()).to_lowercase(),
            ));
        }
        (Some(level), Some(id)) => (level, id),
    };
    let found = match level {
        ScopeLevel::District => district::get(conn, id).map(|_| ()),
        ScopeLevel::Street => street::get(conn, id).map(|_| ()),
        ScopeLevel::Community => community::get(conn, id).map(|_| ()),
        ScopeLevel::Department => department::get(conn, id).map(|_| ()),
    };
    found.map_err(|_| StoreError::invalid("scope_id", format!("no {level:?} has the id {id}").to_lowercase()))
}

pub fn create(conn: &mut DbConn, caller: &Caller, new: NewUser) -> StoreResult<User> {
    if caller.role != Role::SystemAdmin {
        return Err(StoreError::Forbidden("only a system admin may create users".into()));
    }
    check_username(&new.username)?;
    crate::write(conn, |conn| {
        check_scope(conn, new.role, new.scope_id.as_deref())?;
        let t = now();
        let row = User {
            id: uuid::Uuid::now_v7().to_string(),
            username: new.username,
            password_hash: new.password_hash,
            display_name: new.display_name,
            phone: new.phone,
            role: new.role.as_str().to_owned(),
            scope_id: new.scope_id,
            disabled: false,
            version: 1,
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(users::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("username", format!("the username {} is taken", row.username)))?;
        audit::record(
            conn,
            caller,
            "user.create",
            "user",
            &row.id,
            json!({"username": row.username, "role": row.role, "scope_id": row.scope_id}),
        )?;
        Ok(row)
    })
}

pub fn get(conn: &mut DbConn, id: &str) -> StoreResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("user", id))
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> StoreResult<Option<User>> {
    Ok(users::table.filter(users::username.eq(username)).select(User::as_select()).first(conn).optional()?)
}

pub fn count(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(users::table.count().get_result(conn)?)
}
