//! Test support: every end-to-end test starts the real gridhub server on a free port, against
//! its own fresh database, and talks HTTP to it — once on SQLite, once on PostgreSQL.
//!
//! PostgreSQL comes from `GRIDHUB_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database there and
//! drops it afterwards. Without the variable the PostgreSQL half of each test says loudly that
//! it was skipped — unless `GRIDHUB_REQUIRE_POSTGRES=1`, when it fails instead (CI sets both).

mod db;
mod fixture;
mod receiver;

use actix_web::dev::ServerHandle;
use gridhub::{Application, Settings};
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::{Caller, Role};
use serde_json::Value;

pub use db::TestDb;
pub use fixture::{Fixture, act, community, generate, get_ok, inside, step};
pub use receiver::{Received, Receiver};
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
        // the suite reads problems in English, the words its asserts quote; a debug server checks
        // the Chinese of each as well (see `Drop`), and the language tests ask for Chinese
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, reqwest::header::HeaderValue::from_static("en"));
        let client = reqwest::Client::builder().default_headers(headers).build().expect("a client");
        Self { base, client, settings, pool: Some(pool), clock, handle, thread: Some(thread) }
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

    /// Tests of the sync clock: every tick on this server pauses `ms` after reading the clock
    /// and after writing it, holding its transaction open.
    pub fn pause_ticks(&self, ms: u64) {
        self.clock.pause_ticks(ms);
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
        user::create(&mut conn, &Caller::system(), new).expect("creating a test user").id.into_string()
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

    pub async fn put(&self, token: Option<&str>, path: &str, body: &Value) -> Response {
        with_token(self.client.put(self.url(path)), token).json(body).send().await.expect("the server answers")
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
        // every problem a test provoked, in whichever language it asked, has its Chinese
        let missing = gridhub::language::untranslated();
        if !std::thread::panicking() {
            assert!(missing.is_empty(), "messages with no Chinese in api/src/language/zh.rs: {missing:#?}");
        }
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

/// Starts a fake of a service that is not ours (WeChat) as a real HTTP server on 127.0.0.1, with
/// the routes `configure` adds; its base URL. It lives as long as the test process.
pub fn fake_service(configure: fn(&mut actix_web::web::ServiceConfig)) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || actix_web::App::new().configure(configure))
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")
                .unwrap();
            tx.send(server.addrs()[0].port()).unwrap();
            server.run().await.unwrap();
        })
    });
    format!("http://127.0.0.1:{}", rx.recv().unwrap())
}
