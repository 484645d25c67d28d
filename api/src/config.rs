//! Settings: built-in defaults < `gridhub.toml` < environment (`GRIDHUB_*`) < command-line
//! flags. `gridhub serve --help` lists every one with its variable and default.
//!
//! | setting | variable | default |
//! |---|---|---|
//! | bind | `GRIDHUB_BIND` | `127.0.0.1:8080` |
//! | database_url | `GRIDHUB_DATABASE_URL` | `sqlite://gridhub.db` |
//! | data_dir | `GRIDHUB_DATA_DIR` | `data` |
//! | jwt_secret | `GRIDHUB_JWT_SECRET` | generated once, kept in `data_dir/jwt-secret` |
//! | jwt_issuer / jwt_audience | `GRIDHUB_JWT_ISSUER` / `GRIDHUB_JWT_AUDIENCE` | `gridhub` / `gridhub-api` |
//! | access_token_ttl_secs | `GRIDHUB_ACCESS_TOKEN_TTL_SECS` | `900` |
//! | refresh_token_ttl_secs | `GRIDHUB_REFRESH_TOKEN_TTL_SECS` | `2592000` (30 days) |
//! | max_body_bytes | `GRIDHUB_MAX_BODY_BYTES` | `1048576` |
//! | db_pool_size | `GRIDHUB_DB_POOL_SIZE` | `10` |
//! | workers | `GRIDHUB_WORKERS` | number of cores |
//! | log | `GRIDHUB_LOG` | `info` |
//! | jwt_private_key_file / jwt_public_key_file | `GRIDHUB_JWT_PRIVATE_KEY_FILE` / `…PUBLIC…` | unset (HS256) |
//! | wechat_api_base | `GRIDHUB_WECHAT_API_BASE` | `https://api.weixin.qq.com` |
//! | wechat_app_id / wechat_app_secret | `GRIDHUB_WECHAT_APP_ID` / `GRIDHUB_WECHAT_APP_SECRET` | unset (WeChat login off) |
//! | wechat_timeout_ms | `GRIDHUB_WECHAT_TIMEOUT_MS` | `5000` |
//! | grid_refresh_secs | `GRIDHUB_GRID_REFRESH_SECS` | `2` |
//! | max_import_bytes | `GRIDHUB_MAX_IMPORT_BYTES` | `33554432` (32 MiB) |
//! | max_full_time_cells | `GRIDHUB_MAX_FULL_TIME_CELLS` | `3` |
//! | case_reopen_days | `GRIDHUB_CASE_REOPEN_DAYS` | `7` |
//! | working_hours | `GRIDHUB_WORKING_HOURS` | `09:00-12:00,13:30-17:30` (China Standard Time) |
//! | whistle_on_site_m | `GRIDHUB_WHISTLE_ON_SITE_M` | `200` |
//! | worker_interval_ms | `GRIDHUB_WORKER_INTERVAL_MS` | `5000` |
//! | webhook_timeout_ms / webhook_max_attempts / webhook_retry_base_secs | `GRIDHUB_WEBHOOK_…` | `5000` / `8` / `30` |
//! | sync_max_body_bytes | `GRIDHUB_SYNC_MAX_BODY_BYTES` | `20971520` (20 MiB) |
//! | photo_max_bytes | `GRIDHUB_PHOTO_MAX_BYTES` | `10485760` (10 MiB); photos are kept in `data_dir/photos` |
//! | login_per_minute_per_address / …_per_username | `GRIDHUB_LOGIN_PER_MINUTE_PER_ADDRESS` / `…_PER_USERNAME` | `30` / `10` |

use std::path::{Path, PathBuf};

use gridhub_store::clocks::WorkingHours;
use serde::Deserialize;

/// One layer of settings, every value optional: the command line (with its environment
/// variables) is one layer, `gridhub.toml` another.
#[derive(Debug, Default, Clone, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsLayer {
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "GRIDHUB_BIND", global = true)]
    pub bind: Option<String>,
    /// Database: sqlite://PATH or a file path (embedded SQLite), or postgres://USER@HOST/DB
    /// [default: sqlite://gridhub.db]
    #[arg(long, env = "GRIDHUB_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for files the service keeps (the generated signing key) [default: data]
    #[arg(long, env = "GRIDHUB_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// HS256 secret for access tokens (at least 32 bytes); generated and kept in the data
    /// directory when unset
    #[arg(long, env = "GRIDHUB_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// `iss` of access tokens [default: gridhub]
    #[arg(long, env = "GRIDHUB_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// `aud` of access tokens [default: gridhub-api]
    #[arg(long, env = "GRIDHUB_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Lifetime of an access token, seconds [default: 900]
    #[arg(long, env = "GRIDHUB_ACCESS_TOKEN_TTL_SECS", global = true)]
    pub access_token_ttl_secs: Option<u64>,
    /// Lifetime of a refresh token, seconds [default: 2592000]
    #[arg(long, env = "GRIDHUB_REFRESH_TOKEN_TTL_SECS", global = true)]
    pub refresh_token_ttl_secs: Option<u64>,
    /// Largest accepted request body, bytes [default: 1048576]
    #[arg(long, env = "GRIDHUB_MAX_BODY_BYTES", global = true)]
    pub max_body_bytes: Option<usize>,
    /// Database connections in the pool [default: 10]
    #[arg(long, env = "GRIDHUB_DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<u32>,
    /// HTTP worker threads [default: number of cores]
    #[arg(long, env = "GRIDHUB_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Log filter, e.g. `info` or `gridhub=debug,info` [default: info]
    #[arg(long, env = "GRIDHUB_LOG", global = true)]
    pub log: Option<String>,
    /// Ed25519 private key (PKCS#8 PEM) to sign access tokens with EdDSA instead of HS256;
    /// needs the public key too
    #[arg(long, env = "GRIDHUB_JWT_PRIVATE_KEY_FILE", global = true)]
    pub jwt_private_key_file: Option<PathBuf>,
    /// Ed25519 public key (PEM) to verify EdDSA access tokens; a node with only this key
    /// verifies tokens but does not issue them
    #[arg(long, env = "GRIDHUB_JWT_PUBLIC_KEY_FILE", global = true)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// Base URL of the WeChat API [default: https://api.weixin.qq.com]
    #[arg(long, env = "GRIDHUB_WECHAT_API_BASE", global = true)]
    pub wechat_api_base: Option<String>,
    /// The mini-program's AppID; WeChat login is off without it
    #[arg(long, env = "GRIDHUB_WECHAT_APP_ID", global = true)]
    pub wechat_app_id: Option<String>,
    /// The mini-program's AppSecret
    #[arg(long, env = "GRIDHUB_WECHAT_APP_SECRET", global = true, hide_env_values = true)]
    pub wechat_app_secret: Option<String>,
    /// Time limit for a call to WeChat, milliseconds [default: 5000]
    #[arg(long, env = "GRIDHUB_WECHAT_TIMEOUT_MS", global = true)]
    pub wechat_timeout_ms: Option<u64>,
    /// How often a server checks whether another server changed the cells, seconds [default: 2]
    #[arg(long, env = "GRIDHUB_GRID_REFRESH_SECS", global = true)]
    pub grid_refresh_secs: Option<u64>,
    /// Largest accepted cell import (a GeoJSON FeatureCollection), bytes [default: 33554432]
    #[arg(long, env = "GRIDHUB_MAX_IMPORT_BYTES", global = true)]
    pub max_import_bytes: Option<usize>,
    /// The most cells one full-time grid worker (专职网格员) may hold [default: 3]
    #[arg(long, env = "GRIDHUB_MAX_FULL_TIME_CELLS", global = true)]
    pub max_full_time_cells: Option<usize>,
    /// Login attempts allowed per minute from one client address [default: 30]
    #[arg(long, env = "GRIDHUB_LOGIN_PER_MINUTE_PER_ADDRESS", global = true)]
    pub login_per_minute_per_address: Option<u32>,
    /// Login attempts allowed per minute for one username [default: 10]
    #[arg(long, env = "GRIDHUB_LOGIN_PER_MINUTE_PER_USERNAME", global = true)]
    pub login_per_minute_per_username: Option<u32>,
    /// How many days after closing a case may be reopened [default: 7]
    #[arg(long, env = "GRIDHUB_CASE_REOPEN_DAYS", global = true)]
    pub case_reopen_days: Option<u32>,
    /// The working periods of a day, China Standard Time, that time limits count
    /// [default: 09:00-12:00,13:30-17:30]
    #[arg(long, env = "GRIDHUB_WORKING_HOURS", global = true)]
    pub working_hours: Option<String>,
    /// How near the case a department's report-in counts as on site, metres [default: 200]
    #[arg(long, env = "GRIDHUB_WHISTLE_ON_SITE_M", global = true)]
    pub whistle_on_site_m: Option<f64>,
    /// How often the background workers look for overdue work and webhooks to send,
    /// milliseconds [default: 5000]
    #[arg(long, env = "GRIDHUB_WORKER_INTERVAL_MS", global = true)]
    pub worker_interval_ms: Option<u64>,
    /// Time limit for a department's webhook to answer, milliseconds [default: 5000]
    #[arg(long, env = "GRIDHUB_WEBHOOK_TIMEOUT_MS", global = true)]
    pub webhook_timeout_ms: Option<u64>,
    /// Attempts to deliver a webhook before it is dead-lettered [default: 8]
    #[arg(long, env = "GRIDHUB_WEBHOOK_MAX_ATTEMPTS", global = true)]
    pub webhook_max_attempts: Option<u32>,
    /// The first retry of a webhook waits this long, doubling after each failure (with
    /// jitter), seconds [default: 30]
    #[arg(long, env = "GRIDHUB_WEBHOOK_RETRY_BASE_SECS", global = true)]
    pub webhook_retry_base_secs: Option<u64>,
    /// Largest push a phone may send, bytes [default: 20971520]
    #[arg(long, env = "GRIDHUB_SYNC_MAX_BODY_BYTES", global = true)]
    pub sync_max_body_bytes: Option<usize>,
    /// Largest photo, bytes [default: 10485760]
    #[arg(long, env = "GRIDHUB_PHOTO_MAX_BYTES", global = true)]
    pub photo_max_bytes: Option<usize>,
}

/// The resolved settings the service runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub jwt_secret: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub max_body_bytes: usize,
    pub db_pool_size: u32,
    pub workers: usize,
    pub log: String,
    pub jwt_private_key_file: Option<PathBuf>,
    pub jwt_public_key_file: Option<PathBuf>,
    pub wechat_api_base: String,
    pub wechat_app_id: Option<String>,
    pub wechat_app_secret: Option<String>,
    pub wechat_timeout_ms: u64,
    pub login_per_minute_per_address: u32,
    pub login_per_minute_per_username: u32,
    pub grid_refresh_secs: u64,
    pub max_import_bytes: usize,
    pub max_full_time_cells: usize,
    pub case_reopen_days: u32,
    pub working_hours: String,
    pub whistle_on_site_m: f64,
    pub worker_interval_ms: u64,
    pub webhook_timeout_ms: u64,
    pub webhook_max_attempts: u32,
    pub webhook_retry_base_secs: u64,
    pub sync_max_body_bytes: usize,
    pub photo_max_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self::resolve(SettingsLayer::default(), SettingsLayer::default())
    }
}

impl Settings {
    /// `over` wins where it has a value, then `under`, then the default.
    pub fn resolve(over: SettingsLayer, under: SettingsLayer) -> Self {
        macro_rules! pick {
            ($f:ident, $default:expr) => {
                over.$f.clone().or(under.$f.clone()).unwrap_or_else(|| $default)
            };
        }
        Settings {
            bind: pick!(bind, "127.0.0.1:8080".into()),
            database_url: pick!(database_url, "sqlite://gridhub.db".into()),
            data_dir: pick!(data_dir, PathBuf::from("data")),
            jwt_secret: over.jwt_secret.clone().or(under.jwt_secret.clone()),
            jwt_issuer: pick!(jwt_issuer, "gridhub".into()),
            jwt_audience: pick!(jwt_audience, "gridhub-api".into()),
            access_token_ttl_secs: pick!(access_token_ttl_secs, 900),
            refresh_token_ttl_secs: pick!(refresh_token_ttl_secs, 30 * 24 * 3600),
            max_body_bytes: pick!(max_body_bytes, 1024 * 1024),
            db_pool_size: pick!(db_pool_size, 10),
            workers: pick!(workers, std::thread::available_parallelism().map_or(2, |n| n.get())),
            log: pick!(log, "info".into()),
            jwt_private_key_file: over.jwt_private_key_file.clone().or(under.jwt_private_key_file.clone()),
            jwt_public_key_file: over.jwt_public_key_file.clone().or(under.jwt_public_key_file.clone()),
            wechat_api_base: pick!(wechat_api_base, "https://api.weixin.qq.com".into()),
            wechat_app_id: over.wechat_app_id.clone().or(under.wechat_app_id.clone()),
            wechat_app_secret: over.wechat_app_secret.clone().or(under.wechat_app_secret.clone()),
            wechat_timeout_ms: pick!(wechat_timeout_ms, 5000),
            login_per_minute_per_address: pick!(login_per_minute_per_address, 30).max(1),
            login_per_minute_per_username: pick!(login_per_minute_per_username, 10).max(1),
            grid_refresh_secs: pick!(grid_refresh_secs, 2).max(1),
            max_import_bytes: pick!(max_import_bytes, 32 * 1024 * 1024),
            max_full_time_cells: pick!(max_full_time_cells, 3).max(1),
            case_reopen_days: pick!(case_reopen_days, 7),
            working_hours: pick!(working_hours, "09:00-12:00,13:30-17:30".into()),
            whistle_on_site_m: pick!(whistle_on_site_m, 200.0),
            worker_interval_ms: pick!(worker_interval_ms, 5000).max(10),
            webhook_timeout_ms: pick!(webhook_timeout_ms, 5000).max(100),
            webhook_max_attempts: pick!(webhook_max_attempts, 8).max(1),
            webhook_retry_base_secs: pick!(webhook_retry_base_secs, 30),
            sync_max_body_bytes: pick!(sync_max_body_bytes, 20 * 1024 * 1024),
            photo_max_bytes: pick!(photo_max_bytes, 10 * 1024 * 1024),
        }
    }

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
        Ok(Self::resolve(cli, under))
    }

    /// The operator's choices for the closed loop of cases, built once at start.
    pub fn case_policy(&self) -> Result<gridhub_store::cases::Policy, String> {
        Ok(gridhub_store::cases::Policy {
            reopen_window: chrono::Duration::days(i64::from(self.case_reopen_days)),
            hours: WorkingHours::parse(&self.working_hours).map_err(|e| format!("working_hours: {e}"))?,
        })
    }

    /// Refuses settings that parse but make no sense.
    pub fn check(&self) -> Result<(), String> {
        if !(self.whistle_on_site_m > 0.0 && self.whistle_on_site_m.is_finite()) {
            return Err("whistle_on_site_m: must be a positive number of metres".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_override_in_order() {
        let file: SettingsLayer = toml::from_str("bind = \"0.0.0.0:9000\"\ndb_pool_size = 3\n").unwrap();
        let cli = SettingsLayer { bind: Some("127.0.0.1:1".into()), ..Default::default() };
        let s = Settings::resolve(cli, file);
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.db_pool_size, 3);
        assert_eq!(s.database_url, "sqlite://gridhub.db");
        assert!(toml::from_str::<SettingsLayer>("bnd = 1").is_err(), "typos in gridhub.toml are refused");
    }
}
