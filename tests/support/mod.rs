//! Test support: every end-to-end test starts the real gridhub server on a free port, against
//! its own fresh database, and talks HTTP to it — once on SQLite, once on PostgreSQL.
//!
//! PostgreSQL comes from `GRIDHUB_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database there and
//! drops it afterwards. Without the variable the PostgreSQL half of each test says loudly that
//! it was skipped — unless `GRIDHUB_REQUIRE_POSTGRES=1`, when it fails instead (CI sets both).

mod fixture;

use std::path::PathBuf;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use gridhub::{Application, Settings};
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::{Caller, Role};
use serde_json::Value;

pub use fixture::{Fixture, act, community, generate, get_ok, inside, step};
pub use reqwest::{Response, StatusCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each named `async fn test(backend: Backend)`, a module with one test per
/// backend: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )*};
}

pub const ADMIN: &str = "root";
pub const PASSWORD: &str = "correct horse battery";

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

pub fn settings(db: &TestDb) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".into();
    s.server.data_dir = db.dir.join("data");
    s.server.workers = Some(1);
    s.server.log = "warn".into();
    s.database.database_url = db.url.as_str().into();
    s.database.db_pool_size = 4;
    s.auth.jwt_secret = Some("test-secret-that-is-at-least-32-bytes-long".into());
    // the departments' receivers of the tests run on this machine
    s.webhooks.webhook_allow_loopback = true;
    s
}

/// A running server and an HTTP client for it. The server runs on a thread of its own with its
/// own actix runtime, as in a real process; dropping the `TestApp` stops it and waits until its
/// threads and database connections are gone, so nothing outlives the test.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pool: Option<gridhub_store::Pool>,
    clock: gridhub_store::time::Clock,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A fresh database with a server on it and a system admin (`ADMIN`/`PASSWORD`) logged in.
pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub db: TestDb,
}

impl World {
    pub async fn new(backend: Backend) -> Option<Self> {
        Self::with(backend, |_| {}).await
    }

    /// A world whose server runs with settings changed by `change`.
    pub async fn with(backend: Backend, change: impl FnOnce(&mut Settings)) -> Option<Self> {
        let db = TestDb::new(backend)?;
        let mut s = settings(&db);
        change(&mut s);
        let app = TestApp::start(s).await;
        app.create_user(ADMIN, Role::SystemAdmin, None);
        let admin = app.login(ADMIN, PASSWORD).await;
        Some(Self { app, admin, db })
    }
}

impl TestApp {
    pub async fn start(settings: Settings) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            gridhub::telemetry::init("info");
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let config = settings.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match Application::build(config).await {
                    Ok(app) => {
                        let _ = tx.send(Ok((app.port(), app.pool().clone(), app.clock().clone(), app.handle())));
                        let _ = app.run_until_stopped().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        });
        let (port, pool, clock, handle) = match rx.await.expect("the server thread answers") {
            Ok(started) => started,
            Err(e) => panic!("the server does not start: {e}"),
        };
        let base = format!("http://127.0.0.1:{port}");
        Self { base, client: reqwest::Client::new(), settings, pool: Some(pool), clock, handle, thread: Some(thread) }
    }

    /// Stops the server, finishing requests in flight (dropping it does the same).
    pub async fn stop(self) {}

    fn pool(&self) -> &gridhub_store::Pool {
        self.pool.as_ref().expect("the server is running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs store code on one of the server's connections, on the server's clock (set-up the API
    /// cannot do yet).
    pub fn store<T>(&self, f: impl FnOnce(&mut gridhub_store::DbConn) -> T) -> T {
        let mut conn = gridhub_store::db::get(self.pool()).expect("a connection");
        self.clock.run(|| f(&mut conn))
    }

    /// Moves this server's clock on: how a test sees a case turn yellow and red without waiting.
    pub fn advance_clock(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// The time on this server's clock.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now()
    }

    /// Makes a user directly in the store, as `gridhub user create` does (with `PASSWORD`).
    pub fn create_user(&self, username: &str, role: Role, scope_id: Option<&str>) -> String {
        static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let mut conn = gridhub_store::db::get(self.pool()).expect("a connection");
        let new = NewUser {
            username: username.into(),
            password_hash: Some(HASH.get_or_init(|| gridhub::auth::hash_password(PASSWORD)).clone()),
            display_name: username.into(),
            phone: None,
            role,
            scope_id: scope_id.map(Into::into),
        };
        user::create(&mut conn, &Caller::system(), new).expect("creating a test user").id
    }

    /// An access token for a user, made as the server makes them (without the password work of
    /// a login: for tests that are not about logging in).
    pub fn token(&self, user_id: &str, role: Role, scope: Option<&str>) -> String {
        let tokens = gridhub::auth::TokenService::new(&self.settings).expect("the test settings sign tokens");
        tokens.issue_access(user_id, role.as_str(), scope, 0).expect("a token")
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let res = self
            .post(None, "/api/v1/auth/login", &serde_json::json!({"username": username, "password": password}))
            .await;
        assert_eq!(res.status(), 200, "login as {username}");
        json(res).await["access_token"].as_str().expect("an access token").to_owned()
    }

    pub async fn get(&self, token: Option<&str>, path: &str) -> Response {
        with_token(self.client.get(self.url(path)), token).send().await.expect("the server answers")
    }

    pub async fn post(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        with_token(self.client.post(self.url(path)), token).json(body).send().await.expect("the server answers")
    }

    pub async fn patch(&self, token: Option<&str>, path: &str, if_match: Option<&str>, body: &Value) -> Response {
        let mut req = with_token(self.client.patch(self.url(path)), token).json(body);
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send().await.expect("the server answers")
    }

    /// POSTs `body` and expects 201; returns the created record.
    pub async fn create(&self, token: &str, path: &str, body: &Value) -> Value {
        let res = self.post(Some(token), path, body).await;
        let status = res.status();
        let value = json(res).await;
        assert_eq!(status, 201, "POST {path}: {value}");
        value
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `stop` sends its command at once; the thread ends when the server has stopped
        drop(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.pool.take();
    }
}

fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token {
        Some(t) => req.bearer_auth(t),
        None => req,
    }
}

pub async fn json(res: Response) -> Value {
    let text = res.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Expects a problem+json answer with `status`; returns it.
pub async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = json(res).await;
    assert_eq!(content_type, "application/problem+json", "content type of {body}");
    assert_eq!(body["status"], status, "{body}");
    for key in ["type", "title", "detail", "errors"] {
        assert!(body.get(key).is_some(), "problem lacks {key}: {body}");
    }
    body
}

/// The fields named in a problem's `errors`.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map_or(vec![], |e| e.iter().filter_map(|x| x["field"].as_str().map(Into::into)).collect())
}

/// A small square ring at (`lng`, `lat`) with sides of `d` degrees, as GeoJSON.
pub fn square(lng: f64, lat: f64, d: f64) -> Value {
    serde_json::json!({"type": "Polygon", "coordinates": [[[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]]})
}

/// A district (360102), one street under it (360102001) and one community (360102001001).
pub struct Regions {
    pub district: String,
    pub street: String,
    pub community: String,
}

pub async fn regions(app: &TestApp, token: &str) -> Regions {
    let d = app.create(token, "/api/v1/districts", &serde_json::json!({"code": "360102", "name": "东湖区"})).await;
    let s = app
        .create(
            token,
            "/api/v1/streets",
            &serde_json::json!({"district_id": d["id"], "code": "360102001", "name": "公园街道"}),
        )
        .await;
    let c = app
        .create(
            token,
            "/api/v1/communities",
            &serde_json::json!({"street_id": s["id"], "code": "360102001001", "name": "孺子亭社区", "boundary": square(115.89, 28.676, 0.005)}),
        )
        .await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    Regions { district: id(&d), street: id(&s), community: id(&c) }
}

/// A department's webhook receiver on 127.0.0.1 — a real HTTP server, as the department would
/// run. `answer(n)` says what the n-th request (from 0) gets: a status, or `None` to hold the
/// connection open without answering. Every request is kept: its headers and body.
pub struct Receiver {
    pub url: String,
    pub got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

/// A request a receiver got: its headers (names lower-case) and its body.
pub type Received = (std::collections::HashMap<String, String>, String);

impl Receiver {
    pub async fn start(answer: impl Fn(usize) -> Option<u16> + Send + Sync + 'static) -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}/hooks/gridhub", listener.local_addr().unwrap());
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let answer = std::sync::Arc::new(answer);
        let kept = got.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (kept, answer) = (kept.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut headers = std::collections::HashMap::new();
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let l = line.trim_end();
                            if l.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = l.split_once(':') {
                                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                            }
                        }
                        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                        let mut body = vec![0; len];
                        if reader.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let n = {
                            let mut g = kept.lock().unwrap();
                            g.push((headers, String::from_utf8_lossy(&body).into_owned()));
                            g.len() - 1
                        };
                        match answer(n) {
                            Some(status) => {
                                let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                                if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            None => {
                                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { url, got }
    }

    /// The bodies received so far, as JSON.
    pub fn bodies(&self) -> Vec<Value> {
        self.got.lock().unwrap().iter().map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null)).collect()
    }
}

/// Waits (up to 10 s) until `check` holds, polling; panics with `what` if it never does.
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// An RFC 3339 time from an answer, as the store keeps it (UTC).
pub fn utc(text: &str) -> chrono::NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time").naive_utc()
}
