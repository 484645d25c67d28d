//! The index a server answers `locate` and places reports from: one R-tree per layer, built
//! from every active cell (`version::active_cells`) and never asking the database again. A
//! point's governance grid says who answers for it; its unit grid where exactly it lies.

use gridhub_geo::{GridIndex, Placement};

use super::layer::Layer;
use super::version::{Located, Shaped};

pub struct Layers {
    grids: GridIndex<Located>,
    units: GridIndex<Located>,
}

/// Where a report belongs: its governance grid (or the nearest one, or none — whose office then
/// answers, see [`Placement`]) and the unit grid it lies in, if any.
#[derive(Debug, Clone)]
pub struct Placed {
    pub grid: Placement<Located>,
    pub unit: Option<Located>,
}

impl Placed {
    /// Who answers: the governance grid's community, else the unit grid's.
    pub fn answering(&self) -> Option<&Located> {
        self.grid.cell().or(self.unit.as_ref())
    }
}

impl Layers {
    pub fn build(cells: Vec<Shaped>) -> Self {
        let (units, grids): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(l, _)| l.layer == Layer::Unit);
        Self { grids: GridIndex::build(grids), units: GridIndex::build(units) }
    }

    /// How many cells of both layers the index holds.
    pub fn len(&self) -> usize {
        self.grids.len() + self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The governance grid and the unit grid (`lng`, `lat`) lies in.
    pub fn locate(&self, lng: f64, lat: f64) -> (Option<&Located>, Option<&Located>) {
        (self.grids.locate(lng, lat), self.units.locate(lng, lat))
    }

    /// Where a report at (`lng`, `lat`) belongs. A point inside a unit grid but in no governance
    /// grid is not given to a nearby grid (which may be another community's): its unit grid's
    /// community answers.
    pub fn place(&self, lng: f64, lat: f64) -> Placed {
        let unit = self.units.locate(lng, lat).cloned();
        let grid = match self.grids.place(lng, lat) {
            Placement::Near { .. } if unit.is_some() => Placement::Outside,
            p => p.map(Clone::clone),
        };
        Placed { grid, unit }
    }
}
