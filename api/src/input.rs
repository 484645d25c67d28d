//! What a request brings in, read in one place: a JSON body whose problems name the field (and
//! which may hold no control characters), a query string read into a struct that refuses
//! unknown parameters, the id in a path (an id with a control character names nothing: 404),
//! list paging, `If-Match`, and the `crs` of a request. The checks of the values themselves are
//! the store's (`gridhub_store::input::Check`), shared with the phones' sync.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::{LocalBoxFuture, Ready, ready};
use gridhub_geo::Crs;
use gridhub_store::input::{CONTROL_CHARACTER, control_char_path, has_control};
use gridhub_store::{FieldProblem, Page};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// A request body as bytes, within the route's size limit (413 beyond it).
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            body.await.map(RawBody).map_err(|e| {
                if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload-too-large",
                        "the request body is larger than this server accepts",
                    )
                } else {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                }
            })
        })
    }
}

/// A JSON request body. Malformed JSON answers 400; a control character in any text, or a value
/// of the wrong shape, answers 422 naming its path (`boundary.coordinates[0]`); a body over the
/// limit answers 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_bytes(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(Json) })
    }
}

/// A JSON body read as bytes but not yet parsed: for large bodies (imports), parsed off the
/// request threads once the caller is known to be allowed.
pub struct JsonLater(web::Bytes);

impl JsonLater {
    pub fn value(&self) -> ApiResult<Value> {
        json_value(&self.0)
    }
}

impl FromRequest for JsonLater {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = json_bytes(req, payload);
        Box::pin(async move { Ok(JsonLater(body.await?)) })
    }
}

/// A body said to be JSON (or not said to be anything), as bytes: 415 for another type.
fn json_bytes(req: &HttpRequest, payload: &mut Payload) -> LocalBoxFuture<'static, ApiResult<web::Bytes>> {
    let media_ok = json_media(req);
    let body = RawBody::from_request(req, payload);
    Box::pin(async move {
        media_ok?;
        Ok(body.await?.0)
    })
}

/// Whether a request's body is said to be JSON (or not said to be anything).
fn json_media(req: &HttpRequest) -> ApiResult<()> {
    let json_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    match &json_type {
        None => Ok(()),
        Some(t) if t == "application/json" || t.ends_with("+json") => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send the body as application/json",
        )),
    }
}

/// Reads a JSON document, refusing control characters in its text (see `Json`).
pub fn json_value(body: &[u8]) -> ApiResult<Value> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    if let Some(path) = control_char_path(&value) {
        return Err(ApiError::invalid(&path, CONTROL_CHARACTER));
    }
    Ok(value)
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    typed(json_value(body)?)
}

/// A request body as `T`, a wrong shape named by its path. It must be a JSON object (serde would
/// also read an array into a struct, field by field).
pub fn typed<T: DeserializeOwned>(value: Value) -> ApiResult<T> {
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = strip_position(&e.into_inner().to_string());
        // serde names a missing field only in its message, at the path of the object
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match missing {
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::validation(vec![FieldProblem::new(field, message)])
    })
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string as `T` (declare it `#[serde(deny_unknown_fields)]`): an unknown parameter, a
/// control character or a value of the wrong shape answers 400 naming the parameter — a filter
/// that is silently dropped would return a misleading list.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(query(req.query_string()).map(Query))
    }
}

pub fn query<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the query string cannot be read: {e}")))?;
    if let Some((name, _)) = pairs.iter().find(|(k, v)| has_control(k) || has_control(v)) {
        return Err(ApiError::bad_field(name, CONTROL_CHARACTER));
    }
    serde_urlencoded::from_str(text).map_err(|e| {
        let message = e.to_string();
        match message.strip_prefix("unknown field `").and_then(|m| m.split('`').next()) {
            Some(name) => ApiError::bad_field(name, "is not a parameter of this route"),
            None => ApiError::bad_request(format!("query string: {message}")),
        }
    })
}

/// The id in a route's path (`/cases/{id}`). An id that holds a control character names no
/// record: 404, on every backend alike.
#[derive(Debug, Clone)]
pub struct Id(pub String);

impl Id {
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromRequest for Id {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.match_info().iter().next().map(|(_, v)| v.to_owned()).unwrap_or_default();
        ready(if has_control(&id) || id.is_empty() {
            Err(ApiError::not_found("no record has this id"))
        } else {
            Ok(Id(id))
        })
    }
}

impl std::ops::Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// For optional fields that have no null: absent → `None`; null answers 422 naming the field
/// (use as `#[serde(default, deserialize_with = "given")]`). Null is never quietly taken for
/// "leave it as it is".
pub fn given<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// For fields with a default that a client may also give as null (a create's optional list or
/// text): absent or null → the default.
pub fn or_default<'de, T: Deserialize<'de> + Default, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// For PATCH fields that may be set to null: absent → `None`, null → `Some(None)`.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Whether `text` may be a cursor: the id (or code) of the last record of a page, as
/// `next_cursor` gives it — letters, digits, `_ . : -`, at most 100.
fn is_cursor(text: &str) -> bool {
    (1..=100).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

/// `limit` and `cursor` of a list request, as text.
pub fn page(limit: Option<&str>, cursor: Option<&str>) -> ApiResult<Page> {
    let limit = match limit {
        None => Page::DEFAULT_LIMIT,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=Page::MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_field(
                    "limit",
                    format!("must be a whole number from 1 to {}", Page::MAX_LIMIT),
                ));
            }
        },
    };
    let after = match cursor {
        None => None,
        Some(c) if is_cursor(c) => Some(c.to_owned()),
        Some(_) => return Err(ApiError::bad_field("cursor", "is not a cursor this server gave out")),
    };
    Ok(Page { limit, after })
}

/// Declares the query of a list route: its filters (text, read by the handler), then `limit`
/// and `cursor`, and `page()` to read those two. Any other parameter answers 400 naming it:
/// `#[serde(flatten)]` would quietly take anything.
macro_rules! list_query {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* $field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: Option<String>,)*
            pub limit: Option<String>,
            pub cursor: Option<String>,
        }

        impl $name {
            pub fn page(&self) -> $crate::error::ApiResult<gridhub_store::Page> {
                $crate::input::page(self.limit.as_deref(), self.cursor.as_deref())
            }
        }
    };
}
pub(crate) use list_query;

list_query! {
    /// The query of a plain list: `limit` and `cursor`, nothing else.
    pub struct PageQuery {}
}

/// The query of a route that takes no parameters: any parameter answers 400 naming it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// The JSON of one page of a list: `{"items": [...], "next_cursor": "..." | null}`.
pub fn page_json<T: serde::Serialize>(paged: gridhub_store::Paged<T>) -> serde_json::Value {
    serde_json::json!({"items": paged.items, "next_cursor": cursor(paged.next_after)})
}

/// The `next_cursor` of a page that ends after the id `next_after` (null on the last page).
pub fn cursor(next_after: Option<String>) -> Value {
    next_after.into()
}

/// `If-Match`: the version the client last saw, from the `ETag` it was given (`"3"`, weak
/// `W/"3"`, or bare `3`); `*` or none: any. A value that is no ETag of this server matches no
/// version, so the write answers 412, as RFC 9110 has it for a tag that does not match.
pub fn if_match(req: &HttpRequest) -> Option<i64> {
    let value = req.headers().get(header::IF_MATCH)?;
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return None;
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let tag = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
    // versions start at 1: no record is at version 0
    Some(tag.parse::<i64>().ok().filter(|v| *v > 0).unwrap_or(0))
}

/// The `ETag` of a record at `version`.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// `?crs=`: the coordinate system of an answer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrsQuery {
    pub crs: Option<String>,
}

/// The `crs` parameter: the coordinate system of a request's points and of its answer.
pub fn crs(value: Option<&str>) -> ApiResult<Crs> {
    match value {
        None => Ok(Crs::Wgs84),
        Some(v) => Crs::parse(v).ok_or_else(|| ApiError::bad_field("crs", "must be wgs84, gcj02 or bd09")),
    }
}

/// `true` or `false` in a query (absent: `false`).
pub fn flag(field: &str, value: Option<&str>) -> ApiResult<bool> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::bad_field(field, "must be true or false")),
    }
}

/// An RFC 3339 time in a query.
pub fn query_time(field: &str, value: Option<&str>) -> ApiResult<Option<chrono::NaiveDateTime>> {
    value
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.naive_utc())
                .map_err(|_| ApiError::bad_field(field, "must be an RFC 3339 time like 2026-05-01T08:30:00+08:00"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        code: String,
        inner: Option<Inner>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"inner": {"n": 1}}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (422, "code"));
        let e = parse_json::<Body>(br#"{"code": "1", "inner": {"n": "x"}}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (422, "inner.n"));
        let e = parse_json::<Body>(br#"{"code": "1", "inner": {}}"#).unwrap_err();
        assert_eq!(e.errors[0].field, "inner.n");
        let e = parse_json::<Body>(br#"{"code": "1""#).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = parse_json::<Body>(br#"{"code": "1"} x"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = parse_json::<Body>(br#"{"code": "1", "cdoe": 2}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (422, "cdoe"));
        let e = parse_json::<Body>(br#"{"code": "a\u0000b"}"#).unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (422, "code"));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct List {
        status: Option<String>,
        limit: Option<String>,
    }

    #[test]
    fn queries_refuse_what_they_do_not_know() {
        let q: List = query("status=open&limit=2").unwrap();
        assert_eq!(q.status.as_deref(), Some("open"));
        let e = query::<List>("statuz=open").unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (400, "statuz"));
        let e = query::<List>("status=a%00b").unwrap_err();
        assert_eq!((e.status.as_u16(), e.errors[0].field.as_str()), (400, "status"));
    }
}
