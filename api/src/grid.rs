//! The grid index a server answers `locate` and places reports from: built from the database at
//! start-up, rebuilt off the request path and swapped in whole when the grid version moves on —
//! after a change made through this server at once, after one made through another server within
//! `grid_refresh_secs`. Lookups never wait for a rebuild, and never ask the database: each cell
//! of both layers in the index carries its code, name, community and street
//! (`gridhub_store::grid::Located`).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::web;
use gridhub_store::grid::{Layers, version};
use gridhub_store::{Pool, StoreResult};

use crate::error::{ApiError, ApiResult};

/// The index of the active cells of both layers.
pub type Index = Layers;

pub struct Grid {
    index: RwLock<Arc<Index>>,
    version: AtomicI64,
}

impl Grid {
    /// Builds the index from the database (blocking: call at start-up or on the blocking pool).
    pub fn load(pool: &Pool) -> StoreResult<Self> {
        let (version, cells) = version::active_cells(&mut *gridhub_store::db::get(pool)?)?;
        Ok(Self { index: RwLock::new(Arc::new(Layers::build(cells))), version: AtomicI64::new(version) })
    }

    /// The current index; hold it as long as needed, a rebuild does not disturb it.
    pub fn index(&self) -> Arc<Index> {
        self.index.read().expect("grid lock").clone()
    }

    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Acquire)
    }

    /// Rebuilds the index if the database's grid version differs from the one loaded.
    pub async fn refresh(self: &Arc<Self>, pool: &Pool) -> ApiResult<bool> {
        let pool = pool.clone();
        let known = self.version();
        let fresh = web::block(move || -> StoreResult<Option<(i64, Index)>> {
            let mut conn = gridhub_store::db::get(&pool)?;
            if version::grid_version(&mut conn)? == known {
                return Ok(None);
            }
            let (version, cells) = version::active_cells(&mut conn)?;
            Ok(Some((version, Layers::build(cells))))
        })
        .await
        .map_err(ApiError::internal)??;
        let Some((version, index)) = fresh else { return Ok(false) };
        let mut slot = self.index.write().expect("grid lock");
        // two refreshes may race: the newer version wins
        if version > self.version() {
            *slot = Arc::new(index);
            self.version.store(version, Ordering::Release);
            tracing::info!(version, cells = slot.len(), "grid index rebuilt");
        }
        Ok(true)
    }

    /// Keeps this server's index in step with the database, checking every `every`.
    pub fn watch(self: Arc<Self>, pool: Pool, every: Duration) {
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = self.refresh(&pool).await {
                    tracing::warn!(error = %e, "could not refresh the grid index");
                }
            }
        });
    }
}
