//! Accounts managed inside an area; sign-out when an account is disabled or its password changes;
//! the lockout; the audit log.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    accounts_are_managed_inside_an_area,
    disabling_an_account_signs_it_out,
    a_password_change_signs_out_everywhere,
    repeated_wrong_passwords_lock_the_account,
    audit_rows_are_written_and_read_in_scope,
);

async fn accounts_are_managed_inside_an_area(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let a = area(app, admin).await;
    made(new_user(app, admin, "office", "street_admin", Some(&a.s[0]), Some("13900000001")).await).await;
    made(new_user(app, admin, "office2", "street_admin", Some(&a.s[0]), Some("13900000002")).await).await;
    let theirs =
        made(new_user(app, admin, "far.worker", "grid_worker", Some(&a.c[1]), Some("13800002222")).await).await;
    let office = app.login("office", PASSWORD).await;

    let worker =
        made(new_user(app, &office, "worker.li", "grid_worker", Some(&a.c[0]), Some("+86 13800001111")).await).await;
    problem(new_user(app, &office, "w2", "grid_worker", Some(&a.c[1]), None).await, 403).await;
    problem(new_user(app, &office, "peer", "street_admin", Some(&a.s[0]), None).await, 403).await;
    problem(new_user(app, &office, "someone", "resident", None, None).await, 403).await;
    assert_eq!(
        fields(&problem(new_user(app, &office, "worker.li", "grid_worker", Some(&a.c[0]), None).await, 409).await),
        ["username"]
    );
    assert_eq!(fields(&problem(new_user(app, &office, "x1", "boss", Some(&a.c[0]), None).await, 422).await), ["role"]);
    assert_eq!(
        fields(&problem(new_user(app, &office, "x2", "grid_worker", Some(&a.c[0]), Some("12345")).await, 422).await),
        ["phone"]
    );
    assert_eq!(
        fields(&problem(new_user(app, &office, "x3", "grid_worker", None, None).await, 422).await),
        ["scope_id"]
    );
    // a volunteer who never logs in
    let res = app
        .post(
            Some(&office),
            "/api/v1/users",
            &json!({"username": "wang.volunteer", "display_name": "王阿姨", "role": "volunteer", "scope_id": a.c[0]}),
        )
        .await;
    made(res).await;
    problem(app.post(None, "/api/v1/auth/login", &json!({"username": "wang.volunteer", "password": ""})).await, 401)
        .await;

    // the office sees its street's people, whole phones for those it manages, masked for its peer
    let list = json(app.get(Some(&office), "/api/v1/users?limit=100").await).await;
    let mut names: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["office", "office2", "wang.volunteer", "worker.li"]);
    let phone =
        |name: &str| list["items"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["phone"].clone();
    assert_eq!(phone("worker.li"), "13800001111");
    assert_eq!(phone("office2"), "139****0002");
    assert_eq!(phone("office"), "13900000001");
    problem(app.get(Some(&office), &format!("/api/v1/users/{theirs}")).await, 404).await;
    let workers = json(app.get(Some(&office), "/api/v1/users?role=grid_worker").await).await;
    assert_eq!(workers["items"].as_array().unwrap().len(), 1);

    // a worker sees only themselves, may rename themselves, may not promote themselves
    let li = app.login("worker.li", PASSWORD).await;
    let mine = json(app.get(Some(&li), "/api/v1/users").await).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let me = format!("/api/v1/users/{worker}");
    assert_eq!(
        json(app.patch(Some(&li), &me, None, &json!({"display_name": "李强"})).await).await["display_name"],
        "李强"
    );
    problem(app.patch(Some(&li), &me, None, &json!({"role": "street_admin"})).await, 403).await;
    let moved = app.patch(Some(&office), &me, Some("\"2\""), &json!({"phone": null})).await;
    assert_eq!(json(moved).await["phone"], Value::Null);
    problem(
        app.patch(Some(&office), &format!("/api/v1/users/{theirs}"), None, &json!({"display_name": "x"})).await,
        404,
    )
    .await;
}

async fn disabling_an_account_signs_it_out(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let (id, pair) = signed_in_worker(app, admin).await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get(Some(token), "/api/v1/auth/me").await.status(), 200);
    let path = format!("/api/v1/users/{id}");
    assert_eq!(json(app.patch(Some(admin), &path, None, &json!({"disabled": true})).await).await["disabled"], true);
    signed_out(app, token, &pair).await;
    app.patch(Some(admin), &path, None, &json!({"disabled": false})).await;
    app.login("worker", PASSWORD).await;
    problem(app.get(Some(token), "/api/v1/auth/me").await, 401).await; // the old token stays void
}

async fn a_password_change_signs_out_everywhere(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let (id, pair) = signed_in_worker(app, admin).await;
    let token = pair["access_token"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}/password");
    let wrong = app.post(Some(token), &path, &json!({"password": "a new password", "current_password": "nope"})).await;
    assert_eq!(fields(&problem(wrong, 422).await), ["current_password"]);
    problem(app.post(Some(token), &path, &json!({"password": "short"})).await, 422).await;
    let ok = app.post(Some(token), &path, &json!({"password": "a new password", "current_password": PASSWORD})).await;
    assert_eq!(ok.status(), 204);
    signed_out(app, token, &pair).await;
    app.login("worker", "a new password").await;
    // an admin resets it without knowing it
    assert_eq!(app.post(Some(admin), &path, &json!({"password": PASSWORD})).await.status(), 204);
    app.login("worker", PASSWORD).await;
}

/// A grid worker "worker" made in a new area, logged in: their id and token pair.
async fn signed_in_worker(app: &TestApp, admin: &str) -> (String, Value) {
    let a = area(app, admin).await;
    let id = made(new_user(app, admin, "worker", "grid_worker", Some(&a.c[0]), None).await).await;
    let pair =
        json(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await).await;
    (id, pair)
}

/// The worker's access token, refresh token and password no longer let them in.
async fn signed_out(app: &TestApp, token: &str, pair: &Value) {
    problem(app.get(Some(token), "/api/v1/auth/me").await, 401).await;
    problem(app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await, 401).await;
    problem(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await, 401)
        .await;
}

async fn repeated_wrong_passwords_lock_the_account(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    app.create_user("victim", Role::SystemAdmin, None);
    let attempt = |password: &'static str| async move {
        app.post(None, "/api/v1/auth/login", &json!({"username": "victim", "password": password})).await
    };
    for _ in 0..5 {
        problem(attempt("guess").await, 401).await;
    }
    // locked: even the right password is refused — in words, status and headers no different
    // from those for a username nobody has, so the lock tells no one which usernames exist
    let shown = |res: Response| async move {
        let mut headers: Vec<String> = res
            .headers()
            .iter()
            .filter(|(k, _)| !["date", "content-length", "x-request-id"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap()))
            .collect();
        headers.sort();
        (res.status().as_u16(), headers, json(res).await)
    };
    let locked = shown(attempt(PASSWORD).await).await;
    let nobody =
        shown(app.post(None, "/api/v1/auth/login", &json!({"username": "nobody", "password": PASSWORD})).await).await;
    assert_eq!(locked, nobody);
    assert_eq!(locked.0, 401);
    assert!(locked.2["detail"].as_str().unwrap().contains("locked"), "the words say it may be locked");
    app.login(ADMIN, PASSWORD).await; // others are not affected
    // a minute later the account opens again
    app.advance_clock(chrono::Duration::seconds(61));
    app.login("victim", PASSWORD).await;
}

async fn audit_rows_are_written_and_read_in_scope(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let a = area(app, admin).await;
    made(new_user(app, admin, "donghu", "district_admin", Some(&a.d[0]), None).await).await;
    made(new_user(app, admin, "office", "street_admin", Some(&a.s[0]), None).await).await;
    let worker = made(new_user(app, admin, "worker", "grid_worker", Some(&a.c[0]), Some("13800001111")).await).await;
    let donghu = app.login("donghu", PASSWORD).await;
    let office = app.login("office", PASSWORD).await;
    app.patch(Some(&office), &format!("/api/v1/users/{worker}"), None, &json!({"phone": "13800009999"})).await;

    let all = json(app.get(Some(admin), "/api/v1/audit?limit=500").await).await;
    let actions: Vec<&str> = all["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in
        ["district.create", "street.create", "community.create", "department.create", "user.create", "user.update"]
    {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let mine = json(app.get(Some(&donghu), "/api/v1/audit?limit=500").await).await;
    let rows = mine["items"].as_array().unwrap();
    assert!(rows.len() >= 6 && rows.len() < all["items"].as_array().unwrap().len());
    assert!(rows.iter().all(|e| e["district_id"] == a.d[0].as_str()), "only district 1");
    let update = json(app.get(Some(&office), &format!("/api/v1/audit?target={worker}")).await).await;
    let rows = update["items"].as_array().unwrap();
    assert_eq!(rows.iter().map(|e| e["action"].as_str().unwrap()).collect::<Vec<_>>(), ["user.create", "user.update"]);
    let change = &rows[1];
    assert_eq!(change["changes"]["phone"], json!({"from": "138****1111", "to": "138****9999"}));
    let office_id = json(app.get(Some(&office), "/api/v1/auth/me").await).await["user"]["id"].clone();
    assert_eq!(change["actor_id"], office_id);
    let by_actor =
        json(app.get(Some(admin), &format!("/api/v1/audit?actor={}", office_id.as_str().unwrap())).await).await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 1);
    assert_eq!(json(app.get(Some(admin), "/api/v1/audit?since=2999-01-01T00:00:00Z").await).await["items"], json!([]));
    assert_eq!(fields(&problem(app.get(Some(admin), "/api/v1/audit?since=yesterday").await, 400).await), ["since"]);
    let theirs = json(app.get(Some(&office), &format!("/api/v1/audit?target={}", a.c[1])).await).await;
    assert_eq!(theirs["items"], json!([]), "another district's rows stay hidden");
    problem(app.get(Some(&app.login("worker", PASSWORD).await), "/api/v1/audit").await, 403).await;
}
