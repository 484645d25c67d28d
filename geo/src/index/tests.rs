use super::*;
use geo::{BoundingRect, Contains, Intersects, polygon};

fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)]])
}

/// A 10 × 10 checkerboard of unit squares, named by their column and row.
fn board() -> GridIndex {
    GridIndex::build((0..10).flat_map(|i| (0..10).map(move |j| (format!("{i},{j}"), square(i as f64, j as f64, 1.0)))))
}

#[test]
fn shared_edges_and_vertices_go_east_then_north() {
    let b = board();
    assert_eq!(b.locate(3.0, 4.5).map(String::as_str), Some("3,4"), "on a north–south edge: the eastern cell");
    assert_eq!(b.locate(3.5, 4.0).map(String::as_str), Some("3,4"), "on an east–west edge: the northern cell");
    assert_eq!(b.locate(3.0, 4.0).map(String::as_str), Some("3,4"), "on a shared vertex: the north-eastern cell");
    assert_eq!(b.locate(10.0, 5.5).map(String::as_str), None, "the outer eastern edge is outside");
    assert_eq!(b.locate(0.0, 5.5).map(String::as_str), Some("0,5"), "the outer western edge is inside");
}

#[test]
fn every_point_of_a_tiling_is_in_exactly_one_cell() {
    // slanted shared edges too: a fan of triangles around a centre
    let centre = Coord { x: 0.3, y: 0.7 };
    let corners =
        [(-1.0, -1.0), (0.2, -1.3), (1.0, -1.0), (1.4, 0.1), (1.0, 1.0), (-0.1, 1.2), (-1.0, 1.0), (-1.2, 0.0)];
    let cells: Vec<(String, MultiPolygon<f64>)> = (0..corners.len())
        .map(|i| {
            let (a, b) = (corners[i], corners[(i + 1) % corners.len()]);
            let t = polygon![(x: centre.x, y: centre.y), (x: a.0, y: a.1), (x: b.0, y: b.1)];
            (format!("t{i}"), MultiPolygon::new(vec![t]))
        })
        .collect();
    let index = GridIndex::build(cells.clone());
    let mut points: Vec<(f64, f64)> = corners.to_vec();
    points.push((centre.x, centre.y));
    for (a, b) in corners.iter().map(|a| (a, centre)) {
        for k in 1..10 {
            let t = k as f64 / 10.0;
            points.push((a.0 + (b.x - a.0) * t, a.1 + (b.y - a.1) * t));
        }
    }
    for (x, y) in points {
        let owners = cells.iter().filter(|(id, _)| index.locate_in(id, x, y)).count();
        let on_hull = corners.iter().any(|c| (c.0, c.1) == (x, y));
        assert!(owners == 1 || (on_hull && owners <= 1), "({x}, {y}) is in {owners} cells");
    }
}

impl GridIndex {
    fn locate_in(&self, id: &str, x: f64, y: f64) -> bool {
        let n = self.cells.iter().position(|c| c == id).unwrap() as u32;
        self.contains(n, [x, y])
    }
}

#[test]
fn agrees_with_geo_away_from_edges() {
    let mut seed = 7u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 1_000_000) as f64 / 100_000.0
    };
    let b = board();
    for _ in 0..5_000 {
        let (x, y) = (next(), next());
        let want = (0..10)
            .flat_map(|i| (0..10).map(move |j| (i, j)))
            .find(|(i, j)| square(*i as f64, *j as f64, 1.0).contains(&geo::Point::new(x, y)))
            .map(|(i, j)| format!("{i},{j}"));
        if x.fract() != 0.0 && y.fract() != 0.0 {
            assert_eq!(b.locate(x, y).cloned(), want, "({x}, {y})");
        }
    }
}

/// Property: on generated grids of both tilings, a point drawn strictly inside a cell is
/// located in that cell, and locate agrees with a brute-force scan of every cell.
#[test]
fn locate_agrees_with_brute_force_on_generated_grids() {
    use crate::grid::{GridOptions, Tiling, generate};
    let community = MultiPolygon::new(vec![polygon![
        (x: 115.890, y: 28.676), (x: 115.8965, y: 28.676), (x: 115.8968, y: 28.6812),
        (x: 115.8930, y: 28.6820), (x: 115.8962, y: 28.686), (x: 115.890, y: 28.686),
    ]]);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut unit = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for tiling in [Tiling::Square, Tiling::Hex] {
        let cells = generate(&community, &GridOptions { tiling, target_area_m2: 5_000.0, ..GridOptions::default() });
        let index = GridIndex::build(cells.iter().map(|c| (c.sequence.to_string(), c.shape.clone())));
        let (mut inside, mut checked) = (0, 0);
        for _ in 0..4_000 {
            let p = geo::Point::new(115.889 + unit() * 0.0085, 28.675 + unit() * 0.0115);
            let owners: Vec<String> =
                cells.iter().filter(|c| c.shape.contains(&p)).map(|c| c.sequence.to_string()).collect();
            let on_edge = cells.iter().any(|c| c.shape.intersects(&p)) && owners.is_empty();
            if on_edge {
                continue; // exactly on an edge: the shared-edge rule decides, tested above
            }
            checked += 1;
            assert!(owners.len() <= 1, "{p:?} is strictly inside {owners:?}");
            assert_eq!(index.locate(p.x(), p.y()).cloned(), owners.first().cloned(), "{tiling:?} {p:?}");
            inside += owners.len();
        }
        assert!(checked > 3_900 && inside > 2_000, "{tiling:?}: {checked} points, {inside} inside");
        // and a point drawn inside each cell is found there
        for c in &cells {
            let b = c.shape.bounding_rect().unwrap();
            let p = (0..1_000)
                .map(|_| geo::Point::new(b.min().x + unit() * b.width(), b.min().y + unit() * b.height()))
                .find(|p| c.shape.contains(p))
                .expect("a point inside the cell");
            assert_eq!(index.locate(p.x(), p.y()).map(String::as_str), Some(c.sequence.to_string().as_str()));
        }
    }
}

#[test]
fn holes_are_outside() {
    let ring = polygon!(
        exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
        interiors: [[(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 3.0), (x: 1.0, y: 3.0)]],
    );
    let index = GridIndex::build(vec![("ring".into(), MultiPolygon::new(vec![ring]))]);
    assert_eq!(index.locate(0.5, 2.0).map(String::as_str), Some("ring"));
    assert_eq!(index.locate(2.0, 2.0), None);
    assert_eq!(index.in_bbox(BBox { min_lng: 1.5, min_lat: 1.5, max_lng: 2.5, max_lat: 2.5 }), Vec::<&String>::new());
    assert_eq!(index.in_bbox(BBox { min_lng: 3.5, min_lat: 3.5, max_lng: 9.0, max_lat: 9.0 }), vec!["ring"]);
}

#[test]
fn nearest_within_a_distance() {
    // a cell of about 100 m near Nanchang, and points east of it
    let (mx, _) = metres_per_degree(28.68);
    let d = 100.0 / mx;
    let index = GridIndex::build(vec![("c".into(), square(115.9, 28.68, d))]);
    assert_eq!(index.nearest(115.9 + d / 2.0, 28.68 + d / 2.0, 10.0), Some((&"c".to_owned(), 0.0)));
    let (id, dist) = index.nearest(115.9 + d + 30.0 / mx, 28.68 + d / 2.0, 50.0).unwrap();
    assert_eq!(id, "c");
    assert!((dist - 30.0).abs() < 0.01, "{dist}");
    assert_eq!(index.nearest(115.9 + d + 30.0 / mx, 28.68 + d / 2.0, 20.0), None);
}

#[test]
fn a_report_is_placed_inside_near_or_outside() {
    let (mx, _) = metres_per_degree(28.68);
    let d = 100.0 / mx;
    let index = GridIndex::build(vec![("c".to_owned(), square(115.9, 28.68, d))]);
    assert_eq!(index.place(115.9 + d / 2.0, 28.68 + d / 2.0), Placement::Inside(&"c".to_owned()));
    match index.place(115.9 + d + 300.0 / mx, 28.68 + d / 2.0) {
        Placement::Near { cell, distance_m } => {
            assert_eq!(cell, "c");
            assert!((distance_m - 300.0).abs() < 0.1, "{distance_m}");
        }
        other => panic!("300 m away is near: {other:?}"),
    }
    assert_eq!(index.place(115.9 + d + (NEAR_CELL_M + 10.0) / mx, 28.68), Placement::Outside);
    assert_eq!(index.place(115.9, 28.68).cell().map(|c| c.as_str()), Some("c"));
}
