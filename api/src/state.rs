//! What every handler shares: the database pool, the token service, the settings, the metrics.

use actix_web::web;
use gridhub_store::{DbConn, Pool, StoreResult};

use crate::auth::wechat::WechatClient;
use crate::auth::{LoginLimits, StandingCache, TokenService};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::grid::Grid;
use crate::metrics::Metrics;

pub struct AppState {
    pub pool: Pool,
    pub tokens: TokenService,
    /// Each user's standing and reach, cached (see `auth::standing`).
    pub standing: StandingCache,
    pub login_limits: LoginLimits,
    /// `None` when WeChat login is not configured.
    pub wechat: Option<WechatClient>,
    /// The cell index `locate` answers from.
    pub grid: std::sync::Arc<Grid>,
    pub settings: Settings,
    /// The closed loop's settings (reopen window, working hours), resolved once at start.
    pub policy: std::sync::Arc<gridhub_store::cases::Policy>,
    pub metrics: Metrics,
    /// Where photos are kept (a directory under `data_dir`, through `object_store`).
    pub photos: std::sync::Arc<dyn object_store::ObjectStore>,
    /// The clock this server's store calls read (the system's; tests move it).
    pub clock: gridhub_store::time::Clock,
}

impl AppState {
    /// Runs blocking work that answers in the API's terms (reading a large body, then the store)
    /// on the blocking thread pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        let (pool, clock) = (self.pool.clone(), self.clock.clone());
        web::block(move || {
            let mut conn = gridhub_store::db::get(&pool)?;
            clock.run(|| f(&mut conn))
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs blocking store code on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> StoreResult<T> + Send + 'static,
    {
        self.run(move |conn| f(conn).map_err(ApiError::from)).await
    }
}
