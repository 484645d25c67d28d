//! 巡查 for offices over HTTP: the patrols phones recorded (tracks as GeoJSON lines), patrol
//! plans (巡防计划, joint patrols 联合巡防) and how the grids were walked against them.

use actix_web::{HttpResponse, web};
use gridhub_store::input::Check;
use gridhub_store::supervision::patrols::{self, MAX_CELLS, MAX_MEMBERS, NewPlan, PatrolFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, cursor, list_query};
use crate::state::AppState;

list_query! {
    pub struct ListQuery { cell_id, user_id, from, to }
}

fn time_of(field: &str, text: Option<String>) -> ApiResult<Option<chrono::NaiveDateTime>> {
    text.map(|t| {
        chrono::DateTime::parse_from_rfc3339(&t)
            .map(|t| t.naive_utc())
            .map_err(|_| ApiError::bad_field(field, "must be an RFC 3339 time like 2026-05-01T08:30:00+08:00"))
    })
    .transpose()
}

/// `GET /api/v1/patrols?cell_id=&user_id=&from=&to=`: latest first.
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let filter = PatrolFilter {
        cell_id: q.cell_id,
        user_id: q.user_id,
        from: time_of("from", q.from)?,
        to: time_of("to", q.to)?,
    };
    let rows = state.db(move |conn| patrols::list(conn, &caller, &filter, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    name: String,
    cells: Vec<String>,
    #[serde(default)]
    members: Vec<String>,
    from: Value,
    to: Value,
    times_per_day: i32,
}

/// `POST /api/v1/patrol-plans`
pub async fn create_plan(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<PlanBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let name = check.name("name", &body.name);
    if body.cells.is_empty() || body.cells.len() > MAX_CELLS {
        check.push("cells", format!("must name 1 to {MAX_CELLS} grids"));
    }
    if body.members.len() > MAX_MEMBERS {
        check.push("members", format!("at most {MAX_MEMBERS}"));
    }
    let from = check.time("from", &body.from);
    let to = check.time("to", &body.to);
    if let (Some(f), Some(t)) = (from, to)
        && (t <= f || (t - f).num_days() > 366)
    {
        check.push("to", "must be after from, at most 366 days later");
    }
    if !(1..=48).contains(&body.times_per_day) {
        check.push("times_per_day", "must be from 1 to 48");
    }
    check.done()?;
    let new = NewPlan {
        name,
        cells: body.cells,
        members: body.members,
        starts_at: from.unwrap_or_default(),
        ends_at: to.unwrap_or_default(),
        times_per_day: body.times_per_day,
    };
    let plan = state.db(move |conn| patrols::create_plan(conn, &caller, new)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/patrol-plans/{}/coverage", plan.id)))
        .json(plan))
}

/// `GET /api/v1/patrol-plans/{id}/coverage`
pub async fn coverage(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let c = state.db(move |conn| patrols::coverage(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(c))
}
