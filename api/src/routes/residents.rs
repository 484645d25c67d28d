//! Residents and their community over HTTP: where a resident lives and its verification, the
//! community's notices with read receipts, and its consultations with one vote per resident.

use actix_web::{HttpResponse, web};
use gridhub_store::input::Check;
use gridhub_store::residents::notices::{self, NewNotice};
use gridhub_store::residents::polls::{self, NewPoll};
use gridhub_store::residents::residence::{self, NewResidence, Standing};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, NoQuery, Query};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidenceBody {
    community_id: String,
    building: Option<String>,
    room: Option<String>,
}

/// `PUT /api/v1/me/residence`: a resident says where they live; the community verifies it.
pub async fn put_mine(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
    Json(body): Json<ResidenceBody>,
) -> ApiResult<HttpResponse> {
    let new = NewResidence { community_id: body.community_id, building: body.building, room: body.room };
    let r = state.db(move |conn| residence::declare(conn, &caller, new)).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// `GET /api/v1/me/residence`: the caller's residence and where it stands (`null` if none).
pub async fn get_mine(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let r = state.db(move |conn| residence::mine(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(json!({"residence": r})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandingQuery {
    status: Option<String>,
}

/// `GET /api/v1/communities/{id}/residences?status=pending|verified|rejected`
pub async fn of_community(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<StandingQuery>,
) -> ApiResult<HttpResponse> {
    let standing = query
        .status
        .as_deref()
        .map(|s| {
            Standing::parse(s).ok_or_else(|| ApiError::bad_field("status", "must be pending, verified or rejected"))
        })
        .transpose()?;
    let rows = state.db(move |conn| residence::of_community(conn, &caller, &id, standing)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `POST /api/v1/residences/{id}/verify`
pub async fn verify(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let r = state.db(move |conn| residence::decide(conn, &caller, &id, true, None)).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    reason: Option<String>,
}

/// `POST /api/v1/residences/{id}/reject {"reason"}`
pub async fn reject(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
    Json(body): Json<RejectBody>,
) -> ApiResult<HttpResponse> {
    let r = state.db(move |conn| residence::decide(conn, &caller, &id, false, body.reason.as_deref())).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    community_id: String,
    building: Option<String>,
    title: String,
    body: String,
    #[serde(default)]
    attachments: Vec<String>,
}

/// `POST /api/v1/notices`
pub async fn publish(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
    Json(b): Json<NoticeBody>,
) -> ApiResult<HttpResponse> {
    let new = NewNotice {
        community_id: b.community_id,
        building: b.building,
        title: b.title,
        body: b.body,
        attachments: b.attachments,
    };
    let n = state.db(move |conn| notices::publish(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().json(n))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityQuery {
    community_id: Option<String>,
}

/// `GET /api/v1/notices[?community_id=]`: a resident's community's, or an office's of one
/// community with how many have read each.
pub async fn notices(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<CommunityQuery>,
) -> ApiResult<HttpResponse> {
    let community = query.into_inner().community_id;
    let rows = state.db(move |conn| notices::list(conn, &caller, community.as_deref())).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `POST /api/v1/notices/{id}/read`
pub async fn read(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    state.db(move |conn| notices::mark_read(conn, &caller, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollBody {
    community_id: String,
    question: String,
    options: Vec<String>,
    opens_at: Option<String>,
    closes_at: Option<String>,
}

/// `POST /api/v1/polls`
pub async fn open(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
    Json(b): Json<PollBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let mut time = |field: &str, text: Option<String>| text.and_then(|t| check.time(field, &Value::String(t)));
    let (opens_at, closes_at) = (time("opens_at", b.opens_at), time("closes_at", b.closes_at));
    check.done()?;
    let new = NewPoll { community_id: b.community_id, question: b.question, options: b.options, opens_at, closes_at };
    let p = state.db(move |conn| polls::open(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/polls/{}", p.poll.id))).json(p))
}

/// `GET /api/v1/polls[?community_id=]`
pub async fn polls(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<CommunityQuery>,
) -> ApiResult<HttpResponse> {
    let community = query.into_inner().community_id;
    let rows = state.db(move |conn| polls::list(conn, &caller, community.as_deref())).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `GET /api/v1/polls/{id}`
pub async fn poll(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let p = state.db(move |conn| polls::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(p))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    choice: i64,
}

/// `POST /api/v1/polls/{id}/votes {"choice"}`: a vote, or a changed one, while it is open.
pub async fn vote(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
    Json(b): Json<VoteBody>,
) -> ApiResult<HttpResponse> {
    let p = state.db(move |conn| polls::vote(conn, &caller, &id, b.choice)).await?;
    Ok(HttpResponse::Ok().json(p))
}
