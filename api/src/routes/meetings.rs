//! 基层会商日 and 联席会议 over HTTP: agenda items raised by streets and communities (and the
//! candidates gridhub proposes), meetings and the district's consultation-day rotation, the
//! decisions whose milestones become departments' tasks, the plan as a table and a Gantt chart,
//! the report, and the minutes as JSON or a printable page.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::clocks::calendar;
use gridhub_store::input::Check;
use gridhub_store::meetings::agenda::{self, ItemStatus, NewItem};
use gridhub_store::meetings::decisions::{self, NewDecision, NewMilestone, PlanRow};
use gridhub_store::meetings::{self, MeetingKind, MeetingStatus, NewMeeting, NewTurn, candidates};
use gridhub_store::tasks::Unit;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Format, Table};
use crate::input::{Id, Json, Query, cursor, list_query, or_default};
use crate::language;
use crate::pictures::{charts, escape};
use crate::state::AppState;

fn parsed<T>(field: &str, text: Option<String>, parse: fn(&str) -> Option<T>, names: String) -> ApiResult<Option<T>> {
    text.map(|s| parse(&s).ok_or_else(|| ApiError::bad_field(field, format!("must be one of {names}")))).transpose()
}

/// `GET /api/v1/agenda-classes?district_id=`: the four every district has, and the district's own.
pub async fn classes(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<DistrictQuery>,
) -> ApiResult<HttpResponse> {
    let district = query.into_inner().district_id.or_else(|| caller.reach().district().map(str::to_owned));
    let rows = state.db(move |conn| agenda::classes(conn, district.as_deref())).await?;
    let items: Vec<Value> = rows.into_iter().map(|(code, name)| json!({"code": code, "name": name})).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictQuery {
    district_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    code: String,
    name: String,
}

/// `POST /api/v1/agenda-classes {"code","name"}`: a district admin adds a class of its own.
pub async fn add_class(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<ClassBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let name = check.name("name", &body.name);
    check.done()?;
    let rows = state.db(move |conn| agenda::add_class(conn, &caller, body.code.trim(), &name)).await?;
    let items: Vec<Value> = rows.into_iter().map(|(code, name)| json!({"code": code, "name": name})).collect();
    Ok(HttpResponse::Created().json(json!({"items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaisedBy {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    title: String,
    description: Option<String>,
    class: String,
    raised_by: RaisedBy,
    #[serde(default, deserialize_with = "or_default")]
    needs: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    case_ids: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    whistle_ids: Vec<String>,
    proposed_lead_department_id: Option<String>,
    proposed_because: Option<String>,
}

/// `POST /api/v1/agenda-items`
pub async fn raise(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<ItemBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let title = check.name("title", &body.title);
    let description = body.description.map(|d| check.text("description", &d, 4000, false)).unwrap_or_default();
    let because = body.proposed_because.map(|d| check.text("proposed_because", &d, 500, false));
    let unit = match body.raised_by.kind.as_str() {
        "street" => Unit::Street,
        "community" => Unit::Community,
        _ => {
            check.push("raised_by.type", "must be street or community");
            Unit::Street
        }
    };
    for (field, n) in
        [("needs", body.needs.len()), ("case_ids", body.case_ids.len()), ("whistle_ids", body.whistle_ids.len())]
    {
        if n > 50 {
            check.push(field, "at most 50");
        }
    }
    check.done()?;
    let new = NewItem {
        title,
        description,
        class: body.class,
        raised_by: (unit, body.raised_by.id),
        needs: body.needs,
        case_ids: body.case_ids,
        whistle_ids: body.whistle_ids,
        proposed_lead_department_id: body.proposed_lead_department_id,
        proposed_because: because,
    };
    let item = state.db(move |conn| agenda::raise(conn, &caller, new)).await?;
    let location = format!("/api/v1/agenda-items/{}", item.view.item.id);
    Ok(HttpResponse::Created().insert_header(("Location", location)).json(item))
}

list_query! {
    pub struct ItemsQuery { street_id, status, class }
}

/// `GET /api/v1/agenda-items?street_id=&status=&class=`
pub async fn items(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ItemsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let status = parsed("status", q.status, ItemStatus::parse, ItemStatus::names())?;
    let rows = state
        .db(move |conn| agenda::list(conn, &caller, q.street_id.as_deref(), status, q.class.as_deref(), &page))
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetQuery {
    street_id: Option<String>,
}

/// `GET /api/v1/agenda-items/candidates?street_id=`: what gridhub proposes, and why.
pub async fn candidates(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<StreetQuery>,
) -> ApiResult<HttpResponse> {
    let street = query.into_inner().street_id.ok_or_else(|| ApiError::bad_field("street_id", "is required"))?;
    let hours = state.policy.hours.clone();
    let rows = state
        .db(move |conn| {
            let cal = calendar::load(conn, &hours)?;
            candidates::candidates(conn, &caller, &street, &cal)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `GET /api/v1/agenda-items/{id}`: the item with its history.
pub async fn item(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let item = state.db(move |conn| agenda::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(item))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: String,
    note: Option<String>,
    expected_version: Option<i64>,
}

/// `POST /api/v1/agenda-items/{id}/transitions`: screen, carry, decline.
pub async fn item_transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<TransitionBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let note = body.note.map(|n| check.text("note", &n, 2000, false));
    check.done()?;
    let item = state.db(move |conn| agenda::act(conn, &caller, &id, &body.action, note, body.expected_version)).await?;
    Ok(HttpResponse::Ok().json(item))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attendees {
    #[serde(default, deserialize_with = "or_default")]
    departments: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    people: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    kind: String,
    district_id: String,
    street_id: Option<String>,
    title: Option<String>,
    host: String,
    starts_at: Value,
    place: String,
    attendees: Option<Attendees>,
}

/// `POST /api/v1/meetings`
pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<MeetingBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let kind = MeetingKind::parse(&body.kind);
    if kind.is_none() {
        check.push("kind", format!("must be one of {}", MeetingKind::names()));
    }
    let title = body.title.map(|t| check.name("title", &t));
    let host = check.name("host", &body.host);
    let place = check.name("place", &body.place);
    let starts_at = check.time("starts_at", &body.starts_at);
    let attendees = body.attendees.unwrap_or(Attendees { departments: vec![], people: vec![] });
    if attendees.departments.len() > 100 || attendees.people.len() > 100 {
        check.push("attendees", "at most 100 departments and 100 people");
    }
    let people: Vec<String> =
        attendees.people.iter().enumerate().map(|(i, p)| check.name(&format!("attendees.people[{i}]"), p)).collect();
    check.done()?;
    let new = NewMeeting {
        kind: kind.unwrap_or(MeetingKind::Joint),
        district_id: body.district_id,
        street_id: body.street_id,
        title,
        host,
        starts_at: starts_at.unwrap_or_default(),
        place,
        departments: attendees.departments,
        people,
    };
    let m = state.db(move |conn| meetings::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/meetings/{}", m.meeting.id))).json(m))
}

list_query! {
    pub struct MeetingsQuery { kind, street_id, status }
}

/// `GET /api/v1/meetings?kind=&street_id=&status=`
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<MeetingsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let kind = parsed("kind", q.kind, MeetingKind::parse, MeetingKind::names())?;
    let status = parsed("status", q.status, MeetingStatus::parse, MeetingStatus::names())?;
    let rows = state.db(move |conn| meetings::list(conn, &caller, kind, q.street_id.as_deref(), status, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

/// `GET /api/v1/meetings/{id}`: the meeting, its agenda and its decisions.
pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let (m, d) = state
        .db(move |conn| {
            let m = meetings::find(conn, &caller, &id)?;
            let d = decisions::of_meeting(conn, &id)?;
            Ok((m, d))
        })
        .await?;
    let mut body = serde_json::to_value(m).unwrap_or_default();
    body["decisions"] = json!(d);
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaBody {
    agenda_item_ids: Vec<String>,
}

/// `POST /api/v1/meetings/{id}/agenda {"agenda_item_ids"}`: the items carried on come too.
pub async fn agenda(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<AgendaBody>,
) -> ApiResult<HttpResponse> {
    if body.agenda_item_ids.len() > 100 {
        return Err(ApiError::bad_field("agenda_item_ids", "at most 100"));
    }
    let m = state.db(move |conn| meetings::set_agenda(conn, &caller, &id, &body.agenda_item_ids)).await?;
    Ok(HttpResponse::Ok().json(m))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingMove {
    action: String,
    note: Option<String>,
}

/// `POST /api/v1/meetings/{id}/transitions {"action": "hold|publish_minutes", "note"}`
pub async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<MeetingMove>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let note = body.note.map(|n| check.text("note", &n, 4000, false));
    check.done()?;
    let m = state.db(move |conn| meetings::act(conn, &caller, &id, &body.action, note)).await?;
    Ok(HttpResponse::Ok().json(m))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    title: String,
    owner_department_id: String,
    #[serde(default, deserialize_with = "or_default")]
    co_department_ids: Vec<String>,
    due_at: Value,
    deliverable: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    agenda_item_id: String,
    summary: String,
    milestones: Vec<MilestoneBody>,
}

/// `POST /api/v1/meetings/{id}/decisions`: each milestone becomes a department's task.
pub async fn decide(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<DecisionBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let summary = check.text("summary", &body.summary, 2000, true);
    if body.milestones.is_empty() || body.milestones.len() > 30 {
        check.push("milestones", "must name 1 to 30 milestones");
    }
    let mut milestones = Vec::new();
    for (i, m) in body.milestones.into_iter().enumerate() {
        let title = check.name(&format!("milestones[{i}].title"), &m.title);
        let due_at = check.time(&format!("milestones[{i}].due_at"), &m.due_at);
        let deliverable = m
            .deliverable
            .map(|d| check.text(&format!("milestones[{i}].deliverable"), &d, 500, false))
            .unwrap_or_default();
        if m.co_department_ids.len() > 20 {
            check.push(format!("milestones[{i}].co_department_ids"), "at most 20");
        }
        milestones.push(NewMilestone {
            title,
            owner_department_id: m.owner_department_id,
            co_department_ids: m.co_department_ids,
            due_at: due_at.unwrap_or_default(),
            deliverable,
        });
    }
    check.done()?;
    let new = NewDecision { agenda_item_id: body.agenda_item_id, summary, milestones };
    let d = state.db(move |conn| decisions::decide(conn, &caller, &id, new)).await?;
    Ok(HttpResponse::Created().json(d))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    format: Option<String>,
}

/// `GET /api/v1/meetings/{id}/plan?format=json|csv|xlsx`: the timetable and division of work.
pub async fn plan(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let format = Format::of(query.into_inner().format.as_deref(), &req)?;
    let rows = state.db(move |conn| decisions::plan(conn, &caller, &id)).await?;
    if format.is_table() {
        return exports::answer(&plan_table(rows), format);
    }
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// The plan as a sheet (任务分工表), in the answer's language.
fn plan_table(rows: Vec<PlanRow>) -> Table {
    let mut t = Table::new(
        ("任务分工表", "plan"),
        &[
            ("议题", "agenda_item"),
            ("决定", "decision"),
            ("节点任务", "milestone"),
            ("牵头部门", "owner_department"),
            ("配合部门", "co_departments"),
            ("交付成果", "deliverable"),
            ("完成时限", "due_at"),
            ("状态", "status"),
            ("是否超期", "overdue"),
            ("核验时间", "verified_at"),
            ("任务编号", "task_id"),
        ],
    );
    let lang = language::current();
    for r in rows {
        t.push(vec![
            r.item_title.into(),
            r.decision.into(),
            r.milestone.into(),
            r.owner_department.into(),
            r.co_departments.join("、").into(),
            r.deliverable.into(),
            r.due_at.into(),
            lang.pick(r.status_label, r.status.as_str()).into(),
            lang.pick(if r.overdue { "是" } else { "否" }, if r.overdue { "yes" } else { "no" }).into(),
            r.verified_at.into(),
            r.task_id.into(),
        ]);
    }
    t
}

/// `GET /api/v1/meetings/{id}/plan.svg`: milestones by department over time, done ones marked,
/// overdue ones red.
pub async fn plan_svg(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let (m, rows) = state
        .db(move |conn| {
            let m = meetings::find(conn, &caller, &id)?;
            Ok((m, decisions::plan(conn, &caller, &id)?))
        })
        .await?;
    let body = charts::gantt(&format!("{} 实施时间表", m.meeting.title), &subtitle(&m, &rows), &bars(&rows));
    Ok(HttpResponse::Ok().content_type("image/svg+xml; charset=utf-8").body(body))
}

fn subtitle(m: &meetings::MeetingView, rows: &[PlanRow]) -> String {
    let done = rows.iter().filter(|r| r.done).count();
    let late = rows.iter().filter(|r| r.overdue).count();
    let day = gridhub_store::time::local_date(m.meeting.starts_at);
    format!("{} · {} · 节点 {} 个，已完成 {}，超期 {}", day.format("%Y-%m-%d"), m.meeting.place, rows.len(), done, late)
}

fn bars(rows: &[PlanRow]) -> Vec<charts::Bar> {
    rows.iter()
        .map(|r| charts::Bar {
            group: r.owner_department.clone(),
            label: r.milestone.clone(),
            from: r.starts_at,
            to: r.due_at,
            done: r.done,
            late: r.overdue,
        })
        .collect()
}

/// `GET /api/v1/meetings/{id}/report`: per item decided, done, late, continuing; 解决率; each
/// department's milestones on time.
pub async fn report(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let r = state.db(move |conn| decisions::report(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(r))
}

/// `GET /api/v1/meetings/{id}/minutes?format=json|html`: the record of the meeting — as JSON, or
/// as a printable page (also for `Accept: text/html`) with the plan's chart.
pub async fn minutes(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let html = match query.into_inner().format.as_deref() {
        Some("html") => true,
        Some("json") => false,
        None => req
            .headers()
            .get(actix_web::http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
        Some(_) => return Err(ApiError::bad_field("format", "must be json or html")),
    };
    let (m, d, r) = state
        .db(move |conn| {
            let m = meetings::find(conn, &caller, &id)?;
            let d = decisions::of_meeting(conn, &id)?;
            let r = decisions::report(conn, &caller, &id)?;
            Ok((m, d, r))
        })
        .await?;
    if !html {
        return Ok(HttpResponse::Ok().json(json!({"meeting": m, "decisions": d, "report": r})));
    }
    let rows: Vec<PlanRow> = d.iter().flat_map(|d| d.milestones.clone()).collect();
    let chart = charts::gantt(&format!("{} 实施时间表", m.meeting.title), &subtitle(&m, &rows), &bars(&rows));
    let mut page = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title} 会议纪要</title>\
         <style>body{{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;max-width:960px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;width:100%;margin:1em 0}}td,th{{border:1px solid #999;padding:4px 8px;text-align:left}}\
         .late{{color:#d0453a}}@media print{{body{{margin:0}}}}</style></head><body>\
         <h1>{title} 会议纪要</h1><p>时间：{time}　地点：{place}　主持：{host}　状态：{status}</p>",
        title = escape(&m.meeting.title),
        time = (m.meeting.starts_at + gridhub_store::time::CHINA_OFFSET).format("%Y年%-m月%-d日 %H:%M"),
        place = escape(&m.meeting.place),
        host = escape(&m.meeting.host),
        status = m.status_label,
    );
    let people: Vec<String> = serde_json::from_str(&m.meeting.people).unwrap_or_default();
    if !people.is_empty() {
        page.push_str(&format!("<p>参会人员：{}</p>", escape(&people.join("、"))));
    }
    if let Some(s) = &m.meeting.summary {
        page.push_str(&format!("<h2>会议总体意见</h2><p>{}</p>", escape(s)));
    }
    page.push_str(
        "<h2>议题与决定</h2><table><tr><th>#</th><th>议题</th><th>提出单位</th><th>决定</th><th>状态</th></tr>",
    );
    for (k, item) in m.agenda.iter().enumerate() {
        let decision =
            d.iter().find(|d| d.agenda_item_id == item.item.id).map(|d| d.summary.clone()).unwrap_or_default();
        // an item carried on is 持续推进 in this meeting's record, wherever it stands now
        let carried = r.items.iter().any(|l| l.agenda_item_id == item.item.id && l.continuing);
        let status = if carried { "持续推进（转下次会议）" } else { item.status_label };
        page.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            k + 1,
            escape(&item.item.title),
            escape(&item.raised_by_name),
            escape(&decision),
            status
        ));
    }
    page.push_str("</table><h2>任务分工</h2><table><tr><th>节点任务</th><th>牵头部门</th><th>配合部门</th><th>完成时限</th><th>状态</th></tr>");
    for r in &rows {
        let due = gridhub_store::time::local_date(r.due_at);
        page.push_str(&format!(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            if r.overdue { " class=\"late\"" } else { "" },
            escape(&r.milestone),
            escape(&r.owner_department),
            escape(&r.co_departments.join("、")),
            due,
            r.status_label,
            if r.overdue { "（超期）" } else { "" }
        ));
    }
    let rate = r.resolution_rate.map_or("—".to_owned(), |v| format!("{v:.1}%"));
    page.push_str(&format!(
        "</table><p>议题 {} 项，形成决定 {} 项，已解决 {} 项，持续推进 {} 项；解决率 {}。</p>{chart}</body></html>",
        r.on_agenda, r.decided, r.resolved, r.continuing, rate
    ));
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnBody {
    month: String,
    street_id: String,
    starts_at: Option<Value>,
    place: Option<String>,
    host: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    months: Vec<TurnBody>,
}

/// `PUT /api/v1/districts/{id}/consultation-rotation {"months":[{"month","street_id",…}]}`
pub async fn put_rotation(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<RotationBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    if body.months.len() > 24 {
        check.push("months", "at most 24");
    }
    let mut turns = Vec::new();
    for (i, t) in body.months.into_iter().enumerate() {
        let starts_at = t
            .starts_at
            .as_ref()
            .filter(|v| !v.is_null())
            .and_then(|v| check.time(&format!("months[{i}].starts_at"), v));
        let place = t.place.map(|p| check.name(&format!("months[{i}].place"), &p));
        let host = t.host.map(|p| check.name(&format!("months[{i}].host"), &p));
        turns.push(NewTurn { month: t.month, street_id: t.street_id, starts_at, place, host });
    }
    check.done()?;
    let rows = state.db(move |conn| meetings::set_rotation(conn, &caller, &id, turns)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `GET /api/v1/districts/{id}/consultation-rotation`
pub async fn rotation(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let rows = state.db(move |conn| meetings::rotation(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}
