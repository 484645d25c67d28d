//! The data lives in the database, not in the process: it survives a restart, and two
//! servers on one database see each other's writes at once.

use gridhub_e2e::*;
use serde_json::json;

on_both_backends!(
    data_survives_a_restart,
    two_servers_on_one_database_see_each_others_writes,
    concurrent_writers_all_succeed
);

async fn data_survives_a_restart(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let r = regions(&w.app, &w.admin).await;
    let before = json(w.app.get(Some(&w.admin), &format!("/api/v1/communities/{}", r.community)).await).await;
    let World { app, db, .. } = w;
    app.stop().await;
    let again = TestApp::start(settings(&db)).await;
    let token = again.login(ADMIN, PASSWORD).await;
    let after = json(again.get(Some(&token), &format!("/api/v1/communities/{}", r.community)).await).await;
    assert_eq!(after, before, "the same record, to the microsecond");
    again.stop().await;
}

async fn two_servers_on_one_database_see_each_others_writes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (a, admin) = (&w.app, w.admin.as_str());
    let b = TestApp::start(settings(&w.db)).await;
    assert_ne!(a.base, b.base);
    let d = a.create(admin, "/api/v1/districts", &json!({"code": "360102", "name": "东湖区"})).await;
    let token_b = b.login(ADMIN, PASSWORD).await;
    let seen = json(b.get(Some(&token_b), &format!("/api/v1/districts/{}", d["id"].as_str().unwrap())).await).await;
    assert_eq!(seen, d);
    let s = b
        .create(&token_b, "/api/v1/streets", &json!({"district_id": d["id"], "code": "360102001", "name": "公园街道"}))
        .await;
    let list =
        json(a.get(Some(admin), &format!("/api/v1/streets?district_id={}", d["id"].as_str().unwrap())).await).await;
    assert_eq!(list["items"], json!([s]));
    // the token from one server works on the other: they share the signing key
    assert_eq!(a.get(Some(&token_b), "/api/v1/auth/me").await.status(), 200);
    b.stop().await;
}

async fn concurrent_writers_all_succeed(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let d = w.app.create(&w.admin, "/api/v1/districts", &json!({"code": "360102", "name": "东湖区"})).await;
    // two servers, each with a pool of 4, take 40 writes at once: none may fail with "locked"
    let b = TestApp::start(settings(&w.db)).await;
    let writes = (1..=40).map(|i| {
        let app = if i % 2 == 0 { &w.app } else { &b };
        let body = json!({"district_id": d["id"], "code": format!("360102{i:03}"), "name": format!("街道{i}")});
        let admin = w.admin.clone();
        async move { app.post(Some(&admin), "/api/v1/streets", &body).await.status().as_u16() }
    });
    let statuses = futures_util::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let page = json(w.app.get(Some(&w.admin), "/api/v1/streets?limit=100").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 40);
    b.stop().await;
}
