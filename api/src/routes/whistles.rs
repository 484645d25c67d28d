//! 吹哨报到 over HTTP: a street office summons departments to a case (or grants a community's
//! request to); each reports in from the place; the street plans each department's part, closes
//! the whistle when the problem is solved and rates each response.

use actix_web::{HttpResponse, web};
use gridhub_store::cases::intake::{Draft, NewCase};
use gridhub_store::supervision::whistle::requests::{self, RequestStatus};
use gridhub_store::supervision::whistle::{self, NewWhistle, PlanItem, ReportIn, WhistleStatus, WhistleView};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, cursor, list_query, or_default};
use crate::state::AppState;
use gridhub_store::input::Check;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    #[serde(default, deserialize_with = "or_default")]
    departments: Vec<String>,
    report_in_within_minutes: i32,
    note: Option<String>,
}

/// A summons as asked for: the departments (none: those a community's request named, when
/// `from_request`), the minutes they have to report in, the note.
fn summons(body: NewBody, from_request: bool) -> ApiResult<NewWhistle> {
    let mut check = Check::default();
    let n = body.departments.len();
    if (n == 0 && !from_request) || n > whistle::MAX_DEPARTMENTS {
        check.push("departments", format!("must name 1 to {} departments", whistle::MAX_DEPARTMENTS));
    }
    if !(5..=24 * 60).contains(&body.report_in_within_minutes) {
        check.push("report_in_within_minutes", "must be from 5 to 1440 minutes");
    }
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    check.done()?;
    Ok(NewWhistle { departments: body.departments, report_in_within_minutes: body.report_in_within_minutes, note })
}

fn blown(w: &WhistleView) -> HttpResponse {
    HttpResponse::Created().insert_header(("Location", format!("/api/v1/whistles/{}", w.whistle.id))).json(w)
}

/// `POST /api/v1/cases/{id}/whistle`
pub async fn blow(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let new = summons(body, false)?;
    let w = state.db(move |conn| whistle::blow(conn, &caller, &id, new)).await?;
    Ok(blown(&w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWithCaseBody {
    category_code: String,
    title: String,
    /// What was found; the title when not given.
    description: Option<String>,
    address: Option<String>,
    priority: Option<String>,
    lng: f64,
    lat: f64,
    crs: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    attachments: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    departments: Vec<String>,
    report_in_within_minutes: i32,
    note: Option<String>,
}

/// `POST /api/v1/whistles`: the street office blows the whistle on a problem it found that is no
/// case yet — the case (source `whistle`, filed) and the summons in one step.
pub async fn blow_new(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewWithCaseBody>,
) -> ApiResult<HttpResponse> {
    let draft = Draft {
        category_code: Some(body.category_code),
        description: Some(body.description.unwrap_or_else(|| body.title.clone())),
        title: Some(body.title),
        address: body.address,
        priority: body.priority,
        lng: Some(body.lng),
        lat: Some(body.lat),
        crs: body.crs,
        attachments: body.attachments,
        ..Draft::default()
    };
    let report = draft.check(Check::default())?;
    let new = summons(
        NewBody {
            departments: body.departments,
            report_in_within_minutes: body.report_in_within_minutes,
            note: body.note,
        },
        false,
    )?;
    let placement = state.grid.index().place(report.lng, report.lat);
    let report = NewCase { report, placement, idempotency: None };
    let policy = state.policy.clone();
    let w = state.db(move |conn| whistle::blow_new(conn, &caller, report, new, &policy)).await?;
    Ok(blown(&w))
}

list_query! {
    pub struct ListQuery { street_id, status }
}

/// `GET /api/v1/whistles?street_id=&status=`
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let status = q
        .status
        .as_deref()
        .map(|s| WhistleStatus::parse(s).ok_or_else(|| ApiError::bad_field("status", "must be open or closed")))
        .transpose()?;
    let rows = state.db(move |conn| whistle::list(conn, &caller, q.street_id.as_deref(), status, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

/// `GET /api/v1/whistles/{id}`: each department's state and times.
pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let w = state.db(move |conn| whistle::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportInBody {
    department_id: String,
    lng: f64,
    lat: f64,
    crs: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    attachments: Vec<String>,
}

/// `POST /api/v1/whistles/{id}/report-in`
pub async fn report_in(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<ReportInBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let io = check.crs(body.crs.as_deref());
    let (lng, lat) = check.point(body.lng, body.lat, io);
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    let attachments = check.attachments(body.attachments);
    check.done()?;
    let report = ReportIn { department_id: body.department_id, lng, lat, note, attachments };
    let on_site = state.settings.cases.whistle_on_site_m;
    let w = state.db(move |conn| whistle::report_in(conn, &caller, &id, report, on_site)).await?;
    Ok(HttpResponse::Ok().json(w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanItemBody {
    department_id: String,
    task: String,
    due_at: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    items: Vec<PlanItemBody>,
}

/// `POST /api/v1/whistles/{id}/plan {"items":[{"department_id","task","due_at"}]}`: a task for each
/// summoned department.
pub async fn plan(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<PlanBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if body.items.is_empty() || body.items.len() > whistle::MAX_DEPARTMENTS {
        check.push("items", format!("must name 1 to {} tasks", whistle::MAX_DEPARTMENTS));
    }
    let mut items = Vec::new();
    for (i, item) in body.items.into_iter().enumerate() {
        let task = check.name(&format!("items[{i}].task"), &item.task);
        let due_at = check.time(&format!("items[{i}].due_at"), &item.due_at);
        items.push(PlanItem { department_id: item.department_id, task, due_at: due_at.unwrap_or_default() });
    }
    check.done()?;
    let w = state.db(move |conn| whistle::plan(conn, &caller, &id, items)).await?;
    Ok(HttpResponse::Ok().json(w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    result: String,
}

/// `POST /api/v1/whistles/{id}/close {"result"}`: the street office closes it with what came of it.
pub async fn close(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<CloseBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let result = check.text("result", &body.result, 2000, true);
    check.done()?;
    let w = state.db(move |conn| whistle::close(conn, &caller, &id, result)).await?;
    Ok(HttpResponse::Ok().json(w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    department_id: String,
    rating: i32,
    note: Option<String>,
}

/// `POST /api/v1/whistles/{id}/ratings {"department_id","rating":1–5,"note"}`
pub async fn rate(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<RatingBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if !(1..=5).contains(&body.rating) {
        check.push("rating", "must be a whole number from 1 to 5");
    }
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    check.done()?;
    let w = state.db(move |conn| whistle::rate(conn, &caller, &id, &body.department_id, body.rating, note)).await?;
    Ok(HttpResponse::Ok().json(w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[serde(default, deserialize_with = "or_default")]
    departments: Vec<String>,
    note: String,
}

/// `POST /api/v1/cases/{id}/whistle-requests {"departments","note"}`: a community asks its street.
pub async fn request(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<RequestBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if body.departments.len() > whistle::MAX_DEPARTMENTS {
        check.push("departments", format!("at most {}", whistle::MAX_DEPARTMENTS));
    }
    let note = check.text("note", &body.note, 2000, true);
    check.done()?;
    let r = state.db(move |conn| requests::request(conn, &caller, &id, body.departments, note)).await?;
    Ok(HttpResponse::Created().json(r))
}

list_query! {
    pub struct RequestsQuery { status }
}

/// `GET /api/v1/whistle-requests?status=requested|granted|declined`
pub async fn requests(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<RequestsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            RequestStatus::parse(s)
                .ok_or_else(|| ApiError::bad_field("status", format!("must be one of {}", RequestStatus::names())))
        })
        .transpose()?;
    let rows = state.db(move |conn| requests::list(conn, &caller, status, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

/// `POST /api/v1/whistle-requests/{id}/grant`: the street blows the whistle asked for — the
/// departments it names, or those the community asked for.
pub async fn grant(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let new = summons(body, true)?;
    let w = state.db(move |conn| requests::grant(conn, &caller, &id, new)).await?;
    Ok(blown(&w))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    note: String,
}

/// `POST /api/v1/whistle-requests/{id}/decline {"note"}`
pub async fn decline(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<DeclineBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let note = check.text("note", &body.note, 2000, true);
    check.done()?;
    let r = state.db(move |conn| requests::decline(conn, &caller, &id, note)).await?;
    Ok(HttpResponse::Ok().json(r))
}
