//! What the phones' sync needs from the store besides cases: grid workers' patrols (with the
//! tombstones of deleted ones).

pub mod patrol;
