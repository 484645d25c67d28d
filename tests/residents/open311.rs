//! Open311 GeoReport v2: a civic app with a key files a request by form post and reads it back as
//! the specification writes it (JSON arrays, XML with its declaration, W3C datetimes with their
//! offset), by its public face only; discovery and services answer; a revoked key is refused.

use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(a_civic_app_files_and_follows_requests_over_open311);

async fn form(app: &TestApp, path: &str, fields: &[(&str, String)]) -> Response {
    let body = serde_urlencoded::to_string(fields).unwrap();
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn a_civic_app_files_and_follows_requests_over_open311(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let issued =
        app.create(&w.admin, "/api/v1/open311/keys", &json!({"name": "洪城市民通", "district_id": s.r.district})).await;
    let key = issued["api_key"].as_str().unwrap().to_owned();
    problem(
        app.post(Some(s.t("donghu")), "/api/v1/open311/keys", &json!({"name": "x", "district_id": s.r.district})).await,
        403,
    )
    .await;
    let listed = get_ok(app, &w.admin, "/api/v1/open311/keys").await;
    assert!(!listed.to_string().contains(&key), "the key itself is not kept");

    // discovery and services, as JSON and as XML
    let d = json(app.get(None, "/open311/v2/discovery.json").await).await;
    assert_eq!(d["endpoints"][0]["specification"], "http://wiki.open311.org/GeoReport_v2");
    let services = json(app.get(None, "/open311/v2/services.json").await).await;
    let sj0502 = services.as_array().unwrap().iter().find(|s| s["service_code"] == "SJ0502").unwrap().clone();
    assert_eq!((sj0502["metadata"].as_bool(), sj0502["type"].as_str()), (Some(false), Some("realtime")));
    assert!(sj0502["group"].as_str().is_some_and(|g| !g.is_empty()), "{sj0502}");
    let xml = app.get(None, "/open311/v2/services.xml").await;
    assert!(xml.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
    let xml = xml.text().await.unwrap();
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="utf-8"?><services><service><service_code>"#),
        "{}",
        &xml[..200]
    );

    // a request by form post, as the specification sends it
    let (lng, lat) = s.inside(0);
    let mut fields = vec![
        ("api_key", key.clone()),
        ("service_code", "SJ0502".to_owned()),
        ("lat", lat.to_string()),
        ("long", lng.to_string()),
        ("address_string", "阳明路 88 号".to_owned()),
        ("description", "店外摆摊占道，行人只能走机动车道".to_owned()),
        ("first_name", "明".to_owned()),
        ("last_name", "李".to_owned()),
        ("phone", "13900001111".to_owned()),
        ("media_url", "https://example.org/p/1.jpg".to_owned()),
    ];
    let res = form(app, "/open311/v2/requests.json", &fields).await;
    assert_eq!(res.status(), 201);
    let made = json(res).await;
    let id = made[0]["service_request_id"].as_str().unwrap().to_owned();
    let case = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}")).await;
    assert_eq!((case["source"].as_str(), case["status"].as_str()), (Some("resident_request"), Some("reported")));
    assert_eq!(case["description"], "店外摆摊占道，行人只能走机动车道");
    // who to call back is kept for staff, on the timeline: nothing sent is dropped
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let contact =
        events["items"].as_array().unwrap().iter().find(|e| e["action"] == "contact").unwrap()["note"].clone();
    let contact = contact.as_str().unwrap();
    assert!(contact.contains("李明") && contact.contains("13900001111") && contact.contains("1.jpg"), "{contact}");

    // worked with internal notes; the app reads the public face
    step(app, s.t("office"), &id, "file", json!({"note": "该号码多次投诉"}), "filed").await;
    step(
        app,
        s.t("office"),
        &id,
        "dispatch",
        json!({"department_id": s.depts["chengguan"], "note": "请张队处理"}),
        "dispatched",
    )
    .await;
    step(app, s.t("chengguan"), &id, "reply", json!({"note": "已安排执法队员今日到场"}), "dispatched").await;
    // read without a key, as GeoReport clients do: the public face only
    let one = app.get(None, &format!("/open311/v2/requests/{id}.json")).await.text().await.unwrap();
    assert!(!one.contains("多次投诉") && !one.contains("张队") && !one.contains("13900001111"), "{one}");
    let one: Value = serde_json::from_str(&one).unwrap();
    let r = &one[0];
    assert_eq!((r["status"].as_str(), r["status_notes"].as_str()), (Some("open"), Some("已安排执法队员今日到场")));
    assert_eq!(r["agency_responsible"], "城管局");
    assert!(r["requested_datetime"].as_str().unwrap().ends_with("+08:00"), "{r}");
    assert_eq!(r["service_code"], "SJ0502");
    let xml = app.get(None, &format!("/open311/v2/requests.xml?api_key={key}&status=open")).await.text().await.unwrap();
    assert!(
        xml.contains(&format!("<request><service_request_id>{id}</service_request_id><status>open</status>")),
        "{xml}"
    );
    let closed = json(app.get(None, &format!("/open311/v2/requests.json?api_key={key}&status=closed")).await).await;
    assert_eq!(closed, json!([]), "an array, even when empty");
    let district = json(app.get(None, "/open311/v2/requests.json?jurisdiction_id=360102").await).await;
    assert_eq!(district.as_array().unwrap().len(), 1);
    assert_eq!(app.get(None, "/open311/v2/requests.json?jurisdiction_id=999999").await.status(), 404);
    // a resident's own request from the mini-program is theirs alone, never listed here
    let (lng, lat) = s.inside(1);
    let mine =
        json!({"source": "resident_request", "category_code": "SJ0502", "title": "私人诉求", "lng": lng, "lat": lat});
    app.create(s.t("resident"), "/api/v1/cases", &mine).await;
    let all = app.get(None, "/open311/v2/requests.json").await.text().await.unwrap();
    assert!(!all.contains("私人诉求"), "{all}");

    // refusals, in the specification's error format
    let res = app.get(None, "/open311/v2/requests.json?api_key=wrong").await;
    assert_eq!(res.status(), 403);
    assert_eq!(json(res).await[0]["code"], 403);
    fields.retain(|(k, _)| *k != "lat");
    let res = form(app, "/open311/v2/requests.xml", &fields).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("<errors><error><code>400</code><description>"));
    let far = vec![
        ("api_key", key.clone()),
        ("service_code", "SJ0502".to_owned()),
        ("lat", "39.9".into()),
        ("long", "116.4".into()),
    ];
    assert_eq!(form(app, "/open311/v2/requests.json", &far).await.status(), 400, "outside the key's district");
    let (lng, lat) = s.inside(2);
    let unknown = vec![
        ("api_key", key.clone()),
        ("service_code", "SJ9999".to_owned()),
        ("lat", lat.to_string()),
        ("long", lng.to_string()),
    ];
    let res = form(app, "/open311/v2/requests.json", &unknown).await;
    assert_eq!(res.status(), 400, "a request it cannot take is 400, as GeoReport answers");
    assert_eq!(json(res).await[0]["code"], 400);
    assert_eq!(app.get(None, "/open311/v2/requests/nothing.json").await.status(), 404);
    let revoke = app
        .client
        .delete(app.url(&format!("/api/v1/open311/keys/{}", issued["id"].as_str().unwrap())))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_eq!(app.get(None, &format!("/open311/v2/requests.json?api_key={key}")).await.status(), 403);
}
