//! A synthetic grid for benchmarks: `side × side` cells of about 100 m × 100 m (0.001°), of
//! realistic shape — a jittered lattice whose edges are subdivided into 3–10 segments through
//! perturbed points, so each cell has 12 to 40 vertices and shares every edge exactly with its
//! neighbours, as cells of a real grid do. Deterministic: the same `side` gives the same grid.

use geo::{Coord, LineString, MultiPolygon, Polygon};

pub const SPACING: f64 = 0.001;
pub const ORIGIN: (f64, f64) = (110.0, 25.0);

fn hash(a: u64, b: u64, c: u64) -> u64 {
    let mut z = a.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ c.wrapping_mul(0x1656_67B1_9E37_79F9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in [-1, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

fn corner(i: u64, j: u64) -> Coord<f64> {
    Coord {
        x: ORIGIN.0 + i as f64 * SPACING + unit(hash(i, j, 1)) * 0.15 * SPACING,
        y: ORIGIN.1 + j as f64 * SPACING + unit(hash(i, j, 2)) * 0.15 * SPACING,
    }
}

/// The inner points of the edge from corner `a` to corner `b` (the edge named by `key`).
fn edge(a: Coord<f64>, b: Coord<f64>, key: (u64, u64, u64)) -> Vec<Coord<f64>> {
    let k = 2 + hash(key.0, key.1, key.2) % 8; // 2..=9 inner points
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    (1..=k)
        .map(|m| {
            let t = m as f64 / (k + 1) as f64;
            let off = unit(hash(key.0, key.1, key.2 * 31 + m)) * 0.04;
            Coord { x: a.x + dx * t - dy * off, y: a.y + dy * t + dx * off }
        })
        .collect()
}

/// The cells, named `i,j`.
pub fn grid(side: u64) -> Vec<(String, MultiPolygon<f64>)> {
    let mut cells = Vec::with_capacity((side * side) as usize);
    for j in 0..side {
        for i in 0..side {
            let (c00, c10, c11, c01) = (corner(i, j), corner(i + 1, j), corner(i + 1, j + 1), corner(i, j + 1));
            let mut ring = vec![c00];
            ring.extend(edge(c00, c10, (i, j, 10))); // bottom, west → east
            ring.push(c10);
            ring.extend(edge(c10, c11, (i + 1, j, 20))); // right, south → north
            ring.push(c11);
            let mut top = edge(c01, c11, (i, j + 1, 10)); // the next row's bottom edge
            top.reverse();
            ring.extend(top);
            ring.push(c01);
            let mut left = edge(c00, c01, (i, j, 20)); // this column's left edge
            left.reverse();
            ring.extend(left);
            ring.push(c00);
            cells.push((format!("{i},{j}"), MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])])));
        }
    }
    cells
}

/// `count` points spread uniformly over the grid's extent.
pub fn points(side: u64, count: usize, seed: u64) -> Vec<(f64, f64)> {
    let extent = side as f64 * SPACING;
    (0..count as u64)
        .map(|n| {
            let (u, v) = ((unit(hash(seed, n, 7)) + 1.0) / 2.0, (unit(hash(seed, n, 8)) + 1.0) / 2.0);
            (ORIGIN.0 + u * extent, ORIGIN.1 + v * extent)
        })
        .collect()
}
