//! Who answers for each cell: assign people to cells, end and move their assignments one at a
//! time or as a batch a street office applies atomically, read who held which duty at any
//! moment, and the staffing report. The rules are the store's (gridhub_store::assignments).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use gridhub_store::StoreResult;
use gridhub_store::assignments::{self as assignment, Change, Duty, Rules};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Format, FormatQuery, Table};
use crate::input::{Id, Json, Query, RawBody, etag, flag, if_match, or_default};
use crate::state::AppState;

fn rules(state: &AppState) -> Rules {
    Rules { max_full_time_cells: state.settings.grid.max_full_time_cells }
}

fn time(field: &str, value: &str) -> ApiResult<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time such as 2026-03-01T09:00:00+08:00"))
}

fn duty(field: &str, value: &str) -> ApiResult<Duty> {
    Duty::parse(value)
        .ok_or_else(|| ApiError::invalid(field, format!("must be one of {}", Duty::ALL.map(Duty::as_str).join(", "))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    at: Option<String>,
}

fn at(query: &AtQuery) -> ApiResult<Option<NaiveDateTime>> {
    query
        .at
        .as_deref()
        .map(|t| time("at", t).map_err(|_| ApiError::bad_field("at", "must be an RFC 3339 time")))
        .transpose()
}

/// `GET /api/v1/cells/{id}/assignments?at=`
pub async fn of_cell(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<AtQuery>,
) -> ApiResult<HttpResponse> {
    let at = at(&query)?;
    let rows = state.db(move |conn| assignment::of_cell(conn, &caller, &id, at)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `GET /api/v1/users/{id}/assignments?at=`
pub async fn of_user(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<AtQuery>,
) -> ApiResult<HttpResponse> {
    let at = at(&query)?;
    let rows = state.db(move |conn| assignment::of_user(conn, &caller, &id, at)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// Runs a batch; a single change reports its problems without the `items[0].` prefix.
async fn run(
    state: &AppState,
    caller: gridhub_store::Caller,
    changes: Vec<Change>,
    expected: Option<BTreeMap<String, i64>>,
) -> ApiResult<assignment::Applied> {
    let single = changes.len() == 1 && expected.is_none();
    let rules = rules(state);
    let result = state
        .db(move |conn| -> StoreResult<_> { assignment::apply(conn, &caller, &rules, changes, expected.as_ref()) })
        .await;
    match result {
        Err(mut e) if single && !e.errors.is_empty() => {
            for p in &mut e.errors {
                p.field = p.field.trim_start_matches("items[0]").trim_start_matches('.').to_owned();
                if p.field.is_empty() {
                    p.field = "body".into();
                }
            }
            Err(ApiError::validation(e.errors))
        }
        other => other,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    user_id: String,
    duty: String,
    building: Option<String>,
    starts_at: Option<String>,
    note: Option<String>,
}

/// `POST /api/v1/cells/{id}/assignments` (with `If-Match`, only if the cell is at that version)
pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<AssignBody>,
) -> ApiResult<HttpResponse> {
    let cell_id = id.into_inner();
    let expected = if_match(&req).map(|v| BTreeMap::from([(cell_id.clone(), v)]));
    // the cell of the path: one the caller cannot see is not there (404), as for any read
    let (seen, who) = (cell_id.clone(), caller.clone());
    state.db(move |conn| gridhub_store::grid::cell::find(conn, &who, &seen)).await?;
    let change = Change::Assign {
        cell_id: cell_id.as_str().into(),
        user_id: body.user_id.into(),
        duty: duty("duty", &body.duty)?,
        building: body.building.map(|b| b.trim().to_owned()).filter(|b| !b.is_empty()),
        starts_at: body.starts_at.as_deref().map(|t| time("starts_at", t)).transpose()?,
        note: body.note,
    };
    let applied = run(&state, caller, vec![change], expected).await?;
    let version = applied.versions.get(cell_id.as_str()).copied().unwrap_or_default();
    let a = applied.assignments.into_iter().next().expect("one change, one assignment");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/assignments/{}", a.id)))
        .insert_header(etag(version))
        .json(json!({"assignment": a, "cell_version": version})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    reason: String,
    ends_at: Option<String>,
}

/// `POST /api/v1/assignments/{id}/end`
pub async fn end(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<EndBody>,
) -> ApiResult<HttpResponse> {
    if body.reason.trim().is_empty() {
        return Err(ApiError::invalid("reason", "say why the assignment ends"));
    }
    let change = Change::End {
        assignment_id: id.into_inner(),
        ends_at: body.ends_at.as_deref().map(|t| time("ends_at", t)).transpose()?,
        reason: body.reason.trim().to_owned(),
    };
    let applied = run(&state, caller, vec![change], None).await?;
    let a = applied.assignments.into_iter().next().expect("one change, one assignment");
    Ok(HttpResponse::Ok().json(json!({"assignment": a, "cell_versions": applied.versions})))
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Item {
    Move {
        assignment_id: String,
        to_cell_id: String,
    },
    Assign {
        cell_id: String,
        user_id: String,
        duty: String,
        building: Option<String>,
        starts_at: Option<String>,
        note: Option<String>,
    },
    End {
        assignment_id: String,
        reason: String,
        ends_at: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    items: Vec<Item>,
    #[serde(default, deserialize_with = "or_default")]
    expected_versions: BTreeMap<String, i64>,
}

/// `POST /api/v1/reassignments`: a batch, all or nothing. Every cell it touches must be in
/// `expected_versions` at the version the client saw (412 otherwise).
pub async fn batch(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<Batch>,
) -> ApiResult<HttpResponse> {
    if body.items.is_empty() {
        return Err(ApiError::invalid("items", "is empty: nothing to change"));
    }
    let mut changes = Vec::with_capacity(body.items.len());
    let mut problems = Vec::new();
    for (i, item) in body.items.into_iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let change = match item {
            Item::Move { assignment_id, to_cell_id } => {
                Ok(Change::Move { assignment_id, to_cell_id: to_cell_id.into() })
            }
            Item::End { assignment_id, reason, ends_at } => ends_at
                .as_deref()
                .map(|t| time(&at("ends_at"), t))
                .transpose()
                .map(|ends_at| Change::End { assignment_id, ends_at, reason }),
            Item::Assign { cell_id, user_id, duty: d, building, starts_at, note } => {
                duty(&at("duty"), &d).and_then(|duty| {
                    let starts_at = starts_at.as_deref().map(|t| time(&at("starts_at"), t)).transpose()?;
                    Ok(Change::Assign {
                        cell_id: cell_id.into(),
                        user_id: user_id.into(),
                        duty,
                        building,
                        starts_at,
                        note,
                    })
                })
            }
        };
        match change {
            Ok(c) => changes.push(c),
            Err(e) => problems.extend(e.errors),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let applied = run(&state, caller, changes, Some(body.expected_versions)).await?;
    Ok(HttpResponse::Ok().json(json!({"assignments": applied.assignments, "cell_versions": applied.versions})))
}

/// `GET /api/v1/streets/{id}/staffing`, as JSON, CSV or XLSX.
pub async fn street_staffing(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let format = Format::of(query.format.as_deref(), &req)?;
    let report = state.db(move |conn| assignment::staffing(conn, &caller, Some(&id), None)).await?;
    staffing_answer(&report, format)
}

/// `GET /api/v1/communities/{id}/staffing`, as JSON, CSV or XLSX.
pub async fn community_staffing(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let format = Format::of(query.format.as_deref(), &req)?;
    let report = state.db(move |conn| assignment::staffing(conn, &caller, None, Some(&id))).await?;
    staffing_answer(&report, format)
}

/// Staffing as JSON, or as a table of one row per grid: who answers for it.
fn staffing_answer(report: &assignment::Staffing, format: Format) -> ApiResult<HttpResponse> {
    if !format.is_table() {
        return Ok(HttpResponse::Ok().json(report));
    }
    let mut t = Table::new(
        ("网格力量配备", "staffing"),
        &[
            ("网格编码", "cell_code"),
            ("网格名称", "cell"),
            ("户数", "households"),
            ("网格长", "grid_leader"),
            ("网格员", "workers"),
            ("网格警长", "police_liaison"),
            ("楼栋长数", "building_stewards"),
            ("志愿者数", "volunteers"),
            ("在职党员数", "party_members"),
        ],
    );
    for c in &report.per_cell {
        t.push(vec![
            c.code.as_str().into(),
            c.name.as_str().into(),
            c.households.map(i64::from).into(),
            c.grid_leader.clone().into(),
            c.workers.join("、").into(),
            c.police_liaison.clone().into(),
            (c.building_stewards as i64).into(),
            (c.volunteers as i64).into(),
            (c.party_members as i64).into(),
        ]);
    }
    exports::answer(&t, format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    dry_run: Option<String>,
}

/// `POST /api/v1/streets/{id}/assignments/import[?dry_run=true]` with a sheet (XLSX, or CSV in UTF-8
/// or GBK; Chinese or English headers): all or nothing.
pub async fn import(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<SheetQuery>,
    RawBody(body): RawBody,
) -> ApiResult<HttpResponse> {
    let dry_run = flag("dry_run", query.dry_run.as_deref())?;
    let rules = rules(&state);
    // off the request threads: the store asks who may before it reads the sheet
    let applied = state.db(move |conn| assignment::import_sheet(conn, &caller, &rules, &id, &body, dry_run)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "dry_run": dry_run,
        "assigned": applied.assignments.len(),
        "assignments": applied.assignments,
        "cell_versions": if dry_run { json!({}) } else { json!(applied.versions) },
    })))
}
