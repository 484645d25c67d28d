//! gridhub-store: the domain model of grid management and its persistence, over SQLite (the
//! embedded default) and PostgreSQL through one diesel connection type.
//!
//! Grouped by domain, from the ground up: `db` (connections, migrations, the sync clock) and the
//! types every module shares; `access` (roles, the caller and its reach, where things lie, the
//! audit log); `regions` and `people`; the `grid` and its `assignments`; `clocks` and `notify`;
//! `cases`; what `phones` need; `supervision`. A module uses only those before it.
//!
//! Store functions take `&mut DbConn` so that they compose inside one transaction owned by the
//! caller. The rules of the domain (who may change what, which codes nest) live here, once.
//! This crate must never depend on HTTP.

pub mod access;
pub mod assignments;
pub mod campaigns;
pub mod cases;
pub mod clocks;
pub mod db;
mod error;
pub mod grid;
pub mod input;
pub mod meetings;
pub mod notify;
pub mod open311;
pub mod page;
pub mod people;
pub mod phones;
pub mod regions;
pub mod residents;
pub mod schema;
pub mod supervision;
pub mod tasks;
pub mod time;
pub mod types;

pub use access::{Caller, Role};
pub use cases::category;
pub use db::{DbConn, Pool, connect, migrate, write};
pub use error::{FieldProblem, StoreError, StoreResult};
pub use page::{Page, Paged};
pub use time::now;
pub use types::{CaseId, CellId, UserId, is_client_id};
