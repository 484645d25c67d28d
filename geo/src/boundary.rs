//! Administrative boundaries from GeoJSON (RFC 7946): a Polygon or MultiPolygon in WGS-84,
//! checked before it is accepted — closed rings, coordinates in range, no self-intersection —
//! with every problem named by its place in the input (`coordinates[0][3]`).

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole, Validation};
use geo::{BoundingRect, Coord, GeodesicArea, Line, LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

/// One thing wrong with a boundary, and where (a path into the GeoJSON geometry).
#[derive(Debug, Clone, PartialEq)]
pub struct BoundaryProblem {
    pub path: String,
    pub message: String,
}

impl BoundaryProblem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

/// A bounding box in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_lng: f64,
    pub min_lat: f64,
    pub max_lng: f64,
    pub max_lat: f64,
}

/// A valid boundary. The only way to get one is [`Boundary::from_geojson`].
///
/// ```
/// use gridhub_geo::Boundary;
/// let square = serde_json::json!({"type": "Polygon", "coordinates": [[
///     [115.90, 28.67], [115.91, 28.67], [115.91, 28.68], [115.90, 28.68], [115.90, 28.67]]]});
/// let b = Boundary::from_geojson(&square).unwrap();
/// assert!((b.area_m2() - 1_086_000.0).abs() < 10_000.0); // about 977 m × 1109 m
///
/// let open = serde_json::json!({"type": "Polygon", "coordinates": [[
///     [115.90, 28.67], [115.91, 28.67], [115.91, 28.68], [115.90, 28.68]]]});
/// let problems = Boundary::from_geojson(&open).unwrap_err();
/// assert_eq!(problems[0].path, "coordinates[0]");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    shape: MultiPolygon<f64>,
    /// Whether the input was a single Polygon (kept, so it is given back the way it came).
    single: bool,
}

impl Boundary {
    pub fn from_geojson(value: &Value) -> Result<Self, Vec<BoundaryProblem>> {
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
        for problem in shape.validation_errors() {
            problems.push(explain(&shape, single, &problem));
        }
        if problems.is_empty() { Ok(Self { shape, single }) } else { Err(problems) }
    }

    /// Wraps a shape made by gridhub itself (a generated cell), checking it like any input.
    pub fn from_shape(shape: MultiPolygon<f64>) -> Result<Self, Vec<BoundaryProblem>> {
        let single = shape.0.len() == 1;
        let value = Self { shape, single }.to_geojson();
        Self::from_geojson(&value)
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

    /// Area on the WGS-84 ellipsoid, in square metres (whatever the winding of the rings).
    pub fn area_m2(&self) -> f64 {
        self.shape.geodesic_area_unsigned()
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

fn read_position(value: &Value, path: &str, problems: &mut Vec<BoundaryProblem>) -> Option<Coord<f64>> {
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

/// Turns geo's finding into a problem with a path in the input and, for crossings, the place.
fn explain(shape: &MultiPolygon<f64>, single: bool, problem: &InvalidMultiPolygon) -> BoundaryProblem {
    let polygon_path = |i: usize| if single { "coordinates".to_owned() } else { format!("coordinates[{i}]") };
    let ring_path = |i: usize, role: &RingRole| match role {
        RingRole::Exterior => format!("{}[0]", polygon_path(i)),
        RingRole::Interior(k) => format!("{}[{}]", polygon_path(i), k + 1),
    };
    match problem {
        InvalidMultiPolygon::InvalidPolygon(index, InvalidPolygon::SelfIntersection(role)) => {
            let polygon = &shape.0[index.0];
            let ring = match role {
                RingRole::Exterior => polygon.exterior(),
                RingRole::Interior(k) => &polygon.interiors()[*k],
            };
            let place = self_intersection(ring).map(|c| format!(" near [{:.6}, {:.6}]", c.x, c.y)).unwrap_or_default();
            BoundaryProblem::new(ring_path(index.0, role), format!("ring crosses itself{place}"))
        }
        InvalidMultiPolygon::InvalidPolygon(index, other) => {
            BoundaryProblem::new(polygon_path(index.0), other.to_string())
        }
        InvalidMultiPolygon::ElementsOverlaps(a, b) | InvalidMultiPolygon::ElementsTouchOnALine(a, b) => {
            BoundaryProblem::new(
                polygon_path(b.0),
                format!("polygon {} overlaps or shares an edge with polygon {}", b.0, a.0),
            )
        }
    }
}

/// The first place where two non-adjacent edges of a ring meet. Quadratic: only called
/// once geo has already found that the ring crosses itself, and bounded for huge rings.
fn self_intersection(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let edges: Vec<Line<f64>> = ring.lines().collect();
    let n = edges.len();
    if n > 20_000 {
        return None;
    }
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // the closing edge meets the first at the ring's start
            }
            match line_intersection(edges[i], edges[j]) {
                Some(LineIntersection::SinglePoint { intersection, .. }) => return Some(intersection),
                Some(LineIntersection::Collinear { intersection }) => return Some(intersection.start),
                None => {}
            }
        }
    }
    None
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
        assert_eq!(Boundary::from_geojson(&p).unwrap().to_geojson(), p);
        let m = json!({"type": "MultiPolygon", "coordinates": [
            [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]],
            [[[2.0, 2.0], [3.0, 2.0], [3.0, 3.0], [2.0, 2.0]]]]});
        let b = Boundary::from_geojson(&m).unwrap();
        assert_eq!(b.to_geojson(), m);
        assert_eq!(b.bbox(), BBox { min_lng: 0.0, min_lat: 0.0, max_lng: 3.0, max_lat: 3.0 });
    }

    #[test]
    fn names_the_bad_position() {
        let p = polygon(json!([[0.0, 0.0], [181.0, 0.0], [1.0, 1.0], [0.0, 0.0]]));
        let e = Boundary::from_geojson(&p).unwrap_err();
        assert_eq!(e, vec![BoundaryProblem::new("coordinates[0][1]", "longitude 181 is outside -180..180")]);
        let p = polygon(json!([[0.0, 0.0], [1.0, "x"], [1.0, 1.0], [0.0, 0.0]]));
        assert_eq!(Boundary::from_geojson(&p).unwrap_err()[0].path, "coordinates[0][1]");
    }

    #[test]
    fn says_where_a_ring_crosses_itself() {
        // a bow tie: the edges (0,0)-(2,2) and (2,0)-(0,2) cross at (1,1)
        let p = polygon(json!([[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]));
        let e = Boundary::from_geojson(&p).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "coordinates[0]");
        assert!(e[0].message.contains("[1.000000, 1.000000]"), "{}", e[0].message);
    }

    #[test]
    fn refuses_other_geometry_types() {
        let e = Boundary::from_geojson(&json!({"type": "Point", "coordinates": [1, 2]})).unwrap_err();
        assert_eq!(e[0].path, "type");
        assert!(Boundary::from_geojson(&json!([1, 2])).is_err());
        let e = Boundary::from_geojson(&json!({"type": "Polygon", "coordinates": []})).unwrap_err();
        assert_eq!(e[0].path, "coordinates");
    }
}
