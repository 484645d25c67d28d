//! Residents log in from the WeChat mini-program (a fake WeChat on 127.0.0.1); logins are rate
//! limited per address.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(residents_log_in_with_wechat,);

async fn wechat_app(db: &TestDb, base: &str) -> TestApp {
    let mut s = settings(db);
    s.wechat.wechat_api_base = base.into();
    s.wechat.wechat_app_id = Some("wx-test-app".into());
    s.wechat.wechat_app_secret = Some("wx-test-secret".into());
    s.wechat.wechat_timeout_ms = 500;
    TestApp::start(s).await
}

async fn residents_log_in_with_wechat(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    problem(w.app.post(None, "/api/v1/auth/wechat", &json!({"code": "good-a"})).await, 503).await; // not configured
    let app = &wechat_app(&w.db, &fake_wechat::start()).await;
    let login = |code: &'static str| async move { app.post(None, "/api/v1/auth/wechat", &json!({"code": code})).await };

    let res = login("good-a").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(!text.contains("SECRET-SESSION-KEY"), "the session_key never leaves the server");
    let pair: Value = serde_json::from_str(&text).unwrap();
    let me = json(app.get(pair["access_token"].as_str(), "/api/v1/auth/me").await).await;
    assert_eq!(me["role"], "resident");
    assert!(!me.to_string().contains("SECRET-SESSION-KEY") && !me.to_string().contains("oA-123"));
    let again = json(login("good-a-again").await).await;
    let me_again = json(app.get(again["access_token"].as_str(), "/api/v1/auth/me").await).await;
    assert_eq!(me_again["user"]["id"], me["user"]["id"], "the same openid is the same resident");
    let other = json(login("good-b").await).await;
    let me_other = json(app.get(other["access_token"].as_str(), "/api/v1/auth/me").await).await;
    assert_ne!(me_other["user"]["id"], me["user"]["id"]);
    let id = me["user"]["id"].as_str().unwrap().to_owned();
    let stored = app.store(|conn| gridhub_store::people::user::get(conn, &id).unwrap());
    assert_eq!((stored.wechat_openid.as_deref(), stored.wechat_unionid.as_deref()), (Some("oA-123"), Some("uA-456")));
    // a resident sees no region and no other account
    problem(app.get(pair["access_token"].as_str(), "/api/v1/audit").await, 403).await;

    for (code, status, retry) in [
        ("used", 401, false),
        ("limited", 429, true),
        ("blocked", 403, false),
        ("busy", 503, true),
        ("slow", 503, true),
        ("garbage", 502, true),
    ] {
        let res = login(code).await;
        assert_eq!(res.headers().contains_key("retry-after"), retry, "{code}: Retry-After");
        problem(res, status).await;
    }
    assert_eq!(fields(&problem(login("").await, 422).await), ["code"]);
    let unreachable = wechat_app(&w.db, "http://127.0.0.1:1").await;
    let res = unreachable.post(None, "/api/v1/auth/wechat", &json!({"code": "good-a"})).await;
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 503).await;
}

#[tokio::test]
async fn logins_are_rate_limited_per_address() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut s = settings(&db);
    s.auth.login_per_minute_per_address = 3;
    let app = TestApp::start(s).await;
    for name in ["a1", "a2", "a3"] {
        problem(app.post(None, "/api/v1/auth/login", &json!({"username": name, "password": "x"})).await, 401).await;
    }
    let res = app.post(None, "/api/v1/auth/login", &json!({"username": "a4", "password": "x"})).await;
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    problem(res, 429).await;
}
