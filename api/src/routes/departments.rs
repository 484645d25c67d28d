//! 职能部门 and 派遣规则 over HTTP: the departments of a district, and the rules that route a
//! category (in one street or all) to one of them. Who may write is decided in the store.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::cases::routing::{self, NewRule};
use gridhub_store::regions::department::{self, DepartmentPatch};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, etag, given, if_match, list_query, nullable, page_json};
use crate::outbound;
use crate::state::AppState;
use gridhub_store::input::Check;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    district_id: String,
    code: String,
    name: String,
    /// government (default), utility, property_management or other.
    kind: Option<department::Kind>,
    phone: Option<String>,
    /// A street's own unit (综合执法队, 派出所): it takes that street's cases only.
    street_id: Option<String>,
}

/// A department code: lower-case letters, digits and `-`/`_`, 2 to 32 of them (`chengguan`).
fn check_code(check: &mut Check, code: &str) {
    let ok = (2..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !ok {
        check.push("code", "must be 2 to 32 lower-case letters, digits, - or _ (like chengguan)");
    }
}

/// A duty phone: a landline (`0791-86000000`) or a mobile number.
fn check_phone(check: &mut Check, phone: Option<&str>) -> Option<String> {
    let p = phone?.trim();
    let digits = p.bytes().filter(u8::is_ascii_digit).count();
    if !(5..=15).contains(&digits) || !p.bytes().all(|b| b.is_ascii_digit() || b"+- ".contains(&b)) {
        check.push("phone", "must be a phone number: digits, with + - or spaces");
    }
    Some(p.to_owned())
}

pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewDepartment>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    check_code(&mut check, &body.code);
    let name = check.name("name", &body.name);
    let phone = check_phone(&mut check, body.phone.as_deref());
    check.done()?;
    let d = state
        .db(move |conn| {
            let new = department::NewDepartment {
                district_id: &body.district_id,
                code: &body.code,
                name: &name,
                kind: body.kind.unwrap_or(department::Kind::Government),
                phone: phone.as_deref(),
                street_id: body.street_id.as_deref(),
            };
            department::create(conn, &caller, new)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/departments/{}", d.id)))
        .insert_header(etag(d.version))
        .json(d))
}

list_query! {
    pub struct ListQuery { district_id }
}

pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let district = query.district_id.clone();
    let rows = state.db(move |conn| department::list(conn, &caller, district.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let d = state.db(move |conn| department::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(d.version)).json(d))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
    #[serde(default, deserialize_with = "given")]
    kind: Option<department::Kind>,
    #[serde(default, deserialize_with = "nullable")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    webhook_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    webhook_secret: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    street_id: Option<Option<String>>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<Patch>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    let phone = body.phone.map(|p| check_phone(&mut check, p.as_deref()));
    if let Some(Some(url)) = &body.webhook_url {
        if url.chars().count() > 500 {
            check.push("webhook_url", "must be an http:// or https:// URL of at most 500 characters");
        } else if let Err(why) = outbound::check_url(url, state.settings.webhooks.webhook_allow_loopback) {
            check.push("webhook_url", why);
        }
    }
    if let Some(Some(secret)) = &body.webhook_secret
        && !(16..=200).contains(&secret.len())
    {
        check.push("webhook_secret", "must be 16 to 200 characters");
    }
    check.done()?;
    let patch = DepartmentPatch {
        name,
        kind: body.kind,
        phone,
        webhook_url: body.webhook_url,
        webhook_secret: body.webhook_secret,
        street_id: body.street_id,
    };
    let d = state.db(move |conn| department::update(conn, &caller, &id, patch, expected)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(d.version)).json(d))
}

// ---- routing rules ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRuleBody {
    category_code: String,
    street_id: Option<String>,
    department_id: String,
    /// Lower is tried first; 100 when not given.
    priority: Option<i32>,
}

pub async fn create_rule(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewRuleBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if let Err(e) = gridhub_store::category::parse_code(&body.category_code) {
        check.push("category_code", e);
    }
    if !(0..=10_000).contains(&body.priority.unwrap_or(100)) {
        check.push("priority", "must be from 0 to 10000 (lower is tried first)");
    }
    check.done()?;
    let new = NewRule {
        category_code: body.category_code,
        street_id: body.street_id,
        department_id: body.department_id,
        priority: body.priority.unwrap_or(100),
    };
    let rule = state.db(move |conn| routing::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/routing-rules/{}", rule.id))).json(rule))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesQuery {
    category_code: Option<String>,
    street_id: Option<String>,
}

/// `GET /api/v1/routing-rules`: in the order they are tried.
pub async fn list_rules(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<RulesQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    if let Some(Err(e)) = q.category_code.as_deref().map(gridhub_store::category::parse_code) {
        return Err(ApiError::bad_field("category_code", e));
    }
    let rules =
        state.db(move |conn| routing::list(conn, &caller, q.category_code.as_deref(), q.street_id.as_deref())).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rules})))
}

pub async fn delete_rule(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    state.db(move |conn| routing::delete(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
