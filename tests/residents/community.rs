//! A resident and their community: they say where they live and the community verifies it (or
//! rejects it, saying why); verified residents see the community's and their building's notices
//! and the office sees who read them; a consultation takes one vote per verified resident —
//! changed as often as they like until it closes, held by the database — and shows the result to
//! residents once closed, the turnout to the office at any time.

use chrono::Duration;
use diesel::prelude::*;
use gridhub_e2e::*;
use gridhub_store::schema::poll_votes;
use serde_json::{Value, json};

on_both_backends!(residents_are_verified_and_hear_their_community, a_consultation_takes_one_vote_per_resident);

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> Response {
    app.put(Some(token), path, body).await
}

/// Says where the resident lives and has the community verify it; the residence's id.
async fn verified(app: &TestApp, s: &Fixture, who: &str, building: &str) -> String {
    let body = json!({"community_id": s.r.community, "building": building, "room": "502"});
    let r = json(put(app, s.t(who), "/api/v1/me/residence", &body).await).await;
    let id = r["id"].as_str().unwrap().to_owned();
    let res = app.post(Some(s.t("cadre")), &format!("/api/v1/residences/{id}/verify"), &json!({})).await;
    assert_eq!(res.status(), 200);
    id
}

async fn messages(app: &TestApp, token: &str) -> Vec<String> {
    get_ok(app, token, "/api/v1/notifications?limit=100").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

async fn residents_are_verified_and_hear_their_community(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (cadre, resident) = (s.t("cadre"), s.t("resident"));
    let community = s.r.community.clone();

    let said = json!({"community_id": community, "building": "3栋", "room": "502"});
    let r = json(put(app, resident, "/api/v1/me/residence", &said).await).await;
    assert_eq!(r["status"], "pending");
    assert_eq!(get_ok(app, resident, "/api/v1/me/residence").await["residence"]["status"], "pending");
    problem(put(app, s.t("worker"), "/api/v1/me/residence", &said).await, 403).await;
    let p = problem(put(app, resident, "/api/v1/me/residence", &json!({"community_id": "nowhere"})).await, 404).await;
    assert!(p["detail"].as_str().unwrap().contains("nowhere"), "{p}");

    // the community sees who says they live there, phone and room included; others do not
    let pending = get_ok(app, cadre, &format!("/api/v1/communities/{community}/residences?status=pending")).await;
    assert_eq!(pending["items"][0]["room"], "502");
    assert_eq!(pending["items"][0]["user_name"], "resident");
    problem(app.get(Some(s.t("worker")), &format!("/api/v1/communities/{community}/residences")).await, 403).await;
    problem(app.get(Some(s.t("office2")), &format!("/api/v1/communities/{community}/residences")).await, 404).await;

    let id = r["id"].as_str().unwrap();
    let res = app.post(Some(s.t("office2")), &format!("/api/v1/residences/{id}/verify"), &json!({})).await;
    problem(res, 404).await;
    let ok = json(app.post(Some(cadre), &format!("/api/v1/residences/{id}/verify"), &json!({})).await).await;
    assert_eq!(ok["status"], "verified");
    assert!(messages(app, resident).await.contains(&"您的居住信息已核实，可接收社区通知、参与居民议事".to_owned()));
    // another resident is rejected, and told why
    let other = json(put(app, s.t("resident2"), "/api/v1/me/residence", &said).await).await;
    let other_id = other["id"].as_str().unwrap();
    let reject = format!("/api/v1/residences/{other_id}/reject");
    assert_eq!(fields(&problem(app.post(Some(cadre), &reject, &json!({"reason": null})).await, 422).await), ["reason"]);
    let no = json(app.post(Some(cadre), &reject, &json!({"reason": "该房屋登记住户中无此人"})).await).await;
    assert_eq!(no["status"], "rejected");
    assert!(
        messages(app, s.t("resident2")).await.contains(&"您的居住信息未通过核实：该房屋登记住户中无此人".to_owned())
    );

    // notices: the whole community's, and one building's
    let all = json!({"community_id": community, "title": "停水通知", "body": "11月30日9:00-17:00因管网检修停水，请提前储水。"});
    let made = app.create(cadre, "/api/v1/notices", &all).await;
    assert_eq!(made["residents"], 1, "it reached the verified resident only");
    let five =
        json!({"community_id": community, "building": "5栋", "title": "5栋电梯检修", "body": "明天上午电梯停运。"});
    app.create(cadre, "/api/v1/notices", &five).await;
    let theirs = get_ok(app, resident, "/api/v1/notices").await;
    let titles: Vec<&str> = theirs["items"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["停水通知"], "not another building's");
    assert_eq!(theirs["items"][0]["read"], false);
    assert!(get_ok(app, s.t("resident2"), "/api/v1/notices").await["items"].as_array().unwrap().is_empty());
    assert!(messages(app, resident).await.contains(&"社区通知：停水通知".to_owned()));
    let notice = made["id"].as_str().unwrap();
    for _ in 0..2 {
        let res = app.post(Some(resident), &format!("/api/v1/notices/{notice}/read"), &json!({})).await;
        assert_eq!(res.status(), 204, "a read receipt, once");
    }
    problem(app.post(Some(s.t("resident2")), &format!("/api/v1/notices/{notice}/read"), &json!({})).await, 404).await;
    let office = get_ok(app, cadre, &format!("/api/v1/notices?community_id={community}")).await;
    let first = office["items"].as_array().unwrap().iter().find(|n| n["id"] == notice).unwrap().clone();
    assert_eq!((first["readers"].as_i64(), first["residents"].as_i64()), (Some(1), Some(1)));
    assert_eq!(get_ok(app, s.t("office"), "/api/v1/notices").await["items"].as_array().unwrap().len(), 2);
    problem(app.post(Some(s.t("worker")), "/api/v1/notices", &all).await, 403).await;
    assert_eq!(
        fields(
            &problem(
                app.post(
                    Some(cadre),
                    "/api/v1/notices",
                    &json!({"community_id": community, "title": " ", "body": "x"})
                )
                .await,
                422
            )
            .await
        ),
        ["title"]
    );
}

async fn a_consultation_takes_one_vote_per_resident(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    verified(app, &s, "resident", "3栋").await;
    let cadre = s.t("cadre");
    let closes = (app.now() + Duration::days(2)).and_utc().to_rfc3339();
    let body = json!({"community_id": s.r.community, "question": "小区东门是否改为夜间23点关闭？",
        "options": ["同意", "不同意", "无所谓"], "closes_at": closes});
    let poll = app.create(cadre, "/api/v1/polls", &body).await;
    let id = poll["id"].as_str().unwrap().to_owned();
    assert_eq!((poll["state"].as_str(), poll["residents"].as_i64()), (Some("open"), Some(1)));
    let vote = |who: &'static str, choice: i64| {
        let path = format!("/api/v1/polls/{id}/votes");
        let token = s.t(who).to_owned();
        async move { app.post(Some(&token), &path, &json!({"choice": choice})).await }
    };
    let mine = json(vote("resident", 0).await).await;
    assert_eq!(mine["my_choice"], 0);
    assert!(mine.get("votes").is_none(), "no result before it closes: {mine}");
    assert_eq!(json(vote("resident", 2).await).await["my_choice"], 2, "a vote may change while open");
    problem(vote("resident2", 0).await, 404).await;
    assert_eq!(fields(&problem(vote("resident", 3).await, 422).await), ["choice"]);

    // the same resident voting at once from two phones: one vote, whatever the race
    let votes = futures_util::future::join_all((0..8).map(|i| vote("resident", i % 3))).await;
    assert!(votes.iter().all(|r| r.status() == 200));
    let (poll_id, user) = (id.clone(), s.id("resident").to_owned());
    let rows: i64 = app.store(|conn| {
        poll_votes::table
            .filter(poll_votes::poll_id.eq(&poll_id))
            .filter(poll_votes::user_id.eq(&user))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(rows, 1);
    // and the database itself refuses a second row
    let (poll_id, user) = (id.clone(), s.id("resident").to_owned());
    let twice = app.store(|conn| {
        let row = (
            poll_votes::poll_id.eq(&poll_id),
            poll_votes::user_id.eq(&user),
            poll_votes::choice.eq(1),
            poll_votes::voted_at.eq(chrono::Utc::now().naive_utc()),
        );
        diesel::insert_into(poll_votes::table).values(row).execute(conn)
    });
    assert!(twice.is_err(), "one vote per resident is the database's rule");

    let office = get_ok(app, cadre, &format!("/api/v1/polls/{id}")).await;
    assert_eq!((office["voters"].as_i64(), office["turnout"].as_f64()), (Some(1), Some(1.0)));
    app.advance_clock(Duration::days(3));
    let closed = get_ok(app, s.t("resident"), &format!("/api/v1/polls/{id}")).await;
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["votes"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).sum::<i64>(), 1);
    let p = problem(vote("resident", 1).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("closed"), "{p}");
    let late = json!({"community_id": s.r.community, "question": "?", "options": ["a", "b"], "closes_at": "2020-01-01T00:00:00Z"});
    assert_eq!(fields(&problem(app.post(Some(cadre), "/api/v1/polls", &late).await, 422).await), ["closes_at"]);
    let closes = (app.now() + Duration::days(2)).and_utc().to_rfc3339();
    let one = json!({"community_id": s.r.community, "question": "?", "options": ["a"], "closes_at": closes});
    assert_eq!(fields(&problem(app.post(Some(cadre), "/api/v1/polls", &one).await, 422).await), ["options"]);
}
