//! Time as the store keeps it: UTC, truncated to microseconds so that both backends give back
//! exactly what was written; shown as RFC 3339 with a `Z`.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// The clock a server's store calls read: the system's, moved on by an offset that only tests
/// move (to see a case turn yellow and red without waiting hours). Each server has its own, set
/// for the store calls made on its behalf (`Clock::run`), so two servers in one process keep
/// their own time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_us: Arc<AtomicI64>,
    /// Tests only: how long a tick of the sync clock pauses after reading the clock and after
    /// writing its stamp, to open the window a missing lock would let another writer into.
    pause_ms: Arc<AtomicU64>,
}

thread_local! {
    static CURRENT: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current UTC time on this clock, truncated to whole microseconds.
    pub fn now(&self) -> NaiveDateTime {
        truncate(Utc::now().naive_utc() + chrono::Duration::microseconds(self.ahead_us.load(Ordering::Relaxed)))
    }

    /// A clock that reads `t` now and runs on from there (the demo's history is made on one).
    pub fn at(t: NaiveDateTime) -> Self {
        let clock = Self::system();
        clock.advance(t - Utc::now().naive_utc());
        clock
    }

    /// Moves this clock on by `by` (tests).
    pub fn advance(&self, by: chrono::Duration) {
        self.ahead_us.fetch_add(by.num_microseconds().unwrap_or(0), Ordering::Relaxed);
    }

    /// Tests only: makes every tick of the sync clock on this clock's server pause `ms` after
    /// reading the clock and again after writing its stamp (see `db::clock`).
    pub fn pause_ticks(&self, ms: u64) {
        self.pause_ms.store(ms, Ordering::Relaxed);
    }

    /// Runs `f` with this clock as the one `now()` reads on this thread.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let before = CURRENT.with(|c| c.replace(Some(self.clone())));
        let out = f();
        CURRENT.with(|c| c.replace(before));
        out
    }
}

fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).expect("a truncated nanosecond is valid")
}

/// The pause a tick of the sync clock takes on this thread's clock (tests only; none otherwise).
pub(crate) fn tick_pause() {
    let ms = CURRENT.with(|c| c.borrow().as_ref().map_or(0, |c| c.pause_ms.load(Ordering::Relaxed)));
    if ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// The current UTC time, truncated to whole microseconds: on the clock of the server this store
/// call is made for (see `Clock::run`), else the system's.
pub fn now() -> NaiveDateTime {
    CURRENT.with(|c| c.borrow().as_ref().map(Clock::now)).unwrap_or_else(|| truncate(Utc::now().naive_utc()))
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

/// China Standard Time's offset from UTC (Asia/Shanghai has no daylight saving).
pub const CHINA_OFFSET: chrono::Duration = chrono::Duration::hours(8);

/// The date in China at a moment.
pub fn local_date(t: NaiveDateTime) -> chrono::NaiveDate {
    (t + CHINA_OFFSET).date()
}

/// The moment of a wall-clock time in China.
pub fn from_local(t: NaiveDateTime) -> NaiveDateTime {
    t - CHINA_OFFSET
}
