//! Pushes: whole or not at all, once, conflicts; offline actions applied or rejected; records
//! that can never be accepted quarantined.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    pushes_apply_whole_once_and_conflict,
    offline_actions_are_applied_or_rejected_and_bad_records_quarantined,
);

async fn pushes_apply_whole_once_and_conflict(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.sync.sync_max_body_bytes = 64 * 1024).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let batch = json!({
        "cases": {"created": [report("p1case0000000001", s.inside(0))], "updated": [], "deleted": []},
        "case_events": {"created": [{"id": "p1event000000001", "case_id": "p1case0000000001", "action": "note", "note": "拍了照", "lng": s.inside(0).0, "lat": s.inside(0).1, "created_at": 1_763_780_000_000_i64}], "updated": [], "deleted": []},
        "patrols": {"created": [{"id": "p1patrol00000001", "cell_id": s.cell(0), "started_at": 1_763_780_000_000_i64, "ended_at": 1_763_783_600_000_i64, "distance_m": 1250.5, "track": "_p~iF~ps|U_ulLnnqC", "note": "正常"}], "updated": [], "deleted": []},
        "cells": {"created": [], "updated": [], "deleted": []},
    });
    let res = push(app, s.t("phone1"), ts, &batch).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await, json!({}));
    // the answer was lost; the phone pushes the same again: nothing changes
    let res = push(app, s.t("phone1"), ts, &batch).await;
    assert_eq!(res.status(), 200);
    let listed = json(app.get(Some(s.t("office")), "/api/v1/cases").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "one case for two pushes");
    let case = &listed["items"][0];
    assert_eq!(
        (case["id"].as_str(), case["version"].as_i64()),
        (Some("p1case0000000001"), Some(1)),
        "the phone's id, untouched"
    );
    assert_eq!(case["cell_id"].as_str(), Some(s.cell(0)), "the index found its cell");
    let events = json(app.get(Some(s.t("office")), "/api/v1/cases/p1case0000000001/events").await).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "note"]);

    // the other phone pulls the report and the note, not phone1's patrol
    let other = pull(app, s.t("phone2"), None).await;
    assert!(ids(&other, "cases", "created").contains("p1case0000000001"));
    assert!(ids(&other, "case_events", "created").contains("p1event000000001"));
    assert_eq!(other["changes"]["patrols"]["created"], json!([]));
    // phone1 pulls its own patrol back (another device of the same worker would)
    let mine = pull(app, s.t("phone1"), Some(ts)).await;
    assert_eq!(
        ids(&mine, "patrols", "updated"),
        set(&["p1patrol00000001"]),
        "its own: an update for the phone that made it"
    );
    assert_eq!(ids(&mine, "cases", "updated"), set(&["p1case0000000001"]));
    assert_eq!(ids(&mine, "case_events", "updated"), set(&["p1event000000001"]));
    assert!(ids(&mine, "case_events", "created").len() == 1, "the server's report event is new to it");
    let ts2 = mine["timestamp"].as_i64().unwrap();

    // the office files the case; phone2 still edits what it pulled before: 409, nothing applied
    let version = json(app.get(Some(s.t("office")), "/api/v1/cases/p1case0000000001").await).await["version"].clone();
    let res = app
        .post(
            Some(s.t("office")),
            "/api/v1/cases/p1case0000000001/transitions",
            &json!({"action": "file", "expected_version": version}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stale = other["timestamp"].as_i64().unwrap();
    let mut edit = report("p1case0000000001", s.inside(0));
    edit["title"] = json!("改了标题");
    let conflicting = json!({
        "cases": {"created": [], "updated": [edit], "deleted": []},
        "patrols": {"created": [{"id": "p2patrol00000001", "cell_id": s.cell(1), "started_at": 1_763_780_000_000_i64, "distance_m": 10, "track": "", "note": ""}], "updated": [], "deleted": []},
    });
    let p = problem(push(app, s.t("phone2"), stale, &conflicting).await, 409).await;
    assert_eq!(p["conflicts"], json!({"cases": ["p1case0000000001"]}));
    assert_eq!(fields(&p), ["cases[p1case0000000001]"]);
    let after = pull(app, s.t("phone2"), Some(stale)).await;
    assert_eq!(after["changes"]["patrols"]["created"], json!([]), "the patrol of the refused push was not kept");
    // pulled and merged, the push goes through (the filed case keeps the office's title)
    let res = push(app, s.t("phone2"), after["timestamp"].as_i64().unwrap(), &conflicting).await;
    assert_eq!(res.status(), 200);

    // malformed pushes answer 400 and apply nothing
    for body in [
        "not json",
        "[]",
        r#"{"cases": []}"#,
        r#"{"tickets": {"created": [], "updated": [], "deleted": []}}"#,
        r#"{"patrols": {"created": [{"cell_id": "x"}]}}"#,
    ] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/sync?last_pulled_at={ts2}")))
            .bearer_auth(s.t("phone1"))
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(res, 400).await;
    }
    let res = app.client.post(app.url("/api/v1/sync")).bearer_auth(s.t("phone1")).body("{}").send().await.unwrap();
    problem(res, 400).await;
    // a push over the limit (64 KiB here) answers 413
    let big: Vec<Value> = (0..400).map(|k| report(&format!("big{k:013}"), s.inside(0))).collect();
    problem(push(app, s.t("phone1"), ts2, &changes("cases", big)).await, 413).await;
    // a client with sendCreatedAsUpdated: an unknown record in `updated` is created
    let as_updated =
        json!({"cases": {"created": [], "updated": [report("p1case0000000002", s.inside(1))], "deleted": []}});
    assert_eq!(push(app, s.t("phone1"), ts2, &as_updated).await.status(), 200);
    assert_eq!(json(app.get(Some(s.t("office")), "/api/v1/cases/p1case0000000002").await).await["title"], "店外经营");
}

async fn offline_actions_are_applied_or_rejected_and_bad_records_quarantined(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let dept = json!({"id": s.depts["chengguan"]});
    let cg = s.t("chengguan").to_owned();
    // a case the department has handled, waiting for the grid worker to verify it on site
    let c = app.create(s.t("office"), "/api/v1/cases", &json!({"source": "hotline", "category_code": "SJ0502", "title": "占道", "lng": s.inside(0).0, "lat": s.inside(0).1})).await;
    let id = c["id"].as_str().unwrap().to_owned();
    for (token, action, extra) in [
        (s.t("office"), "file", json!({})),
        (s.t("office"), "dispatch", json!({"department_id": dept["id"]})),
        (cg.as_str(), "accept", json!({})),
        (cg.as_str(), "handle", json!({"note": "已清理"})),
    ] {
        let v = json(app.get(Some(token), &format!("/api/v1/cases/{id}")).await).await["version"].clone();
        let mut body = json!({"action": action, "expected_version": v});
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap());
        assert_eq!(app.post(Some(token), &format!("/api/v1/cases/{id}/transitions"), &body).await.status(), 200);
    }
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let event = |eid: &str, action: &str| json!({"id": eid, "case_id": id, "action": action, "note": "现场核查", "lng": s.inside(0).0, "lat": s.inside(0).1, "created_at": 1});
    let batch = json!({
        "case_events": {"created": [event("ev-handle-1", "handle"), event("ev-verify-1", "verify_pass"), event("ev-verify-2", "verify_pass")], "updated": [], "deleted": []},
        "cases": {"created": [
            {"id": "bad-category-1", "category_code": "SJ9999", "title": "x", "lng": s.inside(0).0, "lat": s.inside(0).1},
            {"id": "other-community", "category_code": "SJ0502", "title": "别的社区", "lng": 115.8965, "lat": 28.6775},
            {"id": "bad-point-00001", "category_code": "SJ0502", "title": "x", "lng": 500.0, "lat": 28.6},
            report("good-one-000001", s.inside(1)),
        ], "updated": [], "deleted": ["good-one-000001"]},
    });
    let res = push(app, s.t("phone1"), ts, &batch).await;
    assert_eq!(res.status(), 200);
    let answer = json(res).await;
    let rejected: HashSet<String> = answer["experimentalRejectedIds"]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        rejected,
        set(&["bad-category-1", "other-community", "bad-point-00001", "good-one-000001"]),
        "the good one's deletion is refused, not its creation"
    );
    assert_eq!(json(app.get(Some(s.t("office")), "/api/v1/cases/good-one-000001").await).await["status"], "reported");
    // the worker may not handle (rejected, kept with why); may verify (applied, closed); the second verification comes too late
    let case = json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{id}")).await).await;
    assert_eq!(case["status"], "closed");
    let after = pull(app, s.t("phone1"), Some(ts)).await;
    // the phone's own events come back as updates, each with its result
    let events: std::collections::HashMap<String, Value> = after["changes"]["case_events"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e.clone()))
        .collect();
    assert_eq!(
        (events["ev-verify-1"]["result"].as_str(), events["ev-verify-1"]["reason"].clone()),
        (Some("applied"), Value::Null)
    );
    assert_eq!(events["ev-handle-1"]["result"], "rejected");
    assert!(events["ev-handle-1"]["reason"].as_str().unwrap().contains("may not handle"), "{}", events["ev-handle-1"]);
    assert_eq!(events["ev-verify-2"]["result"], "rejected");
    assert!(events["ev-verify-2"]["reason"].as_str().unwrap().contains("closed"), "{}", events["ev-verify-2"]);
    // the street office sees the quarantine, with each record and its reason
    let q = json(app.get(Some(s.t("office")), "/api/v1/sync/quarantine").await).await;
    let reasons: std::collections::HashMap<String, String> = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["record_id"].as_str().unwrap().to_owned(), r["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert!(reasons["bad-category-1"].contains("category_code"), "{reasons:?}");
    assert!(reasons["other-community"].contains("own community"), "{reasons:?}");
    assert!(reasons["bad-point-00001"].contains("lng"), "{reasons:?}");
    assert!(q["items"][0]["raw"]["id"].is_string(), "the raw record is kept");
    problem(app.get(Some(s.t("phone1")), "/api/v1/sync/quarantine").await, 403).await;
}
