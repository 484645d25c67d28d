//! What can go wrong in the store, in the terms of the domain. The API maps each kind to one
//! HTTP status in one place.

/// One field of the input and what is wrong with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub detail: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { field: field.into(), detail: detail.into() }
    }

    /// Problems in one line, each named by its field: `title: is required; lng: …`.
    pub fn join(problems: &[FieldProblem]) -> String {
        problems.iter().map(|p| format!("{}: {}", p.field, p.detail)).collect::<Vec<_>>().join("; ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("{}", FieldProblem::join(.0))]
    Invalid(Vec<FieldProblem>),
    /// An input with more problems than are worth naming: the first of them, and how many.
    #[error("{}; and {} more", FieldProblem::join(first), total - first.len())]
    InvalidMany { first: Vec<FieldProblem>, total: usize },
    #[error("{detail}")]
    Conflict { field: &'static str, detail: String },
    #[error("{entity} {id} has changed: it is at version {current}")]
    VersionMismatch { entity: &'static str, id: String, current: i64 },
    #[error("{0}")]
    Forbidden(String),
    /// An action the record's state does not allow now, and the actions it does allow.
    #[error("{detail}")]
    NotAllowedNow { detail: String, allowed: Vec<&'static str> },
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
}

impl StoreError {
    /// Whether the input was refused (its sender can learn why and do otherwise: invalid, not
    /// allowed, not found, in conflict, stale) rather than the server failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::InvalidMany { .. }
                | Self::Forbidden(_)
                | Self::NotFound { .. }
                | Self::Conflict { .. }
                | Self::NotAllowedNow { .. }
                | Self::VersionMismatch { .. }
        )
    }

    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldProblem::new(field, detail)])
    }

    pub fn not_found(entity: &'static str, id: &str) -> Self {
        Self::NotFound { entity, id: id.to_owned() }
    }
}

impl From<diesel::result::Error> for StoreError {
    /// A database too busy to take the write (SQLite's lock wait ran out, PostgreSQL gave up
    /// on a serialization or a lock) is a temporary condition, not a fault.
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Self::Unavailable(e.to_string()),
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                Self::Unavailable(e.to_string())
            }
            _ => Self::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Maps a unique-constraint violation to a 409 on `field`; other errors pass through.
pub(crate) fn unique_as_conflict(
    field: &'static str,
    detail: String,
) -> impl FnOnce(diesel::result::Error) -> StoreError {
    move |e| match e {
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            StoreError::Conflict { field, detail }
        }
        other => StoreError::Database(other),
    }
}

/// Optimistic concurrency: a write that names the version it saw fails if the record moved on.
pub(crate) fn expect_version(entity: &'static str, id: &str, current: i64, expected: Option<i64>) -> StoreResult<()> {
    match expected {
        Some(v) if v != current => Err(StoreError::VersionMismatch { entity, id: id.to_owned(), current }),
        _ => Ok(()),
    }
}
