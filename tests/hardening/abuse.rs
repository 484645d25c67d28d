//! One request must not stall the server: permission is decided before any boundary is read or
//! password hashed, a boundary or an import beyond the limits is refused before it is computed,
//! a grid that would be too large is refused from its estimate, and no answer grows with the
//! number of mistakes in a request.

use std::time::Duration;

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::circle;

on_both_backends!(
    a_residents_huge_boundary_is_refused_while_health_answers,
    boundaries_and_imports_beyond_the_limits_are_refused,
    a_grid_too_fine_is_refused_from_its_estimate,
    answers_do_not_grow_with_the_mistakes,
    a_password_is_hashed_only_for_who_may_set_it,
);

async fn a_residents_huge_boundary_is_refused_while_health_answers(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let path = format!("/api/v1/communities/{}", s.r.community);
    // 40,000 corners, about 1 MB: over the limit, and a hostile resident's to send
    let huge = json!({"boundary": circle(115.8925, 28.6785, 0.002, 40_000)});
    let send = |token: String| {
        let (body, path) = (huge.clone(), path.clone());
        async move { app.patch(Some(&token), &path, None, &body).await }
    };
    // two at once, while /healthz is asked again and again
    let attacks = futures_util::future::join(send(s.t("resident").to_owned()), send(s.t("resident2").to_owned()));
    let health = async {
        let mut answered = 0;
        for _ in 0..20 {
            let res = app.get(None, "/healthz").await;
            assert_eq!(res.status(), 200);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        answered
    };
    let ((a, b), answered) = tokio::join!(attacks, health);
    assert_eq!(answered, 20);
    for res in [a, b] {
        // a resident may not see another's community: it is not there for them
        problem(res, 404).await;
    }
    // the district admin is allowed, and told the ring is too large — before it is read
    let p = problem(app.patch(Some(s.t("donghu")), &path, None, &huge).await, 422).await;
    assert_eq!(fields(&p), ["boundary.coordinates[0]"]);
    assert!(p["detail"].as_str().unwrap().contains("at most 20000 corners"), "{p}");
    // the same community may be refused for a resident of it: forbidden, not read either
    let mine = s.t("cadre");
    let res = app.patch(Some(mine), &path, None, &huge).await;
    problem(res, 403).await;
}

async fn boundaries_and_imports_beyond_the_limits_are_refused(backend: Backend) {
    let Some(w) = World::with(backend, |s| {
        s.grid.max_ring_vertices = 500;
        s.grid.max_boundary_vertices = 800;
        s.grid.max_import_vertices = 1_000;
    })
    .await
    else {
        return;
    };
    let app = &w.app;
    let admin = w.admin.as_str();
    let r = regions(app, admin).await;
    let path = format!("/api/v1/communities/{}", r.community);
    // within the limits: a smooth outline of 400 corners is taken
    let ok = app.patch(Some(admin), &path, None, &json!({"boundary": circle(115.8925, 28.6785, 0.0024, 400)})).await;
    assert_eq!(ok.status(), 200, "{}", json(ok).await);
    let p = problem(
        app.patch(Some(admin), &path, None, &json!({"boundary": circle(115.8925, 28.6785, 0.0024, 600)})).await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("at most 500 corners"), "{p}");
    // two rings of 450: each within, the boundary not
    let two = |n| {
        let outer = circle(115.8925, 28.6785, 0.0024, n)["coordinates"][0].clone();
        let hole = circle(115.8925, 28.6785, 0.001, n)["coordinates"][0].clone();
        json!({"type": "Polygon", "coordinates": [outer, hole]})
    };
    let p = problem(app.patch(Some(admin), &path, None, &json!({"boundary": two(450)})).await, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("at most 800 corners"), "{p}");
    // an import whose features together pass the limit
    let feature = |k: usize, lng: f64| {
        let mut g = circle(lng, 28.677, 0.0002, 300);
        g["type"] = json!("Polygon");
        json!({"type": "Feature", "properties": {"code": format!("3601020010010{k}")}, "geometry": g})
    };
    let import = json!({"type": "FeatureCollection", "features": (0..4).map(|k| feature(k + 1, 115.8905 + k as f64 * 0.0006)).collect::<Vec<_>>()});
    let p = problem(app.post(Some(admin), &format!("{path}/cells/import"), &import).await, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("at most 1000 corners in all"), "{p}");
}

async fn a_grid_too_fine_is_refused_from_its_estimate(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let admin = w.admin.as_str();
    let r = regions(app, admin).await;
    // 孺子亭社区 is about 490 m × 550 m: cells of 100 m² would be some 2,700
    let path = format!("/api/v1/communities/{}/cells/generate", r.community);
    let p = problem(app.post(Some(admin), &path, &json!({"target_area_m2": 100, "dry_run": true})).await, 422).await;
    assert_eq!(fields(&p), ["target_area_m2"]);
    assert!(p["detail"].as_str().unwrap().contains("would make about"), "{p}");
    // meanwhile nothing is held: a logout answers
    let pair =
        json(app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": PASSWORD})).await).await;
    let res = app.post(None, "/api/v1/auth/logout", &json!({"refresh_token": pair["refresh_token"]})).await;
    assert_eq!(res.status(), 204);
    // a sensible size is made
    let made = json(app.post(Some(admin), &path, &json!({"target_area_m2": 10000})).await).await;
    assert!(made["features"].as_array().unwrap().len() > 20);
}

async fn answers_do_not_grow_with_the_mistakes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let admin = w.admin.as_str();
    let r = regions(app, admin).await;
    let path = format!("/api/v1/communities/{}/cells/import", r.community);
    // 900 features, every one without a code and with a broken geometry
    let bad: Vec<Value> = (0..900).map(|_| json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[1, 2]]]}})).collect();
    let res = app.post(Some(admin), &path, &json!({"type": "FeatureCollection", "features": bad})).await;
    let text = res.text().await.unwrap();
    let p: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(p["errors"].as_array().unwrap().len(), 100, "the first 100");
    assert_eq!(p["errors_total"], 1800, "and how many there were");
    assert!(text.len() < 20_000, "{} bytes", text.len());
    // a million empty features: refused by their number, in a few words
    let empty = format!("{{\"type\": \"FeatureCollection\", \"features\": [{}{{}}]}}", "{},".repeat(999_999));
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(admin)
        .header("content-type", "application/json")
        .body(empty)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(status, 422, "{text}");
    assert!(text.len() < 2_000, "{} bytes", text.len());
    assert!(text.contains("at most 999 cells"), "{text}");
}

async fn a_password_is_hashed_only_for_who_may_set_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    // a resident may not make accounts nor set another's password: refused as such
    let made =
        json!({"username": "mole", "password": "a long enough password", "display_name": "x", "role": "system_admin"});
    problem(app.post(Some(s.t("resident")), "/api/v1/users", &made).await, 403).await;
    let path = format!("/api/v1/users/{}/password", s.id("worker"));
    problem(app.post(Some(s.t("resident")), &path, &json!({"password": "a long enough password"})).await, 404).await;
    // the worker's password is unchanged
    let res = app
        .post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": "a long enough password"}))
        .await;
    problem(res, 401).await;
}
