//! User accounts: admins create and manage the accounts below them in their area; everyone
//! may read and rename themselves and change their own password. Phone numbers are shown
//! masked (`138****5678`) to anyone who does not manage the user.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::Role;
use gridhub_store::people::user::{self, NewUser, UserPatch};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{hash_password, verify_password};
use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, etag, given, if_match, list_query, nullable, page_json};
use crate::state::AppState;
use crate::views::user_json;
use gridhub_store::input::Check;

fn role(field: &str, value: &str) -> ApiResult<Role> {
    Role::parse(value)
        .ok_or_else(|| ApiError::invalid(field, format!("must be one of {}", Role::ALL.map(Role::as_str).join(", "))))
}

fn password_ok(field: &str, password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if (8..=128).contains(&n) { Ok(()) } else { Err(ApiError::invalid(field, "must be 8 to 128 characters")) }
}

async fn hash(password: String) -> ApiResult<String> {
    web::block(move || hash_password(&password)).await.map_err(ApiError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    username: String,
    password: Option<String>,
    display_name: String,
    phone: Option<String>,
    role: String,
    scope_id: Option<String>,
}

pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewUserBody>,
) -> ApiResult<HttpResponse> {
    let role = role("role", &body.role)?;
    let mut check = Check::default();
    let display_name = check.name("display_name", &body.display_name);
    check.done()?;
    // who may, before the password costs a hash
    let (asker, scope) = (caller.clone(), body.scope_id.clone());
    state.db(move |conn| user::may_create(conn, &asker, role, scope.as_deref())).await?;
    let password_hash = match body.password {
        Some(p) => {
            password_ok("password", &p)?;
            Some(hash(p).await?)
        }
        None => None,
    };
    let new = NewUser {
        username: body.username.trim().to_owned(),
        password_hash,
        display_name,
        phone: body.phone,
        role,
        scope_id: body.scope_id,
    };
    let u = state.db(move |conn| user::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", u.id)))
        .insert_header(etag(u.version))
        .json(user_json(&u, true)))
}

list_query! {
    pub struct UserQuery { role }
}

pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<UserQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let role = query
        .role
        .as_deref()
        .map(|r| role("role", r).map_err(|_| ApiError::bad_field("role", "is not a role")))
        .transpose()?;
    let rows = state.db(move |conn| user::list(conn, &caller, role, &page)).await?;
    let items: Vec<Value> = rows.items.iter().map(|(u, whole)| user_json(u, *whole)).collect();
    Ok(HttpResponse::Ok().json(page_json(gridhub_store::Paged { items, next_after: rows.next_after })))
}

pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let (u, whole) = state.db(move |conn| user::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(u.version)).json(user_json(&u, whole)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    #[serde(default, deserialize_with = "given")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    role: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    scope_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    disabled: Option<bool>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<UserPatchBody>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let display_name = body.display_name.map(|n| check.name("display_name", &n));
    check.done()?;
    let patch = UserPatch {
        display_name,
        phone: body.phone,
        role: body.role.as_deref().map(|r| role("role", r)).transpose()?,
        scope_id: body.scope_id,
        disabled: body.disabled,
    };
    let user_id = id.clone();
    let actor = caller.clone();
    let u = state.db(move |conn| user::update(conn, &actor, &user_id, patch, expected)).await?;
    state.standing.forget(&u.id);
    Ok(HttpResponse::Ok().insert_header(etag(u.version)).json(user_json(&u, true)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: String,
    /// Needed when users change their own password.
    current_password: Option<String>,
}

/// `POST /api/v1/users/{id}/password`: signs the user out everywhere.
pub async fn set_password(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<PasswordBody>,
) -> ApiResult<HttpResponse> {
    password_ok("password", &body.password)?;
    let id = id.into_inner();
    // who may, before a password is checked or hashed
    let (asker, whom) = (caller.clone(), id.clone());
    let (user, _) = state.db(move |conn| user::may_set_password(conn, &asker, &whom)).await?;
    if caller.user_id == id {
        let stored = user.password_hash;
        let current = body.current_password.unwrap_or_default();
        let ok = web::block(move || verify_password(&current, stored.as_deref())).await.map_err(ApiError::internal)?;
        if !ok {
            return Err(ApiError::invalid("current_password", "is not your current password"));
        }
    }
    let new_hash = hash(body.password).await?;
    let target = id.clone();
    state.db(move |conn| user::set_password(conn, &caller, &target, new_hash)).await?;
    state.standing.forget(&id);
    Ok(HttpResponse::NoContent().finish())
}
