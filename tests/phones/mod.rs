//! Phones syncing as WatermelonDB does, end to end on both backends: pulls (the first one, the
//! wire details the stock client depends on, scope changes), pushes (whole, once, conflicts,
//! offline actions, the quarantine), the sync clock under concurrent pushes and pulls, photos,
//! and nothing a phone sends lost or hidden. The helpers here push and pull as the stock client.

mod clock;
mod nothing_lost;
mod photos;
mod pull;
mod push;
mod tasks;

use std::collections::HashSet;

use gridhub_e2e::*;
use gridhub_store::Role;
use serde_json::{Value, json};

/// The fixture, with 公园社区 beside 孺子亭社区 in the same street (its worker `stranger`), and four
/// phones of 孺子亭社区: each holds cells 0 and 1, phone1 also 2.
pub async fn setup(app: &TestApp, admin: &str) -> Fixture {
    let mut s = Fixture::new(app, admin).await;
    let (c2, far) =
        community(app, admin, &s.r.street, "360102001002", "公园社区", square(115.895, 28.676, 0.003)).await;
    assert!(!far.is_empty(), "the other community has cells");
    s.add(app, "stranger", Role::GridWorker, Some(&c2));
    let community = s.r.community.clone();
    for name in ["phone1", "phone2", "phone3", "phone4"] {
        s.add(app, name, Role::GridWorker, Some(&community));
    }
    for (name, cells) in
        [("phone1", vec![0, 1, 2]), ("phone2", vec![0, 1]), ("phone3", vec![0, 1]), ("phone4", vec![0, 1])]
    {
        for i in cells {
            let duty = if name == "phone1" { "full_time_worker" } else { "part_time_worker" };
            let res = app
                .post(
                    Some(s.t("office")),
                    &format!("/api/v1/cells/{}/assignments", s.cell(i)),
                    &json!({"user_id": s.id(name), "duty": duty}),
                )
                .await;
            assert_eq!(res.status(), 201, "{}", json(res).await);
        }
    }
    s
}

/// A pull as WatermelonDB sends it.
pub async fn pull(app: &TestApp, token: &str, last: Option<i64>) -> Value {
    let last = last.map_or("null".to_owned(), |t| t.to_string());
    let res =
        app.get(Some(token), &format!("/api/v1/sync?last_pulled_at={last}&schema_version=1&migration=null")).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A push as the stock client sends it: `text/plain`.
pub async fn push(app: &TestApp, token: &str, last: i64, changes: &Value) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/sync?last_pulled_at={last}")))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(changes.to_string())
        .send()
        .await
        .unwrap()
}

pub fn ids(pulled: &Value, table: &str, list: &str) -> HashSet<String> {
    pulled["changes"][table][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_else(|| r.as_str().unwrap()).to_owned())
        .collect()
}

pub fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub fn report(id: &str, at: (f64, f64)) -> Value {
    json!({"id": id, "category_code": "SJ0502", "title": "店外经营", "description": "人行道", "lng": at.0, "lat": at.1, "crs": "wgs84", "priority": "normal", "reported_at": chrono::Utc::now().timestamp_millis() - 60_000, "_status": "created", "_changed": ""})
}

pub fn changes(table: &str, created: Vec<Value>) -> Value {
    json!({table: {"created": created, "updated": [], "deleted": []}})
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The smallest valid PNG (1×1, transparent).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
