//! gridhub-geo: the geometry of grid management — administrative boundaries and division codes,
//! the coordinate systems phones speak, grid generation, grouping and coverage, and the R-tree index that
//! finds the cell of a point.
//!
//! Pure computation only: this crate must never depend on a database or on HTTP.

pub mod boundary;
pub mod codes;
pub mod coverage;
pub mod crs;
pub mod grid;
pub mod group;
pub mod index;
pub mod measure;
pub mod valid;

pub use boundary::{BBox, Boundary, BoundaryProblem, Limits};
pub use codes::{CellCode, CodeError, CommunityCode, DistrictCode, DivisionCode, StreetCode};
pub use crs::Crs;
pub use index::{GridIndex, Placement};
