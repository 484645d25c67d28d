//! The administrative hierarchy gridhub manages — districts (区), streets (街道), communities
//! (社区) — and the departments (职能部门) of a district. Each keeps its boundary, code and name;
//! writes belong to system and district admins (`Caller::require_region_admin`). Each lies
//! within the one above it (`strays`).

pub mod community;
pub mod department;
pub mod district;
pub mod street;

use geo::MultiPolygon;

use crate::error::FieldProblem;

/// How far a boundary may stray outside the one that holds it: survey noise, not a contradiction.
pub const OUTSIDE_TOLERANCE_M: f64 = 5.0;

/// The rule of nesting: a community lies within its street, a cell within its community, up to
/// `OUTSIDE_TOLERANCE_M`. How far `inner` strays outside `outer` when it is more than that.
pub(crate) fn strays(inner: &MultiPolygon<f64>, outer: &MultiPolygon<f64>) -> Option<f64> {
    let outside = gridhub_geo::measure::metres_outside(inner, outer);
    (outside > OUTSIDE_TOLERANCE_M).then_some(outside)
}

/// The problem of a boundary that strays: `field` says that `what` lies `metres` outside `holder`.
pub(crate) fn outside(field: &str, what: &str, metres: f64, holder: &str) -> FieldProblem {
    FieldProblem::new(
        field,
        format!("{what} lies up to {metres:.0} m outside {holder} (at most {OUTSIDE_TOLERANCE_M} m is allowed)"),
    )
}
