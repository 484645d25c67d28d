//! Users: staff, grid workers, volunteers and residents. Each has one role and, for most
//! roles, a scope (the district, street, community or department they answer for). A user
//! without a password cannot log in but can still be named (a volunteer on a cell). Residents
//! come from the WeChat mini-program, found by their `openid`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::refresh_token;
use crate::access::{Caller, Place, Reach, Role, audit, place};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::error::{expect_version, unique_as_conflict};
use crate::page::{Page, Paged};
use crate::schema::{communities, departments, streets, users};
use crate::time::now;
use crate::types::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct User {
    pub id: UserId,
    pub username: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub display_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub scope_id: Option<String>,
    pub disabled: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
    #[serde(skip)]
    pub wechat_openid: Option<String>,
    #[serde(skip)]
    pub wechat_unionid: Option<String>,
    #[serde(skip)]
    pub failed_logins: i32,
    #[serde(skip)]
    pub locked_until: Option<NaiveDateTime>,
    #[serde(skip)]
    pub token_epoch: i64,
}

impl User {
    /// The caller this user acts as, with the reach of their role.
    pub fn caller(&self, conn: &mut DbConn) -> StoreResult<Caller> {
        Caller::resolve(conn, &self.id, self.role, self.scope_id.as_deref())
    }

    pub fn place(&self, conn: &mut DbConn) -> StoreResult<Place> {
        place::of_scope(conn, self.role.scope_level(), self.scope_id.as_deref())
    }

    /// Whether a login is refused until some time: `Some(seconds left)`.
    pub fn locked_for(&self) -> Option<i64> {
        let left = (self.locked_until? - now()).num_seconds();
        (left > 0).then_some(left)
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

/// Changes to a user; `None` leaves a field as it is (`phone: Some(None)` removes the phone).
#[derive(Debug, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub role: Option<Role>,
    pub scope_id: Option<Option<String>>,
    pub disabled: Option<bool>,
}

/// A username: 2 to 64 characters, letters (any script), digits, `_ . @ -`.
pub fn check_username(username: &str) -> StoreResult<()> {
    let n = username.chars().count();
    let ok = (2..=64).contains(&n) && username.chars().all(|c| c.is_alphanumeric() || "_.@-".contains(c));
    if ok { Ok(()) } else { Err(StoreError::invalid("username", "must be 2-64 letters, digits or _ . @ -")) }
}

/// A mainland mobile number: 11 digits starting with 1 (an optional +86 is dropped).
pub fn check_phone(phone: &str) -> StoreResult<String> {
    let p = phone.trim().trim_start_matches("+86").trim();
    if p.len() == 11 && p.starts_with('1') && p.bytes().all(|b| b.is_ascii_digit()) {
        Ok(p.to_owned())
    } else {
        Err(StoreError::invalid("phone", "must be an 11-digit mobile number such as 13800001234"))
    }
}

/// `138****5678`: what people who do not manage a user see of their phone.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!("{}****{}", head.iter().collect::<String>(), tail.iter().collect::<String>())
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
    place::of_scope(conn, Some(level), Some(id))
        .map(|_| ())
        .map_err(|_| StoreError::invalid("scope_id", format!("no {} has the id {id}", level.as_str())))
}

/// Whether the caller may create an account of `role` in `scope_id`; where it would lie. Asked
/// before a password is hashed.
pub fn may_create(conn: &mut DbConn, caller: &Caller, role: Role, scope_id: Option<&str>) -> StoreResult<Place> {
    check_scope(conn, role, scope_id)?;
    let place = place::of_scope(conn, role.scope_level(), scope_id)?;
    caller.require_manage(role, &place)?;
    Ok(place)
}

pub fn create(conn: &mut DbConn, caller: &Caller, new: NewUser) -> StoreResult<User> {
    check_username(&new.username)?;
    let phone = new.phone.as_deref().map(check_phone).transpose()?;
    crate::db::write(conn, |conn| {
        let place = may_create(conn, caller, new.role, new.scope_id.as_deref())?;
        let t = now();
        let row = User {
            id: UserId::new(uuid::Uuid::now_v7().to_string()),
            username: new.username,
            password_hash: new.password_hash,
            display_name: new.display_name,
            phone,
            role: new.role,
            scope_id: new.scope_id,
            disabled: false,
            version: 1,
            created_at: t,
            updated_at: t,
            wechat_openid: None,
            wechat_unionid: None,
            failed_logins: 0,
            locked_until: None,
            token_epoch: 0,
        };
        diesel::insert_into(users::table)
            .values(&row)
            .execute(conn)
            .map_err(unique_as_conflict("username", format!("the username {} is taken", row.username)))?;
        let changes = json!({"username": row.username, "role": row.role, "scope_id": row.scope_id});
        audit::record(conn, caller, "user.create", ("user", &row.id), &place, changes)?;
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

/// Whether `caller` may see `user`: themselves, or an admin whose reach covers the user.
fn sees(conn: &mut DbConn, caller: &Caller, user: &User) -> StoreResult<bool> {
    if caller.user_id == user.id || caller.role == Role::SystemAdmin {
        return Ok(true);
    }
    Ok(caller.role.is_admin() && user.scope_id.is_some() && caller.reach().covers(&user.place(conn)?))
}

/// A user as the caller may see them: 404 outside their reach. The second value says whether
/// the caller manages this user (and so sees their phone number whole).
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<(User, bool)> {
    let (user, _, admin) = find_in(conn, caller, id)?;
    let manages = admin || caller.user_id == user.id;
    Ok((user, manages))
}

/// A user the caller sees, where they belong, and whether the caller manages them as an admin.
fn find_in(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<(User, Place, bool)> {
    let user = get(conn, id)?;
    if !sees(conn, caller, &user)? {
        return Err(StoreError::not_found("user", id));
    }
    let place = user.place(conn)?;
    let admin = caller.may_manage(user.role, &place);
    Ok((user, place, admin))
}

/// The users the caller may see (admins: everyone scoped inside their reach; others: themselves),
/// optionally of one role. Each comes with whether the caller manages them.
pub fn list(conn: &mut DbConn, caller: &Caller, role: Option<Role>, page: &Page) -> StoreResult<Paged<(User, bool)>> {
    let mut q = users::table.select(User::as_select()).order(users::id.asc()).into_boxed();
    if !caller.role.is_admin() {
        q = q.filter(users::id.eq(caller.user_id.clone()));
    } else {
        match caller.reach() {
            Reach::Everywhere => {}
            Reach::District { district } => {
                let d = district.clone();
                let in_streets =
                    streets::table.filter(streets::district_id.eq(d.clone())).select(streets::id.nullable());
                let street_ids = streets::table.filter(streets::district_id.eq(d.clone())).select(streets::id);
                let in_communities = communities::table
                    .filter(communities::street_id.eq_any(street_ids))
                    .select(communities::id.nullable());
                let in_departments = departments::table
                    .filter(departments::district_id.eq(d.clone()))
                    .select(departments::id.nullable());
                q = q.filter(
                    users::scope_id
                        .eq(d)
                        .or(users::scope_id.eq_any(in_streets))
                        .or(users::scope_id.eq_any(in_communities))
                        .or(users::scope_id.eq_any(in_departments)),
                );
            }
            Reach::Street { street, .. } => {
                let in_communities = communities::table
                    .filter(communities::street_id.eq(street.clone()))
                    .select(communities::id.nullable());
                q = q.filter(users::scope_id.eq(street.clone()).or(users::scope_id.eq_any(in_communities)));
            }
            Reach::Community { community, .. } => q = q.filter(users::scope_id.eq(community.clone())),
            Reach::Nothing => q = q.filter(users::id.eq(caller.user_id.clone())),
        }
    }
    if let Some(role) = role {
        q = q.filter(users::role.eq(role));
    }
    if let Some(after) = &page.after {
        q = q.filter(users::id.gt(after.clone()));
    }
    let rows: Vec<User> = q.limit(page.fetch()).load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for u in rows {
        let manages = caller.user_id == u.id || caller.may_manage(u.role, &u.place(conn)?);
        out.push((u, manages));
    }
    Ok(Paged::from_rows(out, page, |(u, _)| &u.id))
}

/// Changes a user. Managers change anything; users may change their own name and phone.
/// A change of role, scope or a disabling signs the user out: their refresh tokens are
/// revoked and their access tokens stop working (the token epoch moves on).
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: UserPatch,
    expected_version: Option<i64>,
) -> StoreResult<User> {
    let phone = match &patch.phone {
        Some(Some(p)) => Some(Some(check_phone(p)?)),
        other => other.clone(),
    };
    crate::db::write(conn, |conn| {
        let (old, old_place, admin) = find_in(conn, caller, id)?;
        let privileged = patch.role.is_some() || patch.scope_id.is_some() || patch.disabled.is_some();
        if !admin && (privileged || caller.user_id != old.id) {
            return Err(StoreError::Forbidden(
                "only an admin above this user may change their role, scope or status".into(),
            ));
        }
        expect_version("user", id, old.version, expected_version)?;
        let mut new = User { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(name) = patch.display_name {
            new.display_name = name;
        }
        if let Some(phone) = phone {
            new.phone = phone;
        }
        if let Some(role) = patch.role {
            new.role = role;
        }
        if let Some(scope) = patch.scope_id {
            new.scope_id = scope;
        }
        if let Some(disabled) = patch.disabled {
            new.disabled = disabled;
        }
        let new_place = if new.role != old.role || new.scope_id != old.scope_id {
            check_scope(conn, new.role, new.scope_id.as_deref())?;
            let place = new.place(conn)?;
            caller.require_manage(new.role, &place)?;
            place
        } else {
            old_place
        };
        let signs_out = new.role != old.role || new.scope_id != old.scope_id || (new.disabled && !old.disabled);
        if signs_out {
            new.token_epoch += 1;
            refresh_token::revoke_user(conn, id)?;
        }
        diesel::update(users::table.find(id)).set(&new).execute(conn)?;
        let changes = audit::diff(&[
            ("display_name", json!(old.display_name), json!(new.display_name)),
            ("phone", json!(old.phone.as_deref().map(mask_phone)), json!(new.phone.as_deref().map(mask_phone))),
            ("role", json!(old.role), json!(new.role)),
            ("scope_id", json!(old.scope_id), json!(new.scope_id)),
            ("disabled", json!(old.disabled), json!(new.disabled)),
        ]);
        audit::record(conn, caller, "user.update", ("user", id), &new_place, changes)?;
        Ok(new)
    })
}

/// Sets a password (the API has checked the current one when users change their own). Signs
/// the user out everywhere.
/// Whether the caller may set the password of user `id` (their own, or one they manage): the
/// user and where they are. Asked before a password is hashed or checked.
pub fn may_set_password(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<(User, Place)> {
    let (user, _) = find(conn, caller, id)?;
    let place = user.place(conn)?;
    if caller.user_id != user.id {
        caller.require_manage(user.role, &place)?;
    }
    Ok((user, place))
}

pub fn set_password(conn: &mut DbConn, caller: &Caller, id: &str, password_hash: String) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let (user, place) = may_set_password(conn, caller, id)?;
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::token_epoch.eq(user.token_epoch + 1),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
                users::version.eq(user.version + 1),
                users::updated_at.eq(now()),
            ))
            .execute(conn)?;
        refresh_token::revoke_user(conn, id)?;
        audit::record(conn, caller, "user.password", ("user", id), &place, json!({"password": "changed"}))?;
        Ok(())
    })
}

pub fn count(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(users::table.count().get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_and_masked() {
        assert_eq!(check_phone("+86 13800001234").unwrap(), "13800001234");
        assert!(check_phone("1380000123").is_err());
        assert!(check_phone("23800001234").is_err());
        assert_eq!(mask_phone("13800005678"), "138****5678");
    }
}
