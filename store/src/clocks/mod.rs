//! Time as supervision counts it: the working calendar (workdays, holidays, make-up workdays and
//! working hours, in China Standard Time), the time limits, and the two clocks a limit is counted
//! on — working time, or natural time for what cannot wait.

pub mod calendar;
mod limit;

pub use calendar::{Calendar, WorkingHours};
pub use limit::Limit;

use chrono::{Duration, NaiveDateTime};

crate::types::text_enum! {
    /// What a time limit counts: `working` time (the calendar's working hours on workdays) or
    /// `natural` time (every minute of every day, for what cannot wait for Monday).
    pub enum Clock {
        Working = "working",
        Natural = "natural",
    }
}

impl Clock {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            Clock::Working => "工作时间",
            Clock::Natural => "自然时间",
        }
    }
}

/// The calendar read on a clock: deadlines and elapsed minutes in working or natural time.
#[derive(Debug, Clone, Copy)]
pub struct Timer<'a> {
    cal: &'a Calendar,
    clock: Clock,
}

impl Calendar {
    /// This calendar read on `clock`.
    pub fn on(&self, clock: Clock) -> Timer<'_> {
        Timer { cal: self, clock }
    }
}

impl Timer<'_> {
    /// The deadline of a step of `limit` started at `start`: on the working clock a day is a
    /// day's working hours; on the natural clock it is 24 hours.
    pub fn deadline(&self, start: NaiveDateTime, limit: Limit) -> NaiveDateTime {
        match self.clock {
            Clock::Working => self.cal.deadline(start, limit),
            Clock::Natural => start + Duration::minutes(limit.natural_minutes()),
        }
    }

    /// Minutes counted between two moments (0 when `to` is not after `from`).
    pub fn minutes(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        match self.clock {
            Clock::Working => self.cal.working_minutes(from, to),
            Clock::Natural => (to - from).num_minutes().max(0),
        }
    }

    /// The moment `minutes` counted after `start`.
    pub fn add_minutes(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        match self.clock {
            Clock::Working => self.cal.add_minutes(start, minutes),
            Clock::Natural => start + Duration::minutes(minutes.max(0)),
        }
    }

    /// The moment `minutes` counted before `end`.
    pub fn sub_minutes(&self, end: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        match self.clock {
            Clock::Working => self.cal.sub_minutes(end, minutes),
            Clock::Natural => end - Duration::minutes(minutes.max(0)),
        }
    }
}
