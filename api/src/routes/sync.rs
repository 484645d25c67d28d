//! The phones' sync over HTTP, exactly as WatermelonDB's `synchronize()` calls it:
//! `GET /api/v1/sync?last_pulled_at=&schema_version=&migration=` pulls,
//! `POST /api/v1/sync?last_pulled_at=` pushes (the stock client sends `text/plain`; any type is
//! read as JSON). A malformed body answers 400 and applies nothing; a conflict 409 naming the
//! records; records that can never be accepted come back in `experimentalRejectedIds`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use gridhub_store::FieldProblem;
use gridhub_sync::push::{PushError, PushSettings};
use gridhub_sync::{Migration, PullRequest};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{PageQuery, Query, RawBody, page_json};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SyncQuery {
    last_pulled_at: Option<String>,
    schema_version: Option<String>,
    migration: Option<String>,
}

/// `null`, absent, or a whole number of ms.
fn millis(text: Option<&str>) -> ApiResult<Option<i64>> {
    match text {
        None | Some("null") | Some("") | Some("undefined") => Ok(None),
        Some(t) => t.parse::<i64>().ok().filter(|v| *v >= 0).map(Some).ok_or_else(|| {
            ApiError::bad_field("last_pulled_at", "must be null or the timestamp of the last pull (ms)")
        }),
    }
}

pub async fn pull(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
) -> ApiResult<HttpResponse> {
    let last_pulled_at = millis(query.last_pulled_at.as_deref())?;
    let schema_version = match query.schema_version.as_deref() {
        None | Some("null") => gridhub_sync::schema::VERSION,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| ApiError::bad_field("schema_version", "must be a schema version (1 or more)"))?,
    };
    let migration = match query.migration.as_deref() {
        None | Some("null") | Some("") => None,
        Some(text) => Some(
            serde_json::from_str::<Migration>(text)
                .map_err(|e| ApiError::bad_field("migration", format!("must be WatermelonDB's migration JSON: {e}")))?,
        ),
    };
    let req = PullRequest { last_pulled_at, schema_version, migration };
    let policy = state.policy.clone();
    let answer = state.db(move |conn| gridhub_sync::pull(conn, &caller, &req, &policy)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

pub async fn push(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<SyncQuery>,
    RawBody(body): RawBody,
) -> ApiResult<HttpResponse> {
    let last_pulled_at = millis(query.last_pulled_at.as_deref())?
        .ok_or_else(|| ApiError::bad_field("last_pulled_at", "is required: pull before pushing"))?;
    let changes = gridhub_sync::push::parse(&body).map_err(|why| {
        ApiError::bad_request(format!("the body is not a push ({{table: {{created, updated, deleted}}}}): {why}"))
    })?;
    let policy = state.policy.clone();
    let index = state.grid.index();
    let max_photo_bytes = state.settings.sync.photo_max_bytes as i64;
    let outcome = state
        .db(move |conn| {
            let settings = PushSettings { policy: &policy, index: &index, max_photo_bytes };
            Ok(gridhub_sync::push(conn, &caller, last_pulled_at, changes, &settings))
        })
        .await?;
    match outcome {
        Ok(o) if o.rejected.is_empty() => Ok(HttpResponse::Ok().json(json!({}))),
        Ok(o) => Ok(HttpResponse::Ok().json(json!({"experimentalRejectedIds": o.rejected}))),
        Err(PushError::Conflict(records)) => {
            let errors: Vec<FieldProblem> = records
                .iter()
                .flat_map(|(t, ids)| {
                    ids.iter().map(move |id| {
                        FieldProblem::new(format!("{t}[{id}]"), "changed on the server since your last pull")
                    })
                })
                .collect();
            let mut e = ApiError::new(
                StatusCode::CONFLICT,
                "sync-conflict",
                "records changed on the server since your last pull; pull, then push again",
            );
            e.errors = errors;
            e.extra.insert("conflicts".into(), json!(records));
            Err(e)
        }
        Err(PushError::Store(e)) => Err(ApiError::from(e)),
    }
}

/// `GET /api/v1/sync/quarantine`: pushed records that can never be accepted, with why.
pub async fn quarantine(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let rows = state.db(move |conn| gridhub_store::phones::quarantine::list(conn, &caller, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}
