//! Refresh tokens: opaque, stored only as a hash, rotated on every use. Each login starts a
//! family; presenting a token that was already rotated means it was stolen, and revokes the
//! whole family. A rotation is a compare-and-set on the token's row, so of the same token sent
//! several times at once exactly one wins; every other is reuse.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{refresh_tokens, users};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: String,
    pub user_id: String,
    pub family_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new token of `family_id` (a new family when `None`, as at login).
pub fn issue(
    conn: &mut DbConn,
    user_id: &str,
    family_id: Option<&str>,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<RefreshToken> {
    let id = uuid::Uuid::now_v7().to_string();
    let row = RefreshToken {
        family_id: family_id.map_or_else(|| id.clone(), str::to_owned),
        id,
        user_id: user_id.to_owned(),
        token_hash: token_hash.to_owned(),
        created_at: now(),
        expires_at,
        rotated_at: None,
        revoked_at: None,
    };
    diesel::insert_into(refresh_tokens::table).values(&row).execute(conn)?;
    Ok(row)
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current: it is now rotated, and a new one of the same family replaces it.
    Rotated { user_id: String },
    /// The token had already been rotated: the family is revoked.
    Reused,
    /// Unknown, expired, revoked, or its user is disabled.
    Refused,
}

/// Rotates the token with hash `presented` into one with hash `new_hash`. Runs in one write
/// transaction, and commits the revocation of a reused family.
pub fn rotate(conn: &mut DbConn, presented: &str, new_hash: &str, expires_at: NaiveDateTime) -> StoreResult<Rotation> {
    crate::db::write(conn, |conn| {
        let Some(token) = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(presented))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(Rotation::Refused);
        };
        if token.revoked_at.is_some() || token.expires_at <= now() {
            return Ok(Rotation::Refused);
        }
        if token.rotated_at.is_some() {
            revoke_family(conn, &token.family_id)?;
            return Ok(Rotation::Reused);
        }
        let disabled: bool = users::table.find(&token.user_id).select(users::disabled).first(conn)?;
        if disabled {
            revoke_family(conn, &token.family_id)?;
            return Ok(Rotation::Refused);
        }
        // compare-and-set: of concurrent rotations of one token exactly one finds it unrotated
        let won = diesel::update(
            refresh_tokens::table
                .find(&token.id)
                .filter(refresh_tokens::rotated_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(now()))
        .execute(conn)?;
        if won == 0 {
            revoke_family(conn, &token.family_id)?;
            return Ok(Rotation::Reused);
        }
        issue(conn, &token.user_id, Some(&token.family_id), new_hash, expires_at)?;
        Ok(Rotation::Rotated { user_id: token.user_id })
    })
}

/// Revokes every token of the family that `token_hash` belongs to (logout). Unknown tokens
/// are ignored: logging out twice is not an error.
pub fn revoke_by_token(conn: &mut DbConn, token_hash: &str) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let family: Option<String> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select(refresh_tokens::family_id)
            .first(conn)
            .optional()?;
        if let Some(family) = family {
            revoke_family(conn, &family)?;
        }
        Ok(())
    })
}

fn revoke_family(conn: &mut DbConn, family_id: &str) -> StoreResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now()))
        .execute(conn)?;
    Ok(())
}

/// Revokes every refresh token of a user (disabled, password or role changed).
pub fn revoke_user(conn: &mut DbConn, user_id: &str) -> StoreResult<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(now()))
        .execute(conn)?;
    Ok(())
}
