//! Supervision beyond the single case: the whistle (吹哨报到) that summons several departments
//! to a case and follows who reported in; the figures (绩效评价) and rankings; the to-do (待办); the monthly analysis (民情研判);
//! patrols as the office sees them, and patrol plans against what was walked.

pub mod digest;
pub mod figures;
pub mod patrols;
pub mod todo;
pub mod whistle;
