//! A resident's request handled with internal notes at every step: nothing a resident can call
//! shows a staff member's name or id or an internal note; the acceptance, the department's reply
//! and the closing with its result do reach them, by unit and in their notifications.

use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(a_resident_sees_the_public_face_only, a_consultation_is_answered_without_dispatch);

/// Everything `token` can read about the case through every route a resident may call.
async fn everything(app: &TestApp, token: &str, id: &str) -> String {
    let mut all = String::new();
    for path in [
        format!("/api/v1/cases/{id}"),
        format!("/api/v1/cases/{id}/events"),
        "/api/v1/cases".to_owned(),
        "/api/v1/cases?q=%E6%A5%BC%E9%81%93".to_owned(),
        "/api/v1/notifications?limit=100".to_owned(),
        "/api/v1/todo".to_owned(),
        "/api/v1/me/residence".to_owned(),
        "/api/v1/notices".to_owned(),
        "/api/v1/polls".to_owned(),
    ] {
        let res = app.get(Some(token), &path).await;
        assert_eq!(res.status(), 200, "{path}");
        all.push_str(&res.text().await.unwrap());
    }
    let csv = app.get(Some(token), "/api/v1/cases?format=csv").await;
    all.push_str(&csv.text().await.unwrap());
    all
}

/// Uploads a photo (a PNG with `tag` after it) as `token`; its SHA-256.
async fn photo(app: &TestApp, token: &str, tag: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let bytes: Vec<u8> = [crate::phones::PNG, tag].concat();
    let sha = format!("{:x}", Sha256::digest(&bytes));
    let res = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    sha
}

async fn rename(app: &TestApp, admin: &str, id: &str, name: &str) {
    let res = app.patch(Some(admin), &format!("/api/v1/users/{id}"), None, &json!({"display_name": name})).await;
    assert_eq!(res.status(), 200, "renaming {id}");
}

async fn a_resident_sees_the_public_face_only(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    for (who, name) in [("office", "王芳"), ("chengguan", "张三"), ("cadre", "刘敏")] {
        rename(app, &w.admin, s.id(who), name).await;
    }
    // the resident lives in the community, verified by 刘敏, who posts a notice and a consultation
    let home = json!({"community_id": s.r.community, "building": "3栋", "room": "502"});
    let r = json(app.put(Some(s.t("resident")), "/api/v1/me/residence", &home).await).await;
    let verify = format!("/api/v1/residences/{}/verify", r["id"].as_str().unwrap());
    assert_eq!(app.post(Some(s.t("cadre")), &verify, &json!({})).await.status(), 200);
    let notice = json!({"community_id": s.r.community, "title": "停水通知", "body": "周六停水"});
    app.create(s.t("cadre"), "/api/v1/notices", &notice).await;
    let closes = (app.now() + chrono::Duration::days(3)).and_utc().to_rfc3339();
    let poll = json!({"community_id": s.r.community, "question": "东门几点关？", "options": ["22点", "23点"], "closes_at": closes});
    app.create(s.t("cadre"), "/api/v1/polls", &poll).await;
    let (lng, lat) = s.inside(0);
    let body = json!({"source": "resident_request", "category_code": "SJ0502", "title": "楼道堆放杂物",
        "description": "3栋楼道堆满纸箱，影响通行", "lng": lng, "lat": lat});
    let id = app.create(s.t("resident"), "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned();
    let internal =
        ["该居民多次投诉", "请城管张三处理", "注意沟通方式", "队员李四已清运", "处理不彻底", "延期理由：车辆检修"];
    let office = s.t("office");
    let dept = s.t("chengguan");
    let chengguan = s.depts["chengguan"].clone();
    step(app, office, &id, "file", json!({"note": internal[0]}), "filed").await;
    step(app, office, &id, "remark", json!({"note": internal[2]}), "filed").await;
    step(app, office, &id, "dispatch", json!({"department_id": chengguan, "note": internal[1]}), "dispatched").await;
    step(app, dept, &id, "accept", json!({}), "accepted").await;
    step(app, dept, &id, "request_extension", json!({"extend_by": "1d", "note": internal[5]}), "accepted").await;
    step(app, office, &id, "deny_extension", json!({}), "accepted").await;
    step(app, dept, &id, "reply", json!({"note": "已安排人员明天上午清理"}), "accepted").await;
    step(app, dept, &id, "remark", json!({"note": internal[2]}), "accepted").await;
    // photos: the department's of its handling are staff's; the office's of the closing are public
    let (inside, closing) = (photo(app, dept, b"inside").await, photo(app, office, b"closing").await);
    step(app, dept, &id, "handle", json!({"note": internal[3], "attachments": [inside]}), "handled").await;
    step(app, office, &id, "verify_fail", json!({"note": internal[4]}), "accepted").await;
    step(app, dept, &id, "handle", json!({"note": internal[3]}), "handled").await;
    let done = json!({"note": "楼道杂物已全部清理", "attachments": [closing]});
    step(app, office, &id, "verify_pass", done, "closed").await;
    let theirs = get_ok(app, s.t("resident"), &format!("/api/v1/cases/{id}")).await;
    let shas: Vec<&str> = theirs["photos"].as_array().unwrap().iter().map(|p| p["sha256"].as_str().unwrap()).collect();
    assert_eq!(shas, [closing.as_str()], "the closing's photo, not the handling's");
    let staff = get_ok(app, office, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(staff["photos"].as_array().unwrap().len(), 2);

    let seen = everything(app, s.t("resident"), &id).await;
    for word in internal.iter().chain(&["王芳", "张三", "刘敏"]) {
        assert!(!seen.contains(word), "a resident reads {word}: {seen}");
    }
    for who in ["office", "chengguan", "cadre"] {
        assert!(!seen.contains(s.id(who)), "a resident learns the id of {who}");
    }
    // what they should hear, they do: in the timeline by unit, and in their notifications
    let events = get_ok(app, s.t("resident"), &format!("/api/v1/cases/{id}/events")).await;
    let shown: Vec<(String, Value, Value)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["actor_name"].clone(), e["note"].clone()))
        .collect();
    let actions: Vec<&str> = shown.iter().map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(actions, ["report", "file", "dispatch", "accept", "reply", "verify_pass"], "{shown:?}");
    assert_eq!(shown[1].1, "公园街道办事处", "the office that accepted it, by name of unit");
    assert_eq!(shown[1].2, Value::Null, "the acceptance's note is the office's own");
    assert_eq!((shown[4].1.as_str(), shown[4].2.as_str()), (Some("城管局"), Some("已安排人员明天上午清理")));
    assert_eq!(shown[5].2, "楼道杂物已全部清理", "the closing and its result");
    let told: Vec<String> = get_ok(app, s.t("resident"), "/api/v1/notifications?limit=100").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(told.contains(&"您反映的「楼道堆放杂物」已受理，正在办理".to_owned()), "{told:?}");
    assert!(told.contains(&"您反映的「楼道堆放杂物」有新答复：已安排人员明天上午清理".to_owned()), "{told:?}");
    assert!(told.contains(&"您反映的「楼道堆放杂物」已办结，欢迎评价".to_owned()), "{told:?}");
    // staff see the whole timeline, names and internal notes included
    let staff = app.get(Some(office), &format!("/api/v1/cases/{id}/events")).await.text().await.unwrap();
    assert!(staff.contains("王芳") && staff.contains(internal[2]), "{staff}");
    // a remark is no reply: a field report is not replied to
    let (lng, lat) = s.inside(1);
    let field =
        json!({"source": "field_report", "category_code": "SJ0502", "title": "占道经营", "lng": lng, "lat": lat});
    let other = app.create(s.t("worker"), "/api/v1/cases", &field).await["id"].as_str().unwrap().to_owned();
    let p = problem(act(app, office, &other, "reply", json!({"note": "收到"})).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("only resident requests are answered"), "{p}");
    step(app, office, &other, "remark", json!({"note": "已电话联系摊主"}), "reported").await;
}

async fn a_consultation_is_answered_without_dispatch(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (lng, lat) = s.inside(2);
    let body = json!({"source": "resident_request", "category_code": "SJ0502", "title": "咨询老年助餐点",
        "description": "想了解社区老年助餐点在哪里、怎么报名", "lng": lng, "lat": lat});
    let id = app.create(s.t("resident"), "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned();
    let cadre = s.t("cadre");
    let case = get_ok(app, cadre, &format!("/api/v1/cases/{id}")).await;
    assert!(case["allowed_actions"].as_array().unwrap().contains(&json!("answer")), "{case}");
    let p = problem(act(app, cadre, &id, "answer", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["note"], "an answer is the reply itself");
    let closed =
        step(app, cadre, &id, "answer", json!({"note": "助餐点在社区服务中心一楼，带身份证登记即可"}), "closed").await;
    assert!(closed["closed_at"].is_string());
    let told = get_ok(app, s.t("resident"), "/api/v1/notifications").await;
    assert_eq!(
        told["items"][0]["message"],
        "您反映的「咨询老年助餐点」已答复办结：助餐点在社区服务中心一楼，带身份证登记即可。欢迎评价"
    );
    step(app, s.t("resident"), &id, "evaluate", json!({"satisfaction": 5}), "closed").await;
    // counted as settled on the spot (就地解决), filed by the answer itself
    let figures = get_ok(app, cadre, &format!("/api/v1/figures?unit=community&id={}", s.r.community)).await;
    let counts = &figures["items"][0]["counts"];
    assert_eq!(
        (counts["filed"].as_i64(), counts["closed"].as_i64(), counts["self_handled"].as_i64()),
        (Some(1), Some(1), Some(1)),
        "{counts}"
    );
    assert_eq!(figures["items"][0]["rates"]["on_the_spot_rate"], 1.0);
    // a grid worker does not settle a resident's request
    let again = app.create(s.t("resident"), "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned();
    problem(act(app, s.t("worker"), &again, "answer", json!({"note": "好的"})).await, 403).await;
    // 首问负责: the street office took it up; the community does not answer over it, the district may
    step(app, s.t("office"), &again, "file", json!({}), "filed").await;
    let p = problem(act(app, cadre, &again, "answer", json!({"note": "好的"})).await, 409).await;
    assert!(p["detail"].as_str().unwrap().starts_with("the street_admin that took it up first"), "{p}");
    let seen = get_ok(app, cadre, &format!("/api/v1/cases/{again}")).await;
    assert!(!seen["allowed_actions"].as_array().unwrap().contains(&json!("answer")), "{seen}");
    step(app, s.t("office"), &again, "reply", json!({"note": "正在了解，明天答复您"}), "filed").await;
    step(app, s.t("donghu"), &again, "answer", json!({"note": "助餐点在社区服务中心一楼"}), "closed").await;
}
