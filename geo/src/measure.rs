//! How big and how far, on the WGS-84 ellipsoid: areas of polygons (holes and all, whichever way
//! their rings wind), distances between nearby points, and how far one shape reaches outside
//! another.

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, Coord, GeodesicArea, Line, MultiPolygon};
use rstar::RTree;

/// Metres per degree of longitude and of latitude at `lat`, on the WGS-84 ellipsoid.
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let lng = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos() + 0.118 * (5.0 * phi).cos();
    let lat = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos() - 0.0023 * (6.0 * phi).cos();
    (lng, lat)
}

/// How far apart two nearby WGS-84 points are, in metres (flat at their latitude: good to a few
/// centimetres over the kilometres a grid spans).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (mx, my) = metres_per_degree((a.1 + b.1) / 2.0);
    ((a.0 - b.0) * mx).hypot((a.1 - b.1) * my)
}

/// The area of a shape on the ellipsoid, in square metres: its polygons' outer rings less their
/// holes. The rings are oriented first (outer anticlockwise, holes clockwise): the geodesic area
/// of a ring depends on its winding, and a hole wound like its outer ring would otherwise count
/// as the rest of the Earth.
pub fn area_m2<S: Orient + GeodesicArea<f64>>(shape: &S) -> f64 {
    shape.orient(Direction::Default).geodesic_area_signed().abs()
}

/// How far `inner` reaches outside `outer`, in metres: the greatest distance from `outer` of a
/// corner of what of `inner` lies outside it (0 when `inner` lies within `outer`).
pub fn metres_outside(inner: &MultiPolygon<f64>, outer: &MultiPolygon<f64>) -> f64 {
    let beyond = inner.difference(outer);
    if beyond.0.is_empty() {
        return 0.0;
    }
    let lat = beyond.0[0].exterior().0.first().map_or(0.0, |c| c.y);
    let (mx, my) = metres_per_degree(lat);
    let flat = |c: &Coord<f64>| Coord { x: c.x * mx, y: c.y * my };
    let edges: Vec<Line<f64>> = outer
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.lines())
        .map(|l| Line::new(flat(&l.start), flat(&l.end)))
        .collect();
    let tree = RTree::bulk_load(edges);
    let mut farthest: f64 = 0.0;
    for p in &beyond.0 {
        for c in std::iter::once(p.exterior()).chain(p.interiors()).flat_map(|r| r.coords()) {
            let at = flat(c);
            let d = tree
                .nearest_neighbor(&geo::Point::from(at))
                .map_or(f64::INFINITY, |line| rstar::PointDistance::distance_2(line, &geo::Point::from(at)).sqrt());
            farthest = farthest.max(d);
        }
    }
    farthest
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon, polygon};

    #[test]
    fn a_hole_is_taken_out_whichever_way_it_winds() {
        let outer =
            LineString::from(vec![(115.90, 28.67), (115.91, 28.67), (115.91, 28.68), (115.90, 28.68), (115.90, 28.67)]);
        let hole = LineString::from(vec![
            (115.903, 28.673),
            (115.906, 28.673),
            (115.906, 28.676),
            (115.903, 28.676),
            (115.903, 28.673),
        ]);
        let mut reversed = hole.clone();
        reversed.0.reverse();
        let whole = area_m2(&MultiPolygon::new(vec![Polygon::new(outer.clone(), vec![])]));
        let small = area_m2(&MultiPolygon::new(vec![Polygon::new(hole.clone(), vec![])]));
        for h in [hole, reversed] {
            let with_hole = area_m2(&MultiPolygon::new(vec![Polygon::new(outer.clone(), vec![h])]));
            assert!((with_hole - (whole - small)).abs() < 1.0, "{with_hole} vs {}", whole - small);
        }
        // about 977 m × 1109 m, less about 293 m × 333 m
        assert!((whole - 1_083_400.0).abs() < 5_000.0, "{whole}");
    }

    #[test]
    fn how_far_outside() {
        let (mx, _) = metres_per_degree(28.68);
        let d = 100.0 / mx; // about 100 m east-west
        let outer = MultiPolygon::new(vec![
            polygon![(x: 115.9, y: 28.68), (x: 115.9 + d, y: 28.68), (x: 115.9 + d, y: 28.681), (x: 115.9, y: 28.681)],
        ]);
        assert_eq!(metres_outside(&outer, &outer), 0.0);
        let over = 12.0 / mx;
        let inner = MultiPolygon::new(vec![
            polygon![(x: 115.9, y: 28.68), (x: 115.9 + d + over, y: 28.68), (x: 115.9 + d + over, y: 28.681), (x: 115.9, y: 28.681)],
        ]);
        let m = metres_outside(&inner, &outer);
        assert!((m - 12.0).abs() < 0.1, "{m}");
    }
}
