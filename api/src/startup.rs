//! Start-up: open the pool and migrate, bind the listener (port 0 in tests), wire the shared
//! state into actix-web, and hand back a server to await and a handle to stop it.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use gridhub_store::{Pool, StoreResult};

use crate::auth::wechat::WechatClient;
use crate::auth::{LoginLimits, StandingCache, TokenService};
use crate::config::Settings;
use crate::error::{ApiError, no_route};
use crate::grid::Grid;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::{routes, telemetry, tls, workers};

pub struct Application {
    port: u16,
    server: Server,
    pool: Pool,
    clock: gridhub_store::time::Clock,
}

/// Opens the database named by `url`, brings its schema up to date, adds the shipped data it
/// lacks (the category catalogue, the holiday calendar), the figures of cases from before them,
/// and the planner statistics it outgrew.
pub fn open_database(url: &str, pool_size: u32) -> StoreResult<Pool> {
    let pool = gridhub_store::connect(url, pool_size)?;
    let mut conn = gridhub_store::db::get(&pool)?;
    let ran = gridhub_store::migrate(&mut conn)?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    gridhub_store::category::seed(&mut conn)?;
    gridhub_store::clocks::calendar::seed(&mut conn)?;
    let counted = gridhub_store::cases::tally::backfill(&mut conn)?;
    if counted > 0 {
        tracing::info!(cases = counted, "figures counted for cases from before them");
    }
    gridhub_store::db::refresh_statistics(&mut conn)?;
    drop(conn);
    Ok(pool)
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, String> {
        let (url, size) = (settings.database.database_url.clone(), settings.database.db_pool_size);
        let (pool, grid) = web::block(move || -> StoreResult<(Pool, Grid)> {
            let pool = open_database(url.expose(), size)?;
            let grid = Grid::load(&pool)?;
            tracing::info!(cells = grid.index().len(), "grid index loaded");
            Ok((pool, grid))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        Self::with_pool(settings, pool, grid)
    }

    fn with_pool(settings: Settings, pool: Pool, grid: Grid) -> Result<Self, String> {
        let clock = gridhub_store::time::Clock::system();
        tls::install();
        settings.check()?;
        let policy = Arc::new(settings.case_policy()?);
        let tokens = TokenService::new(&settings)?;
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.server.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let (max_body, workers) = (settings.server.max_body_bytes, settings.workers());
        let grid = Arc::new(grid);
        grid.clone().watch(pool.clone(), Duration::from_secs(settings.grid.grid_refresh_secs));
        let limits = routes::BodyLimits {
            default: max_body,
            import: settings.grid.max_import_bytes,
            sync: settings.sync.sync_max_body_bytes,
            // the photo, and room for a multipart envelope a client might wrap it in
            photo: settings.sync.photo_max_bytes + 64 * 1024,
        };
        let wechat = WechatClient::from_settings(&settings)?;
        let login_limits =
            LoginLimits::new(settings.auth.login_per_minute_per_address, settings.auth.login_per_minute_per_username);
        let webhooks = workers::WebhookSender::from_settings(&settings)?;
        let messages = crate::subscribe::WechatSender::from_settings(&settings)?;
        let photo_dir = settings.server.data_dir.join("photos");
        std::fs::create_dir_all(&photo_dir).map_err(|e| format!("cannot make {}: {e}", photo_dir.display()))?;
        let photos = object_store::local::LocalFileSystem::new_with_prefix(&photo_dir)
            .map_err(|e| format!("cannot keep photos in {}: {e}", photo_dir.display()))?;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            tokens,
            standing: StandingCache::default(),
            login_limits,
            wechat,
            grid,
            settings,
            policy,
            metrics: Metrics::default(),
            photos: Arc::new(photos),
            clock: clock.clone(),
        });
        workers::start(state.clone().into_inner(), webhooks, messages);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(
                    web::QueryConfig::default()
                        .error_handler(|e, _| ApiError::bad_request(format!("query string: {e}")).into()),
                )
                .app_data(
                    web::PathConfig::default().error_handler(|e, _| ApiError::bad_request(format!("path: {e}")).into()),
                )
                .configure(|cfg| routes::configure(cfg, limits))
                .default_service(web::to(no_route))
                .wrap(from_fn(crate::language::scope))
                .wrap(from_fn(telemetry::observe))
        })
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(|e| e.to_string())?
        .run();
        Ok(Self { port, server, pool, clock })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The clock this server's store calls read (tests move it on).
    pub fn clock(&self) -> &gridhub_store::time::Clock {
        &self.clock
    }

    /// Stops the server: `handle().stop(true)` finishes the requests in flight first.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
