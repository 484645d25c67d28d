//! GeoJSON out of the API: cells as Features and FeatureCollections in the caller's coordinate
//! system (WGS-84 stored; GCJ-02 and BD-09 as phones speak them). Imports are read by the store
//! (`grid::import::read`).

use gridhub_geo::Crs;
use gridhub_geo::crs::convert_geojson as convert;
use gridhub_store::grid::Cell;
use serde_json::{Map, Value, json};

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
