//! gridhub-store: the domain model of grid management and its persistence, over SQLite (the
//! embedded default) and PostgreSQL through one diesel connection type.
//!
//! Store functions take `&mut DbConn` so that they compose inside one transaction owned by the
//! caller. The rules of the domain (who may change what, which codes nest) live here, once.
//! This crate must never depend on HTTP.

pub mod access;
pub mod assignment;
pub mod attachment;
pub mod audit;
pub mod calendar;
pub mod case;
pub mod category;
pub mod cell;
pub mod clock;
pub mod community;
pub mod db;
pub mod department;
pub mod district;
mod error;
pub mod outbox;
pub mod page;
pub mod patrol;
pub mod refresh_token;
pub mod routing;
pub mod schema;
pub mod street;
pub mod time;
pub mod user;
pub mod whistle;

pub use access::{Caller, Role};
pub use db::{DbConn, Pool, connect, migrate, write};
pub use error::{FieldProblem, StoreError, StoreResult};
pub use page::{Page, Paged};
pub use time::now;

/// Whether `text` is an id a client may make (a phone's record, a photo's id):
/// `[A-Za-z0-9_.-]{1,64}` — WatermelonDB makes 16 such characters.
pub fn is_client_id(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}
