//! Authentication: access tokens (JWT, algorithm pinned), opaque refresh tokens kept only as
//! hashes, argon2id passwords, login rate limits, WeChat login, and the `Authenticated`
//! extractor that gives a handler the caller's role and scope.

mod limits;
mod password;
mod tokens;
pub mod wechat;

pub use limits::LoginLimits;
pub use password::{hash_password, verify_password};
pub use tokens::{Claims, TokenPair, TokenService, hash_refresh_token, new_refresh_token};

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use gridhub_store::{Caller, Role};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request, from its `Authorization: Bearer <jwt>` header.
/// Taking this as a handler argument is what makes a route require a login.
pub struct Authenticated(pub Caller);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no app state"))?;
            let claims = state.tokens.verify(&token?)?;
            let role =
                Role::parse(&claims.role).ok_or_else(|| ApiError::unauthorized("the token names an unknown role"))?;
            let status = state.user_status.get(&state, &claims.sub).await?;
            match status {
                Some(s) if !s.disabled && s.epoch == claims.ver => {}
                Some(s) if s.disabled => return Err(ApiError::unauthorized("this account is disabled")),
                _ => return Err(ApiError::unauthorized("this token was signed out; log in again")),
            }
            Ok(Authenticated(Caller { user_id: claims.sub, role, scope_id: claims.scope }))
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("this route needs Authorization: Bearer <access token>"))?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be: Bearer <access token>"))
}

/// What an access token is checked against besides its signature.
#[derive(Debug, Clone, Copy)]
pub struct UserStatus {
    pub disabled: bool,
    pub epoch: i64,
}

/// Users' status, looked up at most every 15 seconds per user: a user disabled or signed out
/// through this node is refused at once (`forget`), through another node within 15 seconds —
/// well inside the lifetime of an access token.
#[derive(Default)]
pub struct UserStatusCache {
    entries: Mutex<HashMap<String, (Instant, Option<UserStatus>)>>,
}

const STATUS_FRESH: Duration = Duration::from_secs(15);

impl UserStatusCache {
    /// The user's status; `None` when the user no longer exists.
    pub async fn get(&self, state: &AppState, user_id: &str) -> Result<Option<UserStatus>, ApiError> {
        if let Some((at, status)) = self.entries.lock().expect("cache lock").get(user_id)
            && at.elapsed() < STATUS_FRESH
        {
            return Ok(*status);
        }
        let id = user_id.to_owned();
        let status = state
            .db(move |conn| match gridhub_store::user::get(conn, &id) {
                Ok(u) => Ok(Some(UserStatus { disabled: u.disabled, epoch: u.token_epoch })),
                Err(gridhub_store::StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            })
            .await?;
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() > 100_000 {
            entries.retain(|_, (at, _)| at.elapsed() < STATUS_FRESH);
        }
        entries.insert(user_id.to_owned(), (Instant::now(), status));
        Ok(status)
    }

    /// Drops what is known of a user, after a change that may sign them out.
    pub fn forget(&self, user_id: &str) {
        self.entries.lock().expect("cache lock").remove(user_id);
    }
}
