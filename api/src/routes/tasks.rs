//! 督办任务 over HTTP: assign a task to a unit, decompose it down the grid, report progress,
//! submit, verify or return, list what a unit owns and what it assigned.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::input::Check;
use gridhub_store::tasks::{self, Mine, NewTask, Progress, TaskFilter, TaskKind, TaskStatus, TaskView, Unit};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Format, Table};
use crate::input::{Id, Json, Query, cursor, flag, list_query, or_default};
use crate::language;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    #[serde(rename = "type")]
    kind: Unit,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    title: String,
    description: Option<String>,
    kind: Option<TaskKind>,
    owner: OwnerBody,
    due_at: Value,
    target_quantity: Option<i64>,
    parent_id: Option<String>,
    campaign_id: Option<String>,
}

/// The most a task counts (a target or one progress report).
const MAX_QUANTITY: i64 = 1_000_000_000;

/// `POST /api/v1/tasks`
pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let title = check.text("title", &body.title, 100, true);
    let description = body.description.map(|d| check.text("description", &d, 2000, false)).unwrap_or_default();
    let due_at = check.time("due_at", &body.due_at);
    if body.target_quantity.is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q)) {
        check.push("target_quantity", format!("must be a whole number from 1 to {MAX_QUANTITY}"));
    }
    check.done()?;
    let new = NewTask {
        title,
        description,
        kind: body.kind,
        owner: (body.owner.kind, body.owner.id),
        due_at: due_at.unwrap_or_default(),
        target_quantity: body.target_quantity,
        parent_id: body.parent_id,
        campaign_id: body.campaign_id,
    };
    let t = state.db(move |conn| tasks::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/tasks/{}", t.view.task.id))).json(t))
}

list_query! {
    pub struct ListQuery { owner_type, owner_id, assigner_type, assigner_id, status, kind, parent_id, campaign_id, overdue, mine, format }
}

fn unit_of(field: &str, kind: Option<String>, id: Option<String>, id_field: &str) -> ApiResult<Option<(Unit, String)>> {
    match (kind, id) {
        (None, None) => Ok(None),
        (Some(k), Some(id)) => Unit::parse(&k)
            .map(|u| Some((u, id)))
            .ok_or_else(|| ApiError::bad_field(field, format!("must be one of {}", Unit::names()))),
        (None, Some(_)) => Err(ApiError::bad_field(field, format!("is required with {id_field}"))),
        (Some(_), None) => Err(ApiError::bad_field(id_field, format!("is required with {field}"))),
    }
}

/// `GET /api/v1/tasks?owner_type=&owner_id=&assigner_type=&assigner_id=&status=&kind=&parent_id=&overdue=&mine=owned|assigned`
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let format = Format::of(q.format.as_deref(), &req)?;
    let page = q.page()?;
    let filter = TaskFilter {
        owner: unit_of("owner_type", q.owner_type, q.owner_id, "owner_id")?,
        assigner: unit_of("assigner_type", q.assigner_type, q.assigner_id, "assigner_id")?,
        status: q
            .status
            .map(|s| {
                TaskStatus::parse(&s)
                    .ok_or_else(|| ApiError::bad_field("status", format!("must be one of {}", TaskStatus::names())))
            })
            .transpose()?,
        kind: q
            .kind
            .map(|s| {
                TaskKind::parse(&s)
                    .ok_or_else(|| ApiError::bad_field("kind", format!("must be one of {}", TaskKind::names())))
            })
            .transpose()?,
        parent_id: q.parent_id,
        campaign_id: q.campaign_id,
        overdue: q.overdue.as_deref().map(|o| flag("overdue", Some(o))).transpose()?,
        mine: match q.mine.as_deref() {
            None => None,
            Some("owned") => Some(Mine::Owned),
            Some("assigned") => Some(Mine::Assigned),
            Some(_) => return Err(ApiError::bad_field("mine", "must be owned or assigned")),
        },
    };
    if format.is_table() {
        let all = state.db(move |conn| exports::every_page(|page| tasks::list(conn, &caller, &filter, page))).await?;
        exports::within_limit(all.len())?;
        return exports::answer(&ledger(all), format);
    }
    let rows = state.db(move |conn| tasks::list(conn, &caller, &filter, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

/// The tasks as an office's ledger (督办台账): one row per task, in the list's order, in the
/// answer's language.
fn ledger(all: Vec<TaskView>) -> Table {
    let mut t = Table::new(
        ("督办台账", "tasks"),
        &[
            ("任务", "title"),
            ("类型", "kind"),
            ("承办单位", "owner"),
            ("交办单位", "assigner"),
            ("状态", "status"),
            ("截止时间", "due_at"),
            ("是否超期", "overdue"),
            ("目标数量", "target_quantity"),
            ("完成数量", "quantity_done"),
            ("下级任务数", "children"),
            ("下级已完成", "children_verified"),
            ("完成率(%)", "completion"),
            ("提交时间", "submitted_at"),
            ("核验时间", "verified_at"),
            ("编号", "id"),
        ],
    );
    let lang = language::current();
    for v in all {
        let overdue = lang.pick(if v.overdue { "是" } else { "否" }, if v.overdue { "yes" } else { "no" });
        t.push(vec![
            v.task.title.into(),
            lang.pick(v.kind_label, v.task.kind.as_str()).into(),
            v.owner_name.into(),
            v.assigner_name.into(),
            lang.pick(v.status_label, v.task.status.as_str()).into(),
            v.task.due_at.into(),
            overdue.into(),
            v.task.target_quantity.into(),
            v.task.quantity_done.into(),
            v.children.total.into(),
            v.children.verified.into(),
            v.children.completion.into(),
            v.task.submitted_at.into(),
            v.task.verified_at.into(),
            v.task.id.into(),
        ]);
    }
    t
}

/// `GET /api/v1/tasks/{id}`: the task, its timeline and its children.
pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let t = state.db(move |conn| tasks::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: String,
    note: Option<String>,
    expected_version: Option<i64>,
}

/// `POST /api/v1/tasks/{id}/transitions`: accept, submit, verify, return, cancel.
pub async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<TransitionBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    check.done()?;
    let t = state.db(move |conn| tasks::act(conn, &caller, &id, &body.action, note, body.expected_version)).await?;
    Ok(HttpResponse::Ok().json(t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecomposeBody {
    to: String,
    due_at: Option<Value>,
}

/// `POST /api/v1/tasks/{id}/decompose {"to": "streets|communities|cells|departments"}`
pub async fn decompose(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<DecomposeBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let to = match body.to.as_str() {
        "streets" => Some(Unit::Street),
        "communities" => Some(Unit::Community),
        "cells" => Some(Unit::Cell),
        "departments" => Some(Unit::Department),
        _ => {
            check.push("to", "must be streets, communities, cells or departments");
            None
        }
    };
    let due_at = body.due_at.as_ref().filter(|v| !v.is_null()).and_then(|v| check.time("due_at", v));
    check.done()?;
    let to = to.unwrap_or(Unit::Street);
    let t = state.db(move |conn| tasks::decompose(conn, &caller, &id, to, due_at)).await?;
    Ok(HttpResponse::Ok().json(t))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    quantity: Option<i64>,
    note: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    attachments: Vec<String>,
}

/// `POST /api/v1/tasks/{id}/progress {"quantity","note","attachments"}`
pub async fn progress(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<ProgressBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let quantity = body.quantity.unwrap_or(0);
    if !(0..=MAX_QUANTITY).contains(&quantity) {
        check.push("quantity", format!("must be a whole number from 0 to {MAX_QUANTITY}"));
    }
    let note = body.note.map(|n| check.text("note", &n, 2000, false)).filter(|n| !n.is_empty());
    let attachments = check.attachments(body.attachments);
    if quantity == 0 && note.is_none() && attachments.is_empty() {
        check.push("quantity", "a progress report says what was done: a quantity, a note or photos");
    }
    check.done()?;
    let p = Progress { quantity, note, attachments, made: None };
    let t = state.db(move |conn| tasks::progress(conn, &caller, &id, p)).await?;
    Ok(HttpResponse::Ok().json(t))
}
