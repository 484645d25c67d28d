//! Tasks on phones (schema version 2): a phone of version 1 migrates and gets its grids' tasks
//! whole, reports progress offline with a photo — counted once up the tree, however often the
//! push is sent — sees others' reports, and loses a grid's tasks with the grid; what can never
//! be taken is quarantined with its reason.

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;

on_both_backends!(grid_tasks_reach_phones_and_their_progress_comes_back,);

/// A pull at schema `version`, with WatermelonDB's `migration`.
async fn pull_v(app: &TestApp, token: &str, last: Option<i64>, version: i64, migration: &Value) -> Value {
    let last = last.map_or("null".to_owned(), |t| t.to_string());
    let migration = urlencode(&migration.to_string());
    let res = app
        .get(Some(token), &format!("/api/v1/sync?last_pulled_at={last}&schema_version={version}&migration={migration}"))
        .await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn record<'a>(pulled: &'a Value, table: &str, list: &str, id: &str) -> &'a Value {
    pulled["changes"][table][list]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {table}.{list}"))
}

async fn grid_tasks_reach_phones_and_their_progress_comes_back(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let due = (app.now() + Duration::days(5)).and_utc().to_rfc3339();

    // a phone of version 1 reports a case and syncs, before the street has any task
    let res = push(app, s.t("phone2"), 0, &changes("cases", vec![report("case-0001", inside(&s.cells[0]))])).await;
    assert_eq!(res.status(), 200);
    let v1 = pull_v(app, s.t("phone2"), None, 1, &Value::Null).await;
    assert!(v1["changes"].get("tasks").is_none(), "version 1 has no tasks table");
    assert!(v1["changes"]["cases"]["created"].as_array().unwrap().iter().all(|c| c.get("clock").is_none()));

    // the community's task, decomposed to its grids; and another community's
    let community = app
        .create(
            s.t("office"),
            "/api/v1/tasks",
            &json!({"title": "冬季消防隐患入户排查", "owner": {"type": "community", "id": s.r.community},
                    "due_at": due, "target_quantity": 300}),
        )
        .await;
    let community_id = community["id"].as_str().unwrap().to_owned();
    let res =
        app.post(Some(s.t("cadre")), &format!("/api/v1/tasks/{community_id}/decompose"), &json!({"to": "cells"})).await;
    assert_eq!(res.status(), 200);
    let grids = json(res).await;
    let grid = |i: usize| {
        grids["child_tasks"].as_array().unwrap().iter().find(|c| c["owner_id"] == s.cell(i)).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (grid0, grid1, grid2) = (grid(0), grid(1), grid(2));
    let me = json(app.get(Some(s.t("stranger")), "/api/v1/auth/me").await).await;
    let next_door = me["user"]["scope_id"].as_str().unwrap().to_owned();
    let other = app
        .create(
            s.t("office"),
            "/api/v1/tasks",
            &json!({"title": "公园社区消防通道清理", "owner": {"type": "community", "id": next_door}, "due_at": due}),
        )
        .await;

    // the app upgrades to version 2: the new tables come whole, the cases gain their clock
    let migration =
        json!({"from": 1, "tables": ["tasks", "task_progress"], "columns": [{"table": "cases", "columns": ["clock"]}]});
    let v2 = pull_v(app, s.t("phone2"), v1["timestamp"].as_i64(), 2, &migration).await;
    assert_eq!(ids(&v2, "tasks", "created"), set(&[&grid0, &grid1]), "the tasks of the phone's two grids");
    let t0 = record(&v2, "tasks", "created", &grid0);
    assert_eq!((t0["title"].as_str(), t0["status"].as_str()), (Some("冬季消防隐患入户排查"), Some("assigned")));
    assert_eq!((t0["owner_type"].as_str(), t0["owner_id"].as_str()), (Some("cell"), Some(s.cell(0))));
    assert_eq!(t0["parent_id"], community_id.as_str());
    assert_eq!(t0["overdue"], false);
    let cases = v2["changes"]["cases"]["updated"].as_array().unwrap();
    assert!(!cases.is_empty() && cases.iter().all(|c| c["clock"] == "working"), "the cases again, with their clock");
    assert!(v2["changes"]["cases"]["created"].as_array().unwrap().is_empty(), "the phone has them: updates");
    let first = pull_v(app, s.t("phone1"), None, 2, &Value::Null).await;
    assert_eq!(ids(&first, "tasks", "created"), set(&[&grid0, &grid1, &grid2]));

    // offline, the worker visits 12 households of grid 0 and takes a photo
    let sha = format!("{:x}", Sha256::digest(PNG));
    let made = (app.now() - Duration::hours(3)).and_utc().timestamp_millis();
    let report = json!({"id": "prog-0001", "task_id": grid0, "quantity": 12, "note": "已入户12户，发现楼道充电1处",
                        "photos": json!([sha]).to_string(), "created_at": made, "_status": "created", "_changed": ""});
    let changes = json!({"task_progress": {"created": [report], "updated": [], "deleted": []}});
    let ts = v2["timestamp"].as_i64().unwrap();
    for _ in 0..2 {
        // sent twice, as a phone whose answer was lost sends it
        let res = push(app, s.t("phone2"), ts, &changes).await;
        assert_eq!(res.status(), 200);
        assert_eq!(json(res).await.get("experimentalRejectedIds"), None);
    }
    let task = get_ok(app, s.t("cadre"), &format!("/api/v1/tasks/{grid0}")).await;
    assert_eq!((task["quantity_done"].as_i64(), task["status"].as_str()), (Some(12), Some("in_progress")), "once");
    let progress: Vec<&Value> =
        task["events"].as_array().unwrap().iter().filter(|e| e["action"] == "progress").collect();
    assert_eq!(progress.len(), 1, "{task}");
    assert_eq!(progress[0]["id"], "prog-0001");
    assert_eq!(progress[0]["attachments"], json!([sha]));
    let made_at = chrono::DateTime::parse_from_rfc3339(progress[0]["made_at"].as_str().unwrap()).unwrap();
    assert_eq!(made_at.timestamp_millis(), made, "the report keeps when the phone made it");
    let parent = get_ok(app, s.t("office"), &format!("/api/v1/tasks/{community_id}")).await;
    assert_eq!(parent["quantity_done"], 12, "it counts for the community's task");

    // the photo's bytes arrive; whoever sees the task sees it, nobody else
    let put = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(s.t("phone2"))
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    assert_eq!(app.get(Some(s.t("cadre")), &format!("/api/v1/attachments/{sha}")).await.status(), 200);
    problem(app.get(Some(s.t("stranger")), &format!("/api/v1/attachments/{sha}")).await, 404).await;

    // the other phone of the grid gets the report and the task's new state; the reporter's own
    // phone gets its report back as an update
    let p1 = pull_v(app, s.t("phone1"), first["timestamp"].as_i64(), 2, &Value::Null).await;
    let r = record(&p1, "task_progress", "created", "prog-0001");
    assert_eq!((r["quantity"].as_i64(), r["created_at"].as_i64()), (Some(12), Some(made)));
    assert_eq!(r["photos"], json!([sha]).to_string());
    assert_eq!(record(&p1, "tasks", "updated", &grid0)["quantity_done"], 12);
    let p2 = pull_v(app, s.t("phone2"), Some(ts), 2, &Value::Null).await;
    assert_eq!(ids(&p2, "task_progress", "updated"), set(&["prog-0001"]));
    assert!(ids(&p2, "task_progress", "created").is_empty());

    // what can never be taken: another community's task, nothing said, a bad photo, a deletion
    let bad = json!({"task_progress": {"created": [
        {"id": "prog-0002", "task_id": other["id"], "quantity": 3, "created_at": made},
        {"id": "prog-0003", "task_id": grid1, "quantity": 0, "note": " ", "created_at": made},
        {"id": "prog-0004", "task_id": grid1, "quantity": 2, "photos": "[\"a photo\"]", "created_at": made},
        {"id": "prog-0005", "task_id": grid1, "quantity": -4, "created_at": made},
    ], "updated": [], "deleted": ["prog-0001"]}});
    let res = push(app, s.t("phone2"), p2["timestamp"].as_i64().unwrap(), &bad).await;
    assert_eq!(res.status(), 200);
    let mut rejected: Vec<String> = json(res).await["experimentalRejectedIds"]["task_progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    rejected.sort();
    assert_eq!(rejected, ["prog-0001", "prog-0002", "prog-0003", "prog-0004", "prog-0005"]);
    let q = json(app.get(Some(s.t("office")), "/api/v1/sync/quarantine").await).await;
    let reason = |id: &str| {
        q["items"].as_array().unwrap().iter().find(|r| r["record_id"] == id).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(reason("prog-0002").contains("task"), "{}", reason("prog-0002"));
    assert!(reason("prog-0004").starts_with("photos:"), "{}", reason("prog-0004"));
    assert!(reason("prog-0005").starts_with("quantity:"), "{}", reason("prog-0005"));
    assert_eq!(get_ok(app, s.t("cadre"), &format!("/api/v1/tasks/{grid1}")).await["quantity_done"], 0);

    // the worker leaves grid 0: its task and its reports leave the phone
    let list = json(app.get(Some(s.t("office")), &format!("/api/v1/cells/{}/assignments", s.cell(0))).await).await;
    let mine = list["items"].as_array().unwrap().iter().find(|a| a["user_id"] == s.id("phone2")).unwrap();
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/assignments/{}/end", mine["id"].as_str().unwrap()),
            &json!({"reason": "调整网格"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let p3 = pull_v(app, s.t("phone2"), p2["timestamp"].as_i64(), 2, &Value::Null).await;
    assert!(ids(&p3, "tasks", "deleted").contains(&grid0));
    assert!(ids(&p3, "task_progress", "deleted").contains("prog-0001"));
}
