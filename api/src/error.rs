//! One place maps every failure to HTTP: an `application/problem+json` body (RFC 9457) with
//! `type`, `title`, `status`, `detail` and `errors` (one entry per bad field). Internal errors
//! are logged with their cause and answered without it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use gridhub_store::{FieldProblem, StoreError};
use serde_json::json;

use crate::language::{self, Lang, say};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// The problem type's last segment: `validation`, `not-found`, …
    pub kind: &'static str,
    /// In English, as the code writes it; answered in the request's language.
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    /// The detail is the first problems of `errors`, of this many in all: it is written anew in
    /// the answer's language.
    joined: Option<u32>,
    pub retry_after: Option<u64>,
    /// Further members of the problem (RFC 9457 extensions), such as `allowed_actions`.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The most field problems one answer names (the rest are counted in `errors_total`).
pub const MAX_ERRORS: usize = 100;

/// How many problems the `detail` of a 422 spells out (`errors` has them all, up to `MAX_ERRORS`).
const DETAIL_SHOWS: usize = 5;

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            joined: None,
            retry_after: None,
            extra: Default::default(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 400 for a malformed part of the request that is not the JSON body (query, header).
    pub fn bad_field(field: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut e = Self::new(StatusCode::BAD_REQUEST, "bad-request", format!("{field}: {detail}"));
        e.errors.push(FieldProblem::new(field, detail));
        e.joined = Some(1);
        e
    }

    /// 422 naming each bad field — the first `MAX_ERRORS` of them, with how many there were in
    /// `errors_total`, so that no answer grows with its input beyond a small bound.
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let total = errors.len();
        Self::validation_of(errors, total)
    }

    /// 422 for the first of `total` problems.
    pub fn validation_of(mut errors: Vec<FieldProblem>, total: usize) -> Self {
        errors.truncate(MAX_ERRORS);
        let detail = summary(&errors, total, Lang::En);
        let mut e = Self {
            errors,
            joined: Some(u32::try_from(total).unwrap_or(u32::MAX)),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", detail)
        };
        if total > MAX_ERRORS {
            e.extra.insert("errors_total".into(), json!(total));
        }
        e
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem::new(field, detail)])
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; it has been logged")
    }

    fn title(&self, lang: Lang) -> &'static str {
        let en = self.status.canonical_reason().unwrap_or("Error");
        let zh = match self.status.as_u16() {
            400 => "请求有误",
            401 => "未登录",
            403 => "无权操作",
            404 => "未找到",
            405 => "方法不允许",
            406 => "无法提供所要的格式",
            409 => "与当前状态冲突",
            412 => "版本已变",
            413 => "内容过大",
            415 => "不支持的内容类型",
            422 => "内容有误",
            429 => "请求过多",
            500 => "服务内部错误",
            502 => "上游服务出错",
            503 => "服务暂不可用",
            _ => "出错了",
        };
        lang.pick(zh, en)
    }
}

/// The detail of a problem made of field problems: the first few, each named by its field, then
/// how many more.
fn summary(errors: &[FieldProblem], total: usize, lang: Lang) -> String {
    let shown = &errors[..errors.len().min(DETAIL_SHOWS)];
    let (colon, sep) = match lang {
        Lang::Zh => ("：", "；"),
        Lang::En => (": ", "; "),
    };
    let mut detail =
        shown.iter().map(|p| format!("{}{colon}{}", p.field, say(&p.detail, lang))).collect::<Vec<_>>().join(sep);
    if total > DETAIL_SHOWS {
        let more = total - DETAIL_SHOWS;
        detail.push_str(&match lang {
            Lang::Zh => format!("；另有 {more} 处"),
            Lang::En => format!("; and {more} more"),
        });
    }
    detail
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.kind, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type("application/problem+json");
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"gridhub\""));
        }
        let lang = language::current();
        res.insert_header((header::CONTENT_LANGUAGE, lang.tag()));
        res.insert_header((header::VARY, "Accept-Language"));
        let detail = match self.joined {
            Some(total) => summary(&self.errors, total as usize, lang),
            None => say(&self.detail, lang).into_owned(),
        };
        let errors: Vec<FieldProblem> =
            self.errors.iter().map(|p| FieldProblem::new(p.field.clone(), say(&p.detail, lang))).collect();
        let mut body = json!({
            "type": format!("/problems/{}", self.kind),
            "title": self.title(lang),
            "status": self.status.as_u16(),
            "detail": detail,
            "errors": errors,
        });
        body.as_object_mut().expect("an object").extend(self.extra.clone());
        res.body(body.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, id } => Self::not_found(format!("no {entity} has the id {id}")),
            StoreError::Invalid(errors) => Self::validation(errors),
            StoreError::InvalidMany { first, total } => Self::validation_of(first, total),
            StoreError::Conflict { field, detail } => Self {
                errors: vec![FieldProblem::new(field, detail.clone())],
                ..Self::new(StatusCode::CONFLICT, "conflict", detail)
            },
            StoreError::VersionMismatch { .. } => {
                Self::new(StatusCode::PRECONDITION_FAILED, "stale-version", format!("{e}; fetch it again and retry"))
            }
            StoreError::Forbidden(detail) => Self::new(StatusCode::FORBIDDEN, "forbidden", detail),
            StoreError::NotAllowedNow { detail, allowed } => {
                let mut e = Self::new(StatusCode::CONFLICT, "not-allowed-now", detail);
                e.extra.insert("allowed_actions".into(), json!(allowed));
                e
            }
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                Self {
                    retry_after: Some(5),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "the database is unavailable; retry shortly",
                    )
                }
            }
            other => Self::internal(other),
        }
    }
}

/// Answers requests for paths that no route serves.
pub async fn no_route() -> ApiResult<HttpResponse> {
    Err(ApiError::new(StatusCode::NOT_FOUND, "no-route", "no such route; see openapi.yaml"))
}

/// The answer to a known path asked with a method it does not take: 405, with `Allow` listing
/// the methods it does take.
pub fn method_not_allowed(allow: &str) -> HttpResponse {
    let e = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("this route takes {allow}, not that method"),
    );
    let mut res = e.error_response();
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    res
}
