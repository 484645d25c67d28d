//! The phones' sync over HTTP, exactly as WatermelonDB's `synchronize()` calls it:
//! `GET /api/v1/sync?last_pulled_at=&schema_version=&migration=` pulls — streamed, a chunk at a
//! time as the database is read — and `POST /api/v1/sync?last_pulled_at=` pushes (the stock client
//! sends `text/plain`; any type is read as JSON). A malformed body answers 400 and applies
//! nothing; a conflict 409 naming the records; records that can never be accepted come back in
//! `experimentalRejectedIds`. `GET /api/v1/sync/schema` gives the phone schema an app builds its
//! database from.

use std::io::{self, Write};

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use gridhub_store::FieldProblem;
use gridhub_store::phones::push::{self, PushError, PushSettings};
use gridhub_sync::{Migration, PullError, PullRequest, schema};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{PageQuery, Query, RawBody, page_json};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    last_pulled_at: Option<String>,
    schema_version: Option<String>,
    migration: Option<String>,
}

/// The largest timestamp a phone may send: 15 digits of ms (the year 33658).
const MAX_MILLIS: i64 = 999_999_999_999_999;

/// `null`, absent, or a whole number of ms.
fn millis(text: Option<&str>) -> ApiResult<Option<i64>> {
    match text {
        None | Some("null") | Some("undefined") => Ok(None),
        Some(t) => t.parse::<i64>().ok().filter(|v| (0..=MAX_MILLIS).contains(v)).map(Some).ok_or_else(|| {
            ApiError::bad_field("last_pulled_at", "must be null or the timestamp of the last pull (ms)")
        }),
    }
}

fn schema_version(field: &str, text: Option<&str>) -> ApiResult<i64> {
    match text {
        None => Ok(schema::VERSION),
        Some(v) => v.parse::<i64>().map_err(|_| out_of_range(field)).and_then(|v| version_in_range(field, v)),
    }
}

/// A schema version a phone can have: 1 to 1,000,000.
fn version_in_range(field: &str, v: i64) -> ApiResult<i64> {
    if (1..=1_000_000).contains(&v) { Ok(v) } else { Err(out_of_range(field)) }
}

fn out_of_range(field: &str) -> ApiError {
    ApiError::bad_field(field, "must be a schema version, from 1 to 1000000")
}

/// Sends what a pull writes to the response a chunk at a time, waiting while the client is slow.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client left"))
    }
}

pub async fn pull(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Query(query): Query<SyncQuery>,
) -> ApiResult<HttpResponse> {
    let last_pulled_at = millis(query.last_pulled_at.as_deref())?;
    let version = schema_version("schema_version", query.schema_version.as_deref())?;
    let migration = match query.migration.as_deref() {
        None | Some("null") | Some("") => None,
        Some(text) => {
            let m = serde_json::from_str::<Migration>(text)
                .map_err(|e| ApiError::bad_field("migration", format!("must be WatermelonDB's migration JSON: {e}")))?;
            version_in_range("migration.from", m.from)?;
            Some(m)
        }
    };
    let request = PullRequest { last_pulled_at, schema_version: version, migration };
    // the holding first: a refusal is an answer of its own, before the stream starts
    let prepared = state.db(move |conn| gridhub_sync::pull::prepare(conn, &caller, request)).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let (pool, clock, policy) = (state.pool.clone(), state.clock.clone(), state.policy.clone());
    actix_web::rt::task::spawn_blocking(move || {
        let mut out = Chunks { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let written = gridhub_store::db::get(&pool)
            .map_err(PullError::Store)
            .and_then(|mut conn| clock.run(|| gridhub_sync::pull::write(&mut conn, &prepared, &policy, &mut out)))
            .and_then(|()| out.flush().map_err(PullError::Io));
        match written {
            Ok(()) | Err(PullError::Io(_)) => {}
            Err(PullError::Store(e)) => {
                // the answer has begun: cutting it off is how the phone learns it failed (it retries)
                tracing::error!(error = %e, "a pull failed part-way");
                let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok().content_type("application/json").streaming(body))
}

pub async fn push(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Query(query): Query<SyncQuery>,
    RawBody(body): RawBody,
) -> ApiResult<HttpResponse> {
    let last_pulled_at = millis(query.last_pulled_at.as_deref())?
        .ok_or_else(|| ApiError::bad_field("last_pulled_at", "is required: pull before pushing"))?;
    gridhub_store::phones::may_sync(&caller)?;
    let changes = gridhub_sync::push::parse(&body, last_pulled_at, schema::VERSION).map_err(|why| {
        ApiError::bad_request(format!("the body is not a push ({{table: {{created, updated, deleted}}}}): {why}"))
    })?;
    let policy = state.policy.clone();
    let index = state.grid.index();
    let max_photo_bytes = state.settings.sync.photo_max_bytes as i64;
    let outcome = state
        .db(move |conn| {
            let settings = PushSettings { policy: &policy, index: &index, max_photo_bytes };
            Ok(push::apply(conn, &caller, changes, &settings))
        })
        .await?;
    match outcome {
        Ok(rejected) if rejected.is_empty() => Ok(HttpResponse::Ok().json(json!({}))),
        Ok(rejected) => Ok(HttpResponse::Ok().json(json!({"experimentalRejectedIds": rejected}))),
        Err(PushError::Conflict(records)) => {
            let errors: Vec<FieldProblem> = records
                .iter()
                .flat_map(|(t, ids)| {
                    ids.iter().map(move |id| {
                        FieldProblem::new(format!("{t}[{id}]"), "changed on the server since your last pull")
                    })
                })
                .collect();
            let mut e = ApiError::validation(errors);
            e.status = StatusCode::CONFLICT;
            e.kind = "sync-conflict";
            e.detail = "records changed on the server since your last pull; pull, then push again".into();
            e.extra.insert("conflicts".into(), json!(records));
            Err(e)
        }
        Err(PushError::Store(e)) => Err(ApiError::from(e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaQuery {
    version: Option<String>,
}

/// `GET /api/v1/sync/schema?version=`: the phone schema (the newest when no version is asked).
pub async fn phone_schema(_: Authenticated, Query(query): Query<SchemaQuery>) -> ApiResult<HttpResponse> {
    let version = schema_version("version", query.version.as_deref())?;
    if version > schema::VERSION {
        return Err(ApiError::bad_field(
            "version",
            format!("this server speaks schema versions 1 to {}", schema::VERSION),
        ));
    }
    Ok(HttpResponse::Ok().json(schema::describe(version)))
}

/// `GET /api/v1/sync/quarantine`: pushed records that can never be accepted, with why.
pub async fn quarantine(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Query(query): Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let rows = state.db(move |conn| gridhub_store::phones::quarantine::list(conn, &caller, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}
