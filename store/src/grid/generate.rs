//! Dividing a community into cells of a target area (square or hexagonal), or replacing the cells
//! of that layer with such a division; a dry run shows what would be made. Unit grids (单元网格)
//! are made this way; governance grids are usually grouped from them by households
//! (`governance::generate`), but a community without unit grids may tile them by area too.

use diesel::prelude::*;
use gridhub_geo::grid::{self, GridOptions, Tiling};
use gridhub_geo::measure::metres_per_degree;
use gridhub_geo::{Boundary, CellCode, CommunityCode};
use serde_json::json;

use super::cell::{Cell, Layer, active_in, default_name, link_units, relinked, writable_community};
use super::version;
use crate::access::{Caller, Place, audit};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::{StoreError, StoreResult};
use crate::regions::community::Community;
use crate::schema::cells;
use crate::time::now;

pub struct GenerateOptions {
    pub layer: Layer,
    pub tiling: Tiling,
    pub target_area_m2: f64,
    pub merge_below: f64,
    pub dry_run: bool,
    pub replace: bool,
}

/// The most cells a community can be divided into (three-digit sequence numbers).
pub const MAX_CELLS: usize = 999;

/// The most tiles of the target area a community's bounding box may hold: a long, thin
/// community can have a small area and a huge box, and every tile costs an intersection.
const MAX_TILES: f64 = 50.0 * MAX_CELLS as f64;

/// Refuses, before anything is computed, a division that would make more cells than a community
/// may have, or tile a box too large: both are known from the community's area and box alone.
fn estimate(community: &Community, target_area_m2: f64) -> StoreResult<()> {
    let cells = community.area_m2 / target_area_m2;
    if cells > MAX_CELLS as f64 {
        return Err(StoreError::invalid(
            "target_area_m2",
            format!(
                "would make about {cells:.0} cells of {community} ({:.0} m²); a community has at most {MAX_CELLS}",
                community.area_m2,
                community = community.name
            ),
        ));
    }
    let (mx, my) = metres_per_degree((community.min_lat + community.max_lat) / 2.0);
    let bbox = (community.max_lng - community.min_lng) * mx * (community.max_lat - community.min_lat) * my;
    if bbox / target_area_m2 > MAX_TILES {
        return Err(StoreError::invalid(
            "target_area_m2",
            format!(
                "the extent of {} would need {:.0} tiles; choose a larger target area",
                community.name,
                bbox / target_area_m2
            ),
        ));
    }
    Ok(())
}

/// Divides a community into cells. A dry run stores nothing; otherwise a community that has
/// cells keeps them unless `replace`, which retires them. Who may is decided first, the count
/// estimated, and the geometry computed outside the write transaction.
pub fn generate(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    options: &GenerateOptions,
) -> StoreResult<Vec<Cell>> {
    let (community, place) = writable_community(conn, caller, community_id)?;
    let existing = active_in(conn, &community.id, options.layer)?;
    may_replace(&community, options.layer, &existing, options.replace || options.dry_run)?;
    estimate(&community, options.target_area_m2)?;
    let grid_version = version::grid_version(conn)?;
    let shape = Boundary::stored_shape(&community.boundary)
        .ok_or_else(|| StoreError::Config("unreadable community boundary".into()))?;
    let grid_options = GridOptions {
        tiling: options.tiling,
        target_area_m2: options.target_area_m2,
        merge_below: options.merge_below,
    };
    let generated = grid::generate(&shape, &grid_options);
    if generated.len() > MAX_CELLS {
        return Err(StoreError::invalid(
            "target_area_m2",
            format!("would make {} cells; a community has at most {MAX_CELLS}", generated.len()),
        ));
    }
    let community_code = CommunityCode::parse(&community.code).map_err(|e| StoreError::Config(e.to_string()))?;
    // unit grids carry the 15 digits of GB/T 30428.1 (a 3-digit sequence); governance grids 2
    // digits while a community has under a hundred, so the two never read alike
    let width = if options.layer == Layer::Unit || generated.len() > 99 { 3 } else { 2 };
    let mut out = Vec::with_capacity(generated.len());
    for g in generated {
        let boundary = Boundary::from_shape(g.shape)
            .map_err(|p| StoreError::Config(format!("a generated cell is invalid: {p:?}")))?;
        let code = CellCode::new(&community_code, g.sequence, width).to_string();
        out.push(Cell::new(
            options.layer,
            &community.id,
            code.clone(),
            default_name(options.layer, &code),
            None,
            &boundary,
        ));
    }
    if options.dry_run {
        return Ok(out);
    }
    let changes =
        json!({"tiling": format!("{:?}", options.tiling).to_lowercase(), "target_area_m2": options.target_area_m2});
    let replace =
        Replace { community: &community, place: &place, layer: options.layer, grid_version, retired: existing.len() };
    replace_layer(conn, caller, &replace, out, "cells.generate", changes)
}

/// A community that has cells of the layer keeps them unless the caller asked to replace them
/// (or only to see what would be made).
pub(crate) fn may_replace(community: &Community, layer: Layer, existing: &[Cell], asked: bool) -> StoreResult<()> {
    if existing.is_empty() || asked {
        return Ok(());
    }
    let what = match layer {
        Layer::Unit => "unit grids",
        Layer::Governance => "grids",
    };
    Err(StoreError::Conflict {
        field: "replace",
        detail: format!(
            "{} already has {} {what}; ask to replace them (\"replace\": true, or --replace) to retire them",
            community.name,
            existing.len()
        ),
    })
}

/// What `replace_layer` replaces: the active cells of one layer of a community, as they were
/// at `grid_version` (when the new ones were computed).
pub(crate) struct Replace<'a> {
    pub community: &'a Community,
    pub place: &'a Place,
    pub layer: Layer,
    pub grid_version: i64,
    pub retired: usize,
}

/// Retires the community's active cells of the layer and stores `out` in their place, in one
/// transaction that fails if the grid changed since `grid_version`; units are linked to their
/// governance grids anew and the change audited as `action` with `changes` (and the counts).
pub(crate) fn replace_layer(
    conn: &mut DbConn,
    caller: &Caller,
    r: &Replace,
    mut out: Vec<Cell>,
    action: &str,
    mut changes: serde_json::Value,
) -> StoreResult<Vec<Cell>> {
    crate::db::write(conn, |conn| {
        if version::grid_version(conn)? != r.grid_version {
            return Err(StoreError::Conflict {
                field: "replace",
                detail: "the grid changed while the cells were computed; ask again".into(),
            });
        }
        let t = now();
        let stamp = clock::tick(conn)?;
        let retiring = cells::table
            .filter(cells::community_id.eq(&r.community.id))
            .filter(cells::layer.eq(r.layer))
            .filter(cells::retired_at.is_null());
        diesel::update(retiring)
            .set((
                cells::retired_at.eq(t),
                cells::updated_at.eq(t),
                cells::version.eq(cells::version + 1),
                cells::sync_ms.eq(stamp),
            ))
            .execute(conn)?;
        for cell in &mut out {
            cell.sync_ms = stamp;
            diesel::insert_into(cells::table).values(&*cell).execute(conn)?;
        }
        link_units(conn, &r.community.id, stamp)?;
        version::bump(conn)?;
        changes["layer"] = json!(r.layer);
        changes["retired"] = json!(r.retired);
        changes["created"] = json!(out.len());
        audit::record(conn, caller, action, ("community", &r.community.id), r.place, changes)?;
        relinked(conn, out)
    })
}
