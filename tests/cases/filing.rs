//! Filing a report: the idempotent create, duplicates within the radius and not outside it, a point
//! outside every cell, and what is checked and who sees it.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    a_retried_create_returns_the_first_case,
    duplicates_within_the_radius_and_not_outside_it,
    a_point_outside_every_cell_is_filed_and_flagged,
    cases_are_validated_scoped_and_pictured,
);

async fn a_retried_create_returns_the_first_case(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let body = report("SJ0502", HERE);
    let send = async |token: &str, key: &str, body: &Value| {
        app.client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    };
    let first = send(s.t("worker"), "phone-1-report-7", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = json(first).await;
    let again = send(s.t("worker"), "phone-1-report-7", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json(again).await["id"], first["id"]);
    // retries racing each other still make one case
    let racing = futures_util::future::join_all((0..4).map(|_| send(s.t("worker"), "phone-1-report-8", &body))).await;
    let mut ids = Vec::new();
    for res in racing {
        assert_eq!(res.status(), 201);
        ids.push(json(res).await["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one case for four racing retries");
    let listed = json(app.get(Some(s.t("office")), "/api/v1/cases").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "two keys, two cases");
    let events = json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", ids[0])).await).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "one report event");
    // the same key with another body is refused; another user's key is their own
    let mut other = body.clone();
    other["title"] = json!("别的事");
    let p = problem(send(s.t("worker"), "phone-1-report-7", &other).await, 422).await;
    assert_eq!(fields(&p), ["Idempotency-Key"]);
    let theirs = json(send(s.t("cadre"), "phone-1-report-7", &body).await).await;
    assert_ne!(theirs["id"], first["id"]);
    problem(send(s.t("worker"), "", &body).await, 400).await;
}

/// A point `east` metres east and `north` metres north of `HERE`.
fn offset(east: f64, north: f64) -> (f64, f64) {
    let (mx, my) = gridhub_geo::measure::metres_per_degree(HERE.1);
    (HERE.0 + east / mx, HERE.1 + north / my)
}

async fn duplicates_within_the_radius_and_not_outside_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let a = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
    assert_eq!(a["possible_duplicates"], json!([]));
    let b = file(app, s.t("worker"), &report("SJ0502", offset(-30.0, 0.0))).await;
    let dups = b["possible_duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0]["id"], a["id"]);
    assert!((dups[0]["distance_m"].as_f64().unwrap() - 30.0).abs() < 0.5, "{dups:?}");
    assert_eq!(dups[0]["title"], "占道经营");
    let c = file(app, s.t("worker"), &report("SJ0502", offset(80.0, 0.0))).await;
    assert_eq!(c["possible_duplicates"], json!([]), "80 m away is outside the default 50 m");
    let d = file(app, s.t("worker"), &report("SJ0501", HERE)).await;
    assert_eq!(d["possible_duplicates"], json!([]), "another category is no duplicate");
    // the radius is the category's
    let res = app.patch(Some(&w.admin), "/api/v1/categories/SJ0502", None, &json!({"duplicate_radius_m": 100})).await;
    assert_eq!(res.status(), 200);
    let e = file(app, s.t("worker"), &report("SJ0502", offset(60.0, 0.0))).await;
    let near: Vec<String> =
        e["possible_duplicates"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    let expected = [&c, &a, &b].map(|x| x["id"].as_str().unwrap().to_owned());
    assert_eq!(near, expected, "nearest first: c at 20 m, a at 60 m, b at 90 m");
    // a resident is told of a duplicate without other people's words
    let mut request = report("SJ0502", offset(0.0, 10.0));
    request["source"] = json!("resident_request");
    let r = file(app, s.t("resident"), &request).await;
    let first = &r["possible_duplicates"][0];
    assert_eq!(first["id"], a["id"]);
    assert!(first.get("title").is_none(), "{first}");

    // merge the resident's report into a: it closes, the resident follows a
    let rid = r["id"].as_str().unwrap();
    let aid = a["id"].as_str().unwrap();
    problem(app.post(Some(s.t("worker")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": aid})).await, 403)
        .await;
    let p =
        problem(app.post(Some(s.t("office")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": rid})).await, 422)
            .await;
    assert_eq!(fields(&p), ["into"]);
    let res = app.post(Some(s.t("office")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": aid})).await;
    assert_eq!(res.status(), 200);
    let original = json(res).await;
    assert_eq!((original["id"].as_str(), original["reporters_count"].as_i64()), (Some(aid), Some(2)));
    let dup = get_case(app, s.t("office"), rid).await;
    assert_eq!((dup["status"].as_str(), dup["merged_into"].as_str()), (Some("closed"), Some(aid)));
    let followed = get_case(app, s.t("resident"), aid).await;
    assert_eq!(followed["id"], a["id"], "the resident follows the original");
    let mine = json(app.get(Some(s.t("resident")), "/api/v1/cases").await).await;
    let mine: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(mine, [rid, aid]);
    let events = json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{aid}/events")).await).await;
    assert_eq!(events["items"].as_array().unwrap().last().unwrap()["action"], "merged_in");
    // a closed case is no original
    let p = problem(
        app.post(
            Some(s.t("office")),
            &format!("/api/v1/cases/{}/merge", b["id"].as_str().unwrap()),
            &json!({"into": rid}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["into"]);
    // merged duplicates are no longer offered as duplicates
    let f = file(app, s.t("worker"), &report("SJ0502", offset(0.0, 10.0))).await;
    assert!(f["possible_duplicates"].as_array().unwrap().iter().all(|d| d["id"] != r["id"]));
}

async fn a_point_outside_every_cell_is_filed_and_flagged(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let inside = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
    assert_eq!(inside["outside_grid"], false);
    assert!(inside["cell_id"].is_string());
    assert_eq!(inside["community_id"].as_str(), Some(s.r.community.as_str()));
    // 100 m east of the community: outside every cell, placed with the nearest cell's office
    let near = file(app, s.t("worker"), &report("SJ0502", (115.896, 28.6785))).await;
    assert_eq!((near["outside_grid"].clone(), near["cell_id"].clone()), (json!(true), Value::Null));
    assert_eq!(near["street_id"].as_str(), Some(s.r.street.as_str()));
    let events =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", near["id"].as_str().unwrap())).await)
            .await;
    assert_eq!(events["items"][0]["data"]["outside_grid"], true);
    assert!(events["items"][0]["data"]["near_cell_id"].is_string());
    // far from every cell: accepted; a resident's report belongs to no office but its reporter sees it
    let mut far = report("ZL0501", (116.5, 29.5));
    far["source"] = json!("resident_request");
    let lost = file(app, s.t("resident"), &far).await;
    assert_eq!((lost["outside_grid"].clone(), lost["district_id"].clone()), (json!(true), Value::Null));
    get_case(app, s.t("resident"), lost["id"].as_str().unwrap()).await;
    let flagged = json(app.get(Some(&w.admin), "/api/v1/cases?source=resident_request").await).await;
    assert_eq!(flagged["items"][0]["id"], lost["id"], "system admins see what no office holds");
    // GCJ-02 in (a WeChat phone), WGS-84 stored, GCJ-02 out again on request
    let (glng, glat) = gridhub_geo::Crs::Gcj02.from_wgs84(HERE.0, HERE.1);
    let mut body = report("SJ0502", (glng, glat));
    body["crs"] = json!("gcj02");
    let c = file(app, s.t("worker"), &body).await;
    assert_eq!(c["cell_id"], inside["cell_id"]);
    let stored = get_case(app, s.t("worker"), c["id"].as_str().unwrap()).await;
    assert!(
        (stored["lng"].as_f64().unwrap() - HERE.0).abs() < 1e-6
            && (stored["lat"].as_f64().unwrap() - HERE.1).abs() < 1e-6
    );
    let shown =
        json(app.get(Some(s.t("worker")), &format!("/api/v1/cases/{}?crs=gcj02", c["id"].as_str().unwrap())).await)
            .await;
    assert!((shown["lng"].as_f64().unwrap() - glng).abs() < 1e-6);
}

async fn cases_are_validated_scoped_and_pictured(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let bad = json!({"source": "rumour", "category_code": "XX01", "title": "", "lng": 200.0, "lat": 28.6, "attachments": ["../etc/passwd"], "reported_at": "2099-01-01T00:00:00Z", "priority": "now"});
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &bad).await, 422).await;
    assert_eq!(fields(&p), ["source", "category_code", "title", "lng", "priority", "attachments[0]"]);
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &json!({"source": "patrol"})).await, 422).await;
    assert_eq!(fields(&p), ["category_code"]);
    problem(
        app.client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(s.t("worker"))
            .header("content-type", "application/json")
            .body("{\"source\":")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let mut future = report("SJ0502", HERE);
    future["reported_at"] = json!("2099-01-01T00:00:00+08:00");
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &future).await, 422).await;
    assert_eq!(fields(&p), ["reported_at"]);
    // who files what
    let mut hotline = report("SJ0502", HERE);
    hotline["source"] = json!("hotline");
    problem(app.post(Some(s.t("worker")), "/api/v1/cases", &hotline).await, 403).await;
    problem(app.post(Some(s.t("resident")), "/api/v1/cases", &report("SJ0502", HERE)).await, 403).await;
    problem(app.post(Some(s.t("chengguan")), "/api/v1/cases", &report("SJ0502", HERE)).await, 403).await;
    let phone_time = "2026-11-20T08:30:00+08:00";
    let mut mine = report("SJ0502", HERE);
    mine["reported_at"] = json!(phone_time);
    mine["address"] = json!("阳明路 1 号");
    let a = file(app, s.t("worker"), &mine).await;
    assert_eq!(a["reported_at"], "2026-11-20T00:30:00.000000Z", "the phone's time, in UTC");
    assert_ne!(a["received_at"], a["reported_at"]);
    let b = file(app, s.t("office"), &hotline).await;
    let aid = a["id"].as_str().unwrap();

    // corrections: the category only before filing, with If-Match
    let path = format!("/api/v1/cases/{aid}");
    problem(app.patch(Some(s.t("worker")), &path, Some("\"7\""), &json!({"category_code": "SJ0501"})).await, 412).await;
    let res = app
        .patch(
            Some(s.t("worker")),
            &path,
            Some("\"1\""),
            &json!({"category_code": "SJ0501", "description": "改为暴露垃圾"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["category_code"], "SJ0501");
    step(app, s.t("office"), aid, "file", json!({}), "filed").await;
    let p = problem(app.patch(Some(s.t("office")), &path, None, &json!({"category_code": "SJ0502"})).await, 409).await;
    assert_eq!(fields(&p), ["category_code"]);
    problem(app.patch(Some(s.t("worker")), &path, None, &json!({"title": "我改一下"})).await, 403).await;
    let res = app.patch(Some(s.t("office")), &path, None, &json!({"priority": "urgent"})).await;
    assert_eq!(res.status(), 200);

    // lists: scoped, filtered
    let ids = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = json(app.get(Some(s.t("office")), "/api/v1/cases").await).await;
    assert_eq!(ids(&all), [b["id"].as_str().unwrap(), aid], "newest first");
    assert_eq!(ids(&json(app.get(Some(s.t("office2")), "/api/v1/cases").await).await), Vec::<String>::new());
    assert_eq!(ids(&json(app.get(Some(s.t("chengguan")), "/api/v1/cases").await).await), Vec::<String>::new());
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?status=filed").await).await), [aid]);
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?category=SJ05").await).await).len(), 2);
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?category=SJ0501").await).await), [aid]);
    assert_eq!(
        ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?overdue=true").await).await),
        Vec::<String>::new()
    );
    let page = json(app.get(Some(s.t("office")), "/api/v1/cases?limit=1").await).await;
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = json(app.get(Some(s.t("office")), &format!("/api/v1/cases?limit=1&cursor={next}")).await).await;
    assert_eq!(ids(&page2), [aid]);
    for q in ["status=open", "overdue=maybe", "category=XX", "created_from=yesterday"] {
        problem(app.get(Some(s.t("office")), &format!("/api/v1/cases?{q}")).await, 400).await;
    }
    let cell = a["cell_id"].as_str().unwrap();
    assert_eq!(ids(&json(app.get(Some(s.t("worker")), &format!("/api/v1/cases?cell_id={cell}")).await).await).len(), 2);

    // a case dispatched to the department: its staff see it, the other department does not
    step(app, s.t("office"), aid, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    assert_eq!(ids(&json(app.get(Some(s.t("chengguan")), "/api/v1/cases").await).await), [aid]);
    assert_eq!(
        ids(&json(
            app.get(Some(s.t("office")), &format!("/api/v1/cases?department_id={}", s.depts["chengguan"])).await
        )
        .await),
        [aid]
    );
    problem(app.get(Some(s.t("gongan")), &path).await, 404).await;

    // the map shows open cases per cell
    let res = app
        .get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=open_cases", s.r.community))
        .await;
    assert_eq!(res.status(), 200);
    let svg = res.text().await.unwrap();
    assert!(svg.contains("无在办事件") && svg.contains("#f8e08e"), "a cell with two open cases is coloured");
    problem(
        app.get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=cases", s.r.community)).await,
        400,
    )
    .await;
}
