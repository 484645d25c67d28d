//! Time as supervision counts it: the working calendar (workdays, holidays, make-up workdays and
//! working hours, in China Standard Time) and the time limits counted on it.

pub mod calendar;
mod limit;

pub use calendar::{Calendar, WorkingHours};
pub use limit::Limit;
