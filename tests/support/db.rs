//! The database each test runs on: a fresh copy of a template migrated and seeded once per
//! backend and set of migrations (PostgreSQL `CREATE DATABASE … TEMPLATE`, SQLite a file copy),
//! dropped when the test ends.

use std::path::PathBuf;

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::Backend;

/// A fresh database of one backend, removed when dropped: a copy of a template that was migrated
/// and seeded once (per set of migrations and shipped data), so that no test migrates from
/// scratch.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A migrated database; `None` (after saying so) when the backend is PostgreSQL and no server
    /// is configured.
    pub fn new(backend: Backend) -> Option<Self> {
        Self::make(backend, true)
    }

    /// A database with nothing in it, not even the schema.
    pub fn empty(backend: Backend) -> Option<Self> {
        Self::make(backend, false)
    }

    fn make(backend: Backend, migrated: bool) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("gridhub-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        match backend {
            Backend::Sqlite => {
                let file = dir.join("gridhub.db");
                if migrated {
                    std::fs::copy(template::sqlite(), &file).expect("copying the template database");
                }
                Some(Self { backend, url: format!("sqlite://{}", file.display()), dir, postgres: None })
            }
            Backend::Postgres => {
                let Ok(admin) = std::env::var("GRIDHUB_TEST_POSTGRES_URL") else {
                    if std::env::var("GRIDHUB_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                        panic!("GRIDHUB_REQUIRE_POSTGRES=1 but GRIDHUB_TEST_POSTGRES_URL is not set");
                    }
                    eprintln!(
                        "\n*** SKIPPED on PostgreSQL: GRIDHUB_TEST_POSTGRES_URL is not set, so this test ran on SQLite only ***\n"
                    );
                    return None;
                };
                let name = format!("gridhub_test_{}", uuid::Uuid::now_v7().simple());
                let from =
                    if migrated { format!(" TEMPLATE \"{}\"", template::postgres(&admin)) } else { String::new() };
                let mut conn = PgConnection::establish(&admin).expect("connecting to GRIDHUB_TEST_POSTGRES_URL");
                template::create_database(&mut conn, &format!("CREATE DATABASE \"{name}\"{from}"));
                let url = with_database(&admin, &name);
                Some(Self { backend, url, dir, postgres: Some((admin, name)) })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn);
        }
    }
}

/// The migrated template of each backend, made once per set of migrations and shipped data.
mod template {
    use std::path::{Path, PathBuf};

    use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
    use sha2::{Digest, Sha256};

    /// A name for what the template holds: a hash of the migrations and the shipped data.
    fn key() -> String {
        fn walk(dir: &Path, hasher: &mut Sha256) {
            let mut entries: Vec<_> =
                std::fs::read_dir(dir).expect("a directory").flatten().map(|e| e.path()).collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, hasher);
                } else {
                    hasher.update(path.file_name().unwrap().as_encoded_bytes());
                    hasher.update(std::fs::read(&path).expect("a file"));
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut hasher = Sha256::new();
        walk(&root.join("migrations"), &mut hasher);
        walk(&root.join("store/data"), &mut hasher);
        format!("{:x}", hasher.finalize())[..16].to_owned()
    }

    fn migrate(url: &str) {
        let pool = gridhub::startup::open_database(url, 1).expect("migrating the template database");
        drop(pool);
    }

    /// The SQLite template's file (made here if this is the first test to need it).
    pub fn sqlite() -> PathBuf {
        let path = std::env::temp_dir().join(format!("gridhub-template-{}.db", key()));
        if !path.exists() {
            let building = std::env::temp_dir().join(format!("gridhub-template-{}.db", uuid::Uuid::now_v7().simple()));
            migrate(&format!("sqlite://{}", building.display()));
            // one file, no write-ahead log beside it, so that a copy is whole
            let mut conn = SqliteConnection::establish(&building.display().to_string()).expect("the template");
            diesel::sql_query("PRAGMA journal_mode = DELETE").execute(&mut conn).expect("leaving WAL");
            drop(conn);
            // another test may have made it meanwhile: the same contents either way
            std::fs::rename(&building, &path).expect("placing the template");
        }
        path
    }

    /// The PostgreSQL template's name (made here, under a lock, if no test made it yet).
    pub fn postgres(admin: &str) -> String {
        let name = format!("gridhub_template_{}", key());
        let mut conn = PgConnection::establish(admin).expect("connecting to GRIDHUB_TEST_POSTGRES_URL");
        diesel::sql_query("SELECT pg_advisory_lock(7411099)").execute(&mut conn).expect("the template lock");
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let found: Found = diesel::sql_query(format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"))
            .get_result(&mut conn)
            .expect("looking for the template");
        if found.n == 0 {
            let building = format!("gridhub_building_{}", uuid::Uuid::now_v7().simple());
            create_database(&mut conn, &format!("CREATE DATABASE \"{building}\""));
            migrate(&super::with_database(admin, &building));
            create_database(&mut conn, &format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""));
        }
        diesel::sql_query("SELECT pg_advisory_unlock(7411099)").execute(&mut conn).expect("the template lock");
        name
    }

    /// Runs a statement that needs the template to itself, retrying while a closing connection
    /// still holds it.
    pub fn create_database(conn: &mut PgConnection, sql: &str) {
        for attempt in 0..50 {
            match diesel::sql_query(sql).execute(conn) {
                Ok(_) => return,
                Err(e) if attempt < 49 && e.to_string().contains("being accessed by other users") => {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => panic!("{sql}: {e}"),
            }
        }
    }
}

/// `postgres://u@h:p/old?x` with the database `name` instead of `old`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_end..].find('/').map_or(base.len(), |i| authority_end + i);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out = format!("{out}?{q}");
    }
    out
}
