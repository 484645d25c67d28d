//! What the phones' sync needs from the store besides cases: grid workers' patrols (with the
//! tombstones of deleted ones) and the quarantine of records that can never be accepted.

pub mod patrol;
pub mod quarantine;
