//! The audit log, for admins: the privileged writes in their own area, filtered by target,
//! actor and time.

use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::access::audit::{self, AuditFilter};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::exports::{self, Format, Table};
use crate::input::{Query, list_query, page_json};
use crate::state::AppState;

list_query! {
    pub struct AuditQuery { target, actor, since, format }
}

/// `GET /api/v1/audit`: a page as JSON, or the whole selection as CSV or XLSX.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let format = Format::of(query.format.as_deref(), &req)?;
    let page = query.page()?;
    let since = match &query.since {
        Some(s) => Some(
            chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|_| ApiError::bad_field("since", "must be an RFC 3339 time such as 2026-01-31T08:00:00Z"))?
                .naive_utc(),
        ),
        None => None,
    };
    let filter = AuditFilter { target_id: query.target.clone(), actor_id: query.actor.clone(), since };
    if format.is_table() {
        let all = state.db(move |conn| exports::every_page(|page| audit::list(conn, &caller, &filter, page))).await?;
        exports::within_limit(all.len())?;
        let mut t = Table::new(
            ("审计日志", "audit log"),
            &[
                ("时间", "at"),
                ("操作人", "actor_id"),
                ("操作", "action"),
                ("对象类型", "target_type"),
                ("对象", "target_id"),
                ("变更内容", "changes"),
                ("区", "district_id"),
                ("街道", "street_id"),
                ("社区", "community_id"),
            ],
        );
        for e in all {
            t.push(vec![
                e.at.into(),
                e.actor_id.into(),
                e.action.into(),
                e.target_type.into(),
                e.target_id.into(),
                e.changes.into(),
                e.district_id.into(),
                e.street_id.into(),
                e.community_id.into(),
            ]);
        }
        return exports::answer(&t, format);
    }
    let rows = state.db(move |conn| audit::list(conn, &caller, &filter, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}
