//! 网格 — grid cells, in two layers. A unit grid (单元网格, GB/T 30428.1) is about 10,000 m²: it
//! locates a report precisely and counts where problems cluster. A governance grid (网格) is a
//! few hundred households along estates and lanes: it is who answers — its people, its cases,
//! its phones' sync. Governance grids may be made of unit grids (`governance`); the rule that
//! ties the layers lives here (`link_units`: a unit grid names the governance grid its interior
//! point lies in, `parent_id`). Cells are imported or generated per community,
//! retired (never deleted, since old cases refer to them), and every change moves the grid
//! version on in the same transaction, so that every API node rebuilds its index.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use geo::{InteriorPoint, MultiPolygon};
use gridhub_geo::coverage::{self, Coverage};
use gridhub_geo::{BBox, Boundary, GridIndex};
use serde_json::json;

pub use super::layer::Layer;
use super::version;
use crate::access::{Caller, Place, Reach, audit, place};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::expect_version;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::input::Geometry;
use crate::page::{Page, Paged};
use crate::regions::{community, outside, strays, street};
use crate::schema::{cells, communities, streets};
use crate::time::now;
use crate::types::CellId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = cells, treat_none_as_null = true)]
pub struct Cell {
    pub id: CellId,
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
    pub layer: Layer,
    /// A unit grid's governance grid, when it lies in one.
    pub parent_id: Option<CellId>,
}

impl Cell {
    pub(crate) fn new(
        layer: Layer,
        community_id: &str,
        code: String,
        name: String,
        households: Option<i32>,
        boundary: &Boundary,
    ) -> Self {
        let t = now();
        let mut cell = Cell {
            id: CellId::new(uuid::Uuid::now_v7().to_string()),
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
            layer,
            parent_id: None,
        };
        cell.set_boundary(boundary);
        cell
    }

    pub(crate) fn set_boundary(&mut self, boundary: &Boundary) {
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

/// The default name of the `n`-th cell of a layer: 第07网格, 第07单元网格.
pub(crate) fn default_name(layer: Layer, code: &str) -> String {
    let n = code.get(12..).unwrap_or(code);
    match layer {
        Layer::Governance => format!("第{n}网格"),
        Layer::Unit => format!("第{n}单元网格"),
    }
}

/// The active cells of one layer of a community, in code order.
pub(crate) fn active_in(conn: &mut DbConn, community_id: &str, layer: Layer) -> StoreResult<Vec<Cell>> {
    Ok(cells::table
        .filter(cells::community_id.eq(community_id))
        .filter(cells::layer.eq(layer))
        .filter(cells::retired_at.is_null())
        .order(cells::code.asc())
        .select(Cell::as_select())
        .load(conn)?)
}

/// `cells` as they stand after `link_units` in the same transaction: the unit grids among them
/// read again (linking may have given them a parent), the others as they are; same order.
pub(crate) fn relinked(conn: &mut DbConn, cells: Vec<Cell>) -> StoreResult<Vec<Cell>> {
    let ids: Vec<&str> = cells.iter().filter(|c| c.layer == Layer::Unit).map(|c| c.id.as_str()).collect();
    if ids.is_empty() {
        return Ok(cells);
    }
    let mut fresh: std::collections::HashMap<CellId, Cell> = ids
        .chunks(500)
        .map(|chunk| cells::table.filter(cells::id.eq_any(chunk)).select(Cell::as_select()).load(conn))
        .collect::<Result<Vec<Vec<Cell>>, _>>()?
        .into_iter()
        .flatten()
        .map(|c| (c.id.clone(), c))
        .collect();
    Ok(cells.into_iter().map(|c| fresh.remove(&c.id).unwrap_or(c)).collect())
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
    find_in(conn, caller.reach(), id).map(|(cell, _)| cell)
}

/// A cell and where it lies, if `reach` sees it (404 otherwise).
pub(crate) fn find_in(conn: &mut DbConn, reach: &Reach, id: &str) -> StoreResult<(Cell, Place)> {
    let cell = get(conn, id)?;
    let place = place::of_community(conn, &cell.community_id)?;
    if reach.sees(&place) { Ok((cell, place)) } else { Err(StoreError::not_found("cell", id)) }
}

/// The community a grid write is about, once the caller is known to be allowed to write it.
pub(crate) fn writable_community(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
) -> StoreResult<(community::Community, Place)> {
    let c = community::find(conn, caller, community_id)?;
    let place = place::of_community(conn, &c.id)?;
    caller.require_grid_admin(&place)?;
    Ok((c, place))
}

#[derive(Debug, Default, Clone)]
pub struct CellFilter {
    pub community_id: Option<String>,
    /// One layer; both when not given.
    pub layer: Option<Layer>,
    pub bbox: Option<BBox>,
    pub include_retired: bool,
}

/// The cells the caller may see, by community and bounding box, in code order within creation.
pub fn list(conn: &mut DbConn, caller: &Caller, filter: &CellFilter, page: &Page) -> StoreResult<Paged<Cell>> {
    let mut q = cells::table.select(Cell::as_select()).order(cells::id.asc()).into_boxed();
    match caller.reach() {
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
    if let Some(layer) = filter.layer {
        q = q.filter(cells::layer.eq(layer));
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

/// The active governance grids of a community the caller may see, in code order: who answers
/// there (staffing, assignments, maps).
pub fn of_community(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
) -> StoreResult<(community::Community, Vec<Cell>)> {
    layer_of(conn, caller, community_id, Layer::Governance)
}

/// The active cells of one layer of a community the caller may see, in code order.
pub fn layer_of(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    layer: Layer,
) -> StoreResult<(community::Community, Vec<Cell>)> {
    let c = community::find(conn, caller, community_id)?;
    let cells = active_in(conn, &c.id, layer)?;
    Ok((c, cells))
}

#[derive(Default)]
pub struct CellPatch {
    pub name: Option<String>,
    /// `Some(None)` clears the household count.
    pub households: Option<Option<i32>>,
    pub boundary: Option<Geometry>,
}

/// A cell's boundary against its community: within it, and not over the other cells of its
/// layer in the community (`others`) by more than 1 m².
pub(crate) fn fits(
    field: &str,
    boundary: &Boundary,
    community: &community::Community,
    others: &[Cell],
) -> StoreResult<()> {
    if let Some(shape) = Boundary::stored_shape(&community.boundary)
        && let Some(m) = strays(boundary.shape(), &shape)
    {
        return Err(StoreError::Invalid(vec![outside(
            field,
            "the cell",
            m,
            &format!("its community {} ({})", community.name, community.code),
        )]));
    }
    let shapes: Vec<MultiPolygon<f64>> =
        std::iter::once(boundary.shape().clone()).chain(others.iter().map(Cell::shape)).collect();
    let problems: Vec<FieldProblem> = coverage::overlaps(&shapes)
        .into_iter()
        .filter(|o| o.a == 0)
        .map(|o| {
            let detail =
                format!("overlaps cell {} by {:.1} m² (at most 1 m² is allowed)", others[o.b - 1].code, o.area_m2);
            FieldProblem::new(field, detail)
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

/// Changes a cell. Who may is decided before a new boundary is read; it must lie within the
/// community and not overlap its other cells by more than 1 m².
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: CellPatch,
    expected_version: Option<i64>,
) -> StoreResult<Cell> {
    let old = find(conn, caller, id)?;
    let (community, place) = writable_community(conn, caller, &old.community_id)?;
    let boundary = patch.boundary.as_ref().map(|g| g.read("boundary")).transpose()?;
    if let Some(b) = &boundary {
        let others: Vec<Cell> =
            active_in(conn, &old.community_id, old.layer)?.into_iter().filter(|c| c.id != old.id).collect();
        fits("boundary", b, &community, &others)?;
    }
    crate::db::write(conn, |conn| {
        let old = find(conn, caller, id)?;
        if old.retired_at.is_some() {
            return Err(StoreError::Conflict {
                field: "id",
                detail: format!("cell {} is retired and cannot change", old.code),
            });
        }
        expect_version("cell", id, old.version, expected_version)?;
        let mut new = Cell { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(name) = patch.name {
            new.name = name;
        }
        if let Some(h) = patch.households {
            new.households = h;
        }
        if let Some(b) = &boundary {
            new.set_boundary(b);
        }
        new.sync_ms = clock::tick(conn)?;
        diesel::update(cells::table.find(id)).set(&new).execute(conn)?;
        if boundary.is_some() {
            link_units(conn, &new.community_id, new.sync_ms)?;
            version::bump(conn)?;
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

/// How the community's active cells of one layer cover it, with overlaps named by cell code.
pub fn coverage(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    layer: Layer,
) -> StoreResult<(Coverage, Vec<Cell>)> {
    let (community, cells) = layer_of(conn, caller, community_id, layer)?;
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

/// Ties each active unit grid of the community to the active governance grid its interior point
/// lies in (or to none), marking what changed with `stamp`; call it in the transaction of any
/// change of either layer.
pub(crate) fn link_units(conn: &mut DbConn, community_id: &str, stamp: i64) -> StoreResult<()> {
    let units = active_in(conn, community_id, Layer::Unit)?;
    if units.is_empty() {
        return Ok(());
    }
    let grids = active_in(conn, community_id, Layer::Governance)?;
    let index = GridIndex::build(grids.iter().map(|g| (g.id.clone(), g.shape())));
    for unit in units {
        let parent = unit.shape().interior_point().and_then(|p| index.locate(p.x(), p.y())).cloned();
        if parent != unit.parent_id {
            diesel::update(cells::table.find(&unit.id))
                .set((
                    cells::parent_id.eq(parent),
                    cells::version.eq(cells::version + 1),
                    cells::updated_at.eq(now()),
                    cells::sync_ms.eq(stamp),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}
