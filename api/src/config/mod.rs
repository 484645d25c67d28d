//! Settings: built-in defaults < `gridhub.toml` < environment (`GRIDHUB_*`) < command-line flags.
//! Every setting is one line of the table below (its area, name, type, default and variable):
//! from it come the flags and their help (`gridhub serve --help`), the resolved settings grouped
//! by area, and the table in `docs/settings.md` (a test keeps the document in step). A default is
//! written once, as an operator would write it, and parsed like any other value.

mod secret;

use std::path::{Path, PathBuf};

use gridhub_store::clocks::WorkingHours;

pub use secret::Secret;

/// Declares the settings: for each area a struct of resolved values, one flat layer of optional
/// values for the command line and the file, and the documentation table.
macro_rules! settings {
    ($(
        $(#[doc = $area_doc:literal])*
        $area:ident: $Area:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty $(= $default:literal)? => $env:literal;
            )*
        }
    )*) => {
        /// One layer of settings, every value optional: the command line (with its environment
        /// variables) is one layer, `gridhub.toml` another.
        #[derive(Debug, Default, Clone, clap::Args, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct SettingsLayer {
            $($(
                #[arg(long, env = $env, global = true, hide_env_values = true,
                      help = help(concat!($($doc, "\n",)*), settings!(@shown $($default)?)))]
                pub $field: Option<$ty>,
            )*)*
        }

        $(
            $(#[doc = $area_doc])*
            #[derive(Debug, Clone)]
            pub struct $Area {
                $( $(#[doc = $doc])* pub $field: settings!(@type $ty $(, $default)?), )*
            }
        )*

        /// The resolved settings the service runs with, by area.
        #[derive(Debug, Clone)]
        pub struct Settings {
            $( pub $area: $Area, )*
        }

        impl Settings {
            /// `over` wins where it has a value, then `under`, then the default.
            pub fn resolve(over: SettingsLayer, under: SettingsLayer) -> Self {
                Settings {
                    $( $area: $Area {
                        $( $field: settings!(@pick over.$field.or(under.$field), $ty $(, $default)?), )*
                    }, )*
                }
            }
        }

        /// Every setting: (area, name, variable, default, what it is for).
        pub const TABLE: &[(&str, &str, &str, &str, &str)] = &[
            $($( (stringify!($area), stringify!($field), $env, settings!(@shown $($default)?),
                  concat!($($doc, "\n",)*)), )*)*
        ];
    };
    (@type $ty:ty, $default:literal) => { $ty };
    (@type $ty:ty) => { Option<$ty> };
    (@pick $value:expr, $ty:ty, $default:literal) => {
        $value.unwrap_or_else(|| $default.parse::<$ty>().expect("every default parses"))
    };
    (@pick $value:expr, $ty:ty) => { $value };
    (@shown $default:literal) => { $default };
    (@shown) => { "" };
}

/// A flag's help: what it is for, and its default.
fn help(about: &str, default: &str) -> String {
    let about = about.split_whitespace().collect::<Vec<_>>().join(" ");
    if default.is_empty() { about } else { format!("{about} [default: {default}]") }
}

settings! {
    /// The HTTP server.
    server: Server {
        /// Address and port to listen on
        bind: String = "127.0.0.1:8080" => "GRIDHUB_BIND";
        /// HTTP worker threads (unset: the number of cores)
        workers: usize => "GRIDHUB_WORKERS";
        /// Log filter, e.g. `info` or `gridhub=debug,info`
        log: String = "info" => "GRIDHUB_LOG";
        /// Directory for the files the service keeps: the generated signing key, photos
        data_dir: PathBuf = "data" => "GRIDHUB_DATA_DIR";
        /// Largest accepted request body, bytes
        max_body_bytes: usize = "1048576" => "GRIDHUB_MAX_BODY_BYTES";
    }
    /// Where the data lives.
    database: Database {
        /// sqlite://PATH or a file path (embedded SQLite), or postgres://USER@HOST/DB
        database_url: Secret = "sqlite://gridhub.db" => "GRIDHUB_DATABASE_URL";
        /// Database connections in the pool
        db_pool_size: u32 = "10" => "GRIDHUB_DB_POOL_SIZE";
    }
    /// Logins and tokens.
    auth: Auth {
        /// HS256 secret for access tokens (at least 32 bytes); unset: generated once and kept in
        /// `data_dir/jwt-secret` (mode 0600); set it to share tokens between servers
        jwt_secret: Secret => "GRIDHUB_JWT_SECRET";
        /// `iss` of access tokens
        jwt_issuer: String = "gridhub" => "GRIDHUB_JWT_ISSUER";
        /// `aud` of access tokens
        jwt_audience: String = "gridhub-api" => "GRIDHUB_JWT_AUDIENCE";
        /// Lifetime of an access token, seconds
        access_token_ttl_secs: u64 = "900" => "GRIDHUB_ACCESS_TOKEN_TTL_SECS";
        /// Lifetime of a refresh token, seconds (30 days)
        refresh_token_ttl_secs: u64 = "2592000" => "GRIDHUB_REFRESH_TOKEN_TTL_SECS";
        /// An Ed25519 private key (PKCS#8 PEM) to sign access tokens with EdDSA instead of HS256;
        /// needs the public key too
        jwt_private_key_file: PathBuf => "GRIDHUB_JWT_PRIVATE_KEY_FILE";
        /// The Ed25519 public key (PEM) to verify EdDSA access tokens; a node with only this key
        /// verifies tokens but does not issue them
        jwt_public_key_file: PathBuf => "GRIDHUB_JWT_PUBLIC_KEY_FILE";
        /// Login attempts allowed per minute from one client address
        login_per_minute_per_address: u32 = "30" => "GRIDHUB_LOGIN_PER_MINUTE_PER_ADDRESS";
        /// Login attempts allowed per minute for one username
        login_per_minute_per_username: u32 = "10" => "GRIDHUB_LOGIN_PER_MINUTE_PER_USERNAME";
    }
    /// The WeChat mini-program residents log in from.
    wechat: Wechat {
        /// Base URL of the WeChat API
        wechat_api_base: String = "https://api.weixin.qq.com" => "GRIDHUB_WECHAT_API_BASE";
        /// The mini-program's AppID; unset: WeChat login answers 503
        wechat_app_id: String => "GRIDHUB_WECHAT_APP_ID";
        /// The mini-program's AppSecret
        wechat_app_secret: Secret => "GRIDHUB_WECHAT_APP_SECRET";
        /// Time limit for a call to WeChat, milliseconds
        wechat_timeout_ms: u64 = "5000" => "GRIDHUB_WECHAT_TIMEOUT_MS";
        /// The subscribe-message template for a resident's request moving on (fields thing1 诉求事项, phrase2 办理状态, thing3 说明, time4 时间); unset: not sent
        wechat_template_case_update: String => "GRIDHUB_WECHAT_TEMPLATE_CASE_UPDATE";
        /// The subscribe-message template for a community notice (fields thing1 通知标题, thing2 内容, time3 发布时间); unset: not sent
        wechat_template_notice: String => "GRIDHUB_WECHAT_TEMPLATE_NOTICE";
    }
    /// The grid and who answers for it.
    grid: Grid {
        /// How often a server checks whether another server changed the cells, seconds
        grid_refresh_secs: u64 = "2" => "GRIDHUB_GRID_REFRESH_SECS";
        /// Largest accepted import (cells as GeoJSON, an assignment sheet), bytes (32 MiB)
        max_import_bytes: usize = "33554432" => "GRIDHUB_MAX_IMPORT_BYTES";
        /// The most cells one full-time grid worker (专职网格员) holds
        max_full_time_cells: usize = "3" => "GRIDHUB_MAX_FULL_TIME_CELLS";
        /// The most corners one ring of a boundary may have (a real community has a few hundred)
        max_ring_vertices: usize = "20000" => "GRIDHUB_MAX_RING_VERTICES";
        /// The most corners one boundary may have, all its rings together
        max_boundary_vertices: usize = "200000" => "GRIDHUB_MAX_BOUNDARY_VERTICES";
        /// The most corners one import of cells may have, all its features together
        max_import_vertices: usize = "1000000" => "GRIDHUB_MAX_IMPORT_VERTICES";
    }
    /// The closed loop of cases and its supervision.
    cases: Cases {
        /// How many days after closing a case may be reopened
        case_reopen_days: u32 = "7" => "GRIDHUB_CASE_REOPEN_DAYS";
        /// How many days after closing a resident may rate their request (unrated, it counts as not evaluated)
        case_evaluation_days: u32 = "7" => "GRIDHUB_CASE_EVALUATION_DAYS";
        /// How often a shelved case (挂账) comes up for the district's review, days
        shelved_review_days: u32 = "90" => "GRIDHUB_SHELVED_REVIEW_DAYS";
        /// The working periods of a day, China Standard Time, that time limits count
        working_hours: String = "09:00-12:00,13:30-17:30" => "GRIDHUB_WORKING_HOURS";
        /// How near the case a department's report-in counts as on site, metres
        whistle_on_site_m: f64 = "200" => "GRIDHUB_WHISTLE_ON_SITE_M";
        /// How often the background workers look for overdue work and webhooks to send,
        /// milliseconds
        worker_interval_ms: u64 = "5000" => "GRIDHUB_WORKER_INTERVAL_MS";
    }
    /// Department webhooks.
    webhooks: Webhooks {
        /// Time limit for a department's webhook to answer, milliseconds
        webhook_timeout_ms: u64 = "5000" => "GRIDHUB_WEBHOOK_TIMEOUT_MS";
        /// Attempts to deliver a webhook before it is dead-lettered
        webhook_max_attempts: u32 = "8" => "GRIDHUB_WEBHOOK_MAX_ATTEMPTS";
        /// The first retry of a webhook waits this long, doubling after each failure (±25%
        /// jitter), seconds
        webhook_retry_base_secs: u64 = "30" => "GRIDHUB_WEBHOOK_RETRY_BASE_SECS";
        /// Whether a webhook may go to this machine (loopback): off, so that a department's URL
        /// cannot reach the server's own services; link-local and cloud-metadata addresses are
        /// never allowed
        webhook_allow_loopback: bool = "false" => "GRIDHUB_WEBHOOK_ALLOW_LOOPBACK";
    }
    /// Phones: sync and photos.
    sync: Sync {
        /// Largest push a phone may send, bytes (20 MiB)
        sync_max_body_bytes: usize = "20971520" => "GRIDHUB_SYNC_MAX_BODY_BYTES";
        /// Largest photo, bytes (10 MiB); photos are kept in `data_dir/photos`
        photo_max_bytes: usize = "10485760" => "GRIDHUB_PHOTO_MAX_BYTES";
        /// How long uploaded photos that no record names are kept before the background worker
        /// removes them, days
        photo_retention_days: u32 = "7" => "GRIDHUB_PHOTO_RETENTION_DAYS";
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self::resolve(SettingsLayer::default(), SettingsLayer::default())
    }
}

impl Settings {
    /// Reads `path` (or `gridhub.toml` if present, when `path` is `None`) under `cli`.
    pub fn load(cli: SettingsLayer, path: Option<&Path>) -> Result<Self, String> {
        let default = Path::new("gridhub.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default.exists() => Some(default),
            None => None,
        };
        let under = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => SettingsLayer::default(),
        };
        let settings = Self::resolve(cli, under);
        settings.check()?;
        Ok(settings)
    }

    /// The HTTP worker threads: as set, or one per core.
    pub fn workers(&self) -> usize {
        self.server.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// The operator's choices for the closed loop of cases, built once at start.
    pub fn case_policy(&self) -> Result<gridhub_store::cases::Policy, String> {
        Ok(gridhub_store::cases::Policy {
            reopen_window: chrono::Duration::days(i64::from(self.cases.case_reopen_days)),
            evaluation_window: chrono::Duration::days(i64::from(self.cases.case_evaluation_days)),
            shelved_review: chrono::Duration::days(i64::from(self.cases.shelved_review_days)),
            hours: WorkingHours::parse(&self.cases.working_hours).map_err(|e| format!("working_hours: {e}"))?,
        })
    }

    /// How large a boundary may be.
    pub fn limits(&self) -> gridhub_geo::Limits {
        gridhub_geo::Limits {
            ring_vertices: self.grid.max_ring_vertices,
            vertices: self.grid.max_boundary_vertices,
            ..Default::default()
        }
    }

    /// Refuses settings that parse but make no sense, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        let at_least_one = [
            ("workers", self.server.workers.unwrap_or(1) as u64),
            ("db_pool_size", u64::from(self.database.db_pool_size)),
            ("login_per_minute_per_address", u64::from(self.auth.login_per_minute_per_address)),
            ("login_per_minute_per_username", u64::from(self.auth.login_per_minute_per_username)),
            ("grid_refresh_secs", self.grid.grid_refresh_secs),
            ("max_full_time_cells", self.grid.max_full_time_cells as u64),
            ("webhook_max_attempts", u64::from(self.webhooks.webhook_max_attempts)),
        ];
        if let Some((name, _)) = at_least_one.iter().find(|(_, v)| *v < 1) {
            return Err(format!("{name}: must be at least 1"));
        }
        let corners = [
            ("max_ring_vertices", self.grid.max_ring_vertices),
            ("max_boundary_vertices", self.grid.max_boundary_vertices),
            ("max_import_vertices", self.grid.max_import_vertices),
        ];
        if let Some((name, _)) = corners.iter().find(|(_, v)| *v < 4) {
            return Err(format!("{name}: must be at least 4 (a ring has four corners, the last repeating the first)"));
        }
        if self.cases.worker_interval_ms < 10 {
            return Err("worker_interval_ms: must be at least 10".into());
        }
        if self.webhooks.webhook_timeout_ms < 100 {
            return Err("webhook_timeout_ms: must be at least 100".into());
        }
        if !(self.cases.whistle_on_site_m > 0.0 && self.cases.whistle_on_site_m.is_finite()) {
            return Err("whistle_on_site_m: must be a positive number of metres".into());
        }
        self.case_policy().map(|_| ())
    }
}

/// The settings as a Markdown table, for `docs/settings.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "| area | setting (`gridhub.toml`, `--flag`) | environment | default | what it is for |\n|---|---|---|---|---|\n",
    );
    for (area, name, env, default, about) in TABLE {
        let about = about.split_whitespace().collect::<Vec<_>>().join(" ");
        let default = if default.is_empty() { "unset".to_owned() } else { format!("`{default}`") };
        out.push_str(&format!("| {area} | `{name}` | `{env}` | {default} | {about} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let file: SettingsLayer = toml::from_str("bind = \"0.0.0.0:9000\"\ndb_pool_size = 3\n").unwrap();
        let cli = SettingsLayer { bind: Some("127.0.0.1:1".into()), ..Default::default() };
        let s = Settings::resolve(cli, file);
        assert_eq!(s.server.bind, "127.0.0.1:1");
        assert_eq!(s.database.db_pool_size, 3);
        assert_eq!(s.database.database_url.expose(), "sqlite://gridhub.db");
        assert!(toml::from_str::<SettingsLayer>("bnd = 1").is_err(), "typos in gridhub.toml are refused");
    }

    #[test]
    fn every_default_parses_and_checks() {
        Settings::default().check().unwrap();
        let zero = SettingsLayer { db_pool_size: Some(0), ..Default::default() };
        assert_eq!(
            Settings::resolve(zero, SettingsLayer::default()).check().unwrap_err(),
            "db_pool_size: must be at least 1"
        );
    }

    #[test]
    fn secrets_do_not_show() {
        let layer = SettingsLayer {
            jwt_secret: Some("a-very-secret-value-of-32-bytes!!".parse().unwrap()),
            ..Default::default()
        };
        let shown = format!("{:?}", Settings::resolve(layer, SettingsLayer::default()));
        assert!(!shown.contains("a-very-secret"), "{shown}");
    }

    /// `UPDATE_DOCS=1 cargo test -p gridhub config` writes the table into the document.
    #[test]
    fn the_document_shows_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/settings.md");
        let doc = std::fs::read_to_string(path).expect("docs/settings.md");
        let table = markdown();
        if std::env::var("UPDATE_DOCS").is_ok() && !doc.contains(&table) {
            let head = doc.split("| area |").next().unwrap_or_default();
            std::fs::write(path, format!("{head}{table}")).expect("writing docs/settings.md");
            return;
        }
        assert!(
            doc.contains(&table),
            "docs/settings.md is out of step with the settings: run UPDATE_DOCS=1 cargo test -p gridhub config"
        );
    }
}
