//! The category catalogue over HTTP: everyone who files cases reads it; system admins add local
//! categories and change criteria, time limits, default departments and duplicate rules.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::category::{self, CategoryFilter, CategoryPatch, Clock, Kind, NewCategory, TimeLimits};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, etag, flag, given, if_match, nullable, or_default};
use crate::state::AppState;
use gridhub_store::input::Check;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    kind: Option<String>,
    parent_code: Option<String>,
    include_inactive: Option<String>,
}

/// `GET /api/v1/categories`: the whole catalogue (a few hundred rows), ordered by code.
pub async fn list(state: web::Data<AppState>, _: Authenticated, query: Query<ListQuery>) -> ApiResult<HttpResponse> {
    let kind = match query.kind.as_deref() {
        None => None,
        Some(k) => {
            Some(Kind::parse(k).ok_or_else(|| ApiError::bad_field("kind", "must be component, event or governance"))?)
        }
    };
    if let Some(code) = query.parent_code.as_deref()
        && !matches!(category::parse_code(code), Ok((_, None)))
    {
        return Err(ApiError::bad_field("parent_code", "must be the code of a 大类, like SJ05"));
    }
    let filter = CategoryFilter {
        kind,
        parent_code: query.parent_code.clone(),
        include_inactive: flag("include_inactive", query.include_inactive.as_deref())?,
    };
    let items = state.db(move |conn| category::list(conn, &filter)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

pub async fn get(state: web::Data<AppState>, _: Authenticated, code: Id) -> ApiResult<HttpResponse> {
    let c = state.db(move |conn| category::get(conn, &code)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(c.version)).json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    code: String,
    name: String,
    default_department: Option<String>,
    filing_criteria: Option<String>,
    closing_criteria: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    time_limits: TimeLimits,
    duplicate_radius_m: Option<f64>,
    duplicate_window_hours: Option<i32>,
    /// GB/T 30428.2: the 大类 (2 digits) or 小类 (4 digits).
    standard_code: Option<String>,
    /// `working` or `natural`; a 小类 without one has its 大类's.
    clock: Option<Clock>,
    /// Whether grid workers may fix it on the spot (随手办); a 小类 without it has its 大类's.
    on_the_spot: Option<bool>,
}

fn check_duplicates(check: &mut Check, radius: Option<f64>, hours: Option<i32>) {
    if radius.is_some_and(|r| !(1.0..=5000.0).contains(&r)) {
        check.push("duplicate_radius_m", "must be from 1 to 5000 metres");
    }
    if hours.is_some_and(|h| !(1..=24 * 90).contains(&h)) {
        check.push("duplicate_window_hours", "must be from 1 to 2160 hours");
    }
}

fn criteria(check: &mut Check, field: &str, value: Option<String>) -> Option<String> {
    value.map(|v| check.text(field, &v, 1000, false))
}

pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let name = check.name("name", &body.name);
    if let Err(e) = category::parse_code(&body.code) {
        check.push("code", e);
    }
    check_duplicates(&mut check, body.duplicate_radius_m, body.duplicate_window_hours);
    let new = NewCategory {
        code: body.code,
        name,
        default_department: body.default_department,
        filing_criteria: criteria(&mut check, "filing_criteria", body.filing_criteria),
        closing_criteria: criteria(&mut check, "closing_criteria", body.closing_criteria),
        time_limits: body.time_limits,
        duplicate_radius_m: body.duplicate_radius_m,
        duplicate_window_hours: body.duplicate_window_hours,
        standard_code: body.standard_code,
        clock: body.clock,
        on_the_spot: body.on_the_spot,
    };
    if new.standard_code.as_ref().is_some_and(|c| !matches!(c.len(), 2 | 4) || !c.bytes().all(|b| b.is_ascii_digit())) {
        check.push("standard_code", "must be a 大类 (2 digits) or 小类 (4 digits) of GB/T 30428.2");
    }
    check.done()?;
    let c = state.db(move |conn| category::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/categories/{}", c.code)))
        .insert_header(etag(c.version))
        .json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    default_department: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    filing_criteria: Option<String>,
    #[serde(default, deserialize_with = "given")]
    closing_criteria: Option<String>,
    #[serde(default, deserialize_with = "given")]
    time_limits: Option<TimeLimits>,
    #[serde(default, deserialize_with = "given")]
    duplicate_radius_m: Option<f64>,
    #[serde(default, deserialize_with = "given")]
    duplicate_window_hours: Option<i32>,
    #[serde(default, deserialize_with = "given")]
    active: Option<bool>,
    /// Cases count it from their next step on.
    #[serde(default, deserialize_with = "given")]
    clock: Option<Clock>,
    #[serde(default, deserialize_with = "given")]
    on_the_spot: Option<bool>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    code: Id,
    Json(body): Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    check_duplicates(&mut check, body.duplicate_radius_m, body.duplicate_window_hours);
    let patch = CategoryPatch {
        name,
        default_department: body.default_department,
        filing_criteria: criteria(&mut check, "filing_criteria", body.filing_criteria),
        closing_criteria: criteria(&mut check, "closing_criteria", body.closing_criteria),
        time_limits: body.time_limits,
        duplicate_radius_m: body.duplicate_radius_m,
        duplicate_window_hours: body.duplicate_window_hours,
        active: body.active,
        clock: body.clock,
        on_the_spot: body.on_the_spot,
    };
    check.done()?;
    let c = state.db(move |conn| category::update(conn, &caller, &code, patch, expected)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(c.version)).json(c))
}
