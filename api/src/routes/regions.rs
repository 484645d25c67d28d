//! The administrative hierarchy: districts (区), streets (街道), communities (社区). Writes need
//! a system admin or the district's admin (decided in the store, before any boundary is read);
//! every record carries an `ETag`, and a PATCH with a stale `If-Match` answers 412.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_geo::Crs;
use gridhub_store::regions::{community, district, street};
use serde::Deserialize;
use serde_json::Value;

use crate::caller::Authenticated;
use crate::error::ApiResult;
use crate::input::{Id, Json, PageQuery, Query, etag, given, if_match, list_query, nullable, page_json};
use crate::state::AppState;
use gridhub_store::input::{Check, Geometry};

fn created<T: serde::Serialize>(path: &str, id: &str, version: i64, body: &T) -> HttpResponse {
    HttpResponse::Created().insert_header(("Location", format!("{path}/{id}"))).insert_header(etag(version)).json(body)
}

/// A boundary in WGS-84 as sent, to be read by the store once the caller may write it.
fn geometry(state: &AppState, geojson: Value) -> Geometry {
    Geometry { geojson, crs: Crs::Wgs84, limits: state.settings.limits() }
}

fn found<T: serde::Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

// ---- districts ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDistrict {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictPatch {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
}

pub async fn create_district(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewDistrict>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let code = check.code("code", &body.code);
    let name = check.name("name", &body.name);
    check.done()?;
    let new = district::NewDistrict { code: code.expect("checked"), name };
    let d = state.db(move |conn| district::create(conn, &caller, new)).await?;
    Ok(created("/api/v1/districts", &d.id, d.version, &d))
}

pub async fn list_districts(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let rows = state.db(move |conn| district::list(conn, &caller, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

pub async fn get_district(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let d = state.db(move |conn| district::find(conn, &caller, &id)).await?;
    Ok(found(d.version, &d))
}

pub async fn update_district(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<DistrictPatch>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    check.done()?;
    let patch = district::DistrictPatch { name };
    let d = state.db(move |conn| district::update(conn, &caller, &id, patch, expected)).await?;
    Ok(found(d.version, &d))
}

// ---- streets ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStreet {
    district_id: String,
    code: String,
    name: String,
    boundary: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetPatch {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    boundary: Option<Option<Value>>,
}

list_query! {
    pub struct StreetQuery { district_id }
}

pub async fn create_street(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewStreet>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let code = check.code("code", &body.code);
    let name = check.name("name", &body.name);
    check.done()?;
    let new = street::NewStreet {
        district_id: body.district_id,
        code: code.expect("checked"),
        name,
        boundary: body.boundary.map(|b| geometry(&state, b)),
    };
    let s = state.db(move |conn| street::create(conn, &caller, new)).await?;
    Ok(created("/api/v1/streets", &s.id, s.version, &s))
}

pub async fn list_streets(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<StreetQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let district_id = query.into_inner().district_id;
    let rows = state.db(move |conn| street::list(conn, &caller, district_id.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

pub async fn get_street(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let s = state.db(move |conn| street::find(conn, &caller, &id)).await?;
    Ok(found(s.version, &s))
}

pub async fn update_street(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<StreetPatch>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    check.done()?;
    let patch = street::StreetPatch { name, boundary: body.boundary.map(|b| b.map(|b| geometry(&state, b))) };
    let s = state.db(move |conn| street::update(conn, &caller, &id, patch, expected)).await?;
    Ok(found(s.version, &s))
}

// ---- communities ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommunity {
    street_id: String,
    code: String,
    name: String,
    boundary: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityPatch {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
    #[serde(default, deserialize_with = "given")]
    boundary: Option<Value>,
}

list_query! {
    pub struct CommunityQuery { street_id }
}

pub async fn create_community(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewCommunity>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let code = check.code("code", &body.code);
    let name = check.name("name", &body.name);
    check.done()?;
    let new = community::NewCommunity {
        street_id: body.street_id,
        code: code.expect("checked"),
        name,
        boundary: geometry(&state, body.boundary),
    };
    let c = state.db(move |conn| community::create(conn, &caller, new)).await?;
    Ok(created("/api/v1/communities", &c.id, c.version, &c))
}

pub async fn list_communities(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<CommunityQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let street_id = query.into_inner().street_id;
    let rows = state.db(move |conn| community::list(conn, &caller, street_id.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

pub async fn get_community(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let c = state.db(move |conn| community::find(conn, &caller, &id)).await?;
    Ok(found(c.version, &c))
}

pub async fn update_community(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<CommunityPatch>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    check.done()?;
    let patch = community::CommunityPatch { name, boundary: body.boundary.map(|b| geometry(&state, b)) };
    let c = state.db(move |conn| community::update(conn, &caller, &id, patch, expected)).await?;
    Ok(found(c.version, &c))
}
