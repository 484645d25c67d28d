//! Importing a community's cells from GeoJSON features, all or nothing.

use std::collections::HashMap;

use diesel::prelude::*;
use geo::MultiPolygon;
use gridhub_geo::coverage;
use gridhub_geo::{Boundary, CellCode, CommunityCode};
use serde_json::json;

use super::cell::{Cell, active_in, default_name, writable_community};
use super::version;
use crate::access::{Caller, audit};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::unique_as_conflict;
use crate::error::{FieldProblem, StoreError, StoreResult};
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

/// Imports cells into a community, all or nothing. Everything is checked first — codes that
/// extend the community's, no code twice, households not negative, no overlap of more than
/// 1 m² with another imported or existing cell — and each problem is named by its feature
/// (`features[3].properties.code`). A code the community already has updates that cell.
pub fn import(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    features: Vec<ImportCell>,
) -> StoreResult<ImportOutcome> {
    crate::db::write(conn, |conn| {
        let (community, place) = writable_community(conn, caller, community_id)?;
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
        let existing = active_in(conn, &community.id)?;
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
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let by_code: HashMap<&str, &Cell> = existing.iter().map(|c| (c.code.as_str(), c)).collect();
        let (mut created, mut updated, mut out) = (0, 0, Vec::new());
        for f in &features {
            let cell = match by_code.get(f.code.as_str()) {
                Some(old) => {
                    let mut cell = Cell {
                        version: old.version + 1,
                        updated_at: now(),
                        sync_ms: clock::tick(conn)?,
                        ..(*old).clone()
                    };
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
                    let name = f.name.clone().unwrap_or_else(|| default_name(&f.code));
                    let mut cell = Cell::new(&community.id, f.code.clone(), name, f.households, &f.boundary);
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
        version::bump(conn)?;
        audit::record(
            conn,
            caller,
            "cells.import",
            ("community", &community.id),
            &place,
            json!({"created": created, "updated": updated}),
        )?;
        Ok(ImportOutcome { created, updated, cells: out })
    })
}
