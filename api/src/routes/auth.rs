//! Login (password or WeChat), token refresh (rotation with reuse detection), logout, and
//! who am I.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::people::login;
use gridhub_store::people::refresh_token::{self, Rotation};
use gridhub_store::people::user::{self, User};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{TokenPair, hash_refresh_token, new_refresh_token, verify_password};
use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::Json;
use crate::state::AppState;
use crate::views::user_json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatLogin {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

/// Starts a session for `user`: a new refresh token family and an access token.
async fn start_session(state: &AppState, user: &User) -> ApiResult<TokenPair> {
    let refresh = new_refresh_token();
    let (hash, user_id) = (hash_refresh_token(&refresh), user.id.clone());
    let expires = refresh_expiry(state);
    state.db(move |conn| refresh_token::issue(conn, &user_id, None, &hash, expires)).await?;
    pair(state, user, refresh)
}

fn refresh_expiry(state: &AppState) -> chrono::NaiveDateTime {
    state.clock.now() + chrono::Duration::seconds(state.tokens.refresh_ttl_secs as i64)
}

fn pair(state: &AppState, user: &User, refresh_token: String) -> ApiResult<TokenPair> {
    Ok(TokenPair {
        access_token: state.tokens.issue_access(
            &user.id,
            user.role.as_str(),
            user.scope_id.as_deref(),
            user.token_epoch,
        )?,
        refresh_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs,
    })
}

/// `POST /api/v1/auth/login`. A wrong password, an unknown username, a disabled account and
/// one locked after repeated failures all answer alike — the same status, words and headers,
/// after the same work (a password hash checked) — so that no answer tells which usernames exist.
pub async fn login(req: HttpRequest, state: web::Data<AppState>, Json(body): Json<Login>) -> ApiResult<HttpResponse> {
    let username = body.username.trim().to_owned();
    state.login_limits.check(req.peer_addr().map(|a| a.ip()), &username)?;
    // whether it is locked is read on the server's clock, with the account
    let (found, locked) = state
        .db(move |conn| {
            let found = login::find_by_username(conn, &username)?;
            let locked = found.as_ref().and_then(User::locked_for).is_some();
            Ok((found, locked))
        })
        .await?;
    let stored = found.as_ref().and_then(|u| u.password_hash.clone());
    let password = body.password;
    let ok = web::block(move || verify_password(&password, stored.as_deref())).await.map_err(ApiError::internal)?;
    let refused = || {
        ApiError::unauthorized(
            "wrong username or password, or the account is locked for a while after repeated wrong passwords",
        )
    };
    let user = match found {
        Some(u) if ok && !u.disabled && !locked => u,
        Some(u) if !ok && !locked => {
            let id = u.id.clone();
            if let Some(secs) = state.db(move |conn| login::record_login_failure(conn, &id)).await? {
                tracing::warn!(username = %u.username, lock_secs = secs, "account locked after repeated failures");
            }
            return Err(refused());
        }
        _ => return Err(refused()),
    };
    let id = user.id.clone();
    state.db(move |conn| login::record_login_success(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(start_session(&state, &user).await?))
}

/// `POST /api/v1/auth/wechat`: a resident logs in from the mini-program with a `wx.login()` code.
pub async fn wechat(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<WechatLogin>,
) -> ApiResult<HttpResponse> {
    let code = body.code.trim().to_owned();
    if code.is_empty() || code.len() > 128 {
        return Err(ApiError::invalid("code", "must be the code from wx.login(), 1 to 128 characters"));
    }
    let client = state.wechat.as_ref().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "wechat-off", "WeChat login is not configured on this server")
    })?;
    state.login_limits.check(req.peer_addr().map(|a| a.ip()), "wechat")?;
    let who = client.code_to_session(&code).await?;
    let user = state.db(move |conn| login::find_or_create_wechat(conn, &who.openid, who.unionid.as_deref())).await?;
    if user.disabled {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "disabled", "this account is disabled"));
    }
    Ok(HttpResponse::Ok().json(start_session(&state, &user).await?))
}

/// `POST /api/v1/auth/refresh`: a new pair for a current refresh token, which is used up.
pub async fn refresh(state: web::Data<AppState>, Json(body): Json<RefreshBody>) -> ApiResult<HttpResponse> {
    let refresh = new_refresh_token();
    let (presented, hash, expires) =
        (hash_refresh_token(&body.refresh_token), hash_refresh_token(&refresh), refresh_expiry(&state));
    match state.db(move |conn| refresh_token::rotate(conn, &presented, &hash, expires)).await? {
        Rotation::Rotated { user_id } => {
            let user = state.db(move |conn| user::get(conn, &user_id)).await?;
            Ok(HttpResponse::Ok().json(pair(&state, &user, refresh)?))
        }
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
    let (user, cells) =
        state.db(move |conn| Ok((user::get(conn, &id)?, gridhub_store::assignments::cells_of(conn, &id)?))).await?;
    let cells: Vec<serde_json::Value> = cells
        .into_iter()
        .map(|(id, code, name, duty)| json!({"cell_id": id, "code": code, "name": name, "duty": duty}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "user": user_json(&user, true),
        "role": caller.role,
        "scope_id": caller.scope_id,
        "assigned_cells": cells,
    })))
}
