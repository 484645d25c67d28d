//! Login, token refresh (rotation with reuse detection), logout, and who am I.

use actix_web::{HttpResponse, web};
use gridhub_store::refresh_token::{self, Rotation};
use gridhub_store::user::{self, User};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Authenticated, TokenPair, hash_refresh_token, new_refresh_token, verify_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

fn refresh_expiry(state: &AppState) -> chrono::NaiveDateTime {
    gridhub_store::now() + chrono::Duration::seconds(state.tokens.refresh_ttl_secs as i64)
}

fn pair(state: &AppState, user: &User, refresh_token: String) -> ApiResult<TokenPair> {
    Ok(TokenPair {
        access_token: state.tokens.issue_access(&user.id, &user.role, user.scope_id.as_deref())?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs,
    })
}

/// `POST /api/v1/auth/login`
pub async fn login(state: web::Data<AppState>, Json(body): Json<Login>) -> ApiResult<HttpResponse> {
    let wrong = || ApiError::unauthorized("wrong username or password");
    let username = body.username.trim().to_owned();
    let found = state.db(move |conn| user::find_by_username(conn, &username)).await?;
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let password = body.password;
    let ok = web::block(move || verify_password(&password, stored.as_deref())).await.map_err(ApiError::internal)?;
    let user = match found {
        Some(u) if ok && !u.disabled => u,
        _ => return Err(wrong()),
    };
    let refresh = new_refresh_token();
    let (hash, expires, user_id) = (hash_refresh_token(&refresh), refresh_expiry(&state), user.id.clone());
    state.db(move |conn| refresh_token::issue(conn, &user_id, None, &hash, expires)).await?;
    Ok(HttpResponse::Ok().json(pair(&state, &user, refresh)?))
}

/// `POST /api/v1/auth/refresh`: a new pair for a current refresh token, which is used up.
pub async fn refresh(state: web::Data<AppState>, Json(body): Json<RefreshBody>) -> ApiResult<HttpResponse> {
    let refresh = new_refresh_token();
    let (presented, hash, expires) =
        (hash_refresh_token(&body.refresh_token), hash_refresh_token(&refresh), refresh_expiry(&state));
    match state.db(move |conn| refresh_token::rotate(conn, &presented, &hash, expires)).await? {
        Rotation::Rotated { user, .. } => Ok(HttpResponse::Ok().json(pair(&state, &user, refresh)?)),
        Rotation::Reused => Err(ApiError::unauthorized(
            "this refresh token was already used; every session of this login has been signed out",
        )),
        Rotation::Refused => Err(ApiError::unauthorized("the refresh token is not valid; log in again")),
    }
}

/// `POST /api/v1/auth/logout`: revokes the refresh token's whole family.
pub async fn logout(state: web::Data<AppState>, Json(body): Json<RefreshBody>) -> ApiResult<HttpResponse> {
    let hash = hash_refresh_token(&body.refresh_token);
    state.db(move |conn| refresh_token::revoke_by_token(conn, &hash)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/auth/me`
pub async fn me(state: web::Data<AppState>, Authenticated(caller): Authenticated) -> ApiResult<HttpResponse> {
    let id = caller.user_id.clone();
    let user = state
        .db(move |conn| user::get(conn, &id))
        .await
        .map_err(|_| ApiError::unauthorized("the user of this token no longer exists"))?;
    Ok(HttpResponse::Ok().json(json!({
        "user": user,
        "role": caller.role,
        "scope_id": caller.scope_id,
    })))
}
