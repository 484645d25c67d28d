//! Coordinate systems used by phones in China. WGS-84 is what gridhub stores; GCJ-02 is what
//! WeChat's `wx.getLocation`, Tencent and AMap maps report; BD-09 is Baidu's. Conversions run
//! at the edge (`crs=gcj02|bd09|wgs84` on input and output). Outside China GCJ-02 equals WGS-84.
//!
//! The forward formulas are the published ones; WGS-84 → GCJ-02 has no closed-form inverse, so
//! [`gcj02_to_wgs84`] iterates until the round trip is within a millimetre.

use std::f64::consts::PI;

/// A coordinate system a caller may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl Crs {
    /// `wgs84`, `gcj02` or `bd09` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" => Some(Self::Wgs84),
            "gcj02" | "gcj-02" => Some(Self::Gcj02),
            "bd09" | "bd-09" => Some(Self::Bd09),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Gcj02 => "gcj02",
            Self::Bd09 => "bd09",
        }
    }

    /// Converts (lng, lat) given in this system to WGS-84.
    pub fn to_wgs84(self, lng: f64, lat: f64) -> (f64, f64) {
        match self {
            Self::Wgs84 => (lng, lat),
            Self::Gcj02 => gcj02_to_wgs84(lng, lat),
            Self::Bd09 => {
                let (g_lng, g_lat) = bd09_to_gcj02(lng, lat);
                gcj02_to_wgs84(g_lng, g_lat)
            }
        }
    }

    /// Converts a WGS-84 (lng, lat) to this system.
    pub fn from_wgs84(self, lng: f64, lat: f64) -> (f64, f64) {
        match self {
            Self::Wgs84 => (lng, lat),
            Self::Gcj02 => wgs84_to_gcj02(lng, lat),
            Self::Bd09 => {
                let (g_lng, g_lat) = wgs84_to_gcj02(lng, lat);
                gcj02_to_bd09(g_lng, g_lat)
            }
        }
    }
}

const A: f64 = 6_378_245.0; // Krasovsky 1940 semi-major axis, as the GCJ-02 formulas use
const EE: f64 = 0.006_693_421_622_965_943; // its eccentricity squared
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Rewrites every position of a GeoJSON geometry (or of its `coordinates`) with `f`: how a
/// boundary given in GCJ-02 or BD-09 becomes WGS-84, and back.
///
/// ```
/// let mut g = serde_json::json!({"type": "Point", "coordinates": [1.0, 2.0]});
/// gridhub_geo::crs::convert_geojson(&mut g, &|x, y| (x + 1.0, y * 2.0));
/// assert_eq!(g["coordinates"], serde_json::json!([2.0, 4.0]));
/// ```
pub fn convert_geojson(geometry: &mut serde_json::Value, f: &impl Fn(f64, f64) -> (f64, f64)) {
    let Some(items) = geometry.as_array_mut() else {
        if let Some(coords) = geometry.get_mut("coordinates") {
            convert_geojson(coords, f);
        }
        return;
    };
    if let (Some(x), Some(y)) =
        (items.first().and_then(serde_json::Value::as_f64), items.get(1).and_then(serde_json::Value::as_f64))
    {
        let (x, y) = f(x, y);
        items[0] = serde_json::json!(x);
        items[1] = serde_json::json!(y);
    } else {
        items.iter_mut().for_each(|v| convert_geojson(v, f));
    }
}

/// Whether the GCJ-02 offset applies: the rough bounding box of mainland China.
pub fn in_china(lng: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lng) && (0.8293..=55.8271).contains(&lat)
}

fn offset(lng: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lng - 105.0, lat - 35.0);
    let mut d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    d_lat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    d_lat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    d_lat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    d_lng += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    d_lng += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    d_lng += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad_lat.sin() * rad_lat.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat = (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let d_lng = (d_lng * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (d_lng, d_lat)
}

/// WGS-84 → GCJ-02.
///
/// ```
/// // the reference value published with the `coordtransform` and `gcoord` libraries
/// let (lng, lat) = gridhub_geo::crs::wgs84_to_gcj02(116.404, 39.915);
/// assert!((lng - 116.41024449916938).abs() < 1e-12 && (lat - 39.91640428150164).abs() < 1e-12);
/// ```
pub fn wgs84_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    if !in_china(lng, lat) {
        return (lng, lat);
    }
    let (d_lng, d_lat) = offset(lng, lat);
    (lng + d_lng, lat + d_lat)
}

/// GCJ-02 → WGS-84, by fixed-point iteration on the forward formula until the round trip
/// agrees within about a millimetre (1e-8°); three or four steps in practice.
pub fn gcj02_to_wgs84(lng: f64, lat: f64) -> (f64, f64) {
    if !in_china(lng, lat) {
        return (lng, lat);
    }
    let (mut w_lng, mut w_lat) = (lng, lat);
    for _ in 0..30 {
        let (g_lng, g_lat) = wgs84_to_gcj02(w_lng, w_lat);
        let (e_lng, e_lat) = (g_lng - lng, g_lat - lat);
        w_lng -= e_lng;
        w_lat -= e_lat;
        if e_lng.abs() < 1e-8 && e_lat.abs() < 1e-8 {
            break;
        }
    }
    (w_lng, w_lat)
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(lng: f64, lat: f64) -> (f64, f64) {
    let z = (lng * lng + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lng) + 0.000003 * (lng * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02.
pub fn bd09_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lng - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed with the npm packages gcoord 1.0.7 and coordtransform 2.1.2, which agree to the
    /// last digit; (WGS-84, GCJ-02, BD-09) for Beijing, Nanchang, Shanghai, Guangzhou, Chengdu.
    const REFERENCE: [([f64; 2], [f64; 2], [f64; 2]); 5] = [
        ([116.404, 39.915], [116.41024449916938, 39.91640428150164], [116.41662724378733, 39.922699552216216]),
        ([115.9035, 28.6797], [115.90833856160938, 28.676331275506236], [115.91476437038756, 28.6826152526382]),
        ([121.4737, 31.2304], [121.47822305927693, 31.22845773757727], [121.484781468503, 31.234310593689997]),
        ([113.2644, 23.1291], [113.26972959210308, 23.126423339922844], [113.27615075157122, 23.13271125723948]),
        ([104.0665, 30.5723], [104.06900490567072, 30.569845540719605], [104.07548094087613, 30.5758561637081]),
    ];

    /// Metres between two nearby WGS-84 points.
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let k = 111_320.0;
        let dx = (a.0 - b.0) * k * (a.1.to_radians()).cos();
        let dy = (a.1 - b.1) * k;
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn forward_matches_the_published_references() {
        for (w, g, b) in REFERENCE {
            let got = Crs::Gcj02.from_wgs84(w[0], w[1]);
            assert!((got.0 - g[0]).abs() < 1e-11 && (got.1 - g[1]).abs() < 1e-11, "{w:?} → GCJ-02 {got:?}");
            let got = Crs::Bd09.from_wgs84(w[0], w[1]);
            assert!((got.0 - b[0]).abs() < 1e-11 && (got.1 - b[1]).abs() < 1e-11, "{w:?} → BD-09 {got:?}");
        }
        let (lng, lat) = bd09_to_gcj02(116.404, 39.915); // coordtransform's README example
        assert!((lng - 116.39762729119315).abs() < 1e-11 && (lat - 39.90865673957631).abs() < 1e-11);
    }

    #[test]
    fn inverses_come_back_within_half_a_metre() {
        for (w, g, b) in REFERENCE {
            let from_gcj = Crs::Gcj02.to_wgs84(g[0], g[1]);
            assert!(metres(from_gcj, (w[0], w[1])) < 0.5, "GCJ-02 {g:?} → {from_gcj:?}, want {w:?}");
            let from_bd = Crs::Bd09.to_wgs84(b[0], b[1]);
            assert!(metres(from_bd, (w[0], w[1])) < 0.5, "BD-09 {b:?} → {from_bd:?}, want {w:?}");
        }
        // and over a grid of points across the country, far tighter than required
        let mut worst: f64 = 0.0;
        for i in 0..40 {
            for j in 0..30 {
                let w = (75.0 + i as f64 * 1.5, 18.0 + j as f64 * 1.2);
                let g = wgs84_to_gcj02(w.0, w.1);
                worst = worst.max(metres(gcj02_to_wgs84(g.0, g.1), w));
            }
        }
        assert!(worst < 0.01, "worst round trip {worst} m");
    }

    #[test]
    fn outside_china_nothing_moves() {
        assert_eq!(Crs::Gcj02.to_wgs84(2.35, 48.85), (2.35, 48.85));
        assert_eq!(Crs::parse("GCJ02"), Some(Crs::Gcj02));
        assert_eq!(Crs::parse("mars"), None);
    }
}
