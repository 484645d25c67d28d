//! gridhub-sync: the offline sync protocol of grid workers' phones — WatermelonDB's, so that an
//! app built on it syncs with the stock `synchronize()`. `schema` is the phone's database (the one
//! home of its tables and columns); `pull` writes what changed in the caller's holding since their
//! last pull, streamed; `push` reads what a phone changed offline into the push the store applies
//! in one transaction. Every change a phone may pull is stamped by the store's sync clock.
//!
//! Only the protocol lives here: it writes no SQL (the store's `phones` feeds and push do), and
//! it never depends on HTTP (the api crate speaks HTTP and calls this).

pub mod pull;
pub mod push;
pub mod schema;

pub use pull::{Migration, PullError, PullRequest};
