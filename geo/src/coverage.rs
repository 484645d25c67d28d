//! Coverage of a community by its cells: how much of it the cells cover, the parts they leave
//! uncovered (as geometry), and the cells that overlap each other by more than 1 m².

use geo::{BooleanOps, BoundingRect, MultiPolygon, unary_union};

use crate::measure::area_m2;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Overlaps smaller than this are rounding, not an error.
pub const OVERLAP_TOLERANCE_M2: f64 = 1.0;
/// Gaps smaller than this are rounding too (the same tolerance as overlaps), left out of the report.
const GAP_DUST_M2: f64 = 1.0;

/// Two cells (by their position in the input) that overlap, and by how much.
#[derive(Debug, Clone)]
pub struct Overlap {
    pub a: usize,
    pub b: usize,
    pub area_m2: f64,
    pub shape: MultiPolygon<f64>,
}

#[derive(Debug, Clone)]
pub struct Coverage {
    pub community_area_m2: f64,
    pub covered_area_m2: f64,
    pub coverage_ratio: f64,
    /// The parts of the community no cell covers.
    pub gaps: MultiPolygon<f64>,
    pub overlaps: Vec<Overlap>,
}

/// Measures how `cells` cover `community`.
pub fn coverage(community: &MultiPolygon<f64>, cells: &[MultiPolygon<f64>]) -> Coverage {
    let community_area = area_m2(community);
    let union = unary_union(cells.iter());
    let covered = area_m2(&community.intersection(&union));
    let gaps =
        MultiPolygon::new(community.difference(&union).into_iter().filter(|p| area_m2(p) > GAP_DUST_M2).collect());
    Coverage {
        community_area_m2: community_area,
        covered_area_m2: covered,
        coverage_ratio: if community_area > 0.0 { (covered / community_area).min(1.0) } else { 0.0 },
        gaps,
        overlaps: overlaps(cells),
    }
}

/// The pairs of cells that overlap by more than [`OVERLAP_TOLERANCE_M2`].
pub fn overlaps(cells: &[MultiPolygon<f64>]) -> Vec<Overlap> {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.bounding_rect().map(|r| GeomWithData::new(Rectangle::from_corners(r.min().into(), r.max().into()), i))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let mut found = Vec::new();
    for b in &boxes {
        let env = AABB::from_corners(b.geom().lower(), b.geom().upper());
        for other in tree.locate_in_envelope_intersecting(&env) {
            if other.data <= b.data {
                continue;
            }
            let shape = cells[b.data].intersection(&cells[other.data]);
            let area = area_m2(&shape);
            if area > OVERLAP_TOLERANCE_M2 {
                found.push(Overlap { a: b.data, b: other.data, area_m2: area, shape });
            }
        }
    }
    found.sort_by_key(|o| (o.a, o.b));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn gaps_and_overlaps_are_found() {
        let d = 0.001; // about 100 m
        let community = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 2.0 * d, y: 0.0), (x: 2.0 * d, y: d), (x: 0.0, y: d)],
        ]);
        let west = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.1 * d, y: 0.0), (x: 1.1 * d, y: d), (x: 0.0, y: d)],
        ]);
        let east = MultiPolygon::new(vec![
            polygon![(x: 1.0 * d, y: 0.0), (x: 1.8 * d, y: 0.0), (x: 1.8 * d, y: d), (x: 1.0 * d, y: d)],
        ]);
        let report = coverage(&community, &[west, east]);
        assert!((report.coverage_ratio - 0.9).abs() < 0.001, "{}", report.coverage_ratio);
        assert_eq!(report.gaps.0.len(), 1);
        assert_eq!(report.overlaps.len(), 1);
        // 0.0001° of longitude (11.13 m) by 0.001° of latitude (110.6 m) at the equator
        assert!((report.overlaps[0].area_m2 - 1_231.0).abs() < 5.0, "{}", report.overlaps[0].area_m2);
    }
}
