//! The permission matrix: every role against records inside and outside its scope.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(the_permission_matrix_holds,);

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
    let far_dept = app.store(|conn| {
        department::create(conn, &Caller::system(), department::NewDepartment::government(&d2, "chengguan", "城管局"))
            .unwrap()
            .id
    });
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
