//! Who is asking: the `Authenticated` extractor verifies the request's bearer token, checks the
//! user's standing (disabled? signed out?) and gives the handler a `Caller` whose reach is
//! already resolved. Taking it as a handler argument is what makes a route require a login.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use gridhub_store::{Caller, Role};

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request, from its `Authorization: Bearer <jwt>` header.
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
            let standing = state.standing.get(&state.pool, &claims.sub).await?;
            let reach = match standing {
                Some(s) if !s.disabled && s.epoch == claims.ver => s.reach,
                Some(s) if s.disabled => return Err(ApiError::unauthorized("this account is disabled")),
                _ => return Err(ApiError::unauthorized("this token was signed out; log in again")),
            };
            Ok(Authenticated(Caller::with_reach(claims.sub, role, claims.scope, reach)))
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
