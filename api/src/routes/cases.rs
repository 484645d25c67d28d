//! Cases over HTTP: file one (idempotently, with the cell found by the index and possible
//! duplicates), list and read them, correct them, act on them (the closed loop), merge a
//! duplicate, and read the timeline. Coordinates go in and out in `crs` (WGS-84 stored).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDateTime};
use gridhub_geo::Crs;
use gridhub_store::case::{self, Act, Action, CaseFilter, CasePatch, CaseView, NewCase, Status};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::cells::{CrsQuery, crs};
use crate::auth::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Check, Json, PageQuery, RawBody, cursor, etag, if_match, nullable, parse_json};
use crate::state::AppState;

/// A case as JSON, its coordinates in `crs`.
fn case_json(v: &CaseView, out: Crs) -> Value {
    let mut j = json!(v);
    let (lng, lat) = out.from_wgs84(v.case.lng, v.case.lat);
    j["lng"] = json!(lng);
    j["lat"] = json!(lat);
    j["crs"] = json!(out.as_str());
    j
}

fn time(check: &mut Check, field: &str, text: Option<&str>) -> Option<NaiveDateTime> {
    let t = text?;
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.naive_utc())
        .map_err(|_| check.push(field, "must be an RFC 3339 time like 2026-05-01T08:30:00+08:00"))
        .ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    source: String,
    category_code: String,
    title: String,
    #[serde(default)]
    description: String,
    lng: f64,
    lat: f64,
    crs: Option<String>,
    address: Option<String>,
    priority: Option<String>,
    reported_at: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
}

/// `POST /api/v1/cases`. An `Idempotency-Key` header makes a retry return the first case.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    RawBody(raw): RawBody,
) -> ApiResult<HttpResponse> {
    let key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim();
            if k.is_empty() || k.len() > 255 {
                return Err(ApiError::bad_field("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
            }
            Some(k.to_owned())
        }
    };
    let body: NewBody = parse_json(&raw)?;
    let mut check = Check::default();
    if !case::SOURCES.contains(&body.source.as_str()) {
        check.push("source", format!("must be one of {}", case::SOURCES.join(", ")));
    }
    if let Err(e) = gridhub_store::category::parse_code(&body.category_code) {
        check.push("category_code", e);
    }
    let title = check.text("title", &body.title, 100, true);
    let description = check.text("description", &body.description, 2000, false);
    let io = check.crs(body.crs.as_deref());
    let (lng, lat) = check.point(body.lng, body.lat, io);
    let address = body.address.as_deref().map(|a| check.text("address", a, 200, false));
    let priority = body.priority.unwrap_or_else(|| "normal".into());
    if !case::PRIORITIES.contains(&priority.as_str()) {
        check.push("priority", format!("must be one of {}", case::PRIORITIES.join(", ")));
    }
    let reported_at = time(&mut check, "reported_at", body.reported_at.as_deref());
    let attachments = check.attachments(body.attachments);
    check.done()?;
    let (cell_id, near_cell_id) = crate::grid::place(&state.grid.index(), lng, lat);
    let new = NewCase {
        id: None,
        source: body.source,
        category_code: body.category_code,
        title,
        description,
        lng,
        lat,
        address,
        priority,
        reported_at,
        attachments,
        cell_id,
        near_cell_id,
        idempotency: key.map(|k| (k, format!("{:x}", Sha256::digest(&raw)))),
    };
    let policy = state.policy.clone();
    let made = state.db(move |conn| case::create(conn, &caller, &new, &policy)).await?;
    let mut body = case_json(&made.case, io);
    body["possible_duplicates"] = json!(made.possible_duplicates);
    let mut res = HttpResponse::Created();
    res.insert_header(("Location", format!("/api/v1/cases/{}", made.case.case.id)))
        .insert_header(etag(made.case.case.version));
    if made.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(body))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    source: Option<String>,
    cell_id: Option<String>,
    community_id: Option<String>,
    street_id: Option<String>,
    department_id: Option<String>,
    overdue: Option<String>,
    created_from: Option<String>,
    created_to: Option<String>,
    crs: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /api/v1/cases`: the cases the caller may see, newest first.
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let out = crs(q.crs.as_deref())?;
    let page = q.page.page()?;
    let mut statuses = Vec::new();
    for s in q.status.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        statuses.push(Status::parse(s).ok_or_else(|| {
            let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad_field("status", format!("{s} is not a status; use {}", all.join(", ")))
        })?);
    }
    if let Some(c) = &q.category {
        gridhub_store::category::parse_code(c).map_err(|e| ApiError::bad_field("category", e))?;
    }
    let overdue = match q.overdue.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::bad_field("overdue", "must be true or false")),
    };
    let mut check = Check::default();
    let received_from = time(&mut check, "created_from", q.created_from.as_deref());
    let received_to = time(&mut check, "created_to", q.created_to.as_deref());
    if let Some(p) = check.0.pop() {
        return Err(ApiError::bad_field(&p.field, p.detail));
    }
    let filter = CaseFilter {
        statuses,
        category: q.category,
        source: q.source,
        cell_id: q.cell_id,
        community_id: q.community_id,
        street_id: q.street_id,
        department_id: q.department_id,
        overdue,
        received_from,
        received_to,
    };
    let policy = state.policy.clone();
    let rows = state.db(move |conn| case::list(conn, &caller, &filter, &page, &policy)).await?;
    let items: Vec<Value> = rows.items.iter().map(|v| case_json(v, out)).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": cursor(rows.next_after)})))
}

/// `GET /api/v1/cases/{id}`: with `allowed_actions` for the caller.
pub async fn get(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    query: web::Query<CrsQuery>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let policy = state.policy.clone();
    let v = state.db(move |conn| case::find(conn, &caller, &id, &policy)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    title: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    address: Option<Option<String>>,
    priority: Option<String>,
    category_code: Option<String>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    Json(body): Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req)?;
    let mut check = Check::default();
    let title = body.title.map(|t| check.text("title", &t, 100, true));
    let description = body.description.map(|d| check.text("description", &d, 2000, false));
    let address = body.address.map(|a| a.map(|a| check.text("address", &a, 200, false)));
    if let Some(p) = &body.priority
        && !case::PRIORITIES.contains(&p.as_str())
    {
        check.push("priority", format!("must be one of {}", case::PRIORITIES.join(", ")));
    }
    if let Some(Err(e)) = body.category_code.as_deref().map(gridhub_store::category::parse_code) {
        check.push("category_code", e);
    }
    check.done()?;
    let patch = CasePatch { title, description, address, priority: body.priority, category_code: body.category_code };
    let policy = state.policy.clone();
    let v = state.db(move |conn| case::update(conn, &caller, &id, patch, expected, &policy)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, Crs::Wgs84)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: String,
    note: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
    department_id: Option<String>,
    extend_by: Option<String>,
    satisfaction: Option<i32>,
    into: Option<String>,
    /// Where the actor stood, when the phone says.
    lng: Option<f64>,
    lat: Option<f64>,
    crs: Option<String>,
    expected_version: i64,
}

/// `POST /api/v1/cases/{id}/transitions`: one action of the closed loop.
pub async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    Json(body): Json<TransitionBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let action = Action::parse(&body.action);
    if action.is_none() {
        let all: Vec<&str> = case::lifecycle::TRANSITIONS.iter().map(|t| t.name).collect();
        check.push("action", format!("must be one of {}", all.join(", ")));
    }
    let note = body.note.as_deref().map(|n| check.text("note", n, 2000, false)).filter(|n| !n.is_empty());
    let io = check.crs(body.crs.as_deref());
    let at_point = match (body.lng, body.lat) {
        (Some(lng), Some(lat)) => Some(check.point(lng, lat, io)),
        (None, None) => None,
        _ => {
            check.push("lat", "lng and lat come together");
            None
        }
    };
    let attachments = check.attachments(body.attachments);
    check.done()?;
    let act = Act {
        note,
        attachments,
        department_id: body.department_id,
        extend_by: body.extend_by,
        satisfaction: body.satisfaction,
        into: body.into,
        at_point,
        expected_version: Some(body.expected_version),
        ..Act::new(action.expect("checked"))
    };
    let policy = state.policy.clone();
    let id = id.into_inner();
    let v = state.db(move |conn| case::transition(conn, &caller, &id, act, &policy)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, Crs::Wgs84)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    into: String,
    note: Option<String>,
    expected_version: Option<i64>,
}

/// `POST /api/v1/cases/{id}/merge {"into"}`: the duplicate `id` closes, linked to `into`,
/// whose reporters it joins. Answers with the original.
pub async fn merge(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
    Json(body): Json<MergeBody>,
) -> ApiResult<HttpResponse> {
    let into = body.into.clone();
    let act = Act {
        into: Some(body.into),
        note: body.note,
        expected_version: body.expected_version,
        ..Act::new(Action::Merge)
    };
    let policy = state.policy.clone();
    let v = state
        .db(move |conn| {
            case::transition(conn, &caller, &id, act, &policy)?;
            case::find(conn, &caller, &into, &policy)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, Crs::Wgs84)))
}

/// `GET /api/v1/cases/{id}/events`: the timeline, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = state.db(move |conn| case::events(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
