//! How gridhub told people, over HTTP: the notifications of a street, district or department,
//! and the department webhook deliveries — with the failed ones, and a retry by hand.

use actix_web::{HttpResponse, web};
use gridhub_store::notify::{notification, webhook};
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, PageQuery, Query, list_query, page_json};
use crate::state::AppState;

/// `GET /api/v1/notifications`: the caller's office's or department's, newest first.
pub async fn list(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let rows = state.db(move |conn| notification::notifications_of(conn, &caller, &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

list_query! {
    pub struct DeliveriesQuery { status }
}

/// `GET /api/v1/webhook-deliveries?status=failed`
pub async fn deliveries(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    query: Query<DeliveriesQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    if q.status.as_deref().is_some_and(|s| !["pending", "delivered", "failed"].contains(&s)) {
        return Err(ApiError::bad_field("status", "must be pending, delivered or failed"));
    }
    let page = q.page()?;
    let rows = state.db(move |conn| webhook::deliveries(conn, &caller, q.status.as_deref(), &page)).await?;
    Ok(HttpResponse::Ok().json(page_json(rows)))
}

/// `POST /api/v1/webhook-deliveries/{id}/retry`: send it again now.
pub async fn retry(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
) -> ApiResult<HttpResponse> {
    let d = state.db(move |conn| webhook::retry(conn, &caller, &id)).await?;
    Ok(HttpResponse::Ok().json(json!(d)))
}
