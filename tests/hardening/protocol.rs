//! The small protocol faults: a 405 says which methods a route takes, an unknown query
//! parameter on a list answers 400 naming it, webhooks never go to link-local or metadata
//! addresses (nor to this machine unless the operator allows), and of concurrent rotations of
//! one refresh token exactly one wins — the rest are reuse, and the whole family dies.

use gridhub_e2e::*;
use serde_json::json;

on_both_backends!(
    a_405_says_what_the_route_takes,
    unknown_parameters_of_a_list_are_refused,
    webhooks_go_only_where_they_may,
    of_concurrent_rotations_exactly_one_wins,
);

async fn a_405_says_what_the_route_takes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    for (path, allow) in [("/api/v1/cases", "POST, GET"), ("/api/v1/cases/x", "GET, PATCH"), ("/healthz", "GET")] {
        let res = app.client.delete(app.url(path)).bearer_auth(&w.admin).send().await.unwrap();
        assert_eq!(res.headers()["allow"], allow, "{path}");
        problem(res, 405).await;
    }
}

async fn unknown_parameters_of_a_list_are_refused(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let lists = [
        "/api/v1/districts",
        "/api/v1/streets",
        "/api/v1/communities",
        "/api/v1/cells",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/categories",
        "/api/v1/departments",
        "/api/v1/routing-rules",
        "/api/v1/cases",
        "/api/v1/whistles",
        "/api/v1/sync/quarantine",
        "/api/v1/notifications",
        "/api/v1/webhook-deliveries",
    ];
    for list in lists {
        // the catalogue and the routing rules come whole; the rest page
        let known = match list {
            "/api/v1/categories" => "kind=event",
            "/api/v1/routing-rules" => "category_code=SJ0502",
            _ => "limit=5",
        };
        let ok = app.get(Some(&w.admin), &format!("{list}?{known}")).await;
        assert_eq!(ok.status(), 200, "{list}");
        // a misspelt filter must not quietly return everything
        let p = problem(app.get(Some(&w.admin), &format!("{list}?{known}&stauts=open")).await, 400).await;
        assert_eq!(fields(&p), ["stauts"], "{list}");
    }
    let staffing = format!("/api/v1/communities/{}/staffing?when=now", s.r.community);
    assert_eq!(fields(&problem(app.get(Some(&w.admin), &staffing).await, 400).await), ["when"]);
}

async fn webhooks_go_only_where_they_may(backend: Backend) {
    for allow_loopback in [false, true] {
        let Some(w) = World::with(backend, |s| s.webhooks.webhook_allow_loopback = allow_loopback).await else {
            return;
        };
        let app = &w.app;
        let s = Fixture::new(app, &w.admin).await;
        let path = format!("/api/v1/departments/{}", s.depts["chengguan"]);
        let set = |url: &str| json!({"webhook_url": url, "webhook_secret": "a-secret-of-sixteen+"});
        for never in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1%25eth0]/",
            "http://0.0.0.0/",
        ] {
            let p = problem(app.patch(Some(s.t("donghu")), &path, None, &set(never)).await, 422).await;
            assert_eq!(fields(&p), ["webhook_url"], "{never}");
        }
        // intranets are where departments are
        let res = app.patch(Some(s.t("donghu")), &path, None, &set("http://10.8.1.20:8080/gridhub")).await;
        assert_eq!(res.status(), 200);
        let res = app.patch(Some(s.t("donghu")), &path, None, &set("http://127.0.0.1:9/hook")).await;
        assert_eq!(res.status() == 200, allow_loopback, "loopback only when allowed");
    }
}

async fn of_concurrent_rotations_exactly_one_wins(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    for _ in 0..5 {
        let pair =
            json(app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": PASSWORD})).await).await;
        let token = pair["refresh_token"].as_str().unwrap().to_owned();
        let tries = (0..8).map(|_| {
            let token = token.clone();
            async move { app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": token})).await }
        });
        let answers = futures_util::future::join_all(tries).await;
        let mut won = Vec::new();
        for res in answers {
            match res.status().as_u16() {
                200 => won.push(json(res).await["refresh_token"].as_str().unwrap().to_owned()),
                401 => {}
                other => panic!("a rotation answered {other}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one rotation wins");
        // the others were reuse: the whole family, the winner's new token too, is dead
        let res = app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": won[0]})).await;
        problem(res, 401).await;
    }
}
