//! What arrives from outside — a request body, a query, a phone's record — checked the same way
//! wherever it arrives: free text (trimmed, within its length, no control characters but tab and
//! line breaks), names, points in a coordinate system, GeoJSON boundaries, division codes, client
//! ids, times. Every problem is named by its field and collected, so one answer names them all.

use chrono::{DateTime, NaiveDateTime};
use gridhub_geo::{Boundary, Crs, DivisionCode, Limits};
use serde_json::Value;

use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::types::is_client_id;

/// Whether a character may stand in text a person sent: anything but control characters, save
/// tab, line feed and carriage return (a line break as Windows writes it).
pub fn allowed_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

/// Whether `text` holds a character no text field takes (NUL and the other control characters).
pub fn has_control(text: &str) -> bool {
    !text.chars().all(allowed_char)
}

/// Text as it may be shown and stored: any control character written out (`\u{0}`), the rest
/// as it is.
pub fn shown(text: &str) -> String {
    if !has_control(text) {
        return text.to_owned();
    }
    text.chars().map(|c| if allowed_char(c) { c.to_string() } else { c.escape_unicode().to_string() }).collect()
}

/// The path of the first string (or object key) in a JSON document that holds a control
/// character: `title`, `items[2].note`, `cases.created[0].description` (a key's own control
/// characters written out, so that the path may be shown and stored).
pub fn control_char_path(value: &Value) -> Option<String> {
    fn walk(v: &Value, at: &mut String) -> bool {
        match v {
            Value::String(s) => has_control(s),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                let found = walk(item, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(k, item)| {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(&shown(k));
                let found = has_control(k) || walk(item, at);
                if !found {
                    at.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut at = String::new();
    walk(value, &mut at).then(|| if at.is_empty() { "body".to_owned() } else { at })
}

/// What a control character earns: the same words for every field.
pub const CONTROL_CHARACTER: &str = "contains a control character (such as NUL); only tab and line breaks are taken";

/// The most problems a check keeps; beyond them it only counts, so that a hostile input of a
/// million bad parts costs a counter, not a million messages.
pub const KEEP: usize = 100;

/// A boundary as a request sent it: GeoJSON in `crs`, read and checked — within `limits` — only
/// once the caller is known to be allowed to write it, and outside any write transaction.
#[derive(Debug, Clone)]
pub struct Geometry {
    pub geojson: Value,
    pub crs: Crs,
    pub limits: Limits,
}

impl Geometry {
    pub fn read(&self, field: &str) -> StoreResult<Boundary> {
        let mut check = Check::default();
        let boundary = check.boundary(field, &self.geojson, self.crs, &self.limits);
        check.done()?;
        Ok(boundary.expect("checked"))
    }
}

/// Collects the problems with an input before answering, so one refusal names them all (the
/// first `KEEP` of them, and how many there were).
#[derive(Debug, Default)]
pub struct Check(pub Vec<FieldProblem>, usize);

impl Check {
    pub fn push(&mut self, field: impl Into<String>, detail: impl Into<String>) {
        if self.0.len() < KEEP {
            self.0.push(FieldProblem::new(field, detail));
        } else {
            self.1 += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Free text: trimmed, at most `max` characters, and not empty when `required`.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.push(field, "is required");
        }
        if v.chars().count() > max {
            self.push(field, format!("must be at most {max} characters"));
        }
        if has_control(v) {
            self.push(field, CONTROL_CHARACTER);
        }
        v.to_owned()
    }

    /// A name: trimmed, 1 to 100 characters.
    pub fn name(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        if v.is_empty() || v.chars().count() > 100 {
            self.push(field, "must be 1 to 100 characters");
        } else if has_control(v) {
            self.push(field, CONTROL_CHARACTER);
        }
        v.to_owned()
    }

    /// A coordinate system (`crs`): WGS-84 when absent.
    pub fn crs(&mut self, value: Option<&str>) -> Crs {
        match value {
            None => Crs::Wgs84,
            Some(v) => Crs::parse(v).unwrap_or_else(|| {
                self.push("crs", "must be wgs84, gcj02 or bd09");
                Crs::Wgs84
            }),
        }
    }

    /// A point (`lng`, `lat`) given in `crs`, as WGS-84.
    pub fn point(&mut self, lng: f64, lat: f64, crs: Crs) -> (f64, f64) {
        if !(lng.is_finite() && lng.abs() <= 180.0) {
            self.push("lng", "must be a longitude from -180 to 180");
        }
        if !(lat.is_finite() && lat.abs() <= 90.0) {
            self.push("lat", "must be a latitude from -90 to 90");
        }
        crs.to_wgs84(lng, lat)
    }

    /// Attachment ids as phones make them (`[A-Za-z0-9_.-]{1,64}`), at most 20.
    pub fn attachments(&mut self, ids: Vec<String>) -> Vec<String> {
        const MAX: usize = 20;
        if ids.len() > MAX {
            self.push("attachments", format!("at most {MAX}"));
        }
        for (i, id) in ids.iter().enumerate() {
            if !is_client_id(id) {
                self.push(format!("attachments[{i}]"), "must be an id of 1 to 64 letters, digits, _ . or -");
            }
        }
        ids
    }

    pub fn code<const N: usize>(&mut self, field: &str, value: &str) -> Option<DivisionCode<N>> {
        DivisionCode::<N>::parse(value.trim()).map_err(|e| self.push(field, e.to_string())).ok()
    }

    /// A GeoJSON boundary given in `crs`, kept in WGS-84; its problems are named under `field`
    /// (`boundary.coordinates[0][3]`).
    pub fn boundary(&mut self, field: &str, value: &Value, crs: Crs, limits: &Limits) -> Option<Boundary> {
        if let Some(coordinates) = value.get("coordinates") {
            let single = value.get("type").and_then(Value::as_str) == Some("Polygon");
            if let Err(p) = limits.count(coordinates, single) {
                self.push(format!("{field}.{}", p.path), p.message);
                return None;
            }
        }
        let mut v = value.clone();
        if crs != Crs::Wgs84 {
            gridhub_geo::crs::convert_geojson(&mut v, &|x, y| crs.to_wgs84(x, y));
        }
        Boundary::from_geojson(&v, limits)
            .map_err(|problems| {
                for p in problems {
                    let at = if p.path.is_empty() { field.to_owned() } else { format!("{field}.{}", p.path) };
                    self.push(at, p.message);
                }
            })
            .ok()
    }

    /// A moment: an RFC 3339 time (`2026-05-01T08:30:00+08:00`) or, as phones send it, whole
    /// milliseconds since the epoch.
    pub fn time(&mut self, field: &str, value: &Value) -> Option<NaiveDateTime> {
        let t = match value {
            Value::String(t) => DateTime::parse_from_rfc3339(t).ok().map(|t| t.naive_utc()),
            Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis).map(|t| t.naive_utc()),
            _ => None,
        };
        if t.is_none() {
            self.push(field, "must be an RFC 3339 time like 2026-05-01T08:30:00+08:00 (or ms since the epoch)");
        }
        t
    }

    pub fn done(self) -> StoreResult<()> {
        match (self.0.is_empty(), self.1) {
            (true, _) => Ok(()),
            (false, 0) => Err(StoreError::Invalid(self.0)),
            (false, more) => Err(StoreError::InvalidMany { total: self.0.len() + more, first: self.0 }),
        }
    }
}

/// Whether `text` is a SHA-256 in lower-case hex (how photos are addressed).
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn control_characters_are_found_where_they_are() {
        assert_eq!(control_char_path(&json!({"a": "ok\tfine\r\n"})), None);
        assert_eq!(control_char_path(&json!({"title": "a\u{0}b"})).as_deref(), Some("title"));
        assert_eq!(
            control_char_path(&json!({"items": [{"n": "x"}, {"note": "\u{7}"}]})).as_deref(),
            Some("items[1].note")
        );
        assert_eq!(control_char_path(&json!(["\u{1b}"])).as_deref(), Some("[0]"));
        assert_eq!(control_char_path(&json!("\u{0}")).as_deref(), Some("body"));
        assert_eq!(control_char_path(&json!({"k\u{0}": 1})).as_deref(), Some("k\\u{0}"), "written out");
        let mut c = Check::default();
        c.text("note", "a\u{0}", 10, false);
        assert_eq!(c.0[0].field, "note");
    }
}
