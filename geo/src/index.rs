//! `GridIndex`: finds the cell of a point among up to millions of cells. An R-tree (rstar,
//! bulk-loaded) over the cells' bounding boxes narrows the search; an exact point-in-polygon
//! test decides.
//!
//! **The rule on shared edges.** A point is in a cell when a ray cast from it due east crosses
//! the cell's rings an odd number of times, counting each edge as half-open (its lower end in,
//! its upper end out) and deciding "left of the edge" with an exact orientation predicate. In a
//! grid whose cells share edges this puts every point in exactly one cell: a point on a
//! north–south edge belongs to the cell to its east, a point on an east–west edge to the cell to
//! its north, a shared vertex to the cell north-east of it. The answer does not depend on the
//! order of the cells or of their vertices.

use std::ops::ControlFlow;

use geo::{BoundingRect, Coord, Intersects, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RStarInsertionStrategy, RTree, RTreeParams};

use crate::BBox;
use crate::measure::metres_per_degree;

/// A cell's box in the tree: f32, rounded outward so that it always contains the exact box
/// (half the bytes of f64 to scan per node; the exact test decides anyway).
type Entry = GeomWithData<Rectangle<[f32; 2]>, Slot>;

/// What a leaf of the tree knows of its cell: its number, and for the common cell of one ring
/// where that ring's coordinates lie — carried in the leaf (which has room for it anyway), so
/// the test touches no other table before the coordinates themselves.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    cell: u32,
    /// `coords[from..to]` is the cell's only ring; `from == MANY` when it has several.
    from: u32,
    to: u32,
}

const MANY: u32 = u32::MAX;

fn down(v: f64) -> f32 {
    let f = v as f32;
    if f as f64 > v { f.next_down() } else { f }
}

fn up(v: f64) -> f32 {
    let f = v as f32;
    if (f as f64) < v { f.next_up() } else { f }
}

/// The f32 box around an f64 one.
fn envelope(min: Coord<f64>, max: Coord<f64>) -> AABB<[f32; 2]> {
    AABB::from_corners([down(min.x), down(min.y)], [up(max.x), up(max.y)])
}

/// A point in f32: inside every f32 box whose exact box holds the exact point (rounding is
/// monotonic).
fn at(lng: f64, lat: f64) -> [f32; 2] {
    [lng as f32, lat as f32]
}

/// Wider nodes than rstar's default (6): a shallower tree, fewer pointers to chase per lookup.
/// 48 measured best at a million cells (geo/benches/locate.rs; BENCHMARKS.md).
pub struct WideNodes;

impl RTreeParams for WideNodes {
    const MIN_SIZE: usize = 16;
    const MAX_SIZE: usize = 48;
    const REINSERTION_COUNT: usize = 12;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// The spatial index of a set of cells. Immutable: when cells change, build a new one and swap.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// use gridhub_geo::GridIndex;
/// let west = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)];
/// let east = polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)];
/// let index = GridIndex::build(vec![
///     ("west".to_string(), MultiPolygon::new(vec![west])),
///     ("east".to_string(), MultiPolygon::new(vec![east])),
/// ]);
/// assert_eq!(index.locate(0.5, 0.5).map(String::as_str), Some("west"));
/// assert_eq!(index.locate(1.0, 0.5).map(String::as_str), Some("east")); // a shared edge: the cell to the east
/// assert_eq!(index.locate(3.0, 0.5), None);
/// ```
pub struct GridIndex<D = String> {
    /// What the index knows of each cell (its id, or whatever the caller built it with).
    cells: Vec<D>,
    /// Cell `n`'s rings are `rings[first_ring[n]..first_ring[n + 1]]`.
    first_ring: Vec<u32>,
    /// Ring `r` is `coords[rings[r]..rings[r + 1]]`, closed (its first vertex repeated last).
    rings: Vec<u32>,
    coords: Vec<[f64; 2]>,
    tree: RTree<Entry, WideNodes>,
}

/// Where a point belongs (the rule has its home here, beside the index): inside a cell, or —
/// outside every cell — near the nearest one within [`NEAR_CELL_M`], whose office then answers
/// for it, or outside the grid altogether.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement<D> {
    Inside(D),
    Near { cell: D, distance_m: f64 },
    Outside,
}

impl<D> Placement<D> {
    /// The cell that answers for the point: the one it lies in, or the nearest.
    pub fn cell(&self) -> Option<&D> {
        match self {
            Placement::Inside(c) | Placement::Near { cell: c, .. } => Some(c),
            Placement::Outside => None,
        }
    }

    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> Placement<E> {
        match self {
            Placement::Inside(c) => Placement::Inside(f(c)),
            Placement::Near { cell, distance_m } => Placement::Near { cell: f(cell), distance_m },
            Placement::Outside => Placement::Outside,
        }
    }
}

/// How far from the nearest cell a point outside every cell may lie and still be placed with
/// that cell (so that its office answers for it).
pub const NEAR_CELL_M: f64 = 2000.0;

impl<D> GridIndex<D> {
    /// Builds the index in one bulk load.
    pub fn build(cells: impl IntoIterator<Item = (D, MultiPolygon<f64>)>) -> Self {
        let mut index = Self {
            cells: Vec::new(),
            first_ring: vec![0],
            rings: Vec::new(),
            coords: Vec::new(),
            tree: RTree::new_with_params(),
        };
        let mut entries = Vec::new();
        for (id, shape) in cells {
            let Some(rect) = shape.bounding_rect() else { continue };
            for polygon in &shape {
                for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                    index.rings.push(index.coords.len() as u32);
                    index.coords.extend(ring.coords().map(|c| [c.x, c.y]));
                }
            }
            let first = index.first_ring[index.first_ring.len() - 1] as usize;
            index.first_ring.push(index.rings.len() as u32);
            let n = index.cells.len() as u32;
            index.cells.push(id);
            let slot = if index.rings.len() - first == 1 {
                Slot { cell: n, from: index.rings[first], to: index.coords.len() as u32 }
            } else {
                Slot { cell: n, from: MANY, to: MANY }
            };
            let b = envelope(rect.min(), rect.max());
            entries.push(GeomWithData::new(Rectangle::from_corners(b.lower(), b.upper()), slot));
        }
        index.rings.push(index.coords.len() as u32);
        index.coords.shrink_to_fit();
        index.rings.shrink_to_fit();
        index.tree = RTree::bulk_load_with_params(entries);
        index
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Every cell the index holds, in the order it was built with.
    pub fn cells(&self) -> &[D] {
        &self.cells
    }

    /// Where a report at (`lng`, `lat`) belongs (see [`Placement`]).
    pub fn place(&self, lng: f64, lat: f64) -> Placement<&D> {
        match self.nearest(lng, lat, NEAR_CELL_M) {
            Some((cell, d)) if d == 0.0 => Placement::Inside(cell),
            Some((cell, distance_m)) => Placement::Near { cell, distance_m },
            None => Placement::Outside,
        }
    }

    /// The cell containing (`lng`, `lat`), by the rule on shared edges above.
    pub fn locate(&self, lng: f64, lat: f64) -> Option<&D> {
        let p = [lng, lat];
        // internal iteration: no stack to allocate, and it stops at the first cell that holds p
        let found = self.tree.locate_all_at_point_int(&at(lng, lat), |e| {
            let s = e.data;
            let inside = if s.from == MANY {
                self.contains(s.cell, p)
            } else {
                crossings_odd(&self.coords[s.from as usize..s.to as usize], p)
            };
            if inside { ControlFlow::Break(s.cell) } else { ControlFlow::Continue(()) }
        });
        match found {
            ControlFlow::Break(n) => Some(&self.cells[n as usize]),
            ControlFlow::Continue(()) => None,
        }
    }

    /// The cells that meet the box (touching counts).
    pub fn in_bbox(&self, bbox: BBox) -> Vec<&D> {
        let rect = Rect::new(Coord { x: bbox.min_lng, y: bbox.min_lat }, Coord { x: bbox.max_lng, y: bbox.max_lat });
        let search = envelope(Coord { x: bbox.min_lng, y: bbox.min_lat }, Coord { x: bbox.max_lng, y: bbox.max_lat });
        let mut found: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&search)
            .filter(|e| self.meets(e.data.cell, &rect))
            .map(|e| e.data.cell)
            .collect();
        found.sort_unstable();
        found.into_iter().map(|n| &self.cells[n as usize]).collect()
    }

    /// The cell nearest to (`lng`, `lat`) within `max_distance_m` metres, and its distance
    /// (0 inside a cell). Distances are measured on a local plane around the point, good to
    /// well under a metre over the few hundred metres this is meant for.
    pub fn nearest(&self, lng: f64, lat: f64, max_distance_m: f64) -> Option<(&D, f64)> {
        if let Some(cell) = self.locate(lng, lat) {
            return Some((cell, 0.0));
        }
        let (mx, my) = metres_per_degree(lat);
        let (dx, dy) = (max_distance_m / mx, max_distance_m / my);
        let search = envelope(Coord { x: lng - dx, y: lat - dy }, Coord { x: lng + dx, y: lat + dy });
        let mut best: Option<(u32, f64)> = None;
        for e in self.tree.locate_in_envelope_intersecting(&search) {
            let n = e.data.cell;
            let d = self.distance_m(n, lng, lat, mx, my);
            if d <= max_distance_m && best.is_none_or(|(m, b)| d < b || (d == b && n < m)) {
                best = Some((n, d));
            }
        }
        best.map(|(n, d)| (&self.cells[n as usize], d))
    }

    fn rings(&self, cell: u32) -> impl Iterator<Item = &[[f64; 2]]> {
        let (from, to) = (self.first_ring[cell as usize] as usize, self.first_ring[cell as usize + 1] as usize);
        (from..to).map(|r| &self.coords[self.rings[r] as usize..self.rings[r + 1] as usize])
    }

    /// The crossing-number test with half-open edges and exact orientation (see the module),
    /// over all the cell's rings.
    fn contains(&self, cell: u32, p: [f64; 2]) -> bool {
        self.rings(cell).fold(false, |inside, ring| inside ^ crossings_odd(ring, p))
    }

    fn distance_m(&self, cell: u32, lng: f64, lat: f64, mx: f64, my: f64) -> f64 {
        let mut best = f64::INFINITY;
        for ring in self.rings(cell) {
            for edge in ring.windows(2) {
                let a = ((edge[0][0] - lng) * mx, (edge[0][1] - lat) * my);
                let b = ((edge[1][0] - lng) * mx, (edge[1][1] - lat) * my);
                best = best.min(segment_distance(a, b));
            }
        }
        best
    }

    /// Whether the cell meets the box: one of its edges does, or the box lies inside it.
    fn meets(&self, cell: u32, rect: &Rect<f64>) -> bool {
        let edge_meets = self.rings(cell).any(|ring| {
            ring.windows(2).any(|e| {
                geo::Line::new(Coord { x: e[0][0], y: e[0][1] }, Coord { x: e[1][0], y: e[1][1] }).intersects(rect)
            })
        });
        edge_meets || self.contains(cell, [rect.center().x, rect.center().y])
    }
}

/// Whether a ray due east from `p` crosses the closed `ring` an odd number of times, counting
/// each edge half-open (lower end in, upper end out) and deciding "left of" exactly.
fn crossings_odd(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut odd = false;
    let pc = robust::Coord { x: p[0], y: p[1] };
    for edge in ring.windows(2) {
        let (a, b) = (edge[0], edge[1]);
        if (a[1] <= p[1]) != (b[1] <= p[1]) {
            let (lo, hi) = if a[1] <= p[1] { (a, b) } else { (b, a) };
            let (lo, hi) = (robust::Coord { x: lo[0], y: lo[1] }, robust::Coord { x: hi[0], y: hi[1] });
            if robust::orient2d(lo, hi, pc) > 0.0 {
                odd = !odd;
            }
        }
    }
    odd
}

/// Distance from the origin to the segment a–b, in the segment's units.
fn segment_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 { 0.0 } else { (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0) };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    (x * x + y * y).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{BoundingRect, Contains, Intersects, polygon};

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d), (x: x, y: y + d)]])
    }

    /// A 10 × 10 checkerboard of unit squares, named by their column and row.
    fn board() -> GridIndex {
        GridIndex::build(
            (0..10).flat_map(|i| (0..10).map(move |j| (format!("{i},{j}"), square(i as f64, j as f64, 1.0)))),
        )
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
            let cells =
                generate(&community, &GridOptions { tiling, target_area_m2: 5_000.0, ..GridOptions::default() });
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
        assert_eq!(
            index.in_bbox(BBox { min_lng: 1.5, min_lat: 1.5, max_lng: 2.5, max_lat: 2.5 }),
            Vec::<&String>::new()
        );
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
}
