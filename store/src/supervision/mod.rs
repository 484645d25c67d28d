//! Supervision beyond the single case: the whistle (吹哨报到) that summons several departments
//! to a case and follows who reported in.

pub mod whistle;
