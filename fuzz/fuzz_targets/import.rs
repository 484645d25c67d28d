//! An import of cells: any bytes as the FeatureCollection. Reading it never panics, and a refusal
//! names at most the first 100 problems.
#![no_main]

use gridhub_geo::{Crs, Limits};
use gridhub_store::StoreError;
use gridhub_store::grid::import::{ImportRequest, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let crs = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09][data.len() % 3];
    let request = ImportRequest {
        body,
        crs,
        limits: Limits { ring_vertices: 2_000, vertices: 10_000, rings: 100 },
        max_vertices: 50_000,
    };
    if let Err(StoreError::InvalidMany { first, .. }) = read(&request, |_| {}) {
        assert!(first.len() <= 100);
    }
});
