//! 网格 — grid cells: the unit of responsibility, about 10,000 m² or a few hundred households.
//! Cells are imported or generated per community, retired (never deleted, since old cases refer
//! to them), and every change moves the grid version on in the same transaction, so that every
//! API node rebuilds its index.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use geo::MultiPolygon;
use gridhub_geo::coverage::{self, Coverage};
use gridhub_geo::grid::{self, GridOptions, Tiling};
use gridhub_geo::{BBox, Boundary, CellCode, CommunityCode};
use serde_json::json;

use crate::access::{Place, Reach};
use crate::error::{expect_version, unique_as_conflict};
use crate::schema::{cells, communities, grid_state, streets};
use crate::{Caller, DbConn, FieldProblem, Page, Paged, StoreError, StoreResult, audit, clock, community, now, street};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = cells, treat_none_as_null = true)]
pub struct Cell {
    pub id: String,
    pub community_id: String,
    pub code: String,
    pub name: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub boundary: String,
    #[serde(skip)]
    pub min_lng: f64,
    #[serde(skip)]
    pub min_lat: f64,
    #[serde(skip)]
    pub max_lng: f64,
    #[serde(skip)]
    pub max_lat: f64,
    pub area_m2: f64,
    pub households: Option<i32>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub retired_at: Option<NaiveDateTime>,
    /// The sync clock's stamp of the last change (phones pull by it).
    #[serde(skip)]
    pub sync_ms: i64,
}

impl Cell {
    fn new(community_id: &str, code: String, name: String, households: Option<i32>, boundary: &Boundary) -> Self {
        let t = now();
        let mut cell = Cell {
            id: uuid::Uuid::now_v7().to_string(),
            community_id: community_id.to_owned(),
            code,
            name,
            boundary: String::new(),
            min_lng: 0.0,
            min_lat: 0.0,
            max_lng: 0.0,
            max_lat: 0.0,
            area_m2: 0.0,
            households,
            version: 1,
            created_at: t,
            updated_at: t,
            retired_at: None,
            sync_ms: 0,
        };
        cell.set_boundary(boundary);
        cell
    }

    fn set_boundary(&mut self, boundary: &Boundary) {
        let b = boundary.bbox();
        self.boundary = boundary.to_geojson().to_string();
        (self.min_lng, self.min_lat, self.max_lng, self.max_lat) = (b.min_lng, b.min_lat, b.max_lng, b.max_lat);
        self.area_m2 = (boundary.area_m2() * 10.0).round() / 10.0;
    }

    pub fn shape(&self) -> MultiPolygon<f64> {
        Boundary::stored_shape(&self.boundary).unwrap_or_else(|| MultiPolygon::new(vec![]))
    }

    /// The part of the code after the community's: the label on a map.
    pub fn sequence(&self) -> &str {
        self.code.get(12..).unwrap_or(&self.code)
    }
}

/// The default name of the `n`-th cell: 第07网格.
fn default_name(code: &str) -> String {
    format!("第{}网格", code.get(12..).unwrap_or(code))
}

fn active_in(conn: &mut DbConn, community_id: &str) -> StoreResult<Vec<Cell>> {
    Ok(cells::table
        .filter(cells::community_id.eq(community_id))
        .filter(cells::retired_at.is_null())
        .order(cells::code.asc())
        .select(Cell::as_select())
        .load(conn)?)
}

/// Moves the grid version on; call it in the transaction that changed cells.
fn bump_grid_version(conn: &mut DbConn) -> StoreResult<()> {
    diesel::update(grid_state::table.find(1))
        .set((grid_state::version.eq(grid_state::version + 1), grid_state::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// The current grid version: compare it to know whether the cells changed.
pub fn grid_version(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(grid_state::table.find(1).select(grid_state::version).first(conn)?)
}

/// Cells by id and shape: what an index is built from.
pub type Shapes = Vec<(String, MultiPolygon<f64>)>;

/// Every active cell's id and shape, and the grid version they belong to (read in one
/// transaction, so the two agree).
pub fn active_shapes(conn: &mut DbConn) -> StoreResult<(i64, Shapes)> {
    conn.transaction(|conn| {
        let version = grid_version(conn)?;
        let rows: Vec<(String, String)> =
            cells::table.filter(cells::retired_at.is_null()).select((cells::id, cells::boundary)).load(conn)?;
        let shapes = rows.into_iter().filter_map(|(id, text)| Boundary::stored_shape(&text).map(|s| (id, s))).collect();
        Ok((version, shapes))
    })
}

/// The community a grid write is about, once the caller is known to be allowed to write it.
fn writable_community(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
) -> StoreResult<(community::Community, Place)> {
    let c = community::find(conn, caller, community_id)?;
    let s = street::get(conn, &c.street_id)?;
    let place = Place::community(&s.district_id, &s.id, &c.id);
    caller.require_grid_admin(&Reach::of(conn, caller)?, &place)?;
    Ok((c, place))
}

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
    crate::write(conn, |conn| {
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
        bump_grid_version(conn)?;
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

pub struct GenerateOptions {
    pub tiling: Tiling,
    pub target_area_m2: f64,
    pub merge_below: f64,
    pub dry_run: bool,
    pub replace: bool,
}

/// The most cells a community can be divided into (three-digit sequence numbers).
pub const MAX_CELLS: usize = 999;

/// Divides a community into cells. A dry run stores nothing; otherwise a community that has
/// cells keeps them unless `replace`, which retires them.
pub fn generate(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    options: &GenerateOptions,
) -> StoreResult<Vec<Cell>> {
    crate::write(conn, |conn| {
        let (community, place) = writable_community(conn, caller, community_id)?;
        let existing = active_in(conn, &community.id)?;
        if !existing.is_empty() && !options.replace && !options.dry_run {
            return Err(StoreError::Conflict {
                field: "replace",
                detail: format!(
                    "{} already has {} cells; ask to replace them (\"replace\": true, or --replace) to retire them",
                    community.name,
                    existing.len()
                ),
            });
        }
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
        let width = if generated.len() > 99 { 3 } else { 2 };
        let mut out = Vec::with_capacity(generated.len());
        for g in generated {
            let boundary = Boundary::from_shape(g.shape)
                .map_err(|p| StoreError::Config(format!("a generated cell is invalid: {p:?}")))?;
            let code = CellCode::new(&community_code, g.sequence, width).to_string();
            out.push(Cell::new(&community.id, code.clone(), default_name(&code), None, &boundary));
        }
        if options.dry_run {
            return Ok(out);
        }
        let t = now();
        let stamp = clock::tick(conn)?;
        diesel::update(cells::table.filter(cells::community_id.eq(&community.id)).filter(cells::retired_at.is_null()))
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
        bump_grid_version(conn)?;
        let changes = json!({"retired": existing.len(), "created": out.len(), "tiling": format!("{:?}", options.tiling).to_lowercase(), "target_area_m2": options.target_area_m2});
        audit::record(conn, caller, "cells.generate", ("community", &community.id), &place, changes)?;
        Ok(out)
    })
}

fn get(conn: &mut DbConn, id: &str) -> StoreResult<Cell> {
    cells::table
        .find(id)
        .select(Cell::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("cell", id))
}

/// A cell the caller may see (its community is in their reach); 404 otherwise.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Cell> {
    let reach = Reach::of(conn, caller)?;
    find_in(conn, &reach, id).map(|(cell, _)| cell)
}

/// A cell and where it lies, if `reach` sees it (404 otherwise): for callers that have resolved
/// the reach once already, as a batch of assignments does.
pub(crate) fn find_in(conn: &mut DbConn, reach: &Reach, id: &str) -> StoreResult<(Cell, Place)> {
    let cell = get(conn, id)?;
    let c = community::get(conn, &cell.community_id)?;
    let s = street::get(conn, &c.street_id)?;
    let place = Place::community(&s.district_id, &s.id, &c.id);
    if reach.sees(&place) { Ok((cell, place)) } else { Err(StoreError::not_found("cell", id)) }
}

#[derive(Debug, Default, Clone)]
pub struct CellFilter {
    pub community_id: Option<String>,
    pub bbox: Option<BBox>,
    pub include_retired: bool,
}

/// The cells the caller may see, by community and bounding box, in code order within creation.
pub fn list(conn: &mut DbConn, caller: &Caller, filter: &CellFilter, page: &Page) -> StoreResult<Paged<Cell>> {
    let reach = Reach::of(conn, caller)?;
    let mut q = cells::table.select(Cell::as_select()).order(cells::id.asc()).into_boxed();
    match &reach {
        Reach::Everywhere => {}
        Reach::District { district } => {
            let streets_of = streets::table.filter(streets::district_id.eq(district.clone())).select(streets::id);
            let communities_of =
                communities::table.filter(communities::street_id.eq_any(streets_of)).select(communities::id);
            q = q.filter(cells::community_id.eq_any(communities_of));
        }
        Reach::Street { street, .. } => {
            let communities_of =
                communities::table.filter(communities::street_id.eq(street.clone())).select(communities::id);
            q = q.filter(cells::community_id.eq_any(communities_of));
        }
        Reach::Community { community, .. } => q = q.filter(cells::community_id.eq(community.clone())),
        Reach::Nothing => return Ok(Paged::from_rows(Vec::new(), page, |c: &Cell| &c.id)),
    }
    if let Some(c) = &filter.community_id {
        q = q.filter(cells::community_id.eq(c.clone()));
    }
    if let Some(b) = filter.bbox {
        q = q
            .filter(cells::min_lng.le(b.max_lng))
            .filter(cells::max_lng.ge(b.min_lng))
            .filter(cells::min_lat.le(b.max_lat))
            .filter(cells::max_lat.ge(b.min_lat));
    }
    if !filter.include_retired {
        q = q.filter(cells::retired_at.is_null());
    }
    if let Some(after) = &page.after {
        q = q.filter(cells::id.gt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |c| &c.id))
}

/// The active cells of a community the caller may see, in code order.
pub fn of_community(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
) -> StoreResult<(community::Community, Vec<Cell>)> {
    let c = community::find(conn, caller, community_id)?;
    let cells = active_in(conn, &c.id)?;
    Ok((c, cells))
}

#[derive(Default)]
pub struct CellPatch {
    pub name: Option<String>,
    /// `Some(None)` clears the household count.
    pub households: Option<Option<i32>>,
    pub boundary: Option<Boundary>,
}

/// Changes a cell. A new boundary must not overlap the community's other cells by more than 1 m².
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: CellPatch,
    expected_version: Option<i64>,
) -> StoreResult<Cell> {
    crate::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        if old.retired_at.is_some() {
            return Err(StoreError::Conflict {
                field: "id",
                detail: format!("cell {} is retired and cannot change", old.code),
            });
        }
        let (_, place) = writable_community(conn, caller, &old.community_id)?;
        expect_version("cell", id, old.version, expected_version)?;
        let mut new = Cell { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(name) = patch.name {
            new.name = name;
        }
        if let Some(h) = patch.households {
            new.households = h;
        }
        if let Some(boundary) = &patch.boundary {
            new.set_boundary(boundary);
            let others: Vec<Cell> =
                active_in(conn, &old.community_id)?.into_iter().filter(|c| c.id != old.id).collect();
            let shapes: Vec<MultiPolygon<f64>> =
                std::iter::once(boundary.shape().clone()).chain(others.iter().map(Cell::shape)).collect();
            let problems: Vec<FieldProblem> = coverage::overlaps(&shapes)
                .into_iter()
                .filter(|o| o.a == 0)
                .map(|o| {
                    FieldProblem::new(
                        "boundary",
                        format!(
                            "overlaps cell {} by {:.1} m² (at most 1 m² is allowed)",
                            others[o.b - 1].code,
                            o.area_m2
                        ),
                    )
                })
                .collect();
            if !problems.is_empty() {
                return Err(StoreError::Invalid(problems));
            }
        }
        new.sync_ms = clock::tick(conn)?;
        diesel::update(cells::table.find(id)).set(&new).execute(conn)?;
        if patch.boundary.is_some() {
            bump_grid_version(conn)?;
        }
        let changes = audit::diff(&[
            ("name", json!(old.name), json!(new.name)),
            ("households", json!(old.households), json!(new.households)),
            ("boundary", json!(old.boundary), json!(new.boundary)),
        ]);
        audit::record(conn, caller, "cell.update", ("cell", id), &place, changes)?;
        Ok(new)
    })
}

/// How the community's active cells cover it, with overlaps named by cell code.
pub fn coverage(conn: &mut DbConn, caller: &Caller, community_id: &str) -> StoreResult<(Coverage, Vec<Cell>)> {
    let (community, cells) = of_community(conn, caller, community_id)?;
    let shape = Boundary::stored_shape(&community.boundary).unwrap_or_else(|| MultiPolygon::new(vec![]));
    let shapes: Vec<MultiPolygon<f64>> = cells.iter().map(Cell::shape).collect();
    Ok((coverage::coverage(&shape, &shapes), cells))
}

/// Where a located cell lies: the cell, its community and its street. Open to every logged-in
/// caller, as `locate` is: which cell a place falls in is no secret.
pub fn placed(conn: &mut DbConn, id: &str) -> StoreResult<(Cell, community::Community, street::Street)> {
    let cell = get(conn, id)?;
    let c = community::get(conn, &cell.community_id)?;
    let s = street::get(conn, &c.street_id)?;
    Ok((cell, c, s))
}
