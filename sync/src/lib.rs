//! gridhub-sync: the offline sync protocol (WatermelonDB's) for grid workers' phones, over the
//! store — pull what changed in a caller's scope since their last sync, push batches made
//! offline in one transaction. Still to be built (the sync issue); the store already records,
//! in `scope_changes`, which cells each person gained or lost and when.
//!
//! It must never depend on HTTP: the api crate speaks HTTP and calls this.
