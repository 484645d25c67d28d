//! 专项行动 over HTTP: plan a campaign, start, close and review it, publish its notices and
//! sign for them, read its figures and its chart of cases across the key dates.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use gridhub_store::campaigns::{
    self, CampaignStatus, KeyDate, METRICS, NewCampaign, NewMember, Target, figures, notices,
};
use gridhub_store::input::Check;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, Query, cursor, list_query, or_default};
use crate::pictures::charts;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    department_id: String,
    role: Option<String>,
    duty: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDateBody {
    date: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBody {
    name: String,
    description: Option<String>,
    district_ids: Vec<String>,
    lead_department_id: String,
    #[serde(default, deserialize_with = "or_default")]
    members: Vec<MemberBody>,
    starts_at: Value,
    ends_at: Value,
    #[serde(default, deserialize_with = "or_default")]
    key_dates: Vec<KeyDateBody>,
    #[serde(default, deserialize_with = "or_default")]
    watched_categories: Vec<String>,
    #[serde(default, deserialize_with = "or_default")]
    targets: Vec<Target>,
    natural_time: Option<bool>,
}

/// The longest a campaign runs.
const LONGEST_DAYS: i64 = 366;

/// `POST /api/v1/campaigns`
pub async fn create(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Json(body): Json<NewBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let name = check.name("name", &body.name);
    let description = body.description.map(|d| check.text("description", &d, 2000, false)).unwrap_or_default();
    if body.district_ids.is_empty() || body.district_ids.len() > 50 {
        check.push("district_ids", "must name 1 to 50 districts");
    }
    let starts_at = check.time("starts_at", &body.starts_at);
    let ends_at = check.time("ends_at", &body.ends_at);
    if let (Some(s), Some(e)) = (starts_at, ends_at)
        && (e <= s || (e - s).num_days() > LONGEST_DAYS)
    {
        check.push("ends_at", "must be after starts_at, at most 366 days later");
    }
    if body.members.len() > 100 {
        check.push("members", "at most 100");
    }
    let members: Vec<NewMember> = body
        .members
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let role = m.role.unwrap_or_else(|| "member".into());
            if role != "lead" && role != "member" {
                check.push(format!("members[{i}].role"), "must be lead or member");
            }
            let duty = check.text(&format!("members[{i}].duty"), m.duty.as_deref().unwrap_or(""), 500, false);
            NewMember { department_id: m.department_id, role, duty }
        })
        .collect();
    if body.key_dates.len() > 50 {
        check.push("key_dates", "at most 50");
    }
    let key_dates: Vec<KeyDate> = body
        .key_dates
        .into_iter()
        .enumerate()
        .filter_map(|(i, k)| {
            let name = check.name(&format!("key_dates[{i}].name"), &k.name);
            match NaiveDate::parse_from_str(&k.date, "%Y-%m-%d") {
                Ok(date) => Some(KeyDate { date, name }),
                Err(_) => {
                    check.push(format!("key_dates[{i}].date"), "must be a date like 2026-02-16");
                    None
                }
            }
        })
        .collect();
    if body.watched_categories.len() > 50 {
        check.push("watched_categories", "at most 50");
    }
    for (i, t) in body.targets.iter().enumerate() {
        if !METRICS.iter().any(|m| m.0 == t.metric) {
            let all: Vec<&str> = METRICS.iter().map(|m| m.0).collect();
            check.push(format!("targets[{i}].metric"), format!("must be one of {}", all.join(", ")));
        }
        if !(0.0..=1_000_000.0).contains(&t.value) {
            check.push(format!("targets[{i}].value"), "must be from 0 to 1000000");
        }
    }
    check.done()?;
    let new = NewCampaign {
        name,
        description,
        district_ids: body.district_ids,
        lead_department_id: body.lead_department_id,
        members,
        starts_at: starts_at.unwrap_or_default(),
        ends_at: ends_at.unwrap_or_default(),
        natural_time: body.natural_time.unwrap_or(false),
        key_dates,
        watched_categories: body.watched_categories,
        targets: body.targets,
    };
    let c = state.db(move |conn| campaigns::create(conn, &caller, new)).await?;
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/campaigns/{}", c.campaign.id))).json(c))
}

list_query! {
    pub struct ListQuery { status }
}

/// `GET /api/v1/campaigns?status=`
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = q.page()?;
    let status = q
        .status
        .map(|s| {
            CampaignStatus::parse(&s)
                .ok_or_else(|| ApiError::bad_field("status", format!("must be one of {}", CampaignStatus::names())))
        })
        .transpose()?;
    let rows = state.db(move |conn| campaigns::list(conn, &caller, status, &page)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows.items, "next_cursor": cursor(rows.next_after)})))
}

/// `GET /api/v1/campaigns/{id}`
pub async fn get(state: web::Data<AppState>, Authenticated(caller): Authenticated, id: Id) -> ApiResult<HttpResponse> {
    let c = state.db(move |conn| campaigns::find(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: String,
    note: Option<String>,
}

/// `POST /api/v1/campaigns/{id}/transitions`: activate, close, review.
pub async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<TransitionBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let note = body.note.map(|n| check.text("note", &n, 4000, false));
    check.done()?;
    let c = state.db(move |conn| campaigns::act(conn, &caller, &id, &body.action, note)).await?;
    Ok(HttpResponse::Ok().json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    title: String,
    body: String,
}

/// `POST /api/v1/campaigns/{id}/notices`
pub async fn publish(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NoticeBody>,
) -> ApiResult<HttpResponse> {
    let mut check = Check::default();
    let title = check.text("title", &body.title, 100, true);
    let text = check.text("body", &body.body, 5000, true);
    check.done()?;
    let n = state.db(move |conn| notices::publish(conn, &caller, &id, title, text)).await?;
    Ok(HttpResponse::Created().json(n))
}

/// `GET /api/v1/campaigns/{id}/notices`: each with who has signed.
pub async fn notices(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let items = state.db(move |conn| notices::list(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}

/// `POST /api/v1/campaigns/{id}/notices/{notice_id}/sign`: 签收, by a member department's staff.
pub async fn sign(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, notice) = path.into_inner();
    let n = state.db(move |conn| notices::sign(conn, &caller, &id, &notice)).await?;
    Ok(HttpResponse::Ok().json(n))
}

/// `GET /api/v1/campaigns/{id}/figures`
pub async fn figures(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let f = state.db(move |conn| figures::of(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(f))
}

/// `GET /api/v1/campaigns/{id}/chart.svg`: cases per day across the key dates.
pub async fn chart(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let f = state.db(move |conn| figures::of(conn, &caller, &id)).await?;
    let days: Vec<(String, i64, Option<String>)> =
        f.per_day.iter().map(|d| (d.date.to_string(), d.cases, d.key_date.clone())).collect();
    let zero = f.communities.zero_case_share.map_or("—".to_owned(), |s| format!("{s:.1}%"));
    let subtitle = format!("{} 至 {} · 案件 {} 件 · 零发案社区 {}", f.from, f.to, f.cases, zero);
    let body = charts::key_dates(&format!("{} 每日案件", f.name), &subtitle, &days);
    Ok(HttpResponse::Ok().content_type("image/svg+xml; charset=utf-8").body(body))
}
