//! The schema of each dialect, embedded in the binary (migrations/sqlite and migrations/postgres:
//! the same names, the same tables), and applying what a database lacks.

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConn;
use crate::error::{StoreError, StoreResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Applies the pending migrations of this backend's dialect; returns how many ran. On
/// PostgreSQL an advisory lock keeps two servers starting at once from migrating together.
/// Shipped data (the catalogue, the calendar) is seeded separately, by its own modules.
pub fn migrate(conn: &mut DbConn) -> StoreResult<usize> {
    let ran = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7411001)")?;
            let ran = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len());
            c.batch_execute("SELECT pg_advisory_unlock(7411001)")?;
            ran
        }
    };
    ran.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Applies the pending migrations up to and including the one named `last`
/// (`2026-11-27-000008_intake`): a database as an older release left it, for the tests that
/// prove a migration loses nothing. Returns how many ran.
pub fn migrate_through(conn: &mut DbConn, last: &str) -> StoreResult<usize> {
    fn through<B: diesel::backend::Backend>(
        harness: &mut impl MigrationHarness<B>,
        source: EmbeddedMigrations,
        last: &str,
    ) -> diesel::migration::Result<usize> {
        let mut ran = 0;
        for m in harness.pending_migrations(source)? {
            let name = m.name().to_string();
            harness.run_migration(&*m)?;
            ran += 1;
            if name == last {
                break;
            }
        }
        Ok(ran)
    }
    let ran = match conn {
        DbConn::Sqlite(c) => through(c, SQLITE_MIGRATIONS, last),
        DbConn::Pg(c) => through(c, POSTGRES_MIGRATIONS, last),
    };
    ran.map_err(|e| StoreError::Migration(e.to_string()))
}
