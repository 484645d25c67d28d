//! 督办任务 end to end: a district's task decomposed down the grid and back up verified, progress
//! from a grid worker rolled up, a late community and a late department marked, told and sent
//! by webhook; and everything a task refuses, refused clearly.

mod campaign;
mod flow;
mod refused;

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::{Value, json};

/// A moment `days` from the server's now, as the API writes it.
fn in_days(app: &TestApp, days: i64) -> String {
    (app.now() + Duration::days(days)).and_utc().to_rfc3339()
}

/// Takes `action` on a task and expects 200; the task.
async fn act(app: &TestApp, token: &str, id: &str, action: &str, note: Option<&str>) -> Value {
    let res = app
        .post(Some(token), &format!("/api/v1/tasks/{id}/transitions"), &json!({"action": action, "note": note}))
        .await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{action}: {body}");
    body
}

/// Decomposes a task and expects 200; the task with its children.
async fn decompose(app: &TestApp, token: &str, id: &str, to: &str, due_at: Option<&str>) -> Value {
    let res =
        app.post(Some(token), &format!("/api/v1/tasks/{id}/decompose"), &json!({"to": to, "due_at": due_at})).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "decompose into {to}: {body}");
    body
}

/// The child task of `parent` owned by `owner`.
fn child<'a>(parent: &'a Value, owner: &str) -> &'a Value {
    parent["child_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["owner_id"] == owner)
        .unwrap_or_else(|| panic!("no child of {owner} in {parent}"))
}

fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        list["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    v.sort();
    v
}
