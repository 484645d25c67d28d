//! A point with its coordinate system, as a phone or a map sends it. Converting never panics nor
//! gives a non-finite number, and a WGS-84 point inside China comes back from GCJ-02 or BD-09 to
//! within a metre.
#![no_main]

use gridhub_geo::Crs;
use gridhub_geo::measure::distance_m;
use gridhub_store::input::Check;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (f64, f64, u8)| {
    let (lng, lat, which) = input;
    let crs = [Crs::Wgs84, Crs::Gcj02, Crs::Bd09][which as usize % 3];
    let mut check = Check::default();
    let (x, y) = check.point(lng, lat, crs);
    if check.done().is_ok() {
        assert!(x.is_finite() && y.is_finite(), "({lng}, {lat}) {crs:?} → ({x}, {y})");
        let inside_china = (73.0..135.0).contains(&lng) && (18.0..54.0).contains(&lat);
        if inside_china {
            let there = crs.from_wgs84(lng, lat);
            let back = crs.to_wgs84(there.0, there.1);
            assert!(distance_m(back, (lng, lat)) < 1.0, "({lng}, {lat}) {crs:?} round trip: {back:?}");
        }
    }
});
