//! Login rate limits, per client address and per username (GCRA, `governor`). Over the limit,
//! a login answers 429 with `Retry-After`. Repeated wrong passwords also lock the account
//! for a growing interval; that lock lives in the database, so it holds on every node.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::ApiError;

pub struct LoginLimits {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_username: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"))
}

impl LoginLimits {
    pub fn new(per_address: u32, per_username: u32) -> Self {
        Self {
            by_address: DefaultKeyedRateLimiter::keyed(per_minute(per_address)),
            by_username: DefaultKeyedRateLimiter::keyed(per_minute(per_username)),
        }
    }

    /// Counts one attempt; refuses it with 429 when either limit is spent.
    pub fn check(&self, address: Option<IpAddr>, username: &str) -> Result<(), ApiError> {
        if self.by_address.len() > 100_000 {
            self.by_address.retain_recent();
        }
        if self.by_username.len() > 100_000 {
            self.by_username.retain_recent();
        }
        let refused = address
            .and_then(|a| self.by_address.check_key(&a).err())
            .or_else(|| self.by_username.check_key(&username.to_lowercase()).err());
        match refused {
            None => Ok(()),
            Some(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).as_secs() + 1;
                Err(too_many(wait, "too many login attempts; wait and try again"))
            }
        }
    }
}

pub fn too_many(retry_after: u64, detail: &str) -> ApiError {
    let mut e = ApiError::new(actix_web::http::StatusCode::TOO_MANY_REQUESTS, "too-many-requests", detail);
    e.retry_after = Some(retry_after.max(1));
    e
}
