//! A user's standing, looked up at most every 15 seconds per user: whether the account is
//! disabled, the token epoch its access tokens must carry, and the reach of its role. A user
//! disabled or signed out through this node is refused at once (`forget`), through another node
//! within 15 seconds — well inside the lifetime of an access token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::web;
use gridhub_store::access::Reach;
use gridhub_store::people::user;
use gridhub_store::{Pool, StoreError};

use crate::error::ApiError;

/// What an access token is checked against besides its signature, and what its caller reaches.
#[derive(Debug, Clone)]
pub struct Standing {
    pub disabled: bool,
    pub epoch: i64,
    pub reach: Reach,
}

#[derive(Default)]
pub struct StandingCache {
    entries: Mutex<HashMap<String, (Instant, Option<Standing>)>>,
}

const FRESH: Duration = Duration::from_secs(15);

impl StandingCache {
    /// The user's standing; `None` when the user no longer exists.
    pub async fn get(&self, pool: &Pool, user_id: &str) -> Result<Option<Standing>, ApiError> {
        if let Some((at, standing)) = self.entries.lock().expect("cache lock").get(user_id)
            && at.elapsed() < FRESH
        {
            return Ok(standing.clone());
        }
        let (pool, id) = (pool.clone(), user_id.to_owned());
        let standing = web::block(move || {
            let mut conn = gridhub_store::db::get(&pool)?;
            match user::get(&mut conn, &id) {
                Ok(u) => {
                    let reach = Reach::resolve(&mut conn, u.role, u.scope_id.as_deref())?;
                    Ok(Some(Standing { disabled: u.disabled, epoch: u.token_epoch, reach }))
                }
                Err(StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)?;
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() > 100_000 {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH);
        }
        entries.insert(user_id.to_owned(), (Instant::now(), standing.clone()));
        Ok(standing)
    }

    /// Drops what is known of a user, after a change that may sign them out or move them.
    pub fn forget(&self, user_id: &str) {
        self.entries.lock().expect("cache lock").remove(user_id);
    }
}
