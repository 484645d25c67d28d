//! Administrative boundaries from GeoJSON (RFC 7946): a Polygon or MultiPolygon in WGS-84,
//! checked before it is accepted — within the limits on its size, closed rings, coordinates in
//! range, no edges crossing, holes inside (see `valid`) — with every problem named by its place
//! in the input (`coordinates[0][3]`).

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

pub use crate::valid::BoundaryProblem;

/// A bounding box in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
}

/// How large a boundary may be: a real community never comes near, a hostile request is refused
/// before any geometry is computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Corners of one ring.
    pub ring_vertices: usize,
    /// Corners of all rings of one boundary (or of all features of one import).
    pub vertices: usize,
    /// Rings of one boundary: polygons and their holes.
    pub rings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { ring_vertices: 20_000, vertices: 200_000, rings: 1_000 }
    }
}

impl Limits {
    /// The corners of a GeoJSON geometry's rings, counted without reading them, or the first
    /// limit it passes.
    pub fn count(&self, coordinates: &Value, single: bool) -> Result<usize, BoundaryProblem> {
        let polygons: Vec<&Value> = if single {
            vec![coordinates]
        } else {
            coordinates.as_array().map(|a| a.iter().collect()).unwrap_or_default()
        };
        let (mut rings, mut vertices) = (0usize, 0usize);
        for (i, polygon) in polygons.iter().enumerate() {
            for (k, ring) in polygon.as_array().into_iter().flatten().enumerate() {
                let n = ring.as_array().map_or(0, Vec::len);
                let path = if single { format!("coordinates[{k}]") } else { format!("coordinates[{i}][{k}]") };
                if n > self.ring_vertices {
                    return Err(BoundaryProblem::new(
                        path,
                        format!("a ring has at most {} corners, this one {n}", self.ring_vertices),
                    ));
                }
                rings += 1;
                vertices += n;
            }
        }
        if rings > self.rings {
            return Err(BoundaryProblem::new(
                "coordinates",
                format!("a boundary has at most {} rings, this one {rings}", self.rings),
            ));
        }
        if vertices > self.vertices {
            return Err(BoundaryProblem::new(
                "coordinates",
                format!("a boundary has at most {} corners, this one {vertices}", self.vertices),
            ));
        }
        Ok(vertices)
    }
}

/// A valid boundary. The only way to get one is [`Boundary::from_geojson`].
///
/// ```
/// use gridhub_geo::Boundary;
/// let square = serde_json::json!({"type": "Polygon", "coordinates": [[
///     [115.90, 28.67], [115.91, 28.67], [115.91, 28.68], [115.90, 28.68], [115.90, 28.67]]]});
/// let b = Boundary::from_geojson(&square, &Default::default()).unwrap();
/// assert!((b.area_m2() - 1_086_000.0).abs() < 10_000.0); // about 977 m × 1109 m
///
/// let open = serde_json::json!({"type": "Polygon", "coordinates": [[
///     [115.90, 28.67], [115.91, 28.67], [115.91, 28.68], [115.90, 28.68]]]});
/// let problems = Boundary::from_geojson(&open, &Default::default()).unwrap_err();
/// assert_eq!(problems[0].path, "coordinates[0]");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    shape: MultiPolygon<f64>,
    /// Whether the input was a single Polygon (kept, so it is given back the way it came).
    single: bool,
}

impl Boundary {
    /// Reads and checks a GeoJSON geometry, refusing one beyond `limits` before reading it.
    pub fn from_geojson(value: &Value, limits: &Limits) -> Result<Self, Vec<BoundaryProblem>> {
        let mut problems = Vec::new();
        let Some(object) = value.as_object() else {
            return Err(vec![BoundaryProblem::new("", "must be a GeoJSON geometry object")]);
        };
        let single = match object.get("type").and_then(Value::as_str) {
            Some("Polygon") => true,
            Some("MultiPolygon") => false,
            _ => return Err(vec![BoundaryProblem::new("type", "must be \"Polygon\" or \"MultiPolygon\"")]),
        };
        let Some(coordinates) = object.get("coordinates") else {
            return Err(vec![BoundaryProblem::new("coordinates", "is required")]);
        };
        limits.count(coordinates, single).map_err(|p| vec![p])?;
        let polygons: Vec<Polygon<f64>> = if single {
            read_polygon(coordinates, "coordinates", &mut problems).into_iter().collect()
        } else {
            match non_empty_array(coordinates, "coordinates", "a list of polygons", &mut problems) {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| read_polygon(p, &format!("coordinates[{i}]"), &mut problems))
                    .collect(),
                None => Vec::new(),
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        let shape = MultiPolygon::new(polygons);
        let problems = crate::valid::problems(&shape, single);
        if problems.is_empty() { Ok(Self { shape, single }) } else { Err(problems) }
    }

    /// Wraps a shape made by gridhub itself (a generated cell), checking it like any input.
    pub fn from_shape(shape: MultiPolygon<f64>) -> Result<Self, Vec<BoundaryProblem>> {
        let single = shape.0.len() == 1;
        let value = Self { shape, single }.to_geojson();
        let unbounded = Limits { ring_vertices: usize::MAX, vertices: usize::MAX, rings: usize::MAX };
        Self::from_geojson(&value, &unbounded)
    }

    /// Reads a boundary that gridhub stored itself (already validated), without checking it
    /// again: the fast path for loading a million cells into the index.
    pub fn stored_shape(text: &str) -> Option<MultiPolygon<f64>> {
        // read by depth (a Polygon's positions sit one level shallower), not by "type": serde_json
        // writes keys in order, "coordinates" before "type", and waiting for the tag is slow
        #[derive(serde::Deserialize)]
        struct Polygonal<C> {
            coordinates: C,
        }
        type Rings = Vec<Vec<[f64; 2]>>;
        let polygon = |rings: Rings| {
            let mut rings = rings
                .into_iter()
                .map(|r| LineString::from(r.into_iter().map(|[x, y]| Coord { x, y }).collect::<Vec<_>>()));
            let exterior = rings.next()?;
            Some(Polygon::new(exterior, rings.collect()))
        };
        let polygons = match serde_json::from_str::<Polygonal<Rings>>(text) {
            Ok(p) => vec![polygon(p.coordinates)?],
            Err(_) => serde_json::from_str::<Polygonal<Vec<Rings>>>(text)
                .ok()?
                .coordinates
                .into_iter()
                .map(polygon)
                .collect::<Option<Vec<_>>>()?,
        };
        Some(MultiPolygon::new(polygons))
    }

    pub fn to_geojson(&self) -> Value {
        if self.single {
            json!({"type": "Polygon", "coordinates": polygon_coordinates(&self.shape.0[0])})
        } else {
            multipolygon_geojson(&self.shape)
        }
    }

    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    pub fn bbox(&self) -> BBox {
        let rect = self.shape.bounding_rect().expect("a valid boundary has at least one ring");
        BBox { min_lng: rect.min().x, min_lat: rect.min().y, max_lng: rect.max().x, max_lat: rect.max().y }
    }

    /// Area on the WGS-84 ellipsoid, in square metres, holes taken out.
    pub fn area_m2(&self) -> f64 {
        crate::measure::area_m2(&self.shape)
    }
}

fn polygon_coordinates(p: &Polygon<f64>) -> Value {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|ring| ring.coords().map(|c| json!([c.x, c.y])).collect::<Vec<_>>())
        .collect()
}

/// Any shape as a GeoJSON MultiPolygon (an empty one has no polygons), without checking it.
pub fn multipolygon_geojson(shape: &MultiPolygon<f64>) -> Value {
    json!({"type": "MultiPolygon", "coordinates": shape.0.iter().map(polygon_coordinates).collect::<Vec<_>>()})
}

fn non_empty_array<'a>(
    value: &'a Value,
    path: &str,
    what: &str,
    problems: &mut Vec<BoundaryProblem>,
) -> Option<&'a Vec<Value>> {
    match value.as_array() {
        Some(items) if !items.is_empty() => Some(items),
        _ => {
            problems.push(BoundaryProblem::new(path, format!("must be {what}, not empty")));
            None
        }
    }
}

fn read_polygon(value: &Value, path: &str, problems: &mut Vec<BoundaryProblem>) -> Option<Polygon<f64>> {
    let rings = non_empty_array(value, path, "a list of linear rings", problems)?;
    let before = problems.len();
    let mut read: Vec<LineString<f64>> =
        rings.iter().enumerate().filter_map(|(i, ring)| read_ring(ring, &format!("{path}[{i}]"), problems)).collect();
    if problems.len() > before {
        return None;
    }
    let exterior = read.remove(0);
    Some(Polygon::new(exterior, read))
}

fn read_ring(value: &Value, path: &str, problems: &mut Vec<BoundaryProblem>) -> Option<LineString<f64>> {
    let positions = non_empty_array(value, path, "a list of positions", problems)?;
    let before = problems.len();
    let coords: Vec<Coord<f64>> =
        positions.iter().enumerate().filter_map(|(i, p)| read_position(p, &format!("{path}[{i}]"), problems)).collect();
    if problems.len() > before {
        return None;
    }
    if coords.len() < 4 {
        problems.push(BoundaryProblem::new(
            path,
            format!("a linear ring needs at least 4 positions (the last repeating the first), got {}", coords.len()),
        ));
        return None;
    }
    if coords.first() != coords.last() {
        problems.push(BoundaryProblem::new(path, "ring is not closed: its last position must repeat its first"));
        return None;
    }
    Some(LineString::new(coords))
}

/// The most problems a boundary names: beyond them, a broken file of a million corners would
/// cost a million messages (the check above it counts what it keeps).
const MAX_PROBLEMS: usize = 100;

fn read_position(value: &Value, path: &str, problems: &mut Vec<BoundaryProblem>) -> Option<Coord<f64>> {
    if problems.len() >= MAX_PROBLEMS {
        return None;
    }
    let numbers: Option<Vec<f64>> = value.as_array().and_then(|a| a.iter().map(Value::as_f64).collect());
    let (x, y) = match numbers.as_deref() {
        Some([x, y]) | Some([x, y, _]) => (*x, *y),
        _ => {
            problems.push(BoundaryProblem::new(path, "a position must be [longitude, latitude] in numbers"));
            return None;
        }
    };
    if !(-180.0..=180.0).contains(&x) {
        problems.push(BoundaryProblem::new(path, format!("longitude {x} is outside -180..180")));
        return None;
    }
    if !(-90.0..=90.0).contains(&y) {
        problems.push(BoundaryProblem::new(path, format!("latitude {y} is outside -90..90")));
        return None;
    }
    Some(Coord { x, y })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polygon(ring: Value) -> Value {
        json!({"type": "Polygon", "coordinates": [ring]})
    }

    #[test]
    fn round_trips_polygon_and_multipolygon() {
        let p = polygon(json!([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]));
        assert_eq!(Boundary::from_geojson(&p, &Limits::default()).unwrap().to_geojson(), p);
        let m = json!({"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
            [[[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 2.0]]]]});
        let b = Boundary::from_geojson(&m, &Limits::default()).unwrap();
        assert_eq!(b.to_geojson(), m);
        assert_eq!(b.bbox(), BBox { min_lng: 0.0, min_lat: 0.0, max_lng: 3.0, max_lat: 3.0 });
    }

    #[test]
    fn names_the_bad_position() {
        let p = polygon(json!([[0.0, 0.0], [181.0, 0.0], [1.0, 1.0], [0.0, 0.0]]));
        let e = Boundary::from_geojson(&p, &Limits::default()).unwrap_err();
        assert_eq!(e, vec![BoundaryProblem::new("coordinates[0][1]", "longitude 181 is outside -180..180")]);
        let p = polygon(json!([[0.0, 0.0], [1.0, "x"], [1.0, 1.0], [0.0, 0.0]]));
        assert_eq!(Boundary::from_geojson(&p, &Limits::default()).unwrap_err()[0].path, "coordinates[0][1]");
    }

    #[test]
    fn says_where_a_ring_crosses_itself() {
        // a bow tie: the edges (0,0)-(2,2) and (2,0)-(0,2) cross at (1,1)
        let p = polygon(json!([[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]));
        let e = Boundary::from_geojson(&p, &Limits::default()).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "coordinates[0]");
        assert!(e[0].message.contains("[1.000000, 1.000000]"), "{}", e[0].message);
    }

    #[test]
    fn refuses_a_boundary_beyond_the_limits_before_reading_it() {
        let limits = Limits { ring_vertices: 10, vertices: 15, rings: 2 };
        let ring = |n: usize| -> Vec<Value> { (0..n).map(|_| json!("not even a position")).collect() };
        let e = Boundary::from_geojson(&polygon(json!(ring(11))), &limits).unwrap_err();
        assert_eq!(e[0].path, "coordinates[0]");
        assert!(e[0].message.contains("at most 10 corners"), "{}", e[0].message);
        let p = json!({"type": "Polygon", "coordinates": [ring(8), ring(8)]});
        assert!(Boundary::from_geojson(&p, &limits).unwrap_err()[0].message.contains("at most 15 corners"));
        let m = json!({"type": "MultiPolygon", "coordinates": [[ring(4)], [ring(4)], [ring(4)]]});
        assert!(Boundary::from_geojson(&m, &limits).unwrap_err()[0].message.contains("at most 2 rings"));
    }

    #[test]
    fn refuses_other_geometry_types() {
        let e =
            Boundary::from_geojson(&json!({"type": "Point", "coordinates": [1, 2]}), &Limits::default()).unwrap_err();
        assert_eq!(e[0].path, "type");
        assert!(Boundary::from_geojson(&json!([1, 2]), &Limits::default()).is_err());
        let e = Boundary::from_geojson(&json!({"type": "Polygon", "coordinates": []}), &Limits::default()).unwrap_err();
        assert_eq!(e[0].path, "coordinates");
    }
}
