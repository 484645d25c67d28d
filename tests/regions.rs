//! The administrative hierarchy over HTTP: each route, codes that must nest, boundaries that
//! must be valid, ETags, paging, and who may write.

use gridhub_e2e::*;
use gridhub_store::Role;
use serde_json::{Value, json};

on_both_backends!(
    districts_are_created_read_listed_and_patched,
    lists_page_through_every_record_once,
    streets_nest_under_their_district,
    communities_need_a_valid_boundary,
    only_admins_of_the_district_write_regions,
    oversized_bodies_are_refused,
);

async fn districts_are_created_read_listed_and_patched(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, t) = (&w.app, Some(w.admin.as_str()));
    let res = app.post(t, "/api/v1/districts", &json!({"code": "360102", "name": "东湖区"})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let d = json(res).await;
    assert_eq!(location, format!("/api/v1/districts/{}", d["id"].as_str().unwrap()));
    assert_eq!(
        (d["code"].as_str(), d["name"].as_str(), d["version"].as_i64()),
        (Some("360102"), Some("东湖区"), Some(1))
    );
    assert!(d["created_at"].as_str().unwrap().ends_with('Z'));

    let got = app.get(t, &location).await;
    assert_eq!(got.headers()["etag"], "\"1\"");
    assert_eq!(json(got).await, d);
    let list = json(app.get(t, "/api/v1/districts").await).await;
    assert_eq!(list["items"], json!([d]));
    assert_eq!(list["next_cursor"], Value::Null);

    let res = app.patch(t, &location, Some("\"1\""), &json!({"name": "东湖区（南昌）"})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    assert_eq!(json(res).await["name"], "东湖区（南昌）");
    let stale = problem(app.patch(t, &location, Some("\"1\""), &json!({"name": "x"})).await, 412).await;
    assert!(stale["detail"].as_str().unwrap().contains("version 2"), "{stale}");
    // a weak tag and a bare version are read as the version they name; a value that is no ETag
    // of ours matches no version (RFC 9110: 412), and none of them changes anything
    for tag in ["W/\"1\"", "1", "yesterday", "\"\"", "0"] {
        problem(app.patch(t, &location, Some(tag), &json!({"name": "x"})).await, 412).await;
    }
    assert_eq!(json(app.get(t, &location).await).await["name"], "东湖区（南昌）", "a stale write changes nothing");
    let res = app.patch(t, &location, Some("W/\"2\""), &json!({"name": "东湖区"})).await;
    assert_eq!(res.headers()["etag"], "\"3\"", "a weak tag of the current version matches");

    let dup = problem(app.post(t, "/api/v1/districts", &json!({"code": "360102", "name": "again"})).await, 409).await;
    assert_eq!(fields(&dup), ["code"]);
    let bad = problem(app.post(t, "/api/v1/districts", &json!({"code": "3601", "name": " "})).await, 422).await;
    assert_eq!(fields(&bad), ["code", "name"]);
    let city = problem(app.post(t, "/api/v1/districts", &json!({"code": "360100", "name": "南昌市"})).await, 422).await;
    assert_eq!(fields(&city), ["code"]);
    let extra =
        problem(app.post(t, "/api/v1/districts", &json!({"code": "360103", "name": "西湖区", "colour": 1})).await, 422)
            .await;
    assert_eq!(fields(&extra), ["colour"]);
    problem(app.get(t, "/api/v1/districts/01000000-0000-7000-8000-000000000000").await, 404).await;
    problem(app.patch(t, "/api/v1/districts/nope", None, &json!({"name": "x"})).await, 404).await;
}

async fn lists_page_through_every_record_once(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, t) = (&w.app, Some(w.admin.as_str()));
    let codes = ["360102", "360103", "360104", "360111", "360112"];
    for code in codes {
        app.create(&w.admin, "/api/v1/districts", &json!({"code": code, "name": format!("区{code}")})).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/districts?limit=2".to_owned();
    loop {
        let page = json(app.get(t, &path).await).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|d| d["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/districts?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, codes, "every record once, in creation order");
    for bad in ["limit=0", "limit=501", "limit=ten"] {
        assert_eq!(fields(&problem(app.get(t, &format!("/api/v1/districts?{bad}")).await, 400).await), ["limit"]);
    }
    assert_eq!(fields(&problem(app.get(t, "/api/v1/districts?cursor=%%%").await, 400).await), ["cursor"]);
}

async fn streets_nest_under_their_district(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, t) = (&w.app, Some(w.admin.as_str()));
    let r = regions(app, &w.admin).await;
    let other = app.create(&w.admin, "/api/v1/districts", &json!({"code": "360103", "name": "西湖区"})).await;
    let other_street = app
        .create(&w.admin, "/api/v1/streets", &json!({"district_id": other["id"], "code": "360103001", "name": "南浦街道", "boundary": square(115.88, 28.67, 0.01)}))
        .await;
    assert_eq!(other_street["boundary"]["type"], "Polygon");

    let wrong = problem(
        app.post(t, "/api/v1/streets", &json!({"district_id": r.district, "code": "360103002", "name": "x"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&wrong), ["code"]);
    assert!(wrong["detail"].as_str().unwrap().contains("360102"), "{wrong}");
    let orphan = problem(
        app.post(t, "/api/v1/streets", &json!({"district_id": "nope", "code": "360102009", "name": "x"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&orphan), ["district_id"]);

    let mine = json(app.get(t, &format!("/api/v1/streets?district_id={}", r.district)).await).await;
    let ids: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [r.street.as_str()]);
    assert_eq!(json(app.get(t, "/api/v1/streets").await).await["items"].as_array().unwrap().len(), 2);

    // a boundary can be set and removed again
    let path = format!("/api/v1/streets/{}", r.street);
    let set = json(app.patch(t, &path, None, &json!({"boundary": square(115.89, 28.676, 0.01)})).await).await;
    assert_eq!(set["boundary"]["type"], "Polygon");
    let cleared = json(app.patch(t, &path, None, &json!({"boundary": null})).await).await;
    assert_eq!((cleared["boundary"].clone(), cleared["version"].as_i64()), (Value::Null, Some(3)));
    let kept = json(app.patch(t, &path, None, &json!({"name": "公园街道办"})).await).await;
    assert_eq!((kept["name"].as_str(), kept["boundary"].clone()), (Some("公园街道办"), Value::Null));

    let communities = json(app.get(t, &format!("/api/v1/communities?street_id={}", r.street)).await).await;
    assert_eq!(communities["items"][0]["id"], r.community.as_str());
    assert_eq!(
        json(app.get(t, &format!("/api/v1/communities?street_id={}", other_street["id"].as_str().unwrap())).await)
            .await["items"],
        json!([])
    );
}

async fn communities_need_a_valid_boundary(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let (app, t) = (&w.app, Some(w.admin.as_str()));
    let r = regions(app, &w.admin).await;
    let c = json(app.get(t, &format!("/api/v1/communities/{}", r.community)).await).await;
    let area = c["area_m2"].as_f64().unwrap();
    assert!((area - 270_000.0).abs() < 10_000.0, "0.005° square near 28.7°N is about 489 m × 554 m, got {area}");
    let post = |boundary: Value| {
        let body = json!({"street_id": r.street, "code": "360102001002", "name": "公园社区", "boundary": boundary});
        async move { app.post(t, "/api/v1/communities", &body).await }
    };
    let open =
        json!({"type": "Polygon", "coordinates": [[[115.9, 28.67], [115.91, 28.67], [115.91, 28.68], [115.9, 28.68]]]});
    let p = problem(post(open).await, 422).await;
    assert_eq!(fields(&p), ["boundary.coordinates[0]"]);
    assert!(p["detail"].as_str().unwrap().contains("not closed"), "{p}");
    let far =
        json!({"type": "Polygon", "coordinates": [[[115.9, 28.67], [215.91, 28.67], [115.91, 28.68], [115.9, 28.67]]]});
    assert_eq!(fields(&problem(post(far).await, 422).await), ["boundary.coordinates[0][1]"]);
    let bow_tie = json!({"type": "Polygon", "coordinates": [[[115.90, 28.67], [115.91, 28.68], [115.91, 28.67], [115.90, 28.68], [115.90, 28.67]]]});
    let p = problem(post(bow_tie).await, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("crosses itself near [115.905000, 28.675000]"), "{p}");
    assert_eq!(
        fields(&problem(post(json!({"type": "Point", "coordinates": [115.9, 28.67]})).await, 422).await),
        ["boundary.type"]
    );
    assert_eq!(fields(&problem(post(json!("a string")).await, 422).await), ["boundary"]);
    let no_boundary =
        app.post(t, "/api/v1/communities", &json!({"street_id": r.street, "code": "360102001002", "name": "x"})).await;
    assert_eq!(fields(&problem(no_boundary, 422).await), ["boundary"]);
    let typed = app
        .post(
            t,
            "/api/v1/communities",
            &json!({"street_id": r.street, "code": "360102001002", "name": 7, "boundary": square(1.0, 1.0, 1.0)}),
        )
        .await;
    assert_eq!(fields(&problem(typed, 422).await), ["name"]);
    let foreign = app
        .post(
            t,
            "/api/v1/communities",
            &json!({"street_id": r.street, "code": "360102002001", "name": "x", "boundary": square(1.0, 1.0, 1.0)}),
        )
        .await;
    assert_eq!(fields(&problem(foreign, 422).await), ["code"]);
    // nothing above was stored; a valid one is
    assert_eq!(json(app.get(t, "/api/v1/communities").await).await["items"].as_array().unwrap().len(), 1);
    let multi = json!({"type": "MultiPolygon", "coordinates": [square(115.9, 28.67, 0.002)["coordinates"], square(115.91, 28.67, 0.002)["coordinates"]]});
    let made = json(post(multi.clone()).await).await;
    assert_eq!(made["boundary"], multi);
    let path = format!("/api/v1/communities/{}", made["id"].as_str().unwrap());
    let bad_patch =
        app.patch(t, &path, None, &json!({"boundary": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}})).await;
    assert_eq!(fields(&problem(bad_patch, 422).await), ["boundary.coordinates[0]"]);
}

async fn only_admins_of_the_district_write_regions(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let r = regions(app, &w.admin).await;
    let other = app.create(&w.admin, "/api/v1/districts", &json!({"code": "360103", "name": "西湖区"})).await;
    app.create_user("donghu", Role::DistrictAdmin, Some(&r.district));
    app.create_user("xihu", Role::DistrictAdmin, Some(other["id"].as_str().unwrap()));
    app.create_user("office", Role::StreetAdmin, Some(&r.street));
    app.create_user("worker", Role::GridWorker, Some(&r.community));
    let donghu = app.login("donghu", PASSWORD).await;
    let street = json!({"district_id": r.district, "code": "360102004", "name": "百花洲街道"});
    let community = format!("/api/v1/communities/{}", r.community);
    // those who see the district but may not write it get 403; another district's admin does
    // not see it at all, so for them it is as if it did not exist
    for (who, create, patch) in [("xihu", 422, 404), ("office", 403, 403), ("worker", 403, 403)] {
        let token = app.login(who, PASSWORD).await;
        problem(app.post(Some(&token), "/api/v1/streets", &street).await, create).await;
        problem(app.patch(Some(&token), &community, None, &json!({"name": "x"})).await, patch).await;
        problem(app.post(Some(&token), "/api/v1/districts", &json!({"code": "360104", "name": "青云谱区"})).await, 403)
            .await;
    }
    app.create(&donghu, "/api/v1/streets", &street).await;
    let renamed = app
        .patch(Some(&donghu), &format!("/api/v1/communities/{}", r.community), None, &json!({"name": "孺子亭"}))
        .await;
    assert_eq!(renamed.status(), 200);
    problem(app.post(Some(&donghu), "/api/v1/districts", &json!({"code": "360104", "name": "青云谱区"})).await, 403)
        .await;
    let foreign = json!({"district_id": other["id"], "code": "360103001", "name": "南浦街道"});
    assert_eq!(
        fields(&problem(app.post(Some(&donghu), "/api/v1/streets", &foreign).await, 422).await),
        ["district_id"]
    );
}

async fn oversized_bodies_are_refused(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let r = regions(app, &w.admin).await;
    // a boundary of 60,000 positions is well over the 1 MiB default
    let mut ring: Vec<Value> =
        (0..60_000).map(|i| json!([115.0 + i as f64 * 1e-7, 28.0 + (i % 2) as f64 * 1e-7])).collect();
    ring.push(ring[0].clone());
    let body = json!({"street_id": r.street, "code": "360102001009", "name": "big", "boundary": {"type": "Polygon", "coordinates": [ring]}});
    assert!(body.to_string().len() > 1024 * 1024);
    problem(app.post(Some(&w.admin), "/api/v1/communities", &body).await, 413).await;
    assert_eq!(app.get(Some(&w.admin), "/healthz").await.status(), 200, "the server is fine afterwards");
}
