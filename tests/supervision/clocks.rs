//! Time limits: the working calendar, a case going yellow then red and escalated, suspended time
//! not counting, the overdue sweep on two servers at once without doing anything twice, and
//! natural time for what cannot wait (fireworks on 除夕 night, an urgent case).

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    the_calendar_is_read_and_replaced,
    a_case_goes_yellow_then_red_and_is_escalated,
    suspended_time_does_not_count,
    two_servers_sweep_without_doing_anything_twice,
    what_cannot_wait_counts_natural_time,
);

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
    let overdue = notes["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "case.overdue").count();
    assert_eq!(overdue, 30, "the street is told once per case");
}

/// A moment to the minute.
fn minute(t: &Value) -> &str {
    &t.as_str().unwrap_or_default()[..16]
}

/// 除夕 2026-02-16, 20:00 China Standard Time: the first night of a nine-day holiday.
const CHUXI_EVENING: &str = "2026-02-16T12:00:00Z";

async fn what_cannot_wait_counts_natural_time(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    app.advance_clock(utc(CHUXI_EVENING) - app.now());
    let report = |code: &str, priority: &str| {
        json!({"source": "field_report", "category_code": code, "title": "燃放烟花", "priority": priority,
               "lng": HERE.0, "lat": HERE.1})
    };
    // fireworks (ZL0303, 安全隐患: natural time in the shipped catalogue): filed within the hour, that night
    let fireworks = app.create(s.t("worker"), "/api/v1/cases", &report("ZL0303", "normal")).await;
    assert_eq!(fireworks["clock"], "natural");
    assert_eq!(minute(&fireworks["deadline_at"]), "2026-02-16T13:00", "due at 21:00 on 除夕, not after the holiday");
    // a shop spilling onto the pavement (SJ0502) waits for the first working hour after the holiday
    let shop = app.create(s.t("worker"), "/api/v1/cases", &report("SJ0502", "normal")).await;
    assert_eq!(shop["clock"], "working");
    assert!(utc(shop["deadline_at"].as_str().unwrap()) > utc("2026-02-24T00:00:00Z"), "{shop}");
    // marked urgent, the same kind of case counts natural time too
    let urgent = app.create(s.t("worker"), "/api/v1/cases", &report("SJ0502", "urgent")).await;
    assert_eq!((urgent["clock"].as_str(), minute(&urgent["deadline_at"])), (Some("natural"), "2026-02-16T13:00"));
    // and a case corrected to urgent counts its running step again from its start, on natural time
    let shop_id = shop["id"].as_str().unwrap();
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/cases/{shop_id}")))
        .bearer_auth(s.t("office"))
        .json(&json!({"priority": "urgent"}))
        .send()
        .await
        .unwrap();
    let corrected: Value = res.json().await.unwrap();
    let corrected = (corrected["clock"].as_str(), minute(&corrected["deadline_at"]));
    assert_eq!(corrected, (Some("natural"), "2026-02-16T13:00"));

    // the fireworks case through the night: filed, dispatched to the police, who accept within the hour
    let id = fireworks["id"].as_str().unwrap().to_owned();
    app.advance_clock(Duration::minutes(10));
    acted(app, s.t("office"), &id, "file", json!({})).await;
    let c = acted(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts["gongan"]})).await;
    let deadline = utc(c["deadline_at"].as_str().unwrap());
    assert!(
        (deadline - app.now() - Duration::hours(1)).abs() < Duration::seconds(5),
        "ZL03 accepts within one natural hour: {c}"
    );
    let path = format!("/api/v1/cases/{id}");
    app.advance_clock(Duration::minutes(47));
    assert_eq!(get_ok(app, s.t("office"), &path).await["light"], "green", "under 80% of the hour used");
    app.advance_clock(Duration::minutes(2));
    assert_eq!(get_ok(app, s.t("office"), &path).await["light"], "yellow", "49 minutes of 60: past 80%");
    app.advance_clock(Duration::minutes(12));
    assert_eq!(get_ok(app, s.t("office"), &path).await["light"], "red");
    eventually("the sweep marks it overdue that night", async || {
        get_ok(app, s.t("office"), &path).await["overdue_at"].is_string()
    })
    .await;
    // the step's time is counted on its clock: the accept took 61 natural minutes
    let c = acted(app, s.t("gongan"), &id, "accept", json!({})).await;
    let events = get_ok(app, s.t("office"), &format!("{path}/events")).await;
    let accepted = events["items"].as_array().unwrap().iter().find(|e| e["action"] == "accept").unwrap().clone();
    assert_eq!(
        (accepted["data"]["step"]["minutes"].as_i64(), accepted["data"]["step"]["clock"].as_str()),
        (Some(61), Some("natural"))
    );
    assert_eq!(c["light"], "green");

    // the catalogue says which clock a category counts; a bad clock is named
    let p = problem(
        app.client
            .patch(app.url("/api/v1/categories/SJ0502"))
            .bearer_auth(w.admin.clone())
            .json(&json!({"clock": "lunar"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(fields(&p), ["clock"]);
    let cat = get_ok(app, &w.admin, "/api/v1/categories/ZL0303").await;
    assert_eq!(cat["clock"], "natural");
    let res = app
        .client
        .patch(app.url("/api/v1/categories/SJ0502"))
        .bearer_auth(w.admin.clone())
        .json(&json!({"clock": "natural"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let later = app.create(s.t("worker"), "/api/v1/cases", &report("SJ0502", "normal")).await;
    assert_eq!(later["clock"], "natural");
}
