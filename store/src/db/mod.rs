//! Connections: one diesel connection type over SQLite and PostgreSQL, an r2d2 pool whose
//! manager picks the backend from the URL and reports the real connection error, and write
//! transactions that take SQLite's write lock up front. `migrate` brings a schema up to date;
//! `clock` is the sync clock every change a phone may pull is stamped with.

pub mod clock;
mod migrate;

pub use migrate::{migrate, migrate_through};

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;

use crate::error::{StoreError, StoreResult};

/// A connection to either backend. Queries written once run on both; the few statements that
/// differ (upserts, multi-row inserts, `RETURNING`) use [`per_backend!`](crate::per_backend).
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

/// Runs the same code against the concrete connection of whichever backend `conn` is:
/// `per_backend!(conn, c => diesel::insert_into(t).values(v).on_conflict_do_nothing().execute(c))`.
#[allow(unused_macros)]
macro_rules! per_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}

/// Loads the rows a background worker claims. On PostgreSQL they are locked `FOR UPDATE SKIP
/// LOCKED`, so workers on several servers each take different rows instead of waiting for, or
/// repeating, each other; SQLite has one writer at a time (`write` begins `IMMEDIATE`).
/// Use it inside a write transaction: `claim!(conn, table.filter(...).select(Row::as_select()))`.
macro_rules! claim {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => $query.load(c),
            $crate::db::DbConn::Pg(c) => $query.for_update().skip_locked().load(c),
        }
    };
}

#[allow(unused_imports)]
pub(crate) use {claim, per_backend};

pub type Pool = r2d2::Pool<ConnManager>;
pub type PooledConn = r2d2::PooledConnection<ConnManager>;

/// Where the data lives, from a URL: `postgres://…` or `postgresql://…` for PostgreSQL;
/// `sqlite://path`, `sqlite:path` or a plain path for SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> StoreResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.is_empty() || path.contains("://") {
            return Err(StoreError::Config(format!(
                "database URL {url:?}: use postgres://user@host/db, sqlite://path or a file path"
            )));
        }
        if path == ":memory:" {
            return Err(StoreError::Config(
                "an in-memory SQLite database cannot be shared by a connection pool; give a file path".into(),
            ));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// SQLite settings for every new connection: a writer that finds the lock taken waits instead
/// of failing (set first: switching to WAL itself may meet the checkpoint of a closing
/// connection), WAL so readers never block the writer, and foreign keys enforced.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// SQLite gathers the query planner's statistics only when asked, and without them it plans a
/// district's pull as one of a single community (every page sorting the whole district). This
/// analyzes the tables whose size changed much since their last analysis, in bounded time;
/// run when the server starts and every hour ([`refresh_statistics`]). Not as each pooled
/// connection opens: measured so, pushes under load ran at a third of their speed. 0x10002:
/// look at every table, not only those this connection used.
const SQLITE_OPTIMIZE: &str = "PRAGMA optimize=0x10002;";

/// Brings the query planner's statistics up to date where the data outgrew them (SQLite; on
/// PostgreSQL autovacuum does it).
pub fn refresh_statistics(conn: &mut DbConn) -> StoreResult<()> {
    if let DbConn::Sqlite(c) = conn {
        c.batch_execute(SQLITE_OPTIMIZE)?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The r2d2 manager: establishes the right backend's connection for the URL.
#[derive(Debug)]
pub struct ConnManager {
    url: DatabaseUrl,
}

impl ConnManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl r2d2::ManageConnection for ConnManager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConn::Pg(PgConnection::establish(url)?)),
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Opens a pool on `url`. The first connection is made here, so a wrong URL, a missing server
/// or a bad password fails at once with the database's own message.
pub fn connect(url: &str, max_size: u32) -> StoreResult<Pool> {
    let url = DatabaseUrl::parse(url)?;
    let manager = ConnManager::new(url);
    let first = r2d2::ManageConnection::connect(&manager)
        .map_err(|e| StoreError::Unavailable(format!("cannot connect to the database: {e}")))?;
    drop(first);
    r2d2::Pool::builder()
        .max_size(max_size.max(1))
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(15))
        .build(manager)
        .map_err(|e| StoreError::Unavailable(format!("cannot open the connection pool: {e}")))
}

/// Checks that the database answers.
pub fn ping(conn: &mut DbConn) -> StoreResult<()> {
    Ok(conn.batch_execute("SELECT 1")?)
}

pub fn get(pool: &Pool) -> StoreResult<PooledConn> {
    pool.get().map_err(|e| StoreError::Unavailable(format!("no database connection free: {e}")))
}

/// Runs `f` in a write transaction and commits if it returns `Ok`. On SQLite the transaction
/// begins with `BEGIN IMMEDIATE`, so concurrent writers queue on the busy timeout instead of
/// failing halfway; inside an open transaction this becomes a savepoint.
pub fn write<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Tm = <DbConn as Connection>::TransactionManager;
    let open = Tm::transaction_manager_status_mut(conn).transaction_depth()?.is_some();
    if open {
        return conn.transaction(f);
    }
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => {
            Tm::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            Tm::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(DatabaseUrl::parse("gridhub.db").unwrap(), DatabaseUrl::Sqlite("gridhub.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(), DatabaseUrl::Sqlite("/tmp/x.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite://data/x.db").unwrap(), DatabaseUrl::Sqlite("data/x.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgres://u@h/db").unwrap(), DatabaseUrl::Postgres(_)));
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
    }

    #[test]
    fn a_bad_postgres_url_reports_the_real_error() {
        let err = connect("postgres://nobody@127.0.0.1:1/none", 1).unwrap_err().to_string();
        assert!(err.contains("cannot connect to the database"), "{err}");
        assert!(err.contains("127.0.0.1") || err.contains("refused"), "{err}");
    }
}
