//! Grid cells over HTTP, both layers: locate a point, list and read cells as GeoJSON, reshape a
//! cell, import or generate a community's cells, draw its governance grids from its unit grids,
//! its coverage report (its map is in `maps`). Coordinates may be given and asked for in WGS-84 (stored),
//! GCJ-02 or BD-09 with `crs`.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_geo::grid::Tiling;
use gridhub_geo::{BBox, Crs};
use gridhub_store::grid::cell::{self, CellFilter, CellPatch};
use gridhub_store::grid::generate::{self, GenerateOptions};
use gridhub_store::grid::governance::{self, ByHouseholds, NewGovernanceGrid};
use gridhub_store::grid::import::{self, ImportRequest};
use gridhub_store::grid::{Layer, Located};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::geojson::{cell_json, collection};
use crate::input::{CrsQuery, Id, Json, JsonLater, Query, crs, cursor, etag, flag, given, if_match, nullable, page};
use crate::state::AppState;
use gridhub_store::input::{Check, Geometry};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    lng: Option<String>,
    lat: Option<String>,
    crs: Option<String>,
}

fn coordinate(field: &str, value: Option<&str>, range: f64) -> ApiResult<f64> {
    let text = value.ok_or_else(|| ApiError::bad_field(field, "is required"))?;
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= range => Ok(v),
        _ => Err(ApiError::bad_field(field, format!("must be a number from -{range} to {range}"))),
    }
}

/// The `layer` parameter: `unit` or `governance`, if given.
pub(super) fn layer(value: Option<&str>) -> ApiResult<Option<Layer>> {
    value
        .map(|text| {
            Layer::parse(text).ok_or_else(|| ApiError::bad_field("layer", format!("must be one of {}", Layer::names())))
        })
        .transpose()
}

/// A located cell as the answer gives it.
#[derive(serde::Serialize)]
struct Brief<'a> {
    id: &'a str,
    code: &'a str,
    name: &'a str,
    community_id: &'a str,
}

fn brief(cell: &Located) -> Brief<'_> {
    Brief { id: &cell.id, code: &cell.code, name: &cell.name, community_id: &cell.community.id }
}

/// What `locate` answers, serialized straight from the index (no intermediate JSON tree: the
/// busiest route there is).
#[derive(serde::Serialize)]
struct LocateAnswer<'a> {
    cell: Option<Brief<'a>>,
    grid: Option<Brief<'a>>,
    unit: Option<Brief<'a>>,
    community: &'a gridhub_store::grid::Named,
    street: &'a gridhub_store::grid::Named,
    wgs84: Wgs84,
}

#[derive(serde::Serialize)]
struct Wgs84 {
    lng: f64,
    lat: f64,
}

/// `GET /api/v1/cells/locate?lng=&lat=&crs=`: the governance grid (`grid`, and as `cell` for
/// clients of one layer) and the unit grid (`unit`) a point lies in, answered from the server's
/// index without asking the database.
pub async fn locate(
    state: web::Data<AppState>,
    _: Authenticated,
    Query(query): Query<LocateQuery>,
) -> ApiResult<HttpResponse> {
    let from = crs(query.crs.as_deref())?;
    let lng = coordinate("lng", query.lng.as_deref(), 180.0)?;
    let lat = coordinate("lat", query.lat.as_deref(), 90.0)?;
    let (lng, lat) = from.to_wgs84(lng, lat);
    let index = state.grid.index();
    let (grid, unit) = index.locate(lng, lat);
    let Some(either) = grid.or(unit) else {
        return Err(ApiError::not_found(format!("({lng:.6}, {lat:.6}) WGS-84 is not inside any cell")));
    };
    Ok(HttpResponse::Ok().json(LocateAnswer {
        cell: grid.map(brief),
        grid: grid.map(brief),
        unit: unit.map(brief),
        community: &either.community,
        street: &either.street,
        wgs84: Wgs84 { lng, lat },
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    bbox: Option<String>,
    community_id: Option<String>,
    layer: Option<String>,
    crs: Option<String>,
    include_retired: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Whether `text` is a decimal number as a bbox takes it: `-12.345`, at most 3 digits before the
/// point and 15 after.
fn decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, part) = digits.split_once('.').map_or((digits, None), |(w, p)| (w, Some(p)));
    let all_digits = |t: &str, max: usize| (1..=max).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole, 3) && part.is_none_or(|p| all_digits(p, 15))
}

/// `minLng,minLat,maxLng,maxLat` in `crs`: corners the wrong way round are swapped, and beyond
/// the map they are its edge.
fn bbox(text: &str, crs: Crs) -> ApiResult<BBox> {
    let bad = || ApiError::bad_field("bbox", "must be minLng,minLat,maxLng,maxLat in decimal degrees");
    let parts: Vec<&str> = text.split(',').collect();
    if parts.len() != 4 || !parts.iter().all(|p| decimal(p)) {
        return Err(bad());
    }
    let n: Vec<f64> = parts.iter().map(|p| p.parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let lng = |v: f64| v.clamp(-180.0, 180.0);
    let lat = |v: f64| v.clamp(-90.0, 90.0);
    let (a, c) = (lng(n[0].min(n[2])), lng(n[0].max(n[2])));
    let (b, d) = (lat(n[1].min(n[3])), lat(n[1].max(n[3])));
    let (min_lng, min_lat) = crs.to_wgs84(a, b);
    let (max_lng, max_lat) = crs.to_wgs84(c, d);
    Ok(BBox { min_lng, min_lat, max_lng, max_lat })
}

/// `GET /api/v1/cells`: a page of cells as a GeoJSON FeatureCollection.
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let page = page(query.limit.as_deref(), query.cursor.as_deref())?;
    let filter = CellFilter {
        community_id: query.community_id.clone(),
        layer: layer(query.layer.as_deref())?,
        bbox: query.bbox.as_deref().map(|b| bbox(b, out)).transpose()?,
        include_retired: flag("include_retired", query.include_retired.as_deref())?,
    };
    let rows = state.db(move |conn| cell::list(conn, &caller, &filter, &page)).await?;
    let extra = Map::from_iter([("next_cursor".to_owned(), cursor(rows.next_after))]);
    Ok(HttpResponse::Ok().content_type("application/geo+json").body(collection(&rows.items, out, extra).to_string()))
}

pub async fn get(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let c = state.db(move |conn| cell::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(c.version)).json(cell_json(&c, out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellPatchBody {
    #[serde(default, deserialize_with = "given")]
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    households: Option<Option<i32>>,
    #[serde(default, deserialize_with = "given")]
    boundary: Option<Value>,
    /// A governance grid redrawn from these unit grids (instead of a boundary).
    #[serde(default, deserialize_with = "given")]
    unit_cell_ids: Option<Vec<String>>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
    Json(body): Json<CellPatchBody>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let io = crs(query.crs.as_deref())?;
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    if body.households.flatten().is_some_and(|h| h < 0) {
        check.push("households", "cannot be negative");
    }
    if body.boundary.is_some() && body.unit_cell_ids.is_some() {
        check.push("unit_cell_ids", "give a boundary or the unit grids a grid is made of, not both");
    }
    check.done()?;
    let reshaped = body.boundary.is_some() || body.unit_cell_ids.is_some();
    let limits = state.settings.limits();
    let boundary = body.boundary.map(|geojson| Geometry { geojson, crs: io, limits });
    let patch = CellPatch { name, households: body.households, boundary };
    let c = state
        .db(move |conn| match &body.unit_cell_ids {
            Some(units) => governance::regroup(conn, &caller, &id, units, patch, expected),
            None => cell::update(conn, &caller, &id, patch, expected),
        })
        .await?;
    if reshaped {
        state.grid.refresh(&state.pool).await?;
    }
    Ok(HttpResponse::Ok().insert_header(etag(c.version)).json(cell_json(&c, io)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerQuery {
    crs: Option<String>,
    layer: Option<String>,
}

/// `POST /api/v1/communities/{id}/cells/import?crs=&layer=`: a GeoJSON FeatureCollection whose
/// features carry `code` and optionally `name` and `households`, as governance grids (the
/// default) or unit grids; all or nothing. The body is read as JSON, and its geometry checked,
/// off the request threads and once the caller is known to be allowed.
pub async fn import(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<LayerQuery>,
    body: JsonLater,
) -> ApiResult<HttpResponse> {
    let io = crs(query.crs.as_deref())?;
    let layer = layer(query.layer.as_deref())?.unwrap_or(Layer::Governance);
    let (limits, max_vertices) = (state.settings.limits(), state.settings.grid.max_import_vertices);
    let outcome = state
        .run(move |conn| {
            import::may_import(conn, &caller, &id)?;
            let request = ImportRequest { layer, body: body.value()?, crs: io, limits, max_vertices };
            Ok(import::import(conn, &caller, &id, &request)?)
        })
        .await?;
    state.grid.refresh(&state.pool).await?;
    let extra = Map::from_iter([
        ("created".to_owned(), json!(outcome.created)),
        ("updated".to_owned(), json!(outcome.updated)),
    ]);
    Ok(HttpResponse::Ok().content_type("application/geo+json").body(collection(&outcome.cells, io, extra).to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// `unit` or `governance` (the default, as before there were two layers).
    layer: Option<Layer>,
    /// `square` (the default) or `hex`.
    shape: Option<String>,
    /// m², a hectare when not given.
    target_area_m2: Option<f64>,
    /// Pieces smaller than this fraction of the target join a neighbour (0.2 when not given).
    merge_below: Option<f64>,
    dry_run: Option<bool>,
    replace: Option<bool>,
}

/// `POST /api/v1/communities/{id}/cells/generate`
pub async fn generate(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
    Json(body): Json<GenerateBody>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let target_area_m2 = body.target_area_m2.unwrap_or(10_000.0);
    let merge_below = body.merge_below.unwrap_or(0.2);
    let dry_run = body.dry_run.unwrap_or(false);
    let mut check = Check::default();
    let tiling = match body.shape.as_deref().unwrap_or("square") {
        "square" => Some(Tiling::Square),
        "hex" => Some(Tiling::Hex),
        _ => {
            check.push("shape", "must be \"square\" or \"hex\"");
            None
        }
    };
    if !(100.0..=1_000_000.0).contains(&target_area_m2) {
        check.push("target_area_m2", "must be from 100 to 1,000,000 m²");
    }
    if !(0.0..=0.9).contains(&merge_below) {
        check.push("merge_below", "must be a fraction from 0 to 0.9");
    }
    check.done()?;
    let options = GenerateOptions {
        layer: body.layer.unwrap_or(Layer::Governance),
        tiling: tiling.expect("checked"),
        target_area_m2,
        merge_below,
        dry_run,
        replace: body.replace.unwrap_or(false),
    };
    let cells = state.db(move |conn| generate::generate(conn, &caller, &id, &options)).await?;
    made(&state, &cells, out, dry_run).await
}

/// What a generation answers: the cells made (or that would be made) and whether they were
/// stored; once stored, this server's index follows at once.
async fn made(
    state: &AppState,
    cells: &[gridhub_store::grid::Cell],
    out: Crs,
    dry_run: bool,
) -> ApiResult<HttpResponse> {
    if !dry_run {
        state.grid.refresh(&state.pool).await?;
    }
    let extra = Map::from_iter([("stored".to_owned(), json!(!dry_run))]);
    Ok(HttpResponse::Ok().content_type("application/geo+json").body(collection(cells, out, extra).to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGridBody {
    code: String,
    name: Option<String>,
    unit_cell_ids: Vec<String>,
    households: Option<i32>,
}

/// `POST /api/v1/communities/{id}/governance-grids`: a governance grid made of unit grids.
pub async fn create_grid(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
    Json(body): Json<NewGridBody>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let mut check = Check::default();
    let name = body.name.map(|n| check.name("name", &n));
    check.done()?;
    let new =
        NewGovernanceGrid { code: body.code, name, unit_cell_ids: body.unit_cell_ids, households: body.households };
    let c = state.db(move |conn| governance::create(conn, &caller, &id, new)).await?;
    state.grid.refresh(&state.pool).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/cells/{}", c.id)))
        .insert_header(etag(c.version))
        .json(cell_json(&c, out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ByHouseholdsBody {
    target_households: i32,
    dry_run: Option<bool>,
    replace: Option<bool>,
}

/// `POST /api/v1/communities/{id}/governance-grids/generate`: the community's unit grids grouped
/// into contiguous governance grids of about `target_households` households.
pub async fn generate_grids(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
    Json(body): Json<ByHouseholdsBody>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    if !(20..=5000).contains(&body.target_households) {
        return Err(ApiError::bad_field("target_households", "must be from 20 to 5000 households"));
    }
    let dry_run = body.dry_run.unwrap_or(false);
    let options =
        ByHouseholds { target_households: body.target_households, dry_run, replace: body.replace.unwrap_or(false) };
    let cells = state.db(move |conn| governance::generate(conn, &caller, &id, &options)).await?;
    made(&state, &cells, out, dry_run).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    layer: Option<String>,
}

/// `GET /api/v1/communities/{id}/coverage?layer=`: how one layer (governance grids unless
/// asked) covers the community.
pub async fn coverage(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CoverageQuery>,
) -> ApiResult<HttpResponse> {
    let layer = layer(query.layer.as_deref())?.unwrap_or(Layer::Governance);
    let (report, cells) = state.db(move |conn| cell::coverage(conn, &caller, &id, layer)).await?;
    let overlaps: Vec<Value> = report
        .overlaps
        .iter()
        .map(|o| json!({"cells": [cells[o.a].code, cells[o.b].code], "area_m2": (o.area_m2 * 10.0).round() / 10.0}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "community_area_m2": (report.community_area_m2 * 10.0).round() / 10.0,
        "covered_area_m2": (report.covered_area_m2 * 10.0).round() / 10.0,
        "coverage_ratio": (report.coverage_ratio * 1e6).round() / 1e6,
        "cells": cells.len(),
        "gaps": gridhub_geo::boundary::multipolygon_geojson(&report.gaps),
        "overlaps": overlaps,
    })))
}
