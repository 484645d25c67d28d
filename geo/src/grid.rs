//! Grid generation: divide a community into square or hexagonal cells of a target area (the
//! national unit grid is 10,000 m²), clipped to its boundary; pieces smaller than a fraction of
//! the target are merged into the neighbour they share the longest edge with; cells are numbered
//! west→east within rows, rows north→south.
//!
//! Tiles are laid out in metres on a local plane around the community and their corners taken
//! from an integer lattice, so neighbouring tiles share exactly the same corner coordinates.
//! Clipping computes in fixed point at a scale of its own for each operation, so every result is
//! snapped back to one common grid of 1e-9° (about 0.1 mm), on which the lattice already lies:
//! neighbouring cells keep meeting edge to edge, without gaps or overlaps.

use geo::{
    BooleanOps, BoundingRect, Centroid, Coord, LineString, MapCoords, MultiPolygon, Polygon, RemoveRepeatedPoints,
};

use crate::measure::metres_per_degree;

/// The shape of the tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tiling {
    Square,
    /// Pointy-top hexagons, alternate rows shifted half a cell east.
    Hex,
}

#[derive(Debug, Clone, Copy)]
pub struct GridOptions {
    pub tiling: Tiling,
    pub target_area_m2: f64,
    /// Pieces smaller than this fraction of the target are merged into a neighbour.
    pub merge_below: f64,
}

impl Default for GridOptions {
    fn default() -> Self {
        Self { tiling: Tiling::Square, target_area_m2: 10_000.0, merge_below: 0.2 }
    }
}

/// One generated cell: its number (1, 2, … west→east, north→south), shape and area.
#[derive(Debug, Clone)]
pub struct GeneratedCell {
    pub sequence: u32,
    pub shape: MultiPolygon<f64>,
    pub area_m2: f64,
}

struct Piece {
    row: i64,
    col: i64,
    shape: MultiPolygon<f64>,
    area: f64,
}

/// Divides `community` (WGS-84) into cells.
///
/// ```
/// use gridhub_geo::grid::{generate, GridOptions};
/// use geo::{polygon, MultiPolygon};
/// // about 489 m × 554 m near Nanchang: some 27 cells of a hectare
/// let c = MultiPolygon::new(vec![polygon![(x: 115.89, y: 28.676), (x: 115.895, y: 28.676),
///     (x: 115.895, y: 28.681), (x: 115.89, y: 28.681)]]);
/// let cells = generate(&c, &GridOptions::default());
/// assert!((20..35).contains(&cells.len()));
/// assert_eq!(cells[0].sequence, 1);
/// ```
pub fn generate(community: &MultiPolygon<f64>, options: &GridOptions) -> Vec<GeneratedCell> {
    let Some(bounds) = community.bounding_rect() else { return Vec::new() };
    let target = options.target_area_m2.max(1.0);
    let (mx, my) = metres_per_degree((bounds.min().y + bounds.max().y) / 2.0);
    let (width, height) = ((bounds.max().x - bounds.min().x) * mx, (bounds.max().y - bounds.min().y) * my);
    // a lattice point (i, j) in units (ux, uy) metres east and south of the north-west corner
    let lattice = |i: i64, j: i64, ux: f64, uy: f64| {
        snap_coord(Coord { x: bounds.min().x + (i as f64 * ux) / mx, y: bounds.max().y - (j as f64 * uy) / my })
    };
    let community = &snap(community);
    let mut tiles: Vec<(i64, i64, Polygon<f64>)> = Vec::new();
    match options.tiling {
        Tiling::Square => {
            let s = target.sqrt();
            let (cols, rows) = ((width / s).ceil() as i64, (height / s).ceil() as i64);
            for r in 0..rows.max(1) {
                for c in 0..cols.max(1) {
                    let ring =
                        [(c, r), (c + 1, r), (c + 1, r + 1), (c, r + 1), (c, r)].map(|(i, j)| lattice(i, j, s, s));
                    tiles.push((r, c, Polygon::new(LineString::from(ring.to_vec()), vec![])));
                }
            }
        }
        Tiling::Hex => {
            // circumradius R from the area of a regular hexagon, 3√3/2 R²; lattice units are
            // half a hexagon's width (√3 R / 2) east and half its radius (R / 2) south
            let r = (2.0 * target / (3.0 * 3f64.sqrt())).sqrt();
            let (ux, uy) = (3f64.sqrt() * r / 2.0, r / 2.0);
            let (cols, rows) = ((width / (2.0 * ux)).ceil() as i64 + 1, (height / (3.0 * uy)).ceil() as i64 + 1);
            for row in 0..=rows {
                for col in -1..=cols {
                    let (cx, cy) = (2 * col + (row % 2), 3 * row);
                    let ring = [(0, -2), (1, -1), (1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2)]
                        .map(|(i, j)| lattice(cx + i, cy + j, ux, uy));
                    tiles.push((row, col, Polygon::new(LineString::from(ring.to_vec()), vec![])));
                }
            }
        }
    }
    let mut pieces = Vec::new();
    for (row, col, tile) in tiles {
        let Some(tb) = tile.bounding_rect() else { continue };
        if tb.max().x <= bounds.min().x
            || tb.min().x >= bounds.max().x
            || tb.max().y <= bounds.min().y
            || tb.min().y >= bounds.max().y
        {
            continue;
        }
        for part in snap(&tile.intersection(community)) {
            let area = crate::measure::area_m2(&part);
            if area > 0.01 {
                pieces.push(Piece { row, col, shape: MultiPolygon::new(vec![part]), area });
            }
        }
    }
    merge_slivers(&mut pieces, target * options.merge_below, mx, my);
    pieces.sort_by(|a, b| {
        let key = |p: &Piece| p.shape.centroid().map_or(0.0, |c| c.x());
        (a.row, a.col).cmp(&(b.row, b.col)).then(key(a).total_cmp(&key(b)))
    });
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| GeneratedCell { sequence: i as u32 + 1, shape: p.shape, area_m2: p.area })
        .collect()
}

const GRID: f64 = 1e9;

fn snap_coord(c: Coord<f64>) -> Coord<f64> {
    Coord { x: (c.x * GRID).round() / GRID, y: (c.y * GRID).round() / GRID }
}

/// Puts every vertex on the common 1e-9° grid, dropping vertices that fall together.
fn snap(shape: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    shape.map_coords(snap_coord).remove_repeated_points()
}

/// Perimeter in metres on the local plane.
fn perimeter(shape: &MultiPolygon<f64>, mx: f64, my: f64) -> f64 {
    shape
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.lines())
        .map(|l| ((l.dx() * mx).powi(2) + (l.dy() * my).powi(2)).sqrt())
        .sum()
}

/// Merges each piece smaller than `min_area` into the neighbour it shares the longest edge
/// with, smallest first, until none is left that has a neighbour.
fn merge_slivers(pieces: &mut Vec<Piece>, min_area: f64, mx: f64, my: f64) {
    let mut islands = vec![false; pieces.len()];
    loop {
        let sliver = (0..pieces.len())
            .filter(|&i| pieces[i].area < min_area && !islands[i])
            .min_by(|&a, &b| pieces[a].area.total_cmp(&pieces[b].area));
        let Some(s) = sliver else { return };
        let sb = pieces[s].shape.bounding_rect().expect("a piece has a shape");
        let own = perimeter(&pieces[s].shape, mx, my);
        let mut best: Option<(usize, f64, MultiPolygon<f64>)> = None;
        for (i, other) in pieces.iter().enumerate() {
            let Some(ob) = other.shape.bounding_rect() else { continue };
            // clipping rounds each piece on its own scale, so neighbours may miss by a hair
            const EPS: f64 = 1e-7; // about a centimetre
            let touches = i != s
                && ob.min().x <= sb.max().x + EPS
                && ob.max().x >= sb.min().x - EPS
                && ob.min().y <= sb.max().y + EPS
                && ob.max().y >= sb.min().y - EPS;
            if !touches {
                continue;
            }
            let union = snap(&pieces[s].shape.union(&other.shape));
            if union.0.len() != 1 {
                continue; // they meet at a point at most
            }
            let shared = (own + perimeter(&other.shape, mx, my) - perimeter(&union, mx, my)) / 2.0;
            if shared > 0.01 && best.as_ref().is_none_or(|(_, b, _)| shared > *b) {
                best = Some((i, shared, union));
            }
        }
        match best {
            Some((n, _, union)) => {
                let merged = pieces.remove(s);
                islands.remove(s);
                let n = if n > s { n - 1 } else { n };
                pieces[n].area += merged.area;
                pieces[n].shape = union;
            }
            None => islands[s] = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::coverage;
    use geo::polygon;

    fn community() -> MultiPolygon<f64> {
        // an irregular community of about 0.7 km² with a notch, near Nanchang
        MultiPolygon::new(vec![polygon![
            (x: 115.890, y: 28.676), (x: 115.8965, y: 28.676), (x: 115.8968, y: 28.6812),
            (x: 115.8930, y: 28.6820), (x: 115.8962, y: 28.686), (x: 115.890, y: 28.686),
        ]])
    }

    fn check(tiling: Tiling) {
        let c = community();
        let options = GridOptions { tiling, ..GridOptions::default() };
        let cells = generate(&c, &options);
        let total = crate::measure::area_m2(&c);
        // partial cells along the boundary (20–100% of the target) stay cells of their own
        assert!(
            (total / 10_000.0 * 0.9..total / 10_000.0 * 1.3).contains(&(cells.len() as f64)),
            "{} cells",
            cells.len()
        );
        assert!(cells.iter().all(|cell| cell.area_m2 >= 2_000.0), "no cell below 20% of the target");
        assert!(cells.iter().all(|cell| cell.area_m2 < 20_000.0), "merging does not make giants");
        let report = coverage(&c, &cells.iter().map(|c| c.shape.clone()).collect::<Vec<_>>());
        assert!(report.coverage_ratio > 0.999, "{tiling:?}: covers {}", report.coverage_ratio);
        assert!(report.overlaps.is_empty(), "{tiling:?}: overlaps {:?}", report.overlaps.len());
        // numbered west→east, north→south: the first cell is at the north-west
        let first = cells[0].shape.centroid().unwrap();
        let last = cells.last().unwrap().shape.centroid().unwrap();
        assert!(first.y() > last.y());
        let seqs: Vec<u32> = cells.iter().map(|c| c.sequence).collect();
        assert_eq!(seqs, (1..=cells.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn squares_cover_the_community_without_overlap() {
        check(Tiling::Square);
    }

    #[test]
    fn hexagons_cover_the_community_without_overlap() {
        check(Tiling::Hex);
    }

    #[test]
    fn a_community_smaller_than_one_cell_is_one_cell() {
        let tiny = MultiPolygon::new(vec![
            polygon![(x: 115.9, y: 28.68), (x: 115.9005, y: 28.68), (x: 115.9005, y: 28.6805), (x: 115.9, y: 28.6805)],
        ]);
        let cells = generate(&tiny, &GridOptions::default());
        assert_eq!(cells.len(), 1);
    }
}
