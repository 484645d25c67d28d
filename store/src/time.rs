//! Time as the store keeps it: UTC, truncated to microseconds so that both backends give back
//! exactly what was written; shown as RFC 3339 with a `Z`.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// How far the store's clock runs ahead of the system's, in microseconds (0 but in tests).
static AHEAD_US: AtomicI64 = AtomicI64::new(0);

/// The current UTC time, truncated to whole microseconds.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc() + chrono::Duration::microseconds(AHEAD_US.load(Ordering::Relaxed));
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).expect("a truncated nanosecond is valid")
}

/// Moves the store's clock on by `by`, for every thread of this process: the way tests see a
/// case turn yellow and red without waiting hours. The test runner (nextest) gives each test a
/// process of its own, so one test's clock is not another's. Never called by the service.
pub fn advance_clock(by: chrono::Duration) {
    AHEAD_US.fetch_add(by.num_microseconds().unwrap_or(0), Ordering::Relaxed);
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
