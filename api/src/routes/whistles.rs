//! 吹哨报到 over HTTP: a street office summons departments to a case; each reports in from the
//! place; everyone concerned follows who is on site, who is late.

use actix_web::{HttpResponse, web};
use gridhub_store::supervision::whistle::{self, NewWhistle, ReportIn, WhistleStatus};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, cursor, list_query, or_default};
use crate::state::AppState;
use gridhub_store::input::Check;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    departments: Vec<String>,
    report_in_within_minutes: i32,
    note: Option<String>,
}

/// `POST /api/v1/cases/{id}/whistle`
pub async fn blow(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if body.departments.is_empty() || body.departments.len() > whistle::MAX_DEPARTMENTS {
        check.push("departments", format!("must name 1 to {} departments", whistle::MAX_DEPARTMENTS));
    }
    if !(5..=24 * 60).contains(&body.report_in_within_minutes) {
        check.push("report_in_within_minutes", "must be from 5 to 1440 minutes");
    }
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    check.done()?;
    let new =
        NewWhistle { departments: body.departments, report_in_within_minutes: body.report_in_within_minutes, note };
    let w = state.db(move |conn| whistle::blow(conn, &caller, &id, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/whistles/{}", w.whistle.id))).json(w))
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
