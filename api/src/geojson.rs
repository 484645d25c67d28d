//! GeoJSON in and out of the API: cells as Features and FeatureCollections in the caller's
//! coordinate system (WGS-84 stored; GCJ-02 and BD-09 as phones speak them), and the features of
//! an import read with every problem named.

use gridhub_geo::Crs;
use gridhub_geo::crs::convert_geojson as convert;
use gridhub_store::grid::Cell;
use gridhub_store::grid::import::ImportCell;
use gridhub_store::input::Check;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};

/// A cell as a GeoJSON Feature, its geometry in `crs`.
pub fn feature(cell: &Cell, crs: Crs) -> Value {
    let mut properties = serde_json::to_value(cell).expect("a cell serializes");
    let mut geometry = properties.as_object_mut().and_then(|p| p.remove("boundary")).unwrap_or(Value::Null);
    convert(&mut geometry, &|x, y| crs.from_wgs84(x, y));
    json!({"type": "Feature", "id": cell.id, "properties": properties, "geometry": geometry})
}

pub fn collection(cells: &[Cell], crs: Crs, extra: Map<String, Value>) -> Value {
    let mut v =
        json!({"type": "FeatureCollection", "features": cells.iter().map(|c| feature(c, crs)).collect::<Vec<_>>()});
    v.as_object_mut().expect("an object").extend(extra);
    v
}

pub fn cell_json(cell: &Cell, crs: Crs) -> Value {
    let mut v = serde_json::to_value(cell).expect("a cell serializes");
    convert(&mut v["boundary"], &|x, y| crs.from_wgs84(x, y));
    v
}

/// Reads every feature of an import, collecting all the problems before answering;
/// `progress` hears the index of each feature as it is read.
pub fn read_features(body: &Value, crs: Crs, mut progress: impl FnMut(usize)) -> ApiResult<Vec<ImportCell>> {
    if body.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(ApiError::invalid("type", "must be \"FeatureCollection\""));
    }
    let Some(features) = body.get("features").and_then(Value::as_array) else {
        return Err(ApiError::invalid("features", "must be a list of GeoJSON features"));
    };
    if features.is_empty() {
        return Err(ApiError::invalid("features", "is empty: nothing to import"));
    }
    let mut check = Check::default();
    let mut out = Vec::new();
    for (i, f) in features.iter().enumerate() {
        progress(i);
        let at = |field: &str| format!("features[{i}].{field}");
        let props = f.get("properties").cloned().unwrap_or(Value::Null);
        let code = props.get("code").and_then(Value::as_str).map(str::trim).map(str::to_owned);
        if code.is_none() {
            check.push(at("properties.code"), "is required: the cell's 14- or 15-digit code");
        }
        let name = match props.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(n)) => Some(check.name(&at("properties.name"), n)),
            Some(_) => {
                check.push(at("properties.name"), "must be 1 to 100 characters");
                None
            }
        };
        let households = match props.get("households") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64().and_then(|h| i32::try_from(h).ok()) {
                Some(h) => Some(h),
                None => {
                    check.push(at("properties.households"), "must be a whole number");
                    None
                }
            },
        };
        let geometry = f.get("geometry").unwrap_or(&Value::Null);
        let boundary = check.boundary(&at("geometry"), geometry, crs);
        if let (Some(code), Some(boundary)) = (code, boundary) {
            out.push(ImportCell { code, name, households, boundary });
        }
    }
    check.done()?;
    Ok(out)
}
