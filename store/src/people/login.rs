//! Logging in: the account a username names, the lockout after repeated wrong passwords (it
//! lives in the database, so it holds on every node), and the residents who come from the
//! WeChat mini-program, found — or made on their first login — by their `openid`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::user::{User, get};
use crate::access::{Caller, Place, Role, audit};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::users;
use crate::time::now;

/// Failed logins in a row before the account locks, and how the lock grows: one minute,
/// doubling with each further failure, at most an hour.
pub const LOCK_AFTER: i32 = 5;
const LOCK_MAX_MINUTES: i64 = 60;

/// Counts a failed password for the user; returns the lock it led to, in seconds.
pub fn record_login_failure(conn: &mut DbConn, id: &str) -> StoreResult<Option<i64>> {
    crate::db::write(conn, |conn| {
        let user = get(conn, id)?;
        let failures = user.failed_logins + 1;
        let lock = (failures >= LOCK_AFTER).then(|| {
            let doublings = (failures - LOCK_AFTER).min(10) as u32;
            (1i64 << doublings).min(LOCK_MAX_MINUTES) * 60
        });
        let until = lock.map(|secs| now() + chrono::Duration::seconds(secs));
        diesel::update(users::table.find(id))
            .set((users::failed_logins.eq(failures), users::locked_until.eq(until)))
            .execute(conn)?;
        Ok(lock)
    })
}

pub fn record_login_success(conn: &mut DbConn, id: &str) -> StoreResult<()> {
    diesel::update(users::table.find(id).filter(users::failed_logins.gt(0).or(users::locked_until.is_not_null())))
        .set((users::failed_logins.eq(0), users::locked_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

/// The resident with this WeChat `openid`, made on their first login. The `unionid` is kept
/// when WeChat gives one.
pub fn find_or_create_wechat(conn: &mut DbConn, openid: &str, unionid: Option<&str>) -> StoreResult<User> {
    crate::db::write(conn, |conn| {
        let found =
            users::table.filter(users::wechat_openid.eq(openid)).select(User::as_select()).first(conn).optional()?;
        if let Some(mut user) = found {
            if unionid.is_some() && user.wechat_unionid.as_deref() != unionid {
                user.wechat_unionid = unionid.map(str::to_owned);
                diesel::update(users::table.find(&user.id)).set(users::wechat_unionid.eq(unionid)).execute(conn)?;
            }
            return Ok(user);
        }
        let t = now();
        let id = uuid::Uuid::now_v7();
        let row = User {
            id: id.to_string().into(),
            username: format!("wx_{}", &id.simple().to_string()[20..]),
            password_hash: None,
            display_name: "微信用户".into(),
            phone: None,
            role: Role::Resident,
            scope_id: None,
            disabled: false,
            version: 1,
            created_at: t,
            updated_at: t,
            wechat_openid: Some(openid.to_owned()),
            wechat_unionid: unionid.map(str::to_owned),
            failed_logins: 0,
            locked_until: None,
            token_epoch: 0,
        };
        diesel::insert_into(users::table).values(&row).execute(conn)?;
        audit::record(
            conn,
            &Caller::system(),
            "user.wechat_signup",
            ("user", &row.id),
            &Place::default(),
            json!({"role": "resident"}),
        )?;
        Ok(row)
    })
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> StoreResult<Option<User>> {
    Ok(users::table.filter(users::username.eq(username)).select(User::as_select()).first(conn).optional()?)
}
