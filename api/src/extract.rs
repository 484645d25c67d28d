//! Request input: a JSON body whose errors name the field, list paging, and `If-Match`.
//! Query strings are read as text and parsed here, so every bad value is named.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::LocalBoxFuture;
use gridhub_geo::{Boundary, Crs, DivisionCode};
use gridhub_store::{FieldProblem, Page};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::ApiError;

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

/// A JSON request body. Malformed JSON answers 400; a value of the wrong shape answers 422
/// naming its path (`boundary.coordinates[0]`); a body over the limit answers 413.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        let media_ok = match &json_type {
            None => true,
            Some(t) => t == "application/json" || t.ends_with("+json"),
        };
        let body = RawBody::from_request(req, payload);
        Box::pin(async move {
            if !media_ok {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "send the body as application/json",
                ));
            }
            let RawBody(body) = body.await?;
            parse_json(&body).map(Json)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if !inner.is_data() {
            return ApiError::bad_request(format!("malformed JSON: {inner}"));
        }
        let message = strip_position(&inner.to_string());
        // serde names a missing field only in its message, at the path of the object
        let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next());
        let field = match missing {
            Some(name) if path == "." => name.to_owned(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        ApiError::validation(vec![FieldProblem::new(field, message)])
    })?;
    de.end().map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Collects every problem with a request body before answering, so one 422 names them all.
#[derive(Default)]
pub struct Check(pub Vec<FieldProblem>);

impl Check {
    pub fn push(&mut self, field: impl Into<String>, detail: impl Into<String>) {
        self.0.push(FieldProblem::new(field, detail));
    }

    /// Free text: trimmed, at most `max` characters, and not empty when `required`.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let v = value.trim();
        if required && v.is_empty() {
            self.push(field, "is required");
        }
        if v.chars().count() > max {
            self.push(field, format!("must be at most {max} characters"));
        }
        v.to_owned()
    }

    /// A coordinate system (`crs`): WGS-84 when absent.
    pub fn crs(&mut self, value: Option<&str>) -> Crs {
        match value {
            None => Crs::Wgs84,
            Some(v) => Crs::parse(v).unwrap_or_else(|| {
                self.push("crs", "must be wgs84, gcj02 or bd09");
                Crs::Wgs84
            }),
        }
    }

    /// A point (`lng`, `lat`) given in `crs`, as WGS-84.
    pub fn point(&mut self, lng: f64, lat: f64, crs: Crs) -> (f64, f64) {
        if !(lng.is_finite() && lng.abs() <= 180.0) {
            self.push("lng", "must be a longitude from -180 to 180");
        }
        if !(lat.is_finite() && lat.abs() <= 90.0) {
            self.push("lat", "must be a latitude from -90 to 90");
        }
        crs.to_wgs84(lng, lat)
    }

    /// Attachment ids as phones make them (`[A-Za-z0-9_.-]{1,64}`), at most 20.
    pub fn attachments(&mut self, ids: Vec<String>) -> Vec<String> {
        const MAX: usize = 20;
        if ids.len() > MAX {
            self.push("attachments", format!("at most {MAX}"));
        }
        for (i, id) in ids.iter().enumerate() {
            if !gridhub_store::is_client_id(id) {
                self.push(format!("attachments[{i}]"), "must be an id of 1 to 64 letters, digits, _ . or -");
            }
        }
        ids
    }

    /// A name: trimmed, 1 to 100 characters.
    pub fn name(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        if v.is_empty() || v.chars().count() > 100 {
            self.push(field, "must be 1 to 100 characters");
        }
        v.to_owned()
    }

    pub fn code<const N: usize>(&mut self, field: &str, value: &str) -> Option<DivisionCode<N>> {
        DivisionCode::<N>::parse(value.trim()).map_err(|e| self.push(field, e.to_string())).ok()
    }

    /// A GeoJSON boundary given in `crs`, stored in WGS-84; its problems are named under
    /// `field` (`boundary.coordinates[0][3]`).
    pub fn boundary(&mut self, field: &str, value: &Value, crs: Crs) -> Option<Boundary> {
        let mut v = value.clone();
        if crs != Crs::Wgs84 {
            crate::geojson::convert(&mut v, &|x, y| crs.to_wgs84(x, y));
        }
        Boundary::from_geojson(&v)
            .map_err(|problems| {
                for p in problems {
                    let at = if p.path.is_empty() { field.to_owned() } else { format!("{field}.{}", p.path) };
                    self.push(at, p.message);
                }
            })
            .ok()
    }

    pub fn done(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::validation(self.0)) }
    }
}

/// For PATCH fields that may be set to null: absent → `None`, null → `Some(None)`.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// `limit` and `cursor` of a list request, as text.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, ApiError> {
        let limit = match &self.limit {
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
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| ApiError::bad_field("cursor", "is not a cursor this server gave out"))?,
            ),
        };
        Ok(Page { limit, after })
    }
}

/// The JSON of one page of a list: `{"items": [...], "next_cursor": "..." | null}`.
pub fn page_json<T: serde::Serialize>(paged: gridhub_store::Paged<T>) -> serde_json::Value {
    serde_json::json!({"items": paged.items, "next_cursor": cursor(paged.next_after)})
}

/// The `next_cursor` of a page that ends after the id `next_after` (null on the last page).
pub fn cursor(next_after: Option<String>) -> Value {
    next_after.map(|id| URL_SAFE_NO_PAD.encode(id)).into()
}

/// The version named by `If-Match: "<version>"`, if the header is there (`*` names none).
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::bad_field("If-Match", "must be an ETag this server gave out, like \"3\""))
}

/// The `ETag` of a record at `version`.
pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
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
    }
}
