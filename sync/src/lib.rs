//! gridhub-sync: the offline sync protocol of grid workers' phones — WatermelonDB's, so that an
//! app built on it syncs with the stock `synchronize()`. `pull` gives what changed in the
//! caller's scope since their last pull; `push` applies a batch made offline in one transaction.
//! `schema` is the phone's database, version 1. Every change a phone may pull is stamped by the
//! store's sync clock (`gridhub_store::clock`), which also serializes pushes and pulls.
//!
//! It never depends on HTTP: the api crate speaks HTTP and calls this.

pub mod pull;
pub mod push;
pub mod schema;
mod scope;

pub use pull::{Migration, PullRequest, pull};
pub use push::{PushOutcome, push};
