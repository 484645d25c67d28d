//! Who may do what, and where things lie: roles and their scopes, the caller with its reach, the
//! place of a record in the hierarchy (from the schema alone), and the audit log of privileged
//! writes. Everything above uses it; it depends on nothing of the domain but the schema.

pub mod audit;
mod caller;
pub mod place;
mod role;

pub(crate) use caller::within_reach;
pub use caller::{Caller, Reach};
pub use place::Place;
pub use role::{Role, ScopeLevel};
