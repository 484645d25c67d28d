//! Liveness, readiness and metrics, for load balancers and Prometheus (no login needed).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers, and the grid index is loaded (it is before the server
/// takes requests; this says which grid version it holds).
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db(gridhub_store::db::ping).await {
        Ok(()) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "grid": {"version": state.grid.version(), "cells": state.grid.index().len()},
        })),
        Err(e) => HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(json!({"status": "not ready", "database": e.detail})),
    }
}

/// `GET /metrics`: Prometheus (OpenMetrics) text.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render())
}
