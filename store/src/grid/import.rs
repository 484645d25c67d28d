//! Importing a community's cells from GeoJSON features, all or nothing: who may is decided
//! first, then the features are read and checked outside any transaction, then written in one.

use std::collections::HashMap;

use diesel::prelude::*;
use geo::{BooleanOps, BoundingRect, Intersects, MultiPolygon};
use gridhub_geo::coverage;
use gridhub_geo::{Boundary, CellCode, CommunityCode, Crs, Limits};
use serde_json::{Value, json};

use super::cell::{Cell, Layer, active_in, default_name, link_units, relinked, writable_community};
use super::generate::MAX_CELLS;
use super::version;
use crate::access::{Caller, Place, audit};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::unique_as_conflict;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::input::Check;
use crate::regions::community::Community;
use crate::regions::{outside, strays};
use crate::schema::cells;
use crate::time::now;

/// A cell of an import: a GeoJSON feature's properties and geometry.
pub struct ImportCell {
    pub code: String,
    pub name: Option<String>,
    pub households: Option<i32>,
    pub boundary: Boundary,
}

#[derive(Debug, serde::Serialize)]
pub struct ImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub cells: Vec<Cell>,
}

/// An import as it came: a GeoJSON FeatureCollection in `crs`, each boundary within `limits`,
/// all of them within `max_vertices` corners.
pub struct ImportRequest {
    /// Which layer the cells are of: unit grids, or governance grids with their own boundaries.
    pub layer: Layer,
    pub body: Value,
    pub crs: Crs,
    pub limits: Limits,
    pub max_vertices: usize,
}

/// Reads every feature of an import, collecting the problems before answering (the first 100,
/// and how many); `progress` hears the index of each feature as it is read.
pub fn read(request: &ImportRequest, mut progress: impl FnMut(usize)) -> StoreResult<Vec<ImportCell>> {
    let body = &request.body;
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(StoreError::invalid("type", "must be \"FeatureCollection\""));
    }
    let Some(features) = body.get("features").and_then(Value::as_array) else {
        return Err(StoreError::invalid("features", "must be a list of GeoJSON features"));
    };
    if features.is_empty() {
        return Err(StoreError::invalid("features", "is empty: nothing to import"));
    }
    if features.len() > MAX_CELLS {
        return Err(StoreError::invalid(
            "features",
            format!("a community has at most {MAX_CELLS} cells; this import has {}", features.len()),
        ));
    }
    let mut vertices = 0usize;
    for (i, f) in features.iter().enumerate() {
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let single = geometry.get("type").and_then(Value::as_str) == Some("Polygon");
        if let Some(coordinates) = geometry.get("coordinates") {
            let unlimited = Limits { ring_vertices: usize::MAX, vertices: usize::MAX, rings: usize::MAX };
            vertices += unlimited.count(coordinates, single).unwrap_or(0);
        }
        if vertices > request.max_vertices {
            return Err(StoreError::invalid(
                format!("features[{i}].geometry"),
                format!("an import has at most {} corners in all; this one passes that here", request.max_vertices),
            ));
        }
    }
    let mut check = Check::default();
    let mut out = Vec::new();
    for (i, f) in features.iter().enumerate() {
        progress(i);
        let at = |field: &str| format!("features[{i}].{field}");
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let code = props.get("code").and_then(Value::as_str).map(str::trim).map(str::to_owned);
        if code.is_none() {
            check.push(at("properties.code"), "is required: the cell's 14- or 15-digit code");
        }
        let name = match props.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) => Some(check.name(&at("properties.name"), n)),
            Some(_) => {
                check.push(at("properties.name"), "must be 1 to 100 characters");
                None
            }
        };
        let households = match props.get("households") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().and_then(|h| i32::try_from(h).ok()) {
                Some(h) => Some(h),
                None => {
                    check.push(at("properties.households"), "must be a whole number");
                    None
                }
            },
        };
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let boundary = check.boundary(&at("geometry"), geometry, request.crs, &request.limits);
        if let (Some(code), Some(boundary)) = (code, boundary) {
            out.push(ImportCell { code, name, households, boundary });
        }
    }
    check.done()?;
    Ok(out)
}

/// Whether the caller may import cells into the community: asked before the import is read.
pub fn may_import(conn: &mut DbConn, caller: &Caller, community_id: &str) -> StoreResult<()> {
    writable_community(conn, caller, community_id).map(|_| ())
}

/// Imports cells into a community, all or nothing. Everything is checked first (see `check`), each
/// problem named by its feature (`features[3].properties.code`). A code the community already
/// has updates that cell.
pub fn import(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    request: &ImportRequest,
) -> StoreResult<ImportOutcome> {
    let (community, place) = writable_community(conn, caller, community_id)?;
    let features = read(request, |_| {})?;
    let grid = version::grid_version(conn)?;
    check(conn, &community, request.layer, &features)?;
    crate::db::write(conn, |conn| {
        if version::grid_version(conn)? != grid {
            return Err(StoreError::Conflict {
                field: "features",
                detail: "the grid changed while the import was checked; send it again".into(),
            });
        }
        store(conn, caller, &community, &place, request.layer, &features)
    })
}

/// Checks an import against the community and its cells: codes that extend the community's, no
/// code twice, households not negative, every cell within the community, no overlap of more
/// than 1 m² with another imported or existing cell.
fn check(conn: &mut DbConn, community: &Community, layer: Layer, features: &[ImportCell]) -> StoreResult<()> {
    let community_code = CommunityCode::parse(&community.code).map_err(|e| StoreError::Config(e.to_string()))?;
    let mut problems = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, f) in features.iter().enumerate() {
        let at = |field: &str| format!("features[{i}].properties.{field}");
        if let Err(e) = CellCode::parse_under(&f.code, &community_code) {
            problems.push(FieldProblem::new(at("code"), e.to_string()));
        } else if let Some(j) = seen.insert(f.code.as_str(), i) {
            problems.push(FieldProblem::new(at("code"), format!("{} is also the code of feature {j}", f.code)));
        }
        if f.households.is_some_and(|h| h < 0) {
            problems.push(FieldProblem::new(at("households"), "cannot be negative"));
        }
    }
    if let Some(shape) = Boundary::stored_shape(&community.boundary) {
        let holder = format!("the community {} ({})", community.name, community.code);
        for i in strays_of(features, &shape) {
            if let Some(m) = strays(features[i].boundary.shape(), &shape) {
                problems.push(outside(&format!("features[{i}].geometry"), "the cell", m, &holder));
            }
        }
    }
    let existing = active_in(conn, &community.id, layer)?;
    // the grid after the import: the imported cells, then the existing ones it leaves alone
    let kept: Vec<&Cell> = existing.iter().filter(|c| !seen.contains_key(c.code.as_str())).collect();
    let shapes: Vec<MultiPolygon<f64>> =
        features.iter().map(|f| f.boundary.shape().clone()).chain(kept.iter().map(|c| c.shape())).collect();
    for o in coverage::overlaps(&shapes) {
        if o.a < features.len() {
            let other = if o.b < features.len() {
                format!("feature {}", o.b)
            } else {
                format!("cell {}", kept[o.b - features.len()].code)
            };
            problems.push(FieldProblem::new(
                format!("features[{}].geometry", o.a),
                format!("overlaps {other} by {:.1} m² (at most 1 m² is allowed)", o.area_m2),
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

/// The features that may stray outside `community`: those touching what of all of them together
/// lies outside it (one overlay of the whole import, not one per cell).
fn strays_of(features: &[ImportCell], community: &MultiPolygon<f64>) -> Vec<usize> {
    let all = geo::unary_union(features.iter().map(|f| f.boundary.shape()));
    let beyond = all.difference(community);
    let Some(bounds) = beyond.bounding_rect() else { return Vec::new() };
    features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.boundary.shape().bounding_rect().is_some_and(|r| r.intersects(&bounds)))
        .map(|(i, _)| i)
        .collect()
}

/// Writes an import checked by `check`; call it in the write transaction.
fn store(
    conn: &mut DbConn,
    caller: &Caller,
    community: &Community,
    place: &Place,
    layer: Layer,
    features: &[ImportCell],
) -> StoreResult<ImportOutcome> {
    let existing = active_in(conn, &community.id, layer)?;
    let by_code: HashMap<&str, &Cell> = existing.iter().map(|c| (c.code.as_str(), c)).collect();
    let (mut created, mut updated, mut out) = (0, 0, Vec::new());
    for f in features {
        let cell = match by_code.get(f.code.as_str()) {
            Some(old) => {
                let mut cell =
                    Cell { version: old.version + 1, updated_at: now(), sync_ms: clock::tick(conn)?, ..(*old).clone() };
                cell.set_boundary(&f.boundary);
                if let Some(name) = &f.name {
                    cell.name = name.clone();
                }
                if f.households.is_some() {
                    cell.households = f.households;
                }
                diesel::update(cells::table.find(&cell.id)).set(&cell).execute(conn)?;
                updated += 1;
                cell
            }
            None => {
                let name = f.name.clone().unwrap_or_else(|| default_name(layer, &f.code));
                let mut cell = Cell::new(layer, &community.id, f.code.clone(), name, f.households, &f.boundary);
                cell.sync_ms = clock::tick(conn)?;
                diesel::insert_into(cells::table)
                    .values(&cell)
                    .execute(conn)
                    .map_err(unique_as_conflict("code", format!("the code {} is taken", cell.code)))?;
                created += 1;
                cell
            }
        };
        out.push(cell);
    }
    let stamp = clock::tick(conn)?;
    link_units(conn, &community.id, stamp)?;
    version::bump(conn)?;
    let changes = json!({"layer": layer, "created": created, "updated": updated});
    audit::record(conn, caller, "cells.import", ("community", &community.id), place, changes)?;
    Ok(ImportOutcome { created, updated, cells: relinked(conn, out)? })
}
