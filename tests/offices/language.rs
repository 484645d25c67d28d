//! Chinese first: a problem's title, detail and each field's words are Chinese by default and
//! English for `Accept-Language: en` (field names and `type` stay as they are); the contract is
//! served with its reference page, from this server alone.

use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(problems_speak_chinese_unless_english_is_asked_for, the_contract_is_served_with_its_reference);

/// Sends `body` to `path` as `token`, with `Accept-Language: lang` if given; the problem.
async fn post_in(app: &TestApp, lang: Option<&str>, token: &str, path: &str, body: &Value, status: u16) -> Value {
    // a client of its own: the suite's asks for English
    let mut req = reqwest::Client::new().post(app.url(path)).bearer_auth(token).json(body);
    if let Some(lang) = lang {
        req = req.header("accept-language", lang);
    }
    let res = req.send().await.unwrap();
    let expected = if lang.is_some_and(|l| l.starts_with("en")) { "en" } else { "zh-CN" };
    assert_eq!(res.headers()["content-language"], expected);
    problem(res, status).await
}

async fn problems_speak_chinese_unless_english_is_asked_for(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (lng, lat) = s.inside(0);
    let no_title = json!({"source": "field_report", "category_code": "BJ0103", "lng": lng, "lat": lat});

    let zh = post_in(app, None, s.t("worker"), "/api/v1/cases", &no_title, 422).await;
    assert_eq!(zh["title"], "内容有误");
    assert_eq!(zh["type"], "/problems/validation", "the type stays as it is");
    assert_eq!(zh["errors"][0]["field"], "title", "field names stay as they are");
    assert_eq!(zh["errors"][0]["detail"], "必填");
    assert_eq!(zh["detail"], "title：必填");
    let en = post_in(app, Some("en-US,en;q=0.9"), s.t("worker"), "/api/v1/cases", &no_title, 422).await;
    assert_eq!(en["title"], "Unprocessable Entity");
    assert_eq!(en["detail"], "title: missing field `title`");
    let preferred = post_in(app, Some("zh-CN,zh;q=0.9,en;q=0.8"), s.t("worker"), "/api/v1/cases", &no_title, 422).await;
    assert_eq!(preferred["errors"][0]["detail"], "必填", "Chinese preferred to English");

    // a rule with its parts: who may not do what, in the words of the domain
    let mut filed = no_title.clone();
    filed["title"] = json!("井盖缺失");
    let case = app.create(s.t("worker"), "/api/v1/cases", &filed).await;
    let path = format!("/api/v1/cases/{}/transitions", case["id"].as_str().unwrap());
    let p = post_in(
        app,
        None,
        s.t("worker"),
        &path,
        &json!({"action": "void", "note": "重复", "expected_version": 1}),
        403,
    )
    .await;
    assert_eq!(p["title"], "无权操作");
    assert_eq!(p["detail"], "网格员不能作废案件");
    let p = post_in(
        app,
        Some("en"),
        s.t("worker"),
        &path,
        &json!({"action": "void", "note": "重复", "expected_version": 1}),
        403,
    )
    .await;
    assert_eq!(p["detail"], "a grid_worker may not void a case");
    // a state that does not allow it, with what is allowed now
    let p = post_in(
        app,
        None,
        s.t("office"),
        &path,
        &json!({"action": "handle", "note": "已修复", "expected_version": 1}),
        403,
    )
    .await;
    assert_eq!(p["detail"], "街道办不能处置反馈案件");
    let verify = json!({"action": "verify_pass", "expected_version": 1});
    let p = post_in(app, None, s.t("office"), &path, &verify, 409).await;
    let said = p["detail"].as_str().unwrap();
    assert!(said.starts_with("待立案的案件不能核查结案；现在可做：") && said.contains("立案"), "{p}");
    // what no record and no route answer
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/cases/nothing-here"))
        .bearer_auth(s.t("office"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 404).await["detail"], "案件 nothing-here 不存在");
    let res = reqwest::Client::new().get(app.url("/api/v2/cases")).send().await.unwrap();
    assert_eq!(problem(res, 404).await["detail"], "没有此接口；见 /openapi.yaml");
    let res = reqwest::Client::new().get(app.url("/api/v1/cases")).send().await.unwrap();
    let p = problem(res, 401).await;
    assert_eq!(p["title"], "未登录");
    assert!(p["detail"].as_str().unwrap().contains("需要登录"), "{p}");
}

async fn the_contract_is_served_with_its_reference(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let res = app.client.get(app.url("/openapi.yaml")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/yaml"));
    let served = res.text().await.unwrap();
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap();
    assert_eq!(served, file, "the contract as the repository keeps it");

    let page = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("spec-url=\"/openapi.yaml\""), "{page}");
    assert!(!page.contains("https://"), "nothing from a CDN: {page}");
    let script = page.split("<script src=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let js = app.client.get(app.url(&script)).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let js = js.text().await.unwrap();
    assert!(js.len() > 500_000 && js.contains("Redoc"), "the bundled renderer");
}
