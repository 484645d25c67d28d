//! Department webhooks received and verified by real receivers on 127.0.0.1: one failing three
//! times, one never answering.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(webhooks_are_signed_retried_and_dead_lettered,);

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
