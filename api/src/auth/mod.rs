//! Authentication: access tokens (JWT, HS256, algorithm pinned), opaque refresh tokens kept
//! only as hashes, argon2id passwords, and the `Caller` extractor that gives a handler the
//! authenticated user's role and scope.

mod password;
mod tokens;

pub use password::{hash_password, verify_password};
pub use tokens::{Claims, TokenPair, TokenService, hash_refresh_token, new_refresh_token};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use gridhub_store::{Caller, Role};
use std::future::{Ready, ready};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request, from its `Authorization: Bearer <jwt>` header.
/// Taking this as a handler argument is what makes a route require a login.
pub struct Authenticated(pub Caller);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Authenticated, ApiError> {
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal("no app state"))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("this route needs Authorization: Bearer <access token>"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be: Bearer <access token>"))?;
    let claims = state.tokens.verify(token)?;
    let role = Role::parse(&claims.role).ok_or_else(|| ApiError::unauthorized("the token names an unknown role"))?;
    Ok(Authenticated(Caller { user_id: claims.sub, role, scope_id: claims.scope }))
}
