//! The office's desk over HTTP: the to-do (待办), the figures (绩效评价) and rankings, the
//! district's assessment scheme, the charts, and the monthly analysis (民情研判) with its minutes.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use gridhub_store::access::Place;
use gridhub_store::cases::category::Step;
use gridhub_store::cases::tally;
use gridhub_store::supervision::digest::{self, Level, NewMinutes};
use gridhub_store::supervision::figures::scheme::{self, NewScheme};
use gridhub_store::supervision::figures::{self, Ask, Period, UnitKind, rates};
use gridhub_store::supervision::todo;
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Cell, Format, Table};
use crate::input::{Id, Json, NoQuery, Query};
use crate::pictures::{charts, digest as page};
use crate::state::AppState;

/// `GET /api/v1/todo`: what awaits the caller.
pub async fn todo(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let todo = state.db(move |conn| todo::todo(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(todo))
}

fn unit(value: Option<&str>) -> ApiResult<UnitKind> {
    let text =
        value.ok_or_else(|| ApiError::bad_field("unit", format!("is required: one of {}", UnitKind::names())))?;
    UnitKind::parse(text).ok_or_else(|| ApiError::bad_field("unit", format!("must be one of {}", UnitKind::names())))
}

/// A kind of unit a district ranks.
fn ranked(value: Option<&str>) -> ApiResult<UnitKind> {
    let unit = unit(value)?;
    if !scheme::RANKED.contains(&unit) {
        return Err(ApiError::bad_field("unit", "must be department, street, community or worker"));
    }
    Ok(unit)
}

fn month(value: Option<&str>) -> ApiResult<(String, Period)> {
    let text = value.map_or_else(Period::this_month, str::to_owned);
    let period = Period::month(&text).ok_or_else(|| ApiError::bad_field("month", "must be a month, YYYY-MM"))?;
    Ok((text, period))
}

fn date(field: &str, value: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| ApiError::bad_field(field, "must be a date, YYYY-MM-DD"))
}

/// The period of `from` and `to` (both inclusive), else of `month`, else this month.
fn period(from: Option<&str>, to: Option<&str>, month_text: Option<&str>) -> ApiResult<Period> {
    match (from, to) {
        (None, None) => Ok(month(month_text)?.1),
        (Some(f), Some(t)) => {
            if month_text.is_some() {
                return Err(ApiError::bad_field("month", "give a month or from and to, not both"));
            }
            let (from, to) = (date("from", f)?, date("to", t)?);
            if to < from {
                return Err(ApiError::bad_field("to", "must not be before from"));
            }
            if (to - from).num_days() > 366 {
                return Err(ApiError::bad_field("to", "a period is at most 367 days"));
            }
            Ok(Period { from, to })
        }
        (None, Some(_)) => Err(ApiError::bad_field("from", "is required with to")),
        (Some(_), None) => Err(ApiError::bad_field("to", "is required with from")),
    }
}

fn category(value: Option<String>) -> ApiResult<Option<String>> {
    match value {
        Some(c) if gridhub_store::category::parse_code(&c).is_err() => {
            Err(ApiError::bad_field("category", "must be a category code: SJ05 (大类) or SJ0501 (小类)"))
        }
        c => Ok(c),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    unit: Option<String>,
    id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    month: Option<String>,
    category: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/figures?unit=&id=&from=&to=&category=`, as JSON, CSV or XLSX.
pub async fn figures(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<FiguresQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let format = Format::of(q.format.as_deref(), &req)?;
    let unit = unit(q.unit.as_deref())?;
    unit.require_readable(caller.role)?;
    let period = period(q.from.as_deref(), q.to.as_deref(), q.month.as_deref())?;
    let category = category(q.category)?;
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let items = state
        .db(move |conn| {
            let ask =
                Ask { unit, id: q.id.as_deref(), within: Place::default(), period, category: category.as_deref() };
            figures::figures(conn, &caller, &ask)
        })
        .await?;
    if format.is_table() {
        let mut t =
            Table::new(("绩效指标", "figures"), &[("单位", "unit"), ("编码", "code"), ("从", "from"), ("到", "to")]);
        figure_columns(&mut t);
        for f in &items {
            let mut row = vec![f.name.as_str().into(), f.code.clone().into(), from.as_str().into(), to.as_str().into()];
            row.extend(figure_cells(f));
            t.push(row);
        }
        return exports::answer(&t, format);
    }
    Ok(HttpResponse::Ok().json(json!({"unit": unit, "from": from, "to": to, "items": items})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingsQuery {
    unit: Option<String>,
    district_id: Option<String>,
    month: Option<String>,
    format: Option<String>,
}

/// The columns of a unit's figures in an export: its counts, its rates in percent (to one
/// decimal), the mean minutes of each step (on each case's clock) — named as `docs/figures.md` names them.
fn figure_columns(t: &mut Table) {
    for c in tally::COUNTS.iter().filter(|c| !c.name.ends_with("_minutes")) {
        t.column(c.label, c.name);
    }
    for (name, label, _) in rates::OTHER_COUNTS {
        t.column(label, name);
    }
    for r in rates::RATES {
        t.column(&format!("{}(%)", r.label), &format!("{} (%)", r.name));
    }
    for s in Step::ALL {
        t.column(&format!("{}平均用时(分钟)", s.label()), &format!("{} mean minutes", s.as_str()));
    }
}

fn figure_cells(f: &figures::Figures) -> Vec<Cell> {
    let mut row: Vec<Cell> = Vec::new();
    row.extend(tally::COUNTS.iter().filter(|c| !c.name.ends_with("_minutes")).map(|c| f.counts.get(c.name).into()));
    row.extend(rates::OTHER_COUNTS.iter().map(|(name, _, _)| f.counts.get(name).into()));
    row.extend(
        rates::RATES.iter().map(|r| f.rates.get(r.name).copied().flatten().map(|v| (v * 1000.0).round() / 10.0).into()),
    );
    row.extend(Step::ALL.iter().map(|s| f.mean_minutes.get(s.as_str()).copied().flatten().map(|m| m.round()).into()));
    row
}

/// The district a ranking is of: the one named, else the caller's own.
fn district_of(caller: &gridhub_store::Caller, named: Option<String>) -> ApiResult<String> {
    named
        .or_else(|| caller.reach().district().map(str::to_owned))
        .ok_or_else(|| ApiError::bad_field("district_id", "is required: the district whose units are ranked"))
}

/// `GET /api/v1/rankings?unit=department|street|community|worker&district_id=&month=YYYY-MM`, as
/// JSON, CSV or XLSX.
pub async fn rankings(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<RankingsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let format = Format::of(q.format.as_deref(), &req)?;
    let unit = ranked(q.unit.as_deref())?;
    unit.require_readable(caller.role)?;
    let (month, _) = month(q.month.as_deref())?;
    let district = district_of(&caller, q.district_id)?;
    let ranking = state.db(move |conn| scheme::rankings(conn, &caller, unit, &district, &month)).await?;
    if format.is_table() {
        let mut t = Table::new(
            ("排名", "rankings"),
            &[("名次", "rank"), ("单位", "unit"), ("编码", "code"), ("得分", "score"), ("月份", "month")],
        );
        figure_columns(&mut t);
        for r in &ranking.items {
            let f = &r.figures;
            let mut row = vec![
                r.rank.map(|n| n as i64).into(),
                f.name.as_str().into(),
                f.code.clone().into(),
                r.score.map(|s| (s * 10.0).round() / 10.0).into(),
                ranking.month.as_str().into(),
            ];
            row.extend(figure_cells(f));
            t.push(row);
        }
        return exports::answer(&t, format);
    }
    Ok(HttpResponse::Ok().json(ranking))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeQuery {
    month: Option<String>,
}

/// `GET /api/v1/districts/{id}/assessment-scheme?month=`: the scheme in force in the month, and
/// every version.
pub async fn get_scheme(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<SchemeQuery>,
) -> ApiResult<HttpResponse> {
    let (month, _) = month(query.month.as_deref())?;
    let (in_force, versions) = state
        .db(move |conn| {
            gridhub_store::regions::district::find(conn, &caller, &id)?;
            Ok((scheme::in_force(conn, &id, &month)?, scheme::versions(conn, &id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"in_force": in_force, "versions": versions})))
}

/// `PUT /api/v1/districts/{id}/assessment-scheme`: a new version, from a month on.
pub async fn put_scheme(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewScheme>,
) -> ApiResult<HttpResponse> {
    let s = state
        .db(move |conn| {
            gridhub_store::regions::district::find(conn, &caller, &id)?;
            scheme::set(conn, &caller, &id, body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartQuery {
    kind: Option<String>,
    unit: Option<String>,
    id: Option<String>,
    district_id: Option<String>,
    month: Option<String>,
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("image/svg+xml; charset=utf-8").body(body)
}

/// `GET /api/v1/figures/chart.svg?kind=ranking|trend|funnel&…`
pub async fn chart(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<ChartQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let kind = q.kind.clone().ok_or_else(|| ApiError::bad_field("kind", "is required: ranking, trend or funnel"))?;
    let unit = unit(q.unit.as_deref())?;
    unit.require_readable(caller.role)?;
    match kind.as_str() {
        "ranking" => {
            let unit = ranked(q.unit.as_deref())?;
            let (month, _) = month(q.month.as_deref())?;
            let district = district_of(&caller, q.district_id)?;
            let r = state.db(move |conn| scheme::rankings(conn, &caller, unit, &district, &month)).await?;
            let rows: Vec<(String, Option<usize>, Option<f64>)> =
                r.items.iter().map(|i| (i.figures.name.clone(), i.rank, i.score)).collect();
            let title = format!("{} {}综合得分排名", r.month, unit.label());
            Ok(svg(charts::ranking(&title, &format!("满分 100 · 方案：{}", scheme_name(&r.scheme)), &rows)))
        }
        "trend" => {
            if !matches!(unit, UnitKind::District | UnitKind::Street | UnitKind::Community) {
                return Err(ApiError::bad_field("unit", "a trend is of a district, street or community"));
            }
            let (month_text, period) = month(q.month.as_deref())?;
            let id = q.id.ok_or_else(|| ApiError::bad_field("id", "is required: the district, street or community"))?;
            let (name, days) = state
                .db(move |conn| {
                    let (name, place) = figures::place_of(conn, &caller, unit, &id)?;
                    Ok((name, digest::daily(conn, &place, period)?))
                })
                .await?;
            Ok(svg(charts::trend(&format!("{name} 每日立案、结案、超时"), &month_text, &days)))
        }
        "funnel" => {
            let period = period(q.from.as_deref(), q.to.as_deref(), q.month.as_deref())?;
            let id = q.id.ok_or_else(|| ApiError::bad_field("id", "is required: the unit"))?;
            let category = category(q.category)?;
            let f = state
                .db(move |conn| {
                    let ask =
                        Ask { unit, id: Some(&id), within: Place::default(), period, category: category.as_deref() };
                    Ok(figures::figures(conn, &caller, &ask)?.pop())
                })
                .await?
                .ok_or_else(|| ApiError::not_found("no unit in reach has this id"))?;
            let stages = f.funnel();
            Ok(svg(charts::funnel(
                &format!("{} 闭环漏斗", f.name),
                &format!("{} 至 {}", period.from, period.to),
                &stages,
            )))
        }
        _ => Err(ApiError::bad_field("kind", "must be ranking, trend or funnel")),
    }
}

fn scheme_name(s: &scheme::Scheme) -> String {
    match &s.effective_from {
        Some(m) => format!("区考核方案（{m} 起）"),
        None => "默认方案".into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    month: Option<String>,
}

async fn digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: gridhub_store::Caller,
    level: Level,
    id: String,
    month_text: Option<String>,
) -> ApiResult<HttpResponse> {
    let (month, _) = month(month_text.as_deref())?;
    let d = state.db(move |conn| digest::digest(conn, &caller, level, &id, &month)).await?;
    let html = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if html {
        Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page::render(&d)))
    } else {
        Ok(HttpResponse::Ok().json(d))
    }
}

/// `GET /api/v1/communities/{id}/digest?month=` (JSON, or the printable page for `Accept: text/html`)
pub async fn community_digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<DigestQuery>,
) -> ApiResult<HttpResponse> {
    digest(state, req, caller, Level::Community, id.into_inner(), query.into_inner().month).await
}

/// `GET /api/v1/streets/{id}/digest?month=`
pub async fn street_digest(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<DigestQuery>,
) -> ApiResult<HttpResponse> {
    digest(state, req, caller, Level::Street, id.into_inner(), query.into_inner().month).await
}

async fn minutes(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: gridhub_store::Caller,
    level: Level,
    id: String,
    body: NewMinutes,
) -> ApiResult<HttpResponse> {
    let month = req.match_info().get("month").unwrap_or_default().to_owned();
    let m = state.db(move |conn| digest::record_minutes(conn, &caller, level, &id, &month, body)).await?;
    Ok(HttpResponse::Created().json(m))
}

/// `POST /api/v1/communities/{id}/digest/{month}/minutes`
pub async fn community_minutes(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewMinutes>,
) -> ApiResult<HttpResponse> {
    minutes(state, req, caller, Level::Community, id.into_inner(), body).await
}

/// `POST /api/v1/streets/{id}/digest/{month}/minutes`
pub async fn street_minutes(
    state: web::Data<AppState>,
    req: HttpRequest,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<NewMinutes>,
) -> ApiResult<HttpResponse> {
    minutes(state, req, caller, Level::Street, id.into_inner(), body).await
}
