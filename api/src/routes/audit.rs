//! The audit log, for admins: the privileged writes in their own area, filtered by target,
//! actor and time.

use actix_web::{HttpResponse, web};
use gridhub_store::access::audit::{self, AuditFilter};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Query, list_query, page_json};
use crate::state::AppState;

list_query! {
    pub struct AuditQuery { target, actor, since }
}

pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
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
    let rows = state.db(move |conn| audit::list(conn, &caller, &filter, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}
