//! Evaluation that matters: a resident's rating of 1–2 (不满意) sends the request back for a
//! second handling (重办), once, counted in the figures; the second closing is rated again; a
//! request not rated within the window counts as not evaluated and can no longer be rated.

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::json;

on_both_backends!(a_poor_rating_sends_a_request_back_once, a_rating_comes_within_its_window);

async fn request(app: &TestApp, s: &Fixture, title: &str) -> String {
    let (lng, lat) = s.inside(3);
    let body = json!({"source": "resident_request", "category_code": "ZL0503", "title": title, "lng": lng, "lat": lat});
    app.create(s.t("resident"), "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned()
}

async fn a_poor_rating_sends_a_request_back_once(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let id = request(app, &s, "小区门口垃圾桶满溢").await;
    let (office, resident) = (s.t("office"), s.t("resident"));
    step(app, office, &id, "answer", json!({"note": "已通知物业清运"}), "closed").await;
    // not satisfied: back to the street, filed anew, to be rated again
    let back = step(app, resident, &id, "evaluate", json!({"satisfaction": 2}), "filed").await;
    assert_eq!((back["satisfaction"].clone(), back["closed_at"].clone()), (json!(null), json!(null)));
    assert!(back["deadline_at"].is_string(), "a fresh deadline");
    let events = get_ok(app, office, &format!("/api/v1/cases/{id}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "answer", "evaluate", "redo"]);
    let told = get_ok(app, office, "/api/v1/notifications?limit=100").await;
    assert!(
        told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "case.redo"
            && n["message"] == "居民对「小区门口垃圾桶满溢」不满意（2 分），已重新立案，请重新派遣办理"),
        "{told}"
    );
    let figures = get_ok(app, office, &format!("/api/v1/figures?unit=street&id={}", s.r.street)).await;
    let counts = &figures["items"][0]["counts"];
    assert_eq!(
        (counts["redone"].as_i64(), counts["closed"].as_i64(), counts["evaluated"].as_i64()),
        (Some(1), Some(0), Some(0))
    );
    // the second handling, and a second rating — a poor one no longer sends it back
    step(app, office, &id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, s.t("chengguan"), &id, "accept", json!({}), "accepted").await;
    step(app, s.t("chengguan"), &id, "handle", json!({"note": "已清运并加派保洁"}), "handled").await;
    step(app, office, &id, "verify_pass", json!({}), "closed").await;
    let rated = step(app, resident, &id, "evaluate", json!({"satisfaction": 1}), "closed").await;
    assert_eq!(rated["satisfaction"], 1);
    let counts =
        get_ok(app, office, &format!("/api/v1/figures?unit=street&id={}", s.r.street)).await["items"][0]["counts"]
            .clone();
    assert_eq!(
        (counts["redone"].as_i64(), counts["evaluated"].as_i64(), counts["satisfied"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    // a good rating changes nothing
    let other = request(app, &s, "咨询垃圾分类投放时间").await;
    step(app, office, &other, "answer", json!({"note": "每天7:00-9:00、18:00-20:00"}), "closed").await;
    step(app, resident, &other, "evaluate", json!({"satisfaction": 5}), "closed").await;
}

async fn a_rating_comes_within_its_window(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let id = request(app, &s, "咨询办理居住证").await;
    step(app, s.t("office"), &id, "answer", json!({"note": "携带身份证到社区服务中心办理"}), "closed").await;
    app.advance_clock(Duration::days(8));
    let case = get_ok(app, s.t("resident"), &format!("/api/v1/cases/{id}")).await;
    assert!(!case["allowed_actions"].as_array().unwrap().contains(&json!("evaluate")), "{case}");
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/cases/{id}/transitions")))
        .bearer_auth(s.t("resident"))
        .json(&json!({"action": "evaluate", "satisfaction": 5, "expected_version": case["version"]}))
        .send()
        .await
        .unwrap();
    let p = problem(res, 409).await;
    assert!(p["detail"].as_str().unwrap().starts_with("已结案超过 7 天，按未评价计"), "{p}");
}
