//! The background work every server does on a timer: mark overdue case steps and whistle
//! report-ins (the store makes this safe on several servers at once), and send the department
//! webhooks waiting in the outbox — signed, with a time limit, retried with exponential backoff
//! and jitter, then dead-lettered. A slow receiver only holds up its own delivery, never a
//! request. Every hour, the query planner's statistics are brought up to date (SQLite).

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use gridhub_store::cases::{overdue, photo};
use gridhub_store::db;
use gridhub_store::notify::webhook::{self as outbox, Due};
use gridhub_store::notify::wechat::{self, Sent};
use gridhub_store::now;
use gridhub_store::supervision::whistle;
use hmac::{Hmac, Mac};
use object_store::ObjectStoreExt;
use sha2::Sha256;

use crate::config::Settings;
use crate::outbound;
use crate::state::AppState;
use crate::subscribe::WechatSender;

/// Deliveries one round sends at most (concurrently).
const BATCH: i64 = 32;

/// Sends webhooks: the HTTP client and the retry policy.
pub struct WebhookSender {
    http: reqwest::Client,
    timeout: Duration,
    backoff: Backoff,
    allow_loopback: bool,
}

/// When a failed delivery is tried again.
struct Backoff {
    max_attempts: u32,
    base: Duration,
}

impl WebhookSender {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let timeout = Duration::from_millis(settings.webhooks.webhook_timeout_ms);
        let allow_loopback = settings.webhooks.webhook_allow_loopback;
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(outbound::Resolver { allow_loopback }))
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("gridhub-webhooks/1")
            .build()
            .map_err(|e| format!("cannot build the webhook client: {e}"))?;
        let backoff = Backoff {
            max_attempts: settings.webhooks.webhook_max_attempts,
            base: Duration::from_secs(settings.webhooks.webhook_retry_base_secs),
        };
        Ok(Self { http, timeout, backoff, allow_loopback })
    }

    /// One attempt: the status of a 2xx answer, or why it failed (and the status, if any).
    async fn send(&self, due: &Due) -> outbox::Attempt {
        // an address in the URL is not resolved: the rule is checked here (names, on resolving)
        if let Err(why) = outbound::check_url(&due.url, self.allow_loopback) {
            return Err((format!("not sent: the URL {why}"), None));
        }
        let body = due.delivery.payload.clone();
        let t = chrono::Utc::now().timestamp();
        let header = format!("t={t},v1={}", sign(&due.secret, t, &body));
        let res = self
            .http
            .post(&due.url)
            .header("content-type", "application/json")
            .header("X-Gridhub-Signature", header)
            .header("X-Gridhub-Event", &due.delivery.event_type)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
            Ok(r) => Err((format!("the receiver answered {}", r.status()), Some(r.status().as_u16()))),
            Err(e) if e.is_timeout() => Err((format!("no answer within {} ms", self.timeout.as_millis()), None)),
            Err(e) => Err((format!("could not deliver: {e}"), None)),
        }
    }
}

impl Backoff {
    /// When to try again after the `attempt`-th failure: base × 2^(attempt−1), ±25% jitter,
    /// at most a day; `None` once the attempts are spent (dead-lettered).
    fn retry_at(&self, attempt: u32, at: NaiveDateTime) -> Option<NaiveDateTime> {
        if attempt >= self.max_attempts {
            return None;
        }
        let backoff = self.base.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1).min(20) as i32);
        let mut jitter = [0u8; 2];
        rand::fill(&mut jitter);
        let factor = 0.75 + f64::from(u16::from_le_bytes(jitter)) / f64::from(u16::MAX) * 0.5;
        let secs = (backoff * factor).min(86_400.0);
        Some(at + chrono::Duration::milliseconds((secs * 1000.0) as i64))
    }
}

/// `hex(HMAC-SHA256(secret, "<t>.<body>"))`: what `X-Gridhub-Signature`'s `v1` carries.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{t}.{body}").as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts the workers of this server.
pub fn start(state: Arc<AppState>, sender: WebhookSender, wechat: WechatSender) {
    let every = Duration::from_millis(state.settings.cases.worker_interval_ms);
    let sender = Arc::new(sender);
    let statistics = state.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = %e, "the overdue sweep failed; it runs again next tick");
            }
            if let Err(e) = deliver(&state, &sender).await {
                tracing::warn!(error = %e, "webhook delivery failed; it runs again next tick");
            }
            if let Err(e) = deliver_wechat(&state, &wechat, &sender.backoff).await {
                tracing::warn!(error = %e, "sending WeChat messages failed; it runs again next tick");
            }
            if let Err(e) = forget_orphan_photos(&state).await {
                tracing::warn!(error = %e, "removing orphan photos failed; it runs again next tick");
            }
        }
    });
    actix_web::rt::spawn(async move {
        let mut hourly = actix_web::rt::time::interval(STATISTICS_EVERY);
        hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        hourly.tick().await; // the first tick is immediate, and the server's start has just done it
        loop {
            hourly.tick().await;
            if let Err(e) = statistics.db(db::refresh_statistics).await {
                tracing::warn!(error = %e, "refreshing the planner's statistics failed; it runs again in an hour");
            }
        }
    });
}

/// How often the query planner's statistics are brought up to date.
const STATISTICS_EVERY: Duration = Duration::from_secs(3600);

/// Removes the bytes of photos no record names, once they are older than the retention period.
async fn forget_orphan_photos(state: &AppState) -> Result<(), crate::error::ApiError> {
    let before = state.clock.now() - chrono::Duration::days(i64::from(state.settings.sync.photo_retention_days));
    let gone = state.db(move |conn| photo::forget_orphans(conn, before, 200)).await?;
    for sha in &gone {
        let path = crate::photos::object(sha);
        if let Err(e) = state.photos.delete(&path).await {
            tracing::warn!(%sha, error = %e, "an orphan photo's bytes could not be removed");
        }
    }
    if !gone.is_empty() {
        tracing::info!(photos = gone.len(), "removed photos no record names");
    }
    Ok(())
}

/// Marks what is overdue now, and chases campaign notices not signed for.
pub async fn sweep(state: &AppState) -> Result<(), crate::error::ApiError> {
    let (cases, whistles, tasks, notices) = state
        .db(|conn| {
            let at = now();
            Ok((
                overdue::sweep(conn, at)? + gridhub_store::cases::parts::sweep(conn, at)?,
                whistle::sweep(conn, at)?,
                gridhub_store::tasks::overdue::sweep(conn, at)?,
                gridhub_store::campaigns::notices::chase(conn, at)?,
            ))
        })
        .await?;
    if cases + whistles + tasks + notices > 0 {
        tracing::info!(cases, whistles, tasks, notices, "marked overdue");
    }
    Ok(())
}

/// Sends the deliveries that are due, concurrently, and records each outcome.
async fn deliver(state: &AppState, sender: &WebhookSender) -> Result<(), crate::error::ApiError> {
    // held for longer than an attempt can take, so no other worker sends them meanwhile
    let lease = chrono::Duration::from_std(sender.timeout * 2 + Duration::from_secs(30)).unwrap_or_default();
    let at = state.clock.now();
    let due = state.db(move |conn| outbox::claim_due(conn, at, BATCH, lease)).await?;
    let sends = due.iter().map(|d| async move { (d, sender.send(d).await) });
    for (d, outcome) in futures_util::future::join_all(sends).await {
        let id = d.delivery.id.clone();
        let attempt = d.delivery.attempts as u32 + 1;
        let at = state.clock.now();
        if let Err((error, _)) = &outcome {
            tracing::warn!(delivery = %id, url = %d.url, %error, attempt, "webhook not delivered");
        }
        let retry_at = sender.backoff.retry_at(attempt, at);
        state.db(move |conn| outbox::record_attempt(conn, &id, outcome, at, retry_at)).await?;
    }
    Ok(())
}

/// Sends the residents' WeChat messages that are due, retried as webhooks are.
async fn deliver_wechat(
    state: &AppState,
    sender: &WechatSender,
    backoff: &Backoff,
) -> Result<(), crate::error::ApiError> {
    let lease = chrono::Duration::seconds(120);
    let at = state.clock.now();
    let due = state.db(move |conn| wechat::claim_due(conn, at, BATCH, lease)).await?;
    let sends = due.iter().map(|d| async move { (d, sender.send(d).await) });
    for (d, outcome) in futures_util::future::join_all(sends).await {
        let id = d.message.id.clone();
        let at = state.clock.now();
        let sent = match outcome {
            Ok(sent) => sent,
            Err(why) => {
                tracing::warn!(message = %id, error = %why, "WeChat message not sent");
                Sent::Failed(why, backoff.retry_at(d.message.attempts as u32 + 1, at))
            }
        };
        state.db(move |conn| wechat::record(conn, &id, sent, at)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_and_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(sign("k", 1, "{}").len(), 64);
        assert_ne!(sign("k", 1, "{}"), sign("k", 2, "{}"), "the time is signed");
    }

    #[test]
    fn retries_back_off_and_end() {
        let sender = Backoff { max_attempts: 4, base: Duration::from_secs(10) };
        let at = now();
        for (attempt, base) in [(1, 10.0), (2, 20.0), (3, 40.0)] {
            let wait = (sender.retry_at(attempt, at).unwrap() - at).num_milliseconds() as f64 / 1000.0;
            assert!((base * 0.75..=base * 1.25).contains(&wait), "attempt {attempt}: {wait}");
        }
        assert_eq!(sender.retry_at(4, at), None, "dead-lettered after the last attempt");
    }
}
