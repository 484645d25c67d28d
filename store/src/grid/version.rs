//! The grid version: a number that moves on in the transaction of every change of cells, so
//! that every API node notices and rebuilds its index; and what an index is built from — each
//! active cell's shape with what `locate` answers and a report's placement needs (`Located`), so
//! that neither asks the database again.

use diesel::prelude::*;
use geo::MultiPolygon;
use gridhub_geo::Boundary;
use serde::Serialize;

use super::layer::Layer;
use crate::access::Place;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{cells, communities, grid_state, streets};
use crate::time::now;

/// Moves the grid version on; call it in the transaction that changed cells.
pub(crate) fn bump(conn: &mut DbConn) -> StoreResult<()> {
    diesel::update(grid_state::table.find(1))
        .set((grid_state::version.eq(grid_state::version + 1), grid_state::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// The current grid version: compare it to know whether the cells changed.
pub fn grid_version(conn: &mut DbConn) -> StoreResult<i64> {
    Ok(grid_state::table.find(1).select(grid_state::version).first(conn)?)
}

/// A region by its id, code and name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Named {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// What an index holds of a cell: the cell, its community and street, its district.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Located {
    pub layer: Layer,
    pub id: String,
    pub code: String,
    pub name: String,
    pub community: Named,
    pub street: Named,
    pub district_id: String,
}

impl Located {
    pub fn place(&self) -> Place {
        Place::community(&self.district_id, &self.street.id, &self.community.id)
    }
}

/// A located cell and its shape: what an index is built from.
pub type Shaped = (Located, MultiPolygon<f64>);

/// Every active cell of both layers with its shape, and the grid version they belong to (read in one
/// transaction, so the two agree).
pub fn active_cells(conn: &mut DbConn) -> StoreResult<(i64, Vec<Shaped>)> {
    type Row = (Layer, String, String, String, String, String, String, String, String, String, String, String);
    conn.transaction(|conn| {
        let version = grid_version(conn)?;
        let rows: Vec<Row> = cells::table
            .inner_join(communities::table.inner_join(streets::table))
            .filter(cells::retired_at.is_null())
            .select((
                cells::layer,
                cells::id,
                cells::code,
                cells::name,
                cells::boundary,
                communities::id,
                communities::code,
                communities::name,
                streets::id,
                streets::code,
                streets::name,
                streets::district_id,
            ))
            .load(conn)?;
        let cells = rows
            .into_iter()
            .filter_map(|(layer, id, code, name, boundary, c_id, c_code, c_name, s_id, s_code, s_name, district_id)| {
                let shape = Boundary::stored_shape(&boundary)?;
                let community = Named { id: c_id, code: c_code, name: c_name };
                let street = Named { id: s_id, code: s_code, name: s_name };
                Some((Located { layer, id, code, name, community, street, district_id }, shape))
            })
            .collect();
        Ok((version, cells))
    })
}
