//! Cases over HTTP: file one (idempotently, through the same intake as a phone's report), list
//! and read them, correct them, act on them (the closed loop), merge a duplicate, and read the
//! timeline. Coordinates go in and out in `crs` (WGS-84 stored).

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_geo::Crs;
use gridhub_store::cases::correct::{self, PatchDraft};
use gridhub_store::cases::intake::{self, Draft, NewCase};
use gridhub_store::cases::outcome::{self, Outcome, OutcomeKind};
use gridhub_store::cases::read::{self, CaseFilter, Sort};
use gridhub_store::cases::{self as case, Act, Action, Source, Status};
use gridhub_store::input::Check;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Format, Table};
use crate::input::{
    CrsQuery, Id, Json, NoQuery, Query, RawBody, crs, cursor, etag, flag, given, if_match, json_value, nullable,
    or_default, page, query_time, typed,
};
use crate::language::{self, Lang};
use crate::state::AppState;
use crate::views::case_json;

/// The shape of a new case's body; its values are the intake's to check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewBody {
    source: String,
    category_code: String,
    title: String,
    #[serde(default, deserialize_with = "or_default")]
    description: String,
    lng: f64,
    lat: f64,
    crs: Option<String>,
    address: Option<String>,
    priority: Option<String>,
    reported_at: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
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
            let k = v.as_bytes();
            if !(1..=255).contains(&k.len()) || !k.iter().all(|b| (b'!'..=b'~').contains(b)) {
                return Err(ApiError::bad_field("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
            }
            Some(String::from_utf8_lossy(k).into_owned())
        }
    };
    let value = json_value(&raw)?;
    let body: NewBody = typed(value.clone())?;
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
    let draft = Draft {
        id: None,
        source: Some(body.source),
        category_code: Some(body.category_code),
        title: Some(body.title),
        description: Some(body.description),
        address: body.address,
        priority: body.priority,
        lng: Some(body.lng),
        lat: Some(body.lat),
        crs: body.crs,
        reported_at: text("reported_at").map(Value::String),
        attachments: body.attachments,
    };
    let report = draft.check(Check::default())?;
    let io = report.crs;
    let placement = state.grid.index().place(report.lng, report.lat);
    let new = NewCase { report, placement, idempotency: key.map(|k| (k, format!("{:x}", Sha256::digest(&raw)))) };
    let policy = state.policy.clone();
    let made = state.db(move |conn| intake::create(conn, &caller, &new, &policy)).await?;
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
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    source: Option<String>,
    cell_id: Option<String>,
    unit_cell_id: Option<String>,
    community_id: Option<String>,
    street_id: Option<String>,
    department_id: Option<String>,
    overdue: Option<String>,
    review_due: Option<String>,
    created_from: Option<String>,
    created_to: Option<String>,
    q: Option<String>,
    light: Option<String>,
    sort: Option<String>,
    format: Option<String>,
    crs: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The words of a search, split at spaces (a full-width one too): at most 100 characters in
/// all, and every word must be found.
fn words(q: Option<&str>) -> ApiResult<Vec<String>> {
    let Some(q) = q else { return Ok(Vec::new()) };
    let words: Vec<String> = q.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() || q.chars().count() > 100 {
        return Err(ApiError::bad_field("q", "must be 1 to 100 characters, not only spaces"));
    }
    Ok(words)
}

impl ListQuery {
    fn filter(&self) -> ApiResult<CaseFilter> {
        let mut statuses = Vec::new();
        for s in self.status.iter().flat_map(|s| s.split(',')) {
            statuses.push(Status::parse(s).ok_or_else(|| {
                ApiError::bad_field("status", format!("{s} is not a status; use {}", Status::names()))
            })?);
        }
        if let Some(c) = &self.category {
            gridhub_store::category::parse_code(c).map_err(|e| ApiError::bad_field("category", e))?;
        }
        let source = self
            .source
            .as_deref()
            .map(|s| {
                Source::parse(s)
                    .ok_or_else(|| ApiError::bad_field("source", format!("must be one of {}", Source::names())))
            })
            .transpose()?;
        let light = match self.light.as_deref() {
            None => None,
            Some(l) => Some(
                *case::Case::LIGHTS
                    .iter()
                    .find(|x| **x == l)
                    .ok_or_else(|| ApiError::bad_field("light", "must be green, yellow or red"))?,
            ),
        };
        Ok(CaseFilter {
            statuses,
            category: self.category.clone(),
            source,
            cell_id: self.cell_id.clone(),
            unit_cell_id: self.unit_cell_id.clone(),
            community_id: self.community_id.clone(),
            street_id: self.street_id.clone(),
            department_id: self.department_id.clone(),
            overdue: flag("overdue", self.overdue.as_deref())?,
            review_due: flag("review_due", self.review_due.as_deref())?,
            received_from: query_time("created_from", self.created_from.as_deref())?,
            received_to: query_time("created_to", self.created_to.as_deref())?,
            words: words(self.q.as_deref())?,
            light,
        })
    }

    fn sort(&self) -> ApiResult<Sort> {
        self.sort.as_deref().map_or(Ok(Sort::default()), |s| {
            Sort::parse(s).ok_or_else(|| ApiError::bad_field("sort", format!("must be {}", Sort::NAMES)))
        })
    }
}

/// `GET /api/v1/cases`: the cases the caller may see, newest first (or by `sort`); as a page of
/// JSON, or the whole selection as CSV or XLSX (`format`, or `Accept`).
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    Query(q): Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let out = crs(q.crs.as_deref())?;
    let format = Format::of(q.format.as_deref(), &req)?;
    let page = page(q.limit.as_deref(), q.cursor.as_deref())?;
    let (filter, sort) = (q.filter()?, q.sort()?);
    if page.after.as_deref().is_some_and(|c| sort.after(c).is_none()) {
        return Err(ApiError::bad_field("cursor", "is not a cursor this server gave out"));
    }
    let policy = state.policy.clone();
    if format.is_table() {
        let all = state
            .db(move |conn| exports::every_page(|page| read::list(conn, &caller, &filter, sort, page, &policy)))
            .await?;
        exports::within_limit(all.len())?;
        return exports::answer(&case_table(&all, out), format);
    }
    let rows = state.db(move |conn| read::list(conn, &caller, &filter, sort, &page, &policy)).await?;
    let items: Vec<Value> = rows.items.iter().map(|v| case_json(v, out)).collect();
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": cursor(rows.next_after)})))
}

/// Cases as a table: one row per case, what a district leader reads in Excel.
fn case_table(cases: &[case::CaseView], out: Crs) -> Table {
    let lang = language::current();
    let mut t = Table::new(
        ("案件列表", "cases"),
        &[
            ("案件编号", "id"),
            ("标题", "title"),
            ("类别", "category"),
            ("类别编码", "category_code"),
            ("状态", "status"),
            ("红黄绿灯", "light"),
            ("来源", "source"),
            ("紧急程度", "priority"),
            ("地址", "address"),
            ("网格编码", "cell_code"),
            ("网格", "cell"),
            ("处置部门", "department"),
            ("协办部门", "assisting_departments"),
            ("指挥层级", "level"),
            ("上报时间", "reported_at"),
            ("受理时间", "received_at"),
            ("本环节时限", "deadline_at"),
            ("结案时间", "closed_at"),
            ("返工次数", "rework_count"),
            ("退回次数", "misdispatch_count"),
            ("经度", "lng"),
            ("纬度", "lat"),
            ("描述", "description"),
        ],
    );
    for v in cases {
        let c = &v.case;
        let at = case_json(v, out);
        let light = v.light.map(|l| match (lang, l) {
            (Lang::Zh, "red") => "红灯",
            (Lang::Zh, "yellow") => "黄灯",
            (Lang::Zh, _) => "绿灯",
            (Lang::En, l) => l,
        });
        t.push(vec![
            c.id.to_string().into(),
            c.title.as_str().into(),
            v.category_name.as_str().into(),
            c.category_code.as_str().into(),
            lang.pick(c.status.label(), c.status.as_str()).into(),
            light.into(),
            lang.pick(c.source.label(), c.source.as_str()).into(),
            lang.pick(c.priority.label(), c.priority.as_str()).into(),
            c.address.as_deref().into(),
            v.cell_code.clone().into(),
            v.cell_name.clone().into(),
            v.department_name.clone().into(),
            v.co_department_names.join(lang.pick("、", ", ")).into(),
            lang.pick(c.level.label(), c.level.as_str()).into(),
            c.reported_at.into(),
            c.received_at.into(),
            c.deadline_at.into(),
            c.closed_at.into(),
            v.rework_count.into(),
            v.misdispatch_count.into(),
            at["lng"].as_f64().into(),
            at["lat"].as_f64().into(),
            c.description.as_str().into(),
        ]);
    }
    t
}

/// `GET /api/v1/cases/{id}`: with `allowed_actions` for the caller.
pub async fn get(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<CrsQuery>,
) -> ApiResult<HttpResponse> {
    let out = crs(query.crs.as_deref())?;
    let policy = state.policy.clone();
    let v = state.db(move |conn| read::find(conn, &caller, &id, &policy)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default, deserialize_with = "given")]
    title: Option<String>,
    #[serde(default, deserialize_with = "given")]
    description: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "given")]
    priority: Option<String>,
    #[serde(default, deserialize_with = "given")]
    category_code: Option<String>,
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    Json(body): Json<PatchBody>,
) -> ApiResult<HttpResponse> {
    let expected = if_match(&req);
    let draft = PatchDraft {
        title: body.title,
        description: body.description,
        address: body.address,
        priority: body.priority,
        category_code: body.category_code,
    };
    let patch = draft.check()?;
    let policy = state.policy.clone();
    let v = state.db(move |conn| correct::update(conn, &caller, &id, patch, expected, &policy)).await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, Crs::Wgs84)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    action: String,
    note: Option<String>,
    #[serde(default, deserialize_with = "or_default")]
    attachments: Vec<String>,
    department_id: Option<String>,
    /// Dispatch, co_dispatch: the assisting departments (协办).
    #[serde(default, deserialize_with = "or_default")]
    co_departments: Vec<String>,
    extend_by: Option<String>,
    satisfaction: Option<i32>,
    /// Revisit: whether the problem was found solved.
    satisfied: Option<bool>,
    /// Delegate: `street` or `community`, the level below the case's.
    to: Option<String>,
    into: Option<String>,
    /// Where the actor stood, when the phone says.
    lng: Option<f64>,
    lat: Option<f64>,
    crs: Option<String>,
    expected_version: i64,
    /// Handle: what the enforcement did.
    outcome: Option<OutcomeBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    kind: String,
    persons: Option<i64>,
    amount_yuan: Option<f64>,
}

/// The outcome of an enforcement as sent, checked: a kind as the API or an office names it, the
/// persons (1 by default), the fine for `fined` (and only then).
fn outcome(check: &mut Check, body: Option<OutcomeBody>) -> Option<Outcome> {
    let body = body?;
    let kind = OutcomeKind::read(&body.kind);
    if kind.is_none() {
        check.push("outcome.kind", format!("must be one of {}", OutcomeKind::names()));
    }
    let persons = body.persons.unwrap_or(1);
    if !(0..=outcome::MAX_PERSONS).contains(&persons) {
        check.push("outcome.persons", format!("must be a whole number from 0 to {}", outcome::MAX_PERSONS));
    }
    match (kind, body.amount_yuan) {
        (Some(OutcomeKind::Fined), None) => check.push("outcome.amount_yuan", "is required for a fine"),
        (Some(OutcomeKind::Fined), Some(a)) if !(a > 0.0 && a <= outcome::MAX_FINE_YUAN) => {
            check.push("outcome.amount_yuan", "must be more than 0 and at most 100,000,000 yuan")
        }
        (Some(k), Some(_)) if k != OutcomeKind::Fined => check.push("outcome.amount_yuan", "is given only for a fine"),
        _ => {}
    }
    Some(Outcome { kind: kind?, persons, amount_yuan: body.amount_yuan })
}

/// How many assisting departments one dispatch names at most.
const MAX_CO_DEPARTMENTS: usize = 10;

/// `POST /api/v1/cases/{id}/transitions`: one action of the closed loop.
pub async fn transition(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
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
    let outcome = outcome(&mut check, body.outcome);
    if body.co_departments.len() > MAX_CO_DEPARTMENTS {
        check.push("co_departments", format!("names at most {MAX_CO_DEPARTMENTS} assisting departments"));
    }
    let to = body.to.as_deref().and_then(|t| match gridhub_store::cases::Level::parse(t) {
        Some(l) if l != gridhub_store::cases::Level::District => Some(l),
        _ => {
            check.push("to", "must be street or community");
            None
        }
    });
    check.done()?;
    let act = Act {
        note,
        attachments,
        outcome,
        department_id: body.department_id,
        co_departments: body.co_departments,
        extend_by: body.extend_by,
        satisfaction: body.satisfaction,
        satisfied: body.satisfied,
        to,
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
    id: Id,
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
            read::find(conn, &caller, &into, &policy)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(v.case.version)).json(case_json(&v, Crs::Wgs84)))
}

/// `GET /api/v1/cases/{id}/events`: the timeline, oldest first.
pub async fn events(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let items = state.db(move |conn| read::events(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": items})))
}
