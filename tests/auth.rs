//! Login, access tokens that are checked properly, refresh rotation with reuse detection, logout.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gridhub_e2e::*;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

on_both_backends!(
    login_issues_a_working_token_pair,
    bad_logins_are_refused,
    forged_and_expired_tokens_are_refused,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_ends_the_session,
    eddsa_tokens_work_across_nodes
);

async fn login_issues_a_working_token_pair(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let res = w.app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": PASSWORD})).await;
    assert_eq!(res.status(), 200);
    let body = json(res).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43, "256 bits of refresh token");
    let token = body["access_token"].as_str().unwrap();
    let me = json(w.app.get(Some(token), "/api/v1/auth/me").await).await;
    assert_eq!(me["user"]["username"], ADMIN);
    assert_eq!(me["role"], "system_admin");
    assert!(me["user"].get("password_hash").is_none(), "the hash never leaves the server");
}

async fn bad_logins_are_refused(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let wrong = app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": "nope"})).await;
    let p = problem(wrong, 401).await;
    let unknown = app.post(None, "/api/v1/auth/login", &json!({"username": "ghost", "password": "nope"})).await;
    assert_eq!(problem(unknown, 401).await["detail"], p["detail"], "an unknown user looks like a wrong password");
    let missing = app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN})).await;
    assert_eq!(fields(&problem(missing, 422).await), ["password"]);
    let typed = app.post(None, "/api/v1/auth/login", &json!({"username": 42, "password": "x"})).await;
    assert_eq!(fields(&problem(typed, 422).await), ["username"]);
    let malformed = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    problem(malformed, 400).await;
    let form = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=root")
        .send()
        .await
        .unwrap();
    problem(form, 415).await;
}

fn forge(secret: &str, claims: serde_json::Value) -> String {
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn forged_and_expired_tokens_are_refused(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let me = json(app.get(Some(&w.admin), "/api/v1/auth/me").await).await;
    let sub = me["user"]["id"].as_str().unwrap();
    let now = chrono_now();
    let good = json!({"sub": sub, "role": "system_admin", "scope": null, "iss": "gridhub", "aud": "gridhub-api", "exp": now + 600, "iat": now, "jti": "x"});
    let secret = app.settings.auth.jwt_secret.clone().unwrap().expose().to_owned();
    // the forging itself is right: the same claims with the real secret pass
    assert_eq!(app.get(Some(&forge(&secret, good.clone())), "/api/v1/auth/me").await.status(), 200);

    let mut cases = vec![
        ("another secret", forge("some-other-secret-of-at-least-32-bytes!", good.clone())),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (field, value) in [("exp", json!(now - 120)), ("aud", json!("someone-else")), ("iss", json!("evil"))] {
        let mut claims = good.clone();
        claims[field] = value;
        cases.push((field, forge(&secret, claims)));
    }
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    cases.push(("alg none", format!("{none_header}.{payload}.")));
    let hs512 =
        encode(&Header::new(jsonwebtoken::Algorithm::HS512), &good, &EncodingKey::from_secret(secret.as_bytes()))
            .unwrap();
    cases.push(("HS512", hs512));
    for (what, token) in cases {
        let res = app.get(Some(&token), "/api/v1/auth/me").await;
        assert_eq!(res.status(), 401, "{what}");
        assert!(res.headers().contains_key("www-authenticate"), "{what}");
    }
    problem(app.get(None, "/api/v1/districts").await, 401).await;
    let basic = app
        .client
        .get(app.url("/api/v1/districts"))
        .header("authorization", "Basic cm9vdDpyb290")
        .send()
        .await
        .unwrap();
    problem(basic, 401).await;
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn refresh(app: &TestApp, token: &str) -> Response {
    app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": token})).await
}

async fn login_pair(app: &TestApp) -> serde_json::Value {
    json(app.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": PASSWORD})).await).await
}

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let first = login_pair(app).await;
    let r1 = first["refresh_token"].as_str().unwrap();
    let res = refresh(app, r1).await;
    assert_eq!(res.status(), 200);
    let second = json(res).await;
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2, "rotated");
    assert_eq!(app.get(second["access_token"].as_str(), "/api/v1/auth/me").await.status(), 200);
    // r1 again: a thief replaying it; the whole family goes
    let p = problem(refresh(app, r1).await, 401).await;
    assert!(p["detail"].as_str().unwrap().contains("already used"), "{p}");
    problem(refresh(app, r2).await, 401).await;
    // another login is another family, untouched
    let other = login_pair(app).await;
    assert_eq!(refresh(app, other["refresh_token"].as_str().unwrap()).await.status(), 200);
    problem(refresh(app, "made-up").await, 401).await;
}

async fn logout_ends_the_session(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let pair = login_pair(app).await;
    let r = pair["refresh_token"].as_str().unwrap();
    assert_eq!(app.post(None, "/api/v1/auth/logout", &json!({"refresh_token": r})).await.status(), 204);
    problem(refresh(app, r).await, 401).await;
    assert_eq!(app.post(None, "/api/v1/auth/logout", &json!({"refresh_token": r})).await.status(), 204, "idempotent");
}

/// Several API nodes sharing one Ed25519 public key: the node with the private key issues
/// tokens, a node with only the public key accepts them but cannot issue, and an HS256 token
/// is refused by both.
async fn eddsa_tokens_work_across_nodes(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut signer = settings(&w.db);
    signer.auth.jwt_private_key_file = Some(fixtures.join("ed25519-private.pem"));
    signer.auth.jwt_public_key_file = Some(fixtures.join("ed25519-public.pem"));
    let mut verifier = signer.clone();
    verifier.auth.jwt_private_key_file = None;
    let (a, b) = (TestApp::start(signer).await, TestApp::start(verifier).await);
    let token = a.login(ADMIN, PASSWORD).await;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(b.get(Some(&token), "/api/v1/auth/me").await.status(), 200, "verified with the public key alone");
    let p =
        problem(b.post(None, "/api/v1/auth/login", &json!({"username": ADMIN, "password": PASSWORD})).await, 503).await;
    assert_eq!(p["type"], "/problems/cannot-issue");
    problem(a.get(Some(&w.admin), "/api/v1/auth/me").await, 401).await; // the HS256 token of the first node
}
