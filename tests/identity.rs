//! Identity and access: accounts managed inside an area, sign-out when an account is disabled
//! or its password changes, lockout and rate limits, WeChat login, the audit log, and the
//! permission matrix — every role against records inside and outside its scope.

use gridhub_e2e::*;
use gridhub_store::regions::department;
use gridhub_store::{Caller, Role};
use serde_json::{Value, json};

on_both_backends!(
    accounts_are_managed_inside_an_area,
    disabling_an_account_signs_it_out,
    a_password_change_signs_out_everywhere,
    repeated_wrong_passwords_lock_the_account,
    audit_rows_are_written_and_read_in_scope,
    the_permission_matrix_holds,
    residents_log_in_with_wechat,
);

/// Two districts, each with a street and a community: area 1 is "ours", area 2 "theirs".
struct Area {
    d: [String; 2],
    s: [String; 2],
    c: [String; 2],
    dept: String,
}

async fn area(app: &TestApp, admin: &str) -> Area {
    let mut ids: Vec<[String; 3]> = Vec::new();
    for (dc, sc, cc, lng) in
        [("360102", "360102001", "360102001001", 115.89), ("360103", "360103001", "360103001001", 115.87)]
    {
        let d = app.create(admin, "/api/v1/districts", &json!({"code": dc, "name": format!("区{dc}")})).await;
        let s = app
            .create(admin, "/api/v1/streets", &json!({"district_id": d["id"], "code": sc, "name": format!("街道{sc}")}))
            .await;
        let c = app
            .create(admin, "/api/v1/communities", &json!({"street_id": s["id"], "code": cc, "name": format!("社区{cc}"), "boundary": square(lng, 28.67, 0.005)}))
            .await;
        ids.push([d, s, c].map(|v| v["id"].as_str().unwrap().to_owned()));
    }
    let d1 = ids[0][0].clone();
    let dept =
        app.store(|conn| department::create(conn, &Caller::system(), &d1, "chengguan", "城管局", None).unwrap().id);
    Area {
        d: [ids[0][0].clone(), ids[1][0].clone()],
        s: [ids[0][1].clone(), ids[1][1].clone()],
        c: [ids[0][2].clone(), ids[1][2].clone()],
        dept,
    }
}

async fn new_user(
    app: &TestApp,
    token: &str,
    username: &str,
    role: &str,
    scope: Option<&str>,
    phone: Option<&str>,
) -> Response {
    let body = json!({"username": username, "password": PASSWORD, "display_name": username, "role": role, "scope_id": scope, "phone": phone});
    app.post(Some(token), "/api/v1/users", &body).await
}

async fn made(res: Response) -> String {
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

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
    let a = area(app, admin).await;
    let id = made(new_user(app, admin, "worker", "grid_worker", Some(&a.c[0]), None).await).await;
    let pair =
        json(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await).await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(app.get(Some(token), "/api/v1/auth/me").await.status(), 200);
    let path = format!("/api/v1/users/{id}");
    assert_eq!(json(app.patch(Some(admin), &path, None, &json!({"disabled": true})).await).await["disabled"], true);
    problem(app.get(Some(token), "/api/v1/auth/me").await, 401).await;
    problem(app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await, 401).await;
    problem(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await, 401)
        .await;
    app.patch(Some(admin), &path, None, &json!({"disabled": false})).await;
    app.login("worker", PASSWORD).await;
    problem(app.get(Some(token), "/api/v1/auth/me").await, 401).await; // the old token stays void
}

async fn a_password_change_signs_out_everywhere(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let a = area(app, admin).await;
    let id = made(new_user(app, admin, "worker", "grid_worker", Some(&a.c[0]), None).await).await;
    let pair =
        json(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await).await;
    let token = pair["access_token"].as_str().unwrap();
    let path = format!("/api/v1/users/{id}/password");
    let wrong = app.post(Some(token), &path, &json!({"password": "a new password", "current_password": "nope"})).await;
    assert_eq!(fields(&problem(wrong, 422).await), ["current_password"]);
    problem(app.post(Some(token), &path, &json!({"password": "short"})).await, 422).await;
    let ok = app.post(Some(token), &path, &json!({"password": "a new password", "current_password": PASSWORD})).await;
    assert_eq!(ok.status(), 204);
    problem(app.get(Some(token), "/api/v1/auth/me").await, 401).await;
    problem(app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": pair["refresh_token"]})).await, 401).await;
    problem(app.post(None, "/api/v1/auth/login", &json!({"username": "worker", "password": PASSWORD})).await, 401)
        .await;
    app.login("worker", "a new password").await;
    // an admin resets it without knowing it
    assert_eq!(app.post(Some(admin), &path, &json!({"password": PASSWORD})).await.status(), 204);
    app.login("worker", PASSWORD).await;
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

async fn the_permission_matrix_holds(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, admin) = (&w.app, w.admin.as_str());
    let a = area(app, admin).await;
    let mut cell = Vec::new();
    for c in &a.c {
        let made =
            json(app.post(Some(admin), &format!("/api/v1/communities/{c}/cells/generate"), &json!({})).await).await;
        cell.push(made["features"][0]["id"].as_str().unwrap().to_owned());
    }
    let roles: [(&str, Role, Option<&str>); 8] = [
        ("sys", Role::SystemAdmin, None),
        ("d1admin", Role::DistrictAdmin, Some(&a.d[0])),
        ("s1admin", Role::StreetAdmin, Some(&a.s[0])),
        ("c1admin", Role::CommunityAdmin, Some(&a.c[0])),
        ("worker", Role::GridWorker, Some(&a.c[0])),
        ("volunteer", Role::Volunteer, Some(&a.c[0])),
        ("dept", Role::DeptStaff, Some(&a.dept)),
        ("resident", Role::Resident, None),
    ];
    let d2 = a.d[1].clone();
    let far_dept =
        app.store(|conn| department::create(conn, &Caller::system(), &d2, "chengguan", "城管局", None).unwrap().id);
    let near = app.create_user("near.volunteer", Role::Volunteer, Some(&a.c[0]));
    let far = app.create_user("far.volunteer", Role::Volunteer, Some(&a.c[1]));
    // (method, path, body) for area 1 then area 2, and per role the statuses expected
    let in_areas = |f: &dyn Fn(usize) -> (&'static str, String, Option<Value>)| [f(0), f(1)];
    type Probe = [(&'static str, String, Option<Value>); 2];
    let probes: Vec<(&str, Probe)> = vec![
        ("read district", in_areas(&|i| ("GET", format!("/api/v1/districts/{}", a.d[i]), None))),
        ("read street", in_areas(&|i| ("GET", format!("/api/v1/streets/{}", a.s[i]), None))),
        ("read community", in_areas(&|i| ("GET", format!("/api/v1/communities/{}", a.c[i]), None))),
        ("read cell", in_areas(&|i| ("GET", format!("/api/v1/cells/{}", cell[i]), None))),
        ("coverage", in_areas(&|i| ("GET", format!("/api/v1/communities/{}/coverage", a.c[i]), None))),
        ("map", in_areas(&|i| ("GET", format!("/api/v1/communities/{}/map.svg", a.c[i]), None))),
        (
            "rename district",
            in_areas(&|i| ("PATCH", format!("/api/v1/districts/{}", a.d[i]), Some(json!({"name": "改名"})))),
        ),
        (
            "rename street",
            in_areas(&|i| ("PATCH", format!("/api/v1/streets/{}", a.s[i]), Some(json!({"name": "改名"})))),
        ),
        (
            "rename community",
            in_areas(&|i| ("PATCH", format!("/api/v1/communities/{}", a.c[i]), Some(json!({"name": "改名"})))),
        ),
        ("rename cell", in_areas(&|i| ("PATCH", format!("/api/v1/cells/{}", cell[i]), Some(json!({"name": "改名"}))))),
        (
            "generate cells",
            in_areas(&|i| {
                ("POST", format!("/api/v1/communities/{}/cells/generate", a.c[i]), Some(json!({"dry_run": true})))
            }),
        ),
        ("cell assignments", in_areas(&|i| ("GET", format!("/api/v1/cells/{}/assignments", cell[i]), None))),
        ("community staffing", in_areas(&|i| ("GET", format!("/api/v1/communities/{}/staffing", a.c[i]), None))),
        ("street staffing", in_areas(&|i| ("GET", format!("/api/v1/streets/{}/staffing", a.s[i]), None))),
        ("read user", [("GET", format!("/api/v1/users/{near}"), None), ("GET", format!("/api/v1/users/{far}"), None)]),
        (
            "create volunteer",
            in_areas(&|i| {
                (
                    "POST",
                    "/api/v1/users".into(),
                    Some(json!({"display_name": "x", "role": "volunteer", "scope_id": a.c[i]})),
                )
            }),
        ),
        ("audit", [("GET", "/api/v1/audit".into(), None), ("GET", format!("/api/v1/audit?target={}", a.c[1]), None)]),
        (
            "read department",
            [
                ("GET", format!("/api/v1/departments/{}", a.dept), None),
                ("GET", format!("/api/v1/departments/{far_dept}"), None),
            ],
        ),
        (
            "locate",
            [
                ("GET", "/api/v1/cells/locate?lng=115.8905&lat=28.6705".into(), None),
                ("GET", "/api/v1/cells/locate?lng=115.8705&lat=28.6705".into(), None),
            ],
        ),
    ];
    const R: [u16; 2] = [200, 404]; // reads: ours, not theirs
    const W: [u16; 2] = [403, 404]; // may see ours but not change it
    const N: [u16; 2] = [404, 404]; // sees nothing
    const A: [u16; 2] = [200, 200];
    #[rustfmt::skip]
    let expect: [[[u16; 2]; 19]; 8] = [
        //  district street community cell coverage map   rn-d  rn-s  rn-c  rn-cell gen  cell-asg c-staff s-staff user  create     audit  dept locate
        [A, A, A, A, A, A, A, A, A, A, A, A, A, A, A, [201, 201], A, A, A], // sys
        [R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, [201, 403], A, R, A], // d1admin
        [R, R, R, R, R, R, W, W, W, R, R, R, R, R, R, [201, 403], A, R, A], // s1admin
        [R, R, R, R, R, R, W, W, W, W, W, R, R, N, R, [201, 403], A, R, A], // c1admin
        [R, R, R, R, R, R, W, W, W, W, W, R, R, N, N, [403, 403], [403, 403], R, A], // worker
        [R, R, R, R, R, R, W, W, W, W, W, R, R, N, N, [403, 403], [403, 403], R, A], // volunteer
        [R, R, R, R, R, R, W, W, W, W, W, R, R, R, N, [403, 403], [403, 403], R, A], // dept
        [N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, [403, 403], [403, 403], N, A], // resident
    ];
    let mut failures = Vec::new();
    for ((name, role, scope), want) in roles.iter().zip(expect) {
        app.create_user(name, *role, *scope);
        let t = app.login(name, PASSWORD).await;
        for ((what, probe), statuses) in probes.iter().zip(want) {
            for ((method, path, body), status) in probe.iter().zip(statuses) {
                let mut req = app.client.request(method.parse().unwrap(), app.url(path)).bearer_auth(&t);
                if let Some(b) = body {
                    let mut b = b.clone();
                    if *what == "create volunteer" {
                        b["username"] = json!(format!("{name}.{}", uuid::Uuid::now_v7().simple()));
                    }
                    req = req.json(&b);
                }
                let got = req.send().await.unwrap().status().as_u16();
                if got != status {
                    failures.push(format!("{name}: {what} {method} {path}: {got}, expected {status}"));
                }
            }
        }
        // lists hold only what the role sees: both areas for the system admin, one for the rest
        let count = if *role == Role::SystemAdmin {
            2
        } else if *role == Role::Resident {
            0
        } else {
            1
        };
        for list in ["/api/v1/districts", "/api/v1/communities"] {
            let got = json(app.get(Some(&t), list).await).await["items"].as_array().unwrap().len();
            if got != count {
                failures.push(format!("{name}: GET {list} lists {got}, expected {count}"));
            }
        }
        check_me(app, &t, name, &mut failures).await;
    }
    assert!(failures.is_empty(), "the permission matrix is broken:\n{}", failures.join("\n"));
}

async fn check_me(app: &TestApp, token: &str, name: &str, failures: &mut Vec<String>) {
    let status = app.get(Some(token), "/api/v1/auth/me").await.status().as_u16();
    if status != 200 {
        failures.push(format!("{name}: GET /api/v1/auth/me: {status}"));
    }
}

/// A fake WeChat API on 127.0.0.1: the code chooses the answer.
mod fake_wechat {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Query {
        appid: String,
        secret: String,
        js_code: String,
        grant_type: String,
    }

    async fn jscode2session(q: web::Query<Query>) -> HttpResponse {
        if q.appid != "wx-test-app" || q.secret != "wx-test-secret" || q.grant_type != "authorization_code" {
            return HttpResponse::Ok().body(r#"{"errcode":40013,"errmsg":"invalid appid"}"#);
        }
        let body = match q.js_code.as_str() {
            "good-a" => r#"{"openid":"oA-123","session_key":"SECRET-SESSION-KEY","unionid":"uA-456"}"#,
            "good-a-again" => r#"{"openid":"oA-123","session_key":"SECRET-SESSION-KEY-2"}"#,
            "good-b" => r#"{"openid":"oB-789","session_key":"SECRET-SESSION-KEY-3"}"#,
            "used" => r#"{"errcode":40029,"errmsg":"invalid code"}"#,
            "limited" => r#"{"errcode":45011,"errmsg":"api minute-quota reach limit"}"#,
            "blocked" => r#"{"errcode":40226,"errmsg":"high risk user"}"#,
            "busy" => r#"{"errcode":-1,"errmsg":"system error"}"#,
            "slow" => {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(3)).await;
                r#"{"openid":"late"}"#
            }
            _ => "<html>502 Bad Gateway</html>",
        };
        // WeChat labels its JSON text/plain
        HttpResponse::Ok().content_type("text/plain").body(body)
    }

    /// Starts the fake; returns its base URL. It lives as long as the test process.
    pub fn start() -> String {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(|| App::new().route("/sns/jscode2session", web::get().to(jscode2session)))
                    .workers(1)
                    .disable_signals()
                    .bind("127.0.0.1:0")
                    .unwrap();
                tx.send(server.addrs()[0].port()).unwrap();
                server.run().await.unwrap();
            })
        });
        format!("http://127.0.0.1:{}", rx.recv().unwrap())
    }
}

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
