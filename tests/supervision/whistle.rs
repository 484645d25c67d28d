//! The whistle (吹哨报到): departments on site, off site and overdue.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(a_whistle_with_departments_on_site_off_site_and_overdue,);

async fn a_whistle_with_departments_on_site_off_site_and_overdue(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), HERE).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let all = [&s.depts["chengguan"], &s.depts["gongan"], &s.depts["xiaofang"]];
    let body = json!({"departments": all, "report_in_within_minutes": 30, "note": "占道经营屡禁不止，联合执法"});
    let path = format!("/api/v1/cases/{id}/whistle");
    problem(app.post(Some(s.t("worker")), &path, &body).await, 403).await;
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"departments": [all[0], "nope"], "report_in_within_minutes": 30}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["departments[1]"]);
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"departments": [], "report_in_within_minutes": 1})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["departments", "report_in_within_minutes"]);
    let res = app.post(Some(s.t("office")), &path, &body).await;
    assert_eq!(res.status(), 201);
    let whistle = json(res).await;
    let wid = whistle["id"].as_str().unwrap().to_owned();
    assert!(whistle["departments"].as_array().unwrap().iter().all(|d| d["state"] == "summoned"));
    let notes = get_ok(app, s.t("gongan"), "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "whistle.summoned");

    let report =
        |dept: &str, at: (f64, f64)| json!({"department_id": s.depts[dept], "lng": at.0, "lat": at.1, "note": "已到"});
    let report_path = format!("/api/v1/whistles/{wid}/report-in");
    // staff report in for their own department only
    problem(app.post(Some(s.t("chengguan")), &report_path, &report("gongan", HERE)).await, 403).await;
    // 城管 from the place (given in GCJ-02, as a WeChat phone would), 公安 from a kilometre away
    let (glng, glat) = gridhub_geo::Crs::Gcj02.from_wgs84(HERE.0 + 0.0003, HERE.1);
    let mut on_site = report("chengguan", (glng, glat));
    on_site["crs"] = json!("gcj02");
    let res = app.post(Some(s.t("chengguan")), &report_path, &on_site).await;
    assert_eq!(res.status(), 200);
    let res = app.post(Some(s.t("gongan")), &report_path, &report("gongan", (HERE.0 + 0.01, HERE.1))).await;
    assert_eq!(res.status(), 200);
    problem(app.post(Some(s.t("gongan")), &report_path, &report("gongan", HERE)).await, 409).await;
    assert_eq!(
        get_ok(app, s.t("office"), &format!("/api/v1/whistles?status=open&street_id={}", s.r.street)).await["items"][0]
            ["id"],
        wid.as_str()
    );

    // 消防 never comes: after 30 minutes it is overdue and escalated to the district
    app.advance_clock(Duration::minutes(31));
    eventually("the worker marks 消防 overdue", async || {
        get_ok(app, s.t("office"), &format!("/api/v1/whistles/{wid}")).await["status"] == "closed"
    })
    .await;
    let w = get_ok(app, s.t("office"), &format!("/api/v1/whistles/{wid}")).await;
    assert!(w["closed_at"].is_string());
    assert_eq!(
        w["counts"],
        json!({"summoned": 3, "on_site": 1, "off_site": 1, "late": 0, "absent": 1, "waiting": 0}),
        "read at a glance: who came, who came to the wrong place, who never came"
    );
    let state: HashMap<&str, &Value> =
        w["departments"].as_array().unwrap().iter().map(|d| (d["department_name"].as_str().unwrap(), d)).collect();
    assert_eq!(state["城管局"]["state"], "on_site");
    assert!(state["城管局"]["distance_m"].as_f64().unwrap() < 50.0);
    assert_eq!(state["公安分局"]["state"], "reported_in");
    assert!(state["公安分局"]["distance_m"].as_f64().unwrap() > 900.0);
    assert_eq!(state["消防大队"]["state"], "overdue");
    assert!(state["消防大队"]["overdue_at"].is_string() && state["消防大队"]["reported_at"].is_null());
    let district = get_ok(app, s.t("donghu"), "/api/v1/notifications").await;
    assert!(
        district["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "whistle.overdue" && n["message"].as_str().unwrap().contains("消防大队"))
    );
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "whistle", "report_in", "report_in", "whistle_overdue"]);
    // a late report-in is recorded, and stays counted against the department
    let res = app.post(Some(s.t("xiaofang")), &report_path, &report("xiaofang", HERE)).await;
    assert_eq!(res.status(), 200);
    let late = json(res).await;
    let x =
        late["departments"].as_array().unwrap().iter().find(|d| d["department_name"] == "消防大队").unwrap().clone();
    assert_eq!(x["state"], "on_site");
    assert!(x["overdue_at"].is_string());
    // who sees the whistle
    assert_eq!(get_ok(app, s.t("xiaofang"), "/api/v1/whistles").await["items"].as_array().unwrap().len(), 1);
    problem(app.get(Some(s.t("worker")), &format!("/api/v1/whistles/{wid}/nothing")).await, 404).await;
}
