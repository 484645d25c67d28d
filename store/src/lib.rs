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
