//! Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at `/open311/v2/`, so that civic
//! apps and city dashboards that speak it work with gridhub unchanged: `discovery`, `services`
//! (the categories a resident may report, grouped by 大类), a service's definition, `POST
//! requests` (a resident request through the same intake as the API, as the key's own resident
//! account), `GET requests` and one request — each as `.json` or `.xml`, exactly as the
//! specification writes them. Keys are issued and revoked by system admins
//! (`/api/v1/open311/keys`); a key serves one district.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use gridhub_store::cases::category::{self, CategoryFilter};
use gridhub_store::cases::intake::{Draft, NewCase};
use gridhub_store::input::Check;
use gridhub_store::open311::{self, ApiKey, Filter, Request};
use gridhub_store::{Caller, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json, NoQuery, Query};
use crate::language::{self, say};
use crate::state::AppState;

/// When this implementation of the specification last changed.
const CHANGESET: &str = "2026-11-28T00:00:00+08:00";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

fn format(req: &HttpRequest) -> Option<Format> {
    match req.match_info().get("format") {
        Some("json") => Some(Format::Json),
        Some("xml") => Some(Format::Xml),
        _ => None,
    }
}

/// A GeoReport error: `[{"code", "description"}]` or `<errors><error>…`, with its HTTP status.
struct Open311Error(StatusCode, String);

fn refuse(status: u16, description: impl Into<String>) -> Open311Error {
    Open311Error(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), description.into())
}

impl From<ApiError> for Open311Error {
    fn from(e: ApiError) -> Self {
        let detail = match e.errors.first() {
            Some(p) => format!("{}: {}", p.field, say(&p.detail, language::current())),
            None => say(&e.detail, language::current()).into_owned(),
        };
        // GeoReport answers a request it cannot take 400, whatever made it so
        let status = if e.status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { e.status };
        Open311Error(status, detail)
    }
}

impl From<StoreError> for Open311Error {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The order of each element's children, as the specification writes them.
const ORDER: &[(&str, &[&str])] = &[
    ("discovery", &["changeset", "contact", "key_service", "endpoints"]),
    ("endpoint", &["specification", "url", "changeset", "type", "formats"]),
    ("service", &["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]),
    ("service_definition", &["service_code", "attributes"]),
    (
        "request",
        &[
            "service_request_id",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
            "account_id",
        ],
    ),
    ("error", &["code", "description"]),
];

/// A JSON value as GeoReport's XML: an object's members as elements in order, an array's items
/// each as `item`, null as an empty element.
fn xml(name: &str, v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            // the specification's order of elements, then anything else
            let order = ORDER.iter().find(|(n, _)| *n == name).map_or(&[][..], |(_, o)| *o);
            for k in order.iter().copied().filter(|k| map.contains_key(*k)) {
                xml(k, &map[k], out);
            }
            for (k, item) in map.iter().filter(|(k, _)| !order.contains(&k.as_str())) {
                xml(k, item, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Array(items) => {
            let item = match name {
                "services" => "service",
                "service_requests" => "request",
                "endpoints" => "endpoint",
                "formats" => "format",
                "errors" => "error",
                "attributes" => "attribute",
                _ => "item",
            };
            out.push_str(&format!("<{name}>"));
            for i in items {
                xml(item, i, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

/// The answer in its format: `root` names the XML document's element (JSON is the value itself).
fn answer(status: StatusCode, f: Format, root: &str, v: Value) -> HttpResponse {
    match f {
        Format::Json => HttpResponse::build(status).content_type("application/json; charset=utf-8").body(v.to_string()),
        Format::Xml => {
            let mut out = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
            xml(root, &v, &mut out);
            HttpResponse::build(status).content_type("text/xml; charset=utf-8").body(out)
        }
    }
}

fn failed(f: Format, e: Open311Error) -> HttpResponse {
    answer(e.0, f, "errors", json!([{"code": e.0.as_u16(), "description": e.1}]))
}

/// Runs a handler's body and answers its value or its error in the request's format.
async fn respond<F>(req: &HttpRequest, root: &str, status: StatusCode, run: F) -> HttpResponse
where
    F: std::future::Future<Output = Result<Value, Open311Error>>,
{
    let Some(f) = format(req) else {
        return failed(Format::Json, refuse(404, say("the format is json or xml", language::current())));
    };
    match run.await {
        Ok(v) => answer(status, f, root, v),
        Err(e) => failed(f, e),
    }
}

/// A W3C datetime with its offset, in China Standard Time.
fn w3c(t: NaiveDateTime) -> String {
    (t + chrono::Duration::hours(8)).format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
}

fn hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

async fn key_of(state: &AppState, key: Option<&str>) -> Result<(ApiKey, Caller), Open311Error> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(refuse(403, say("api_key is required", language::current())));
    };
    let h = hash(key);
    state
        .db(move |conn| open311::authenticate(conn, &h))
        .await?
        .ok_or_else(|| refuse(403, say("api_key is not a key in force", language::current())))
}

/// `GET /open311/v2/discovery.{format}`
pub async fn discovery(req: HttpRequest) -> HttpResponse {
    let url = {
        let info = req.connection_info();
        format!("{}://{}/open311/v2", info.scheme(), info.host())
    };
    let v = json!({
        "changeset": CHANGESET,
        "contact": "区网格化管理中心（gridhub）",
        "key_service": language::current().pick(
            "API 密钥由系统管理员签发（POST /api/v1/open311/keys），每个应用、每个区一把",
            "API keys are issued by the system administrator (POST /api/v1/open311/keys), one per app and district",
        ),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    });
    respond(&req, "discovery", StatusCode::OK, async { Ok(v) }).await
}

/// `GET /open311/v2/services.{format}`: every active 小类, grouped by its 大类.
pub async fn services(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, "services", StatusCode::OK, async {
        let all = state.db(|conn| category::list(conn, &CategoryFilter::default())).await?;
        let groups: std::collections::HashMap<String, String> =
            all.iter().filter(|c| c.parent_code.is_none()).map(|c| (c.code.clone(), c.name.clone())).collect();
        let items: Vec<Value> = all
            .iter()
            .filter(|c| c.parent_code.is_some() && c.active)
            .map(|c| {
                json!({
                    "service_code": c.code,
                    "service_name": c.name,
                    "description": c.filing_criteria,
                    "metadata": false,
                    "type": "realtime",
                    "keywords": "",
                    "group": c.parent_code.as_ref().and_then(|p| groups.get(p)).cloned().unwrap_or_default(),
                })
            })
            .collect();
        Ok(Value::Array(items))
    })
    .await
}

/// `GET /open311/v2/services/{service_code}.{format}`: no category asks for attributes.
pub async fn service(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let code = req.match_info().get("code").unwrap_or_default().to_owned();
    respond(&req, "service_definition", StatusCode::OK, async {
        let c = state.db(move |conn| category::get(conn, &code)).await?;
        if c.parent_code.is_none() || !c.active {
            return Err(refuse(404, say(&format!("no service has the code {}", c.code), language::current())));
        }
        Ok(json!({"service_code": c.code, "attributes": []}))
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct NewRequest {
    api_key: Option<String>,
    service_code: Option<String>,
    lat: Option<String>,
    long: Option<String>,
    address_string: Option<String>,
    address_id: Option<String>,
    email: Option<String>,
    device_id: Option<String>,
    account_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    description: Option<String>,
    media_url: Option<String>,
}

/// `POST /open311/v2/requests.{format}` (form-urlencoded): a resident request, as the key's
/// resident account, through the same intake as `POST /api/v1/cases`. Who to call back and the
/// photo's address are kept in the description: nothing sent is dropped.
pub async fn create(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    respond(&req, "service_requests", StatusCode::CREATED, async {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|_| refuse(400, say("the body must be application/x-www-form-urlencoded", language::current())))?;
        let mut r = NewRequest::default();
        for (k, v) in form {
            let v = Some(v);
            match k.as_str() {
                "api_key" => r.api_key = v,
                "service_code" => r.service_code = v,
                "lat" => r.lat = v,
                "long" => r.long = v,
                "address_string" => r.address_string = v,
                "address_id" => r.address_id = v,
                "email" => r.email = v,
                "device_id" => r.device_id = v,
                "account_id" => r.account_id = v,
                "first_name" => r.first_name = v,
                "last_name" => r.last_name = v,
                "phone" => r.phone = v,
                "description" => r.description = v,
                "media_url" => r.media_url = v,
                "jurisdiction_id" => {}
                other => {
                    return Err(refuse(400, say(&format!("{other} is not a field of a request"), language::current())));
                }
            }
        }
        let (key, caller) = key_of(&state, r.api_key.as_deref()).await?;
        let Some(code) = r.service_code.clone().filter(|c| !c.is_empty()) else {
            return Err(refuse(400, say("service_code is required", language::current())));
        };
        let number = |v: &Option<String>| v.as_deref().and_then(|t| t.trim().parse::<f64>().ok());
        let (Some(lat), Some(lng)) = (number(&r.lat), number(&r.long)) else {
            return Err(refuse(
                400,
                say("lat and long are required, in WGS-84: gridhub places a request on its grid", language::current()),
            ));
        };
        let text = r.description.clone().unwrap_or_default();
        // who to call back, and the rest an app sent, for staff only (not on the public face)
        let name = r.last_name.clone().unwrap_or_default() + &r.first_name.clone().unwrap_or_default();
        let contact: Vec<String> = [
            ("联系人", Some(name)),
            ("电话", r.phone.clone()),
            ("邮箱", r.email.clone()),
            ("照片", r.media_url.clone()),
            ("地址编号", r.address_id.clone()),
            ("设备", r.device_id.clone()),
            ("账号", r.account_id.clone()),
        ]
        .into_iter()
        .filter_map(|(label, v)| v.filter(|v| !v.trim().is_empty()).map(|v| format!("{label}：{v}")))
        .collect();
        let contact = (!contact.is_empty()).then(|| contact.join("\n"));
        let first: String = r.description.clone().unwrap_or_default().chars().take(30).collect();
        let draft = Draft {
            source: Some("resident_request".into()),
            category_code: Some(code),
            title: Some(if first.trim().is_empty() { "Open311 上报".into() } else { first }),
            description: Some(text),
            address: r.address_string.clone(),
            lng: Some(lng),
            lat: Some(lat),
            ..Draft::default()
        };
        let report = draft.check(Check::default()).map_err(Open311Error::from)?;
        let placement = state.grid.index().place(report.lng, report.lat);
        let policy = state.policy.clone();
        let new = NewCase { report, placement, idempotency: None };
        let made = state.db(move |conn| open311::file(conn, &key, &caller, &new, contact, &policy)).await?;
        Ok(json!([{
            "service_request_id": made.case.case.id.to_string(),
            "service_notice": "已收到，将由所在街道受理",
            "account_id": null,
        }]))
    })
    .await
}

#[derive(Deserialize)]
pub struct ListQuery {
    api_key: Option<String>,
    jurisdiction_id: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
}

fn request_json(r: &Request) -> Value {
    let c = &r.case;
    json!({
        "service_request_id": c.id.to_string(),
        "status": if r.open { "open" } else { "closed" },
        "status_notes": r.status_notes,
        "service_name": null,
        "service_code": c.category_code,
        "description": c.description,
        "agency_responsible": r.agency_responsible,
        "service_notice": null,
        "requested_datetime": w3c(c.received_at),
        "updated_datetime": w3c(r.updated_at),
        "expected_datetime": c.deadline_at.map(w3c),
        "address": c.address,
        "address_id": null,
        "zipcode": null,
        "lat": c.lat,
        "long": c.lng,
        "media_url": null,
    })
}

/// The key named, if any: a request may be read without one; a key named must be in force.
async fn maybe_key(state: &AppState, key: Option<&str>) -> Result<Option<ApiKey>, Open311Error> {
    match key.filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => Ok(Some(key_of(state, Some(k)).await?.0)),
    }
}

/// The district a `jurisdiction_id` names, by its code (or its id).
async fn jurisdiction(state: &AppState, named: Option<String>) -> Result<Option<String>, Open311Error> {
    let Some(named) = named.filter(|j| !j.is_empty()) else { return Ok(None) };
    let found = state
        .db(move |conn| open311::district_named(conn, &named))
        .await?
        .ok_or_else(|| refuse(404, say("jurisdiction_id names no district", language::current())))?;
    Ok(Some(found))
}

async fn listed(
    state: &AppState,
    key: Option<ApiKey>,
    district: Option<String>,
    filter: Filter,
) -> Result<Value, Open311Error> {
    let names = state.db(|conn| category::list(conn, &CategoryFilter::default())).await?;
    let rows = state.db(move |conn| open311::requests(conn, key.as_ref(), district.as_deref(), &filter)).await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = request_json(r);
            v["service_name"] = json!(names.iter().find(|c| c.code == r.case.category_code).map(|c| c.name.clone()));
            v
        })
        .collect();
    Ok(Value::Array(items))
}

fn w3c_param(name: &str, v: Option<&str>) -> Result<Option<NaiveDateTime>, Open311Error> {
    v.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t).map(|t| t.naive_utc()).map_err(|_| {
            refuse(
                400,
                say(&format!("{name} must be a W3C datetime like 2026-11-28T08:00:00+08:00"), language::current()),
            )
        })
    })
    .transpose()
}

/// `GET /open311/v2/requests.{format}`: requests filed through Open311 — through the key if one
/// is given, of the district `jurisdiction_id` names if given — by default those of the last 90
/// days, at most 1,000.
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, "service_requests", StatusCode::OK, async {
        let q: ListQuery = serde_urlencoded::from_str(req.query_string())
            .map_err(|_| refuse(400, say("the query string cannot be read", language::current())))?;
        let key = maybe_key(&state, q.api_key.as_deref()).await?;
        let district = jurisdiction(&state, q.jurisdiction_id.clone()).await?;
        let open = match q.status.as_deref() {
            None | Some("") | Some("open,closed") | Some("closed,open") => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(refuse(400, say("status must be open or closed", language::current()))),
        };
        let filter = Filter {
            ids: q
                .service_request_id
                .iter()
                .flat_map(|s| s.split(','))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
                .collect(),
            service_code: q.service_code.filter(|s| !s.is_empty()),
            start: w3c_param("start_date", q.start_date.as_deref())?,
            end: w3c_param("end_date", q.end_date.as_deref())?,
            open,
        };
        listed(&state, key, district, filter).await
    })
    .await
}

/// `GET /open311/v2/requests/{id}.{format}`
pub async fn get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let id = req.match_info().get("id").unwrap_or_default().to_owned();
    respond(&req, "service_requests", StatusCode::OK, async {
        let q: ListQuery = serde_urlencoded::from_str(req.query_string())
            .map_err(|_| refuse(400, say("the query string cannot be read", language::current())))?;
        let key = maybe_key(&state, q.api_key.as_deref()).await?;
        let district = jurisdiction(&state, q.jurisdiction_id.clone()).await?;
        let found = listed(&state, key, district, Filter { ids: vec![id.clone()], ..Filter::default() }).await?;
        if found.as_array().is_none_or(|a| a.is_empty()) {
            return Err(refuse(404, say(&format!("no request has the id {id}"), language::current())));
        }
        Ok(found)
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    name: String,
    district_id: String,
}

/// `POST /api/v1/open311/keys`: a key, shown this once.
pub async fn issue_key(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
    Json(b): Json<NewKey>,
) -> ApiResult<HttpResponse> {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let h = hash(&secret);
    let key = state.db(move |conn| open311::issue(conn, &caller, &b.name, &b.district_id, &h)).await?;
    let mut v = serde_json::to_value(&key).map_err(ApiError::internal)?;
    v["api_key"] = json!(secret);
    Ok(HttpResponse::Created().json(v))
}

/// `GET /api/v1/open311/keys`
pub async fn keys(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let rows = state.db(move |conn| open311::list(conn, &caller)).await?;
    Ok(HttpResponse::Ok().json(json!({"items": rows})))
}

/// `DELETE /api/v1/open311/keys/{id}`: revoked; requests with it are refused from now on.
pub async fn revoke_key(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    _: Query<NoQuery>,
) -> ApiResult<HttpResponse> {
    let key = state.db(move |conn| open311::revoke(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(key))
}
