//! Hostile and contradictory input: permission before any costly work, limits on what a
//! request may make the server compute or answer, control characters, concurrent token
//! rotation, regions that contradict each other, and the small protocol faults — each the same
//! on both backends.

mod abuse;
mod protocol;
mod regions;
mod text;

use serde_json::{Value, json};

/// A ring of `n` corners round (`lng`, `lat`), `r` degrees across: a valid boundary as large as
/// a test needs.
pub fn circle(lng: f64, lat: f64, r: f64, n: usize) -> Value {
    let mut ring: Vec<Value> = (0..n)
        .map(|i| {
            let t = i as f64 / n as f64 * std::f64::consts::TAU;
            // six decimals (about 10 cm), as surveys give them
            let round = |v: f64| (v * 1e6).round() / 1e6;
            json!([round(lng + r * t.cos()), round(lat + r * t.sin())])
        })
        .collect();
    ring.push(ring[0].clone());
    json!({"type": "Polygon", "coordinates": [ring]})
}
