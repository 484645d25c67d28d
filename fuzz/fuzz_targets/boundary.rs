//! A GeoJSON boundary as a request brings it: any bytes. Reading it never panics, and what it
//! accepts is a boundary that reads back the same and has a finite, non-negative area.
#![no_main]

use gridhub_geo::{Boundary, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let limits = Limits { ring_vertices: 2_000, vertices: 10_000, rings: 100 };
    if let Ok(b) = Boundary::from_geojson(&value, &limits) {
        let area = b.area_m2();
        assert!(area.is_finite() && area >= 0.0, "area {area}");
        let again = Boundary::from_geojson(&b.to_geojson(), &limits).expect("an accepted boundary reads back");
        assert_eq!(again, b);
    }
});
