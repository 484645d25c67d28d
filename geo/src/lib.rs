//! gridhub-geo: the geometry of grid management — administrative boundaries and division codes
//! (and, as the grid lands, cells and the R-tree that finds the cell of a point).
//!
//! Pure computation only: this crate must never depend on a database or on HTTP.

pub mod boundary;
pub mod codes;

pub use boundary::{BBox, Boundary, BoundaryProblem};
pub use codes::{CodeError, CommunityCode, DistrictCode, DivisionCode, StreetCode};
