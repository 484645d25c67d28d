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
            Some((cell, 0.0)) => Placement::Inside(cell),
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
mod tests;
