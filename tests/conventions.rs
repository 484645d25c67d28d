//! HTTP conventions: health and readiness, metrics, request ids, unknown routes and methods.

use gridhub_e2e::*;

on_both_backends!(
    health_readiness_and_metrics,
    request_ids_are_returned_and_kept,
    unknown_routes_and_methods_get_problems
);

async fn health_readiness_and_metrics(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    assert_eq!(json(app.get(None, "/healthz").await).await["status"], "ok");
    assert_eq!(json(app.get(None, "/readyz").await).await["status"], "ready");
    app.get(Some(&w.admin), "/api/v1/districts").await;
    let res = app.get(None, "/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("gridhub_http_requests_total{")
                && l.contains("route=\"/api/v1/districts\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no request count for the districts list in:\n{text}"));
    assert!(line.ends_with(" 1"), "{line}");
    assert!(text.contains("gridhub_http_request_duration_seconds_bucket{"), "latency histogram");
    assert!(text.contains("route=\"/api/v1/auth/login\""), "login counted by its route");
}

async fn request_ids_are_returned_and_kept(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let res = app.get(None, "/healthz").await;
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let mine =
        app.client.get(app.url("/api/v1/districts")).header("x-request-id", "phone-42.abc").send().await.unwrap();
    assert_eq!(mine.headers()["x-request-id"], "phone-42.abc", "kept, even on a 401");
    let hostile = app.client.get(app.url("/healthz")).header("x-request-id", "a b\tc").send().await.unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b\tc");
}

async fn unknown_routes_and_methods_get_problems(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let p = problem(app.get(Some(&w.admin), "/api/v1/nowhere").await, 404).await;
    assert_eq!(p["type"], "/problems/no-route");
    let res = app.client.delete(app.url("/api/v1/districts")).bearer_auth(&w.admin).send().await.unwrap();
    problem(res, 405).await;
}
