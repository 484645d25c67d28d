//! Pulls: the first one in the shape the stock client needs, and what changes of scope send.

use gridhub_e2e::*;
use serde_json::json;

use super::*;

on_both_backends!(a_first_pull_has_the_scope_in_the_shape_the_client_needs, scope_changes_come_as_created_and_deleted,);

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
    // a migration from a schema version no phone can have is refused, naming where
    let far = "/api/v1/sync?last_pulled_at=null&schema_version=1&migration=%7B%22from%22%3A927948614166647168%7D";
    let p = problem(app.get(Some(s.t("phone1")), far).await, 400).await;
    assert_eq!(fields(&p), ["migration.from"]);
    problem(app.get(None, "/api/v1/sync?last_pulled_at=null").await, 401).await;
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
