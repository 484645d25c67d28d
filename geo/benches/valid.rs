//! Boundary checks: the sweep (`Boundary::from_geojson`) on rings of 5,000 and 40,000 corners and
//! on a comb (every edge overlapping every other in x, the worst case of a sweep that tries every
//! pair it passes), against geo's own validation — a check of every pair of edges — on the same
//! 5,000-corner ring, measured in the same run.
//!
//! `cargo bench -p gridhub-geo --bench valid`; figures and the machine go in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use gridhub_geo::{Boundary, Limits};
use serde_json::{Value, json};

fn circle(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            [115.9 + 0.01 * t.cos(), 28.68 + 0.01 * t.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// Teeth 0.01° long, 0.00005° apart.
fn comb(teeth: usize) -> Vec<[f64; 2]> {
    let (x, step) = (115.9, 0.0001);
    let mut ring = vec![[x, 28.0]];
    for i in 0..teeth {
        let y = 28.0 + i as f64 * step;
        ring.extend([[x + 0.01, y], [x + 0.01, y + step / 2.0], [x + 0.0001, y + step / 2.0], [x + 0.0001, y + step]]);
    }
    ring.push([x, 28.0 + teeth as f64 * step]);
    ring.push([x, 28.0]);
    ring
}

fn geojson(ring: &[[f64; 2]]) -> Value {
    json!({"type": "Polygon", "coordinates": [ring]})
}

fn valid(c: &mut Criterion) {
    let limits = Limits { ring_vertices: 100_000, vertices: 100_000, rings: 10 };
    let mut group = c.benchmark_group("boundary");
    group.sample_size(10);
    for (name, ring) in [
        ("sweep, 5k corners", circle(5_000)),
        ("sweep, 40k corners", circle(40_000)),
        ("sweep, comb of 40k corners", comb(10_000)),
    ] {
        let value = geojson(&ring);
        group.bench_function(name, |b| b.iter(|| Boundary::from_geojson(black_box(&value), &limits).unwrap()));
    }
    let ring = circle(5_000);
    let shape = MultiPolygon::new(vec![Polygon::new(
        LineString::new(ring.iter().map(|[x, y]| Coord { x: *x, y: *y }).collect()),
        vec![],
    )]);
    group.bench_function("geo's validation (every pair), 5k corners", |b| b.iter(|| black_box(&shape).is_valid()));
    group.finish();
}

criterion_group!(benches, valid);
criterion_main!(benches);
