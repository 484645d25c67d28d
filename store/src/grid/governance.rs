//! 网格 made of 单元网格: a community's governance grids drawn from its unit grids — named by
//! hand (`create`: these unit grids are 第3网格; `regroup`: this grid gains or gives up unit
//! grids) or grouped by households (`generate`: grids of about N households, each in one piece).

use diesel::prelude::*;
use geo::MultiPolygon;
use gridhub_geo::group::contiguous_groups;
use gridhub_geo::{Boundary, CellCode, CommunityCode, Crs, Limits};
use serde_json::json;

use super::cell::{Cell, CellPatch, Layer, active_in, default_name, fits, link_units, writable_community};
use super::generate::{MAX_CELLS, Replace, may_replace, replace_layer};
use super::version;
use crate::access::{Caller, audit};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::{FieldProblem, StoreError, StoreResult, unique_as_conflict};
use crate::input::Geometry;
use crate::regions::community::Community;
use crate::schema::cells;
use crate::types::CellId;

/// A governance grid to make of unit grids.
pub struct NewGovernanceGrid {
    pub code: String,
    pub name: Option<String>,
    pub unit_cell_ids: Vec<String>,
    /// When not given, the sum of its unit grids' households (if any of them says).
    pub households: Option<i32>,
}

/// The outline of unit grids taken together, if they make one piece.
fn outline(units: &[&Cell]) -> Result<Boundary, String> {
    let shapes: Vec<MultiPolygon<f64>> = units.iter().map(|u| u.shape()).collect();
    let union = geo::unary_union(shapes.iter());
    if union.0.len() != 1 {
        return Err(format!(
            "the unit grids make {} separate pieces; a grid is one piece of adjacent unit grids",
            union.0.len()
        ));
    }
    Boundary::from_shape(union).map_err(|p| format!("their outline is not a valid boundary: {p:?}"))
}

/// The unit grids named by `ids` (`unit_cell_ids`), each an active unit grid of the community
/// named once and free — in no grid, or in `this` grid (one being redrawn).
fn chosen<'a>(
    community: &Community,
    units: &'a [Cell],
    grids: &[Cell],
    ids: &[String],
    this: Option<&CellId>,
) -> StoreResult<Vec<&'a Cell>> {
    if ids.is_empty() {
        return Err(StoreError::invalid("unit_cell_ids", "is empty: name the unit grids the grid is made of"));
    }
    if ids.len() > MAX_CELLS {
        return Err(StoreError::invalid("unit_cell_ids", format!("a grid is made of at most {MAX_CELLS} unit grids")));
    }
    let mut problems = Vec::new();
    let mut chosen: Vec<&Cell> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("unit_cell_ids[{i}]");
        match units.iter().find(|u| u.id.as_str() == id) {
            None => problems.push(FieldProblem::new(
                field,
                format!("{id} is not an active unit grid of {} ({})", community.name, community.code),
            )),
            Some(u) if chosen.iter().any(|c| c.id == u.id) => {
                problems.push(FieldProblem::new(field, format!("unit grid {} is named twice", u.code)))
            }
            Some(u) => {
                let other = u.parent_id.as_ref().filter(|p| Some(*p) != this);
                if let Some(g) = other.and_then(|p| grids.iter().find(|g| &g.id == p)) {
                    problems.push(FieldProblem::new(
                        field,
                        format!("unit grid {} already belongs to grid {} ({})", u.code, g.code, g.name),
                    ));
                }
                chosen.push(u);
            }
        }
    }
    if problems.is_empty() { Ok(chosen) } else { Err(StoreError::Invalid(problems)) }
}

fn households_of(units: &[&Cell]) -> Option<i32> {
    units.iter().any(|u| u.households.is_some()).then(|| units.iter().filter_map(|u| u.households).sum())
}

fn community_code(community: &Community) -> StoreResult<CommunityCode> {
    CommunityCode::parse(&community.code).map_err(|e| StoreError::Config(e.to_string()))
}

/// Makes a governance grid of unit grids of the community that belong to no grid yet. Who may
/// is decided first; the unit grids must be active, of this community, free and adjacent.
pub fn create(conn: &mut DbConn, caller: &Caller, community_id: &str, new: NewGovernanceGrid) -> StoreResult<Cell> {
    let (community, place) = writable_community(conn, caller, community_id)?;
    CellCode::parse_under(&new.code, &community_code(&community)?)
        .map_err(|e| StoreError::invalid("code", e.to_string()))?;
    if new.households.is_some_and(|h| h < 0) {
        return Err(StoreError::invalid("households", "cannot be negative"));
    }
    let grid_version = version::grid_version(conn)?;
    let units = active_in(conn, &community.id, Layer::Unit)?;
    let grids = active_in(conn, &community.id, Layer::Governance)?;
    let chosen = chosen(&community, &units, &grids, &new.unit_cell_ids, None)?;
    let boundary = outline(&chosen).map_err(|e| StoreError::invalid("unit_cell_ids", e))?;
    fits("unit_cell_ids", &boundary, &community, &grids)?;
    let name = new.name.unwrap_or_else(|| default_name(Layer::Governance, &new.code));
    let households = new.households.or_else(|| households_of(&chosen));
    let mut grid = Cell::new(Layer::Governance, &community.id, new.code, name, households, &boundary);
    crate::db::write(conn, |conn| {
        if version::grid_version(conn)? != grid_version {
            return Err(StoreError::Conflict {
                field: "unit_cell_ids",
                detail: "the grid changed while the grid was drawn; send it again".into(),
            });
        }
        grid.sync_ms = clock::tick(conn)?;
        diesel::insert_into(cells::table)
            .values(&grid)
            .execute(conn)
            .map_err(unique_as_conflict("code", format!("the code {} is taken", grid.code)))?;
        link_units(conn, &community.id, grid.sync_ms)?;
        version::bump(conn)?;
        let units: Vec<&str> = chosen.iter().map(|u| u.code.as_str()).collect();
        let changes = json!({"code": grid.code, "name": grid.name, "units": units, "households": grid.households});
        audit::record(conn, caller, "grid.create", ("cell", &grid.id), &place, changes)?;
        Ok(grid)
    })
}

/// Redraws a governance grid from the unit grids named (adding free ones, giving up others),
/// with the rest of `patch` (its households, when not given, become the unit grids' sum). Who
/// may is decided first; the outline is then checked as any new boundary is.
pub fn regroup(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    unit_cell_ids: &[String],
    mut patch: CellPatch,
    expected_version: Option<i64>,
) -> StoreResult<Cell> {
    let grid = super::cell::find(conn, caller, id)?;
    let (community, _) = writable_community(conn, caller, &grid.community_id)?;
    if grid.layer != Layer::Governance {
        return Err(StoreError::invalid(
            "unit_cell_ids",
            format!("{} is a unit grid; only a governance grid is made of unit grids", grid.code),
        ));
    }
    let units = active_in(conn, &community.id, Layer::Unit)?;
    let grids = active_in(conn, &community.id, Layer::Governance)?;
    let chosen = chosen(&community, &units, &grids, unit_cell_ids, Some(&grid.id))?;
    let boundary = outline(&chosen).map_err(|e| StoreError::invalid("unit_cell_ids", e))?;
    let unlimited = Limits { ring_vertices: usize::MAX, vertices: usize::MAX, rings: usize::MAX };
    patch.boundary = Some(Geometry { geojson: boundary.to_geojson(), crs: Crs::Wgs84, limits: unlimited });
    if patch.households.is_none() {
        patch.households = Some(households_of(&chosen));
    }
    super::cell::update(conn, caller, id, patch, expected_version)
}

pub struct ByHouseholds {
    /// About how many households a grid should hold.
    pub target_households: i32,
    pub dry_run: bool,
    pub replace: bool,
}

/// Groups the community's unit grids into contiguous governance grids of about the target
/// number of households (their households counted from the unit grids). A dry run stores
/// nothing; a community that has governance grids keeps them unless `replace`.
pub fn generate(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    options: &ByHouseholds,
) -> StoreResult<Vec<Cell>> {
    let (community, place) = writable_community(conn, caller, community_id)?;
    let units = active_in(conn, &community.id, Layer::Unit)?;
    if units.is_empty() {
        return Err(StoreError::Conflict {
            field: "community_id",
            detail: format!(
                "{} has no unit grids to group; generate or import them first (layer \"unit\")",
                community.name
            ),
        });
    }
    if units.iter().all(|u| u.households.is_none()) {
        return Err(StoreError::Conflict {
            field: "target_households",
            detail: format!(
                "no unit grid of {} says how many households it holds; set households first",
                community.name
            ),
        });
    }
    let existing = active_in(conn, &community.id, Layer::Governance)?;
    may_replace(&community, Layer::Governance, &existing, options.replace || options.dry_run)?;
    let grid_version = version::grid_version(conn)?;
    let shapes: Vec<MultiPolygon<f64>> = units.iter().map(Cell::shape).collect();
    let weights: Vec<f64> = units.iter().map(|u| f64::from(u.households.unwrap_or(0).max(0))).collect();
    let groups = contiguous_groups(&shapes, &weights, f64::from(options.target_households));
    if groups.len() > MAX_CELLS {
        return Err(StoreError::invalid(
            "target_households",
            format!("would make {} grids; a community has at most {MAX_CELLS}", groups.len()),
        ));
    }
    let code = community_code(&community)?;
    let width = if groups.len() > 99 { 3 } else { 2 };
    let mut out = Vec::with_capacity(groups.len());
    for (k, group) in groups.iter().enumerate() {
        let members: Vec<&Cell> = group.iter().map(|&i| &units[i]).collect();
        // adjacent by their edges, yet their union in pieces: unit grids whose shared edges do
        // not quite meet (an import's rounding); the office must see which
        let boundary = outline(&members).map_err(|e| {
            let codes: Vec<&str> = members.iter().map(|u| u.code.as_str()).collect();
            StoreError::Conflict { field: "community_id", detail: format!("unit grids {}: {e}", codes.join(", ")) }
        })?;
        let grid_code = CellCode::new(&code, k as u32 + 1, width).to_string();
        let name = default_name(Layer::Governance, &grid_code);
        out.push(Cell::new(Layer::Governance, &community.id, grid_code, name, households_of(&members), &boundary));
    }
    if options.dry_run {
        return Ok(out);
    }
    let changes = json!({"target_households": options.target_households, "units": units.len()});
    let replace = Replace {
        community: &community,
        place: &place,
        layer: Layer::Governance,
        grid_version,
        retired: existing.len(),
    };
    replace_layer(conn, caller, &replace, out, "grids.generate", changes)
}
