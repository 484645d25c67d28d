//! Supervision end to end: the working calendar, a case going yellow then red as (injected)
//! time passes and the overdue worker escalating it, suspended time not counting, the whistle
//! with departments on site, off site and overdue, department webhooks received and verified
//! by real receivers on 127.0.0.1 (one failing three times, one never answering), and the
//! overdue sweep on two servers at once without doing anything twice.

mod clocks;
mod patrols;
mod webhooks;
mod whistle;

use std::collections::HashMap;

use chrono::Duration;
use gridhub_e2e::*;
use gridhub_store::clocks::{WorkingHours, calendar};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Inside the community's cells (WGS-84).
const HERE: (f64, f64) = (115.8925, 28.6785);

async fn file(app: &TestApp, token: &str, at: (f64, f64)) -> Value {
    let body =
        json!({"source": "field_report", "category_code": "SJ0502", "title": "店外经营", "lng": at.0, "lat": at.1});
    app.create(token, "/api/v1/cases", &body).await
}

async fn acted(app: &TestApp, token: &str, id: &str, action: &str, extra: Value) -> Value {
    let version = get_ok(app, token, &format!("/api/v1/cases/{id}")).await["version"].clone();
    let mut body = json!({"action": action, "expected_version": version});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let res = app.post(Some(token), &format!("/api/v1/cases/{id}/transitions"), &body).await;
    let status = res.status();
    let answer = json(res).await;
    assert_eq!(status, 200, "{action}: {answer}");
    answer
}
