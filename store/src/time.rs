//! Time as the store keeps it: UTC, truncated to microseconds so that both backends give back
//! exactly what was written; shown as RFC 3339 with a `Z`.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// The current UTC time, truncated to whole microseconds.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).expect("a truncated nanosecond is valid")
}

pub fn rfc3339(t: &NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(*t, Utc).to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

/// Serializes text that holds JSON (a GeoJSON boundary, an audit diff) as that JSON.
pub(crate) fn json_text<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(serde::ser::Error::custom)?;
    serde::Serialize::serialize(&value, s)
}

pub(crate) fn json_text_opt<S: Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(t) => json_text(t, s),
        None => s.serialize_none(),
    }
}

pub(crate) fn serialize_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(t)),
        None => s.serialize_none(),
    }
}
