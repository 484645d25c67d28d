//! Supervision end to end: the working calendar, a case going yellow then red as (injected)
//! time passes and the overdue worker escalating it, suspended time not counting, the whistle
//! with departments on site, off site and overdue, department webhooks received and verified
//! by real receivers on 127.0.0.1 (one failing three times, one never answering), and the
//! overdue sweep on two servers at once without doing anything twice.

use std::collections::HashMap;

use chrono::Duration;
use gridhub_e2e::*;
use gridhub_store::clocks::{WorkingHours, calendar};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

on_both_backends!(
    the_calendar_is_read_and_replaced,
    a_case_goes_yellow_then_red_and_is_escalated,
    suspended_time_does_not_count,
    a_whistle_with_departments_on_site_off_site_and_overdue,
    webhooks_are_signed_retried_and_dead_lettered,
    two_servers_sweep_without_doing_anything_twice,
);

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

fn cal(app: &TestApp) -> calendar::Calendar {
    app.store(|conn| calendar::load(conn, &WorkingHours::default()).unwrap())
}

async fn the_calendar_is_read_and_replaced(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let y2025 = get_ok(app, s.t("worker"), "/api/v1/calendar/2025").await;
    let days = y2025["days"].as_array().unwrap();
    assert!(days.contains(&json!({"date": "2025-01-28", "kind": "holiday", "name": "春节"})));
    assert!(days.contains(&json!({"date": "2025-01-26", "kind": "workday", "name": "春节调休"})));
    let y2026 = get_ok(app, s.t("worker"), "/api/v1/calendar/2026").await;
    assert!(y2026["days"].as_array().unwrap().iter().any(|d| d["date"] == "2026-10-01" && d["kind"] == "holiday"));
    assert_eq!(get_ok(app, s.t("worker"), "/api/v1/calendar/2027").await["days"], json!([]));

    let year = json!({"year": 2027, "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-06", "kind": "workday", "name": "春节调休"},
    ]});
    let put = |token: &str, body: &Value| {
        app.client.put(app.url("/api/v1/calendar/2027")).bearer_auth(token.to_owned()).json(body).send()
    };
    problem(put(s.t("office"), &year).await.unwrap(), 403).await;
    let bad = json!({"year": 2027, "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-13-01", "kind": "rest", "name": "x"},
        {"date": "2028-01-01", "kind": "holiday", "name": ""},
    ]});
    let p = problem(put(s.t("donghu"), &bad).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["days[1].date", "days[1].kind"]);
    let p = problem(
        put(s.t("donghu"), &json!({"year": 2027, "days": [{"date": "2028-01-01", "kind": "holiday", "name": ""}]}))
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["days[0].date", "days[0].name"]);
    let res = put(s.t("donghu"), &year).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(get_ok(app, s.t("worker"), "/api/v1/calendar/2027").await, year);
    // the make-up Saturday is worked, New Year's Day (a Friday) is not
    let c = cal(app);
    assert!(c.is_workday(chrono::NaiveDate::from_ymd_opt(2027, 2, 6).unwrap()));
    assert!(!c.is_workday(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    problem(app.get(Some(s.t("worker")), "/api/v1/calendar/twenty").await, 400).await;
}

async fn a_case_goes_yellow_then_red_and_is_escalated(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), HERE).await;
    let id = c["id"].as_str().unwrap().to_owned();
    acted(app, s.t("office"), &id, "file", json!({})).await;
    let c = acted(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]})).await;
    assert_eq!(c["light"], "green");
    // accepting within 2 working hours (SJ05's limit for 签收), on the working calendar
    let started = utc(c["step_started_at"].as_str().unwrap());
    let deadline = utc(c["deadline_at"].as_str().unwrap());
    assert_eq!(cal(app).working_minutes(started, deadline), 60, "SJ05 accepts within 1 working hour");
    let path = format!("/api/v1/cases/{id}");

    // a minute before the deadline: yellow, not yet overdue
    app.advance_clock(deadline - app.now() - Duration::minutes(1));
    let c = get_ok(app, s.t("office"), &path).await;
    assert_eq!((c["light"].as_str(), c["overdue_at"].clone()), (Some("yellow"), Value::Null));
    assert_eq!(get_ok(app, s.t("office"), "/api/v1/cases?overdue=true").await["items"], json!([]));

    // past it: red, and the worker marks it, tells the street and the department
    app.advance_clock(Duration::minutes(2));
    assert_eq!(get_ok(app, s.t("office"), &path).await["light"], "red");
    eventually("the overdue worker marks the case", async || {
        get_ok(app, s.t("office"), &path).await["overdue_at"].is_string()
    })
    .await;
    let overdue = get_ok(app, s.t("office"), "/api/v1/cases?overdue=true").await;
    assert_eq!(overdue["items"][0]["id"], id.as_str());
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let marks: Vec<&Value> = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "overdue").collect();
    assert_eq!(marks.len(), 1, "marked once, however often the worker runs");
    assert_eq!((marks[0]["actor_role"].as_str(), marks[0]["data"]["step"].as_str()), (Some("system"), Some("accept")));
    for who in ["office", "chengguan"] {
        let notes = get_ok(app, s.t(who), "/api/v1/notifications").await;
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "case.overdue" && n["case_id"] == id.as_str()),
            "{who}: {notes}"
        );
    }
    // the next step starts afresh: green, no overdue mark
    let c = acted(app, s.t("chengguan"), &id, "accept", json!({})).await;
    assert_eq!((c["light"].as_str(), c["overdue_at"].clone()), (Some("green"), Value::Null));
}

async fn suspended_time_does_not_count(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), HERE).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let c = acted(app, s.t("office"), &id, "file", json!({})).await;
    let deadline = utc(c["deadline_at"].as_str().unwrap());
    let left = cal(app).working_minutes(app.now(), deadline);
    let c = acted(app, s.t("office"), &id, "suspend", json!({"note": "等待产权单位"})).await;
    assert_eq!(c["light"], Value::Null, "a suspended case's clock stands still");
    app.advance_clock(Duration::days(5));
    let c = acted(app, s.t("office"), &id, "resume", json!({})).await;
    let resumed = utc(c["deadline_at"].as_str().unwrap());
    let now = app.now();
    assert!(resumed > now, "five days suspended, yet not overdue");
    let after = cal(app).working_minutes(now, resumed);
    assert!((after - left).abs() <= 1, "the working time left is kept: {left} then {after} minutes");
    assert_eq!(c["light"], "green");
}

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

/// `t=<secs>,v1=<hex>` checked as a receiver would: our own HMAC over "<t>.<body>".
fn verify(secret: &str, header: &str, body: &str) -> bool {
    let Some((t, v1)) = header.split_once(",v1=") else { return false };
    let t = t.trim_start_matches("t=");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let fresh = t.parse::<i64>().is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 300);
    expected == v1 && fresh
}

async fn webhooks_are_signed_retried_and_dead_lettered(backend: Backend) {
    let Some(w) = World::with(backend, |s| {
        s.cases.worker_interval_ms = 50;
        s.webhooks.webhook_timeout_ms = 300;
        s.webhooks.webhook_max_attempts = 4;
        s.webhooks.webhook_retry_base_secs = 0;
    })
    .await
    else {
        return;
    };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let ok = Receiver::start(|_| Some(204)).await;
    let flaky = Receiver::start(|n| Some(if n < 3 { 500 } else { 200 })).await;
    let answers = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let wakes = answers.clone();
    let silent = Receiver::start(move |_| wakes.load(std::sync::atomic::Ordering::SeqCst).then_some(200)).await;
    let secret = "a-secret-of-the-department-1234";
    for (dept, url) in [("chengguan", &ok.url), ("gongan", &flaky.url), ("xiaofang", &silent.url)] {
        let path = format!("/api/v1/departments/{}", s.depts[dept]);
        let res =
            app.patch(Some(s.t("donghu")), &path, None, &json!({"webhook_url": url, "webhook_secret": secret})).await;
        assert_eq!(res.status(), 200);
        assert!(json(res).await.get("webhook_secret").is_none(), "the secret is never shown");
    }
    let p = problem(
        app.patch(
            Some(s.t("donghu")),
            &format!("/api/v1/departments/{}", s.depts["chengguan"]),
            None,
            &json!({"webhook_url": "ftp://x", "webhook_secret": "short"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["webhook_url", "webhook_secret"]);

    let dispatch_to = async |dept: &str| -> String {
        let c = file(app, s.t("worker"), HERE).await;
        let id = c["id"].as_str().unwrap().to_owned();
        acted(app, s.t("office"), &id, "file", json!({})).await;
        acted(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts[dept]})).await;
        id
    };
    // delivered and verified
    let a = dispatch_to("chengguan").await;
    eventually("城管 receives the dispatch", async || !ok.bodies().is_empty()).await;
    let (headers, body) = ok.got.lock().unwrap()[0].clone();
    assert!(verify(secret, &headers["x-gridhub-signature"], &body), "{headers:?}");
    assert!(!verify("another-secret-entirely-12345", &headers["x-gridhub-signature"], &body));
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["data"]["case_id"].as_str()),
        (Some("case.dispatched"), Some(a.as_str()))
    );
    assert!(event["id"].is_string() && event["occurred_at"].is_string());
    acted(app, s.t("chengguan"), &a, "accept", json!({})).await;
    acted(app, s.t("chengguan"), &a, "handle", json!({"note": "已处理"})).await;
    acted(app, s.t("worker"), &a, "verify_pass", json!({})).await;
    eventually("城管 hears of the closure", async || ok.bodies().iter().any(|b| b["type"] == "case.closed")).await;

    // a rolled-back change sends nothing: a stale dispatch
    let c = file(app, s.t("worker"), HERE).await;
    let stale = c["id"].as_str().unwrap().to_owned();
    acted(app, s.t("office"), &stale, "file", json!({})).await;
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/cases/{stale}/transitions"),
            &json!({"action": "dispatch", "department_id": s.depts["chengguan"], "expected_version": 1}),
        )
        .await;
    problem(res, 412).await;

    // fails three times, then succeeds: four attempts of the same event
    dispatch_to("gongan").await;
    eventually("公安 finally takes it", async || flaky.got.lock().unwrap().len() == 4).await;
    let ids: Vec<Value> = flaky.bodies().iter().map(|b| b["id"].clone()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "the same event id on every attempt");
    eventually("公安's delivery is recorded", async || {
        get_ok(app, s.t("gongan"), "/api/v1/webhook-deliveries?status=delivered").await["items"]
            .as_array()
            .unwrap()
            .len()
            == 1
    })
    .await;
    let d = &get_ok(app, s.t("gongan"), "/api/v1/webhook-deliveries").await["items"][0];
    assert_eq!((d["attempts"].as_i64(), d["status"].as_str()), (Some(4), Some("delivered")));

    // never answers: dead-lettered after four attempts, visible, then retried by hand
    dispatch_to("xiaofang").await;
    eventually("消防's delivery is dead-lettered", async || {
        get_ok(app, s.t("donghu"), "/api/v1/webhook-deliveries?status=failed").await["items"].as_array().unwrap().len()
            == 1
    })
    .await;
    let failed = get_ok(app, s.t("donghu"), "/api/v1/webhook-deliveries?status=failed").await["items"][0].clone();
    assert_eq!(failed["attempts"], 4);
    assert!(failed["last_error"].as_str().unwrap().contains("no answer"), "{failed}");
    problem(
        app.post(
            Some(s.t("office")),
            &format!("/api/v1/webhook-deliveries/{}/retry", failed["id"].as_str().unwrap()),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    answers.store(true, std::sync::atomic::Ordering::SeqCst);
    let res = app
        .post(
            Some(s.t("donghu")),
            &format!("/api/v1/webhook-deliveries/{}/retry", failed["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    eventually("the retried delivery arrives", async || {
        get_ok(app, s.t("donghu"), "/api/v1/webhook-deliveries?status=delivered").await["items"]
            .as_array()
            .unwrap()
            .len()
            == 4
    })
    .await;
    // nothing was sent for the stale dispatch, and nothing twice to 城管
    let all = get_ok(app, s.t("donghu"), "/api/v1/webhook-deliveries").await;
    assert!(all["items"].as_array().unwrap().iter().all(|d| d["payload"]["data"]["case_id"] != stale.as_str()));
    assert_eq!(ok.bodies().len(), 2, "城管: the dispatch and the closure, once each");
    problem(app.get(Some(s.t("worker")), "/api/v1/webhook-deliveries").await, 403).await;
}

async fn two_servers_sweep_without_doing_anything_twice(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 20).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let mut second = settings(&w.db);
    second.cases.worker_interval_ms = 20;
    let other = TestApp::start(second).await;
    let mut ids = Vec::new();
    for k in 0..30 {
        let c = file(app, s.t("worker"), (HERE.0 + f64::from(k) * 0.00001, HERE.1)).await;
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    // each server keeps its own clock: both move on, so both sweep
    app.advance_clock(Duration::days(10));
    other.advance_clock(Duration::days(10));
    eventually("every case is marked overdue", async || {
        get_ok(app, s.t("office"), "/api/v1/cases?overdue=true&limit=100").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overdue_at"].is_string())
    })
    .await;
    eventually("all thirty are marked", async || {
        get_ok(app, s.t("office"), "/api/v1/cases?limit=100").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["overdue_at"].is_string())
            .count()
            == 30
    })
    .await;
    // let both servers run a few more rounds
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for id in &ids {
        let events = get_ok(&other, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
        let marks = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "overdue").count();
        assert_eq!(marks, 1, "case {id} marked {marks} times");
    }
    let notes = get_ok(app, s.t("office"), "/api/v1/notifications?limit=100").await;
    assert_eq!(notes["items"].as_array().unwrap().len(), 30, "the street is told once per case");
}
