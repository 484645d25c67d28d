//! Phones syncing as WatermelonDB does: the first pull and the wire details the stock client
//! depends on, pushes that apply whole or not at all and twice without effect, conflicts,
//! quarantine, offline actions applied or rejected, scope changes as created/deleted,
//! migrations, concurrent pushes and pulls missing nothing, and photos.

use std::collections::HashSet;

use gridhub_e2e::*;
use gridhub_store::Role;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_backends!(
    a_first_pull_has_the_scope_in_the_shape_the_client_needs,
    pushes_apply_whole_once_and_conflict,
    offline_actions_are_applied_or_rejected_and_bad_records_quarantined,
    scope_changes_come_as_created_and_deleted,
    concurrent_pushes_and_pulls_miss_nothing,
    photos_are_checked_stored_once_and_shown_in_scope,
);

/// The fixture, with 公园社区 beside 孺子亭社区 in the same street (its worker `stranger`), and four
/// phones of 孺子亭社区: each holds cells 0 and 1, phone1 also 2.
async fn setup(app: &TestApp, admin: &str) -> Fixture {
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
async fn pull(app: &TestApp, token: &str, last: Option<i64>) -> Value {
    let last = last.map_or("null".to_owned(), |t| t.to_string());
    let res =
        app.get(Some(token), &format!("/api/v1/sync?last_pulled_at={last}&schema_version=1&migration=null")).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A push as the stock client sends it: `text/plain`.
async fn push(app: &TestApp, token: &str, last: i64, changes: &Value) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/sync?last_pulled_at={last}")))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(changes.to_string())
        .send()
        .await
        .unwrap()
}

fn ids(pulled: &Value, table: &str, list: &str) -> HashSet<String> {
    pulled["changes"][table][list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap_or_else(|| r.as_str().unwrap()).to_owned())
        .collect()
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn report(id: &str, at: (f64, f64)) -> Value {
    json!({"id": id, "category_code": "SJ0502", "title": "店外经营", "description": "人行道", "lng": at.0, "lat": at.1, "crs": "wgs84", "priority": "normal", "reported_at": chrono::Utc::now().timestamp_millis() - 60_000, "_status": "created", "_changed": ""})
}

fn changes(table: &str, created: Vec<Value>) -> Value {
    json!({table: {"created": created, "updated": [], "deleted": []}})
}

async fn a_first_pull_has_the_scope_in_the_shape_the_client_needs(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    // a case in phone1's third cell, and one in a cell of another community
    let mine = app.create(s.t("office"), "/api/v1/cases", &json!({"source": "hotline", "category_code": "SJ0502", "title": "占道", "lng": s.inside(2).0, "lat": s.inside(2).1})).await;
    let other = app
        .create(
            s.t("office"),
            "/api/v1/cases",
            &json!({"source": "hotline", "category_code": "SJ0502", "title": "别处", "lng": 115.8965, "lat": 28.6775}),
        )
        .await;
    let first = pull(app, s.t("phone1"), None).await;
    let ts = first["timestamp"].as_i64().expect("an integer timestamp");
    assert!(ts > 0);
    for table in ["cells", "categories", "cases", "case_events", "patrols", "attachments"] {
        for list in ["created", "updated", "deleted"] {
            assert!(first["changes"][table][list].is_array(), "{table}.{list}");
        }
        assert_eq!(first["changes"][table]["deleted"], json!([]), "no deletions on a first pull");
    }
    assert_eq!(ids(&first, "cells", "created"), set(&[s.cell(0), s.cell(1), s.cell(2)]));
    let cell = &first["changes"]["cells"]["created"][0];
    assert_eq!(cell["duty"], "full_time_worker");
    assert!(cell["boundary"].is_string(), "GeoJSON as text");
    assert!(ids(&first, "categories", "created").len() > 100);
    assert_eq!(ids(&first, "cases", "created"), set(&[mine["id"].as_str().unwrap()]));
    assert!(!ids(&first, "cases", "created").contains(other["id"].as_str().unwrap()));
    let case = &first["changes"]["cases"]["created"][0];
    assert!(case["reported_at"].is_i64() && case["updated_at"].is_i64() && case["deadline_at"].is_i64());
    assert!(case["lng"].is_f64() && case.get("_status").is_none() && case.get("_changed").is_none());
    assert_eq!(case["light"], "green");
    assert_eq!(ids(&first, "case_events", "created").len(), 1, "the report event");
    // nothing new: an empty pull, the same timestamp
    let again = pull(app, s.t("phone1"), Some(ts)).await;
    assert!(
        ["cells", "cases", "case_events", "categories"]
            .iter()
            .all(|t| again["changes"][t]["updated"] == json!([]) && again["changes"][t]["created"] == json!([]))
    );
    assert_eq!(again["timestamp"].as_i64(), Some(ts));
    problem(app.get(Some(s.t("resident")), "/api/v1/sync?last_pulled_at=null&schema_version=1").await, 403).await;
    problem(app.get(Some(s.t("phone1")), "/api/v1/sync?last_pulled_at=yesterday&schema_version=1").await, 400).await;
    problem(
        app.get(Some(s.t("phone1")), "/api/v1/sync?last_pulled_at=null&schema_version=1&migration=%7Bnope").await,
        400,
    )
    .await;
    problem(app.get(None, "/api/v1/sync?last_pulled_at=null").await, 401).await;
}

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

async fn scope_changes_come_as_created_and_deleted(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let in_cell = |i: usize| json!({"source": "hotline", "category_code": "SJ0502", "title": format!("第{i}格"), "lng": s.inside(i).0, "lat": s.inside(i).1});
    let a = app.create(s.t("office"), "/api/v1/cases", &in_cell(1)).await;
    let b = app.create(s.t("office"), "/api/v1/cases", &in_cell(3)).await;
    let first = pull(app, s.t("phone2"), None).await;
    let ts = first["timestamp"].as_i64().unwrap();
    assert!(ids(&first, "cases", "created").contains(a["id"].as_str().unwrap()));
    // phone2 leaves cell 1 and takes cell 3
    let held = json(app.get(Some(s.t("office")), &format!("/api/v1/users/{}/assignments", s.id("phone2"))).await).await;
    let in_1 = held["items"].as_array().unwrap().iter().find(|x| x["cell_id"] == s.cell(1)).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post(Some(s.t("office")), &format!("/api/v1/assignments/{in_1}/end"), &json!({"reason": "调整"}))
            .await
            .status(),
        200
    );
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/cells/{}/assignments", s.cell(3)),
            &json!({"user_id": s.id("phone2"), "duty": "part_time_worker"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let next = pull(app, s.t("phone2"), Some(ts)).await;
    assert_eq!(ids(&next, "cells", "created"), set(&[s.cell(3)]));
    assert_eq!(ids(&next, "cells", "deleted"), set(&[s.cell(1)]));
    assert_eq!(ids(&next, "cases", "created"), set(&[b["id"].as_str().unwrap()]));
    assert_eq!(ids(&next, "cases", "deleted"), set(&[a["id"].as_str().unwrap()]));
    assert!(ids(&next, "case_events", "deleted").len() == 1, "the left case's report event");

    // a patrol deleted on one device is deleted on the worker's other device
    let ts = next["timestamp"].as_i64().unwrap();
    let patrol = json!({"id": "pt-000000000001", "cell_id": s.cell(0), "started_at": 1_763_780_000_000_i64, "distance_m": 300, "track": "", "note": ""});
    assert_eq!(push(app, s.t("phone2"), ts, &changes("patrols", vec![patrol])).await.status(), 200);
    let ts = pull(app, s.t("phone2"), Some(ts)).await["timestamp"].as_i64().unwrap();
    let gone = json!({"patrols": {"created": [], "updated": [], "deleted": ["pt-000000000001"]}});
    assert_eq!(push(app, s.t("phone2"), ts, &gone).await.status(), 200);
    let after = pull(app, s.t("phone2"), Some(ts)).await;
    assert_eq!(ids(&after, "patrols", "deleted"), set(&["pt-000000000001"]));

    // a client that migrated its schema gets the migrated tables whole
    let latest = after["timestamp"].as_i64().unwrap();
    let migration = urlencode(r#"{"from":1,"tables":[],"columns":[{"table":"cells","columns":["households"]}]}"#);
    let res = app
        .get(
            Some(s.t("phone2")),
            &format!("/api/v1/sync?last_pulled_at={latest}&schema_version=2&migration={migration}"),
        )
        .await;
    let migrated = json(res).await;
    assert_eq!(ids(&migrated, "cells", "updated"), set(&[s.cell(0), s.cell(3)]), "the cells again, whole");
    assert_eq!(migrated["changes"]["cells"]["created"], json!([]), "the phone has them: updates");
    assert_eq!(migrated["changes"]["cases"]["updated"], json!([]), "other tables as usual");
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn concurrent_pushes_and_pulls_miss_nothing(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let pushers = ["phone1", "phone2", "phone3"];
    let start = pull(app, s.t("phone4"), None).await["timestamp"].as_i64().unwrap();
    let pushing = futures_util::future::join_all(pushers.iter().enumerate().map(|(p, who)| {
        let s = &s;
        async move {
            let mut last = pull(app, s.t(who), None).await["timestamp"].as_i64().unwrap();
            let mut made = Vec::new();
            for batch in 0..8 {
                let records: Vec<Value> =
                    (0..3).map(|k| report(&format!("c{p}-{batch}-{k}-00000"), s.inside(k % 2))).collect();
                made.extend(records.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
                let res = push(app, s.t(who), last, &changes("cases", records)).await;
                assert_eq!(res.status(), 200);
                last = pull(app, s.t(who), Some(last)).await["timestamp"].as_i64().unwrap();
            }
            made
        }
    }));
    // a fourth phone pulls over and over while they push
    let watching = async {
        let mut seen = HashSet::new();
        let mut last = start;
        for _ in 0..40 {
            let p = pull(app, s.t("phone4"), Some(last)).await;
            seen.extend(ids(&p, "cases", "created"));
            seen.extend(ids(&p, "cases", "updated"));
            last = p["timestamp"].as_i64().unwrap();
        }
        (seen, last)
    };
    let (made, (mut seen, last)) = tokio::join!(pushing, watching);
    let p = pull(app, s.t("phone4"), Some(last)).await;
    seen.extend(ids(&p, "cases", "created"));
    let all: HashSet<String> = made.into_iter().flatten().collect();
    assert_eq!(all.len(), 72);
    let missed: Vec<&String> = all.difference(&seen).collect();
    assert!(missed.is_empty(), "the watching phone never saw {missed:?}");
}

/// The smallest valid PNG (1×1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn photos_are_checked_stored_once_and_shown_in_scope(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.sync.photo_max_bytes = 1024).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let sha = format!("{:x}", Sha256::digest(PNG));
    let put = |hash: String, ctype: &'static str, bytes: Vec<u8>| {
        app.client
            .put(app.url(&format!("/api/v1/attachments/{hash}")))
            .bearer_auth(s.t("phone1").to_owned())
            .header("content-type", ctype)
            .body(bytes)
            .send()
    };
    let p = problem(put("0".repeat(64), "image/png", PNG.to_vec()).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["sha256"], "the bytes must hash to the path");
    let p = problem(put(sha.clone(), "image/jpeg", PNG.to_vec()).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["Content-Type"]);
    let text = b"hello, not a photo".to_vec();
    let p = problem(put(format!("{:x}", Sha256::digest(&text)), "image/png", text).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["body"]);
    let big = vec![0xFFu8; 4096];
    problem(put(format!("{:x}", Sha256::digest(&big)), "image/jpeg", big).await.unwrap(), 413).await;
    problem(put("not-a-hash".into(), "image/png", PNG.to_vec()).await.unwrap(), 400).await;
    // the photo arrives before the record that names it; twice
    assert_eq!(put(sha.clone(), "image/png", PNG.to_vec()).await.unwrap().status(), 201);
    assert_eq!(put(sha.clone(), "image/png", PNG.to_vec()).await.unwrap().status(), 200);
    // its uploader may read it back at once; nobody else until a case they can see names it
    assert_eq!(app.get(Some(s.t("phone1")), &format!("/api/v1/attachments/{sha}")).await.status(), 200);
    problem(app.get(Some(s.t("phone2")), &format!("/api/v1/attachments/{sha}")).await, 404).await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let batch = json!({
        "cases": {"created": [report("photo-case-00001", s.inside(0))], "updated": [], "deleted": []},
        "attachments": {"created": [{"id": "photo-00000001", "case_id": "photo-case-00001", "sha256": sha, "mime": "image/png", "size": PNG.len()}], "updated": [], "deleted": []},
    });
    let res = push(app, s.t("phone1"), ts, &batch).await;
    assert_eq!((res.status().as_u16(), json(res).await), (200, json!({})));
    let res = app.get(Some(s.t("phone2")), &format!("/api/v1/attachments/{sha}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let pulled = pull(app, s.t("phone2"), None).await;
    let photo = &pulled["changes"]["attachments"]["created"][0];
    assert_eq!((photo["id"].as_str(), photo["uploaded"].as_bool()), (Some("photo-00000001"), Some(true)));
    // another community's worker does not see it
    problem(app.get(Some(s.t("stranger")), &format!("/api/v1/attachments/{sha}")).await, 404).await;
    // a record may also come first: its photo shows as not uploaded until it arrives
    let jpeg: Vec<u8> = [&[0xFFu8, 0xD8, 0xFF, 0xE0][..], b"rest of a tiny jpeg"].concat();
    let jsha = format!("{:x}", Sha256::digest(&jpeg));
    let ts = pulled["timestamp"].as_i64().unwrap();
    let meta = changes(
        "attachments",
        vec![
            json!({"id": "photo-00000002", "case_id": "photo-case-00001", "sha256": jsha, "mime": "image/jpeg", "size": jpeg.len()}),
        ],
    );
    assert_eq!(push(app, s.t("phone2"), ts, &meta).await.status(), 200);
    let before = pull(app, s.t("phone1"), Some(ts)).await;
    assert_eq!(before["changes"]["attachments"]["created"][0]["uploaded"], false);
    assert_eq!(put(jsha.clone(), "image/jpeg", jpeg).await.unwrap().status(), 201);
    let after = pull(app, s.t("phone1"), Some(before["timestamp"].as_i64().unwrap())).await;
    let changed: Vec<&Value> = after["changes"]["attachments"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .chain(after["changes"]["attachments"]["created"].as_array().unwrap())
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["uploaded"], true, "the phone learns the photo arrived");
}
