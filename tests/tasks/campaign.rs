//! A campaign run end to end: the 2026 Spring Festival fireworks ban in 东湖区 — planned with its
//! member departments, key dates and targets, started, its notice signed for (the unsigned
//! chased), cases of its watched categories on 除夕 linked and counting natural time, a fine
//! recorded, a task of the campaign verified, its figures checked by hand and its chart drawn;
//! closed (later cases stay out) and reviewed.

use super::*;

on_both_backends!(the_fireworks_ban_runs_from_plan_to_review);

/// 2026-02-01 08:00 China Standard Time.
const PLANNING: &str = "2026-02-01T00:00:00Z";
/// 除夕 2026-02-16, 20:00 China Standard Time.
const CHUXI_EVENING: &str = "2026-02-16T12:00:00Z";

async fn the_fireworks_ban_runs_from_plan_to_review(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    app.advance_clock(utc(PLANNING) - app.now());
    let plan = json!({
        "name": "2026年春节烟花爆竹禁燃禁放专项行动",
        "description": "城区范围内全时段禁止燃放烟花爆竹",
        "district_ids": [s.r.district],
        "lead_department_id": s.depts["gongan"],
        "members": [
            {"department_id": s.depts["chengguan"], "role": "member", "duty": "查处违规销售、清理燃放残留"},
            {"department_id": s.depts["xiaofang"], "role": "member", "duty": "消防安全检查"},
        ],
        "starts_at": "2026-02-02T00:00:00+08:00",
        "ends_at": "2026-03-05T00:00:00+08:00",
        "key_dates": [{"date": "2026-02-04", "name": "立春"}, {"date": "2026-02-10", "name": "小年"},
                      {"date": "2026-02-16", "name": "除夕"}, {"date": "2026-03-03", "name": "元宵"}],
        "watched_categories": ["ZL0303", "ZL0304", "SJ0102"],
        "targets": [{"metric": "zero_case_share", "value": 90}, {"metric": "task_completion", "value": 100}],
        "natural_time": true,
    });
    // who may plan one, and what is refused
    problem(app.post(Some(s.t("office")), "/api/v1/campaigns", &plan).await, 403).await;
    let mut bad = plan.clone();
    bad["ends_at"] = json!("2026-01-01T00:00:00+08:00");
    bad["watched_categories"] = json!(["ZL9999"]);
    bad["targets"] = json!([{"metric": "happiness", "value": 1}]);
    let p = problem(app.post(Some(s.t("donghu")), "/api/v1/campaigns", &bad).await, 422).await;
    assert_eq!(fields(&p), ["ends_at", "targets[0].metric"]);
    let mut bad = plan.clone();
    bad["watched_categories"] = json!(["ZL9999"]);
    let p = problem(app.post(Some(s.t("donghu")), "/api/v1/campaigns", &bad).await, 422).await;
    assert_eq!(fields(&p), ["watched_categories[0]"]);

    let c = app.create(s.t("donghu"), "/api/v1/campaigns", &plan).await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!((c["status"].as_str(), c["allowed_actions"].clone()), (Some("draft"), json!(["activate"])));
    let lead: Vec<&Value> = c["members"].as_array().unwrap().iter().filter(|m| m["role"] == "lead").collect();
    assert_eq!(
        (lead.len(), lead[0]["department_id"].as_str()),
        (1, Some(s.depts["gongan"].as_str())),
        "the lead is a member"
    );
    assert_eq!(c["members"].as_array().unwrap().len(), 3);
    let path = format!("/api/v1/campaigns/{id}");
    let act_on = |token: &str, action: &str, note: Option<&str>| {
        app.client
            .post(app.url(&format!("{path}/transitions")))
            .bearer_auth(token.to_owned())
            .json(&json!({"action": action, "note": note}))
            .send()
    };
    let started = json(act_on(s.t("donghu"), "activate", None).await.unwrap()).await;
    assert_eq!(started["status"], "active");
    // who sees it: the district's offices and the member departments, not a grid worker or a resident
    for who in ["office", "gongan", "chengguan"] {
        get_ok(app, s.t(who), &path).await;
    }
    for who in ["worker", "resident"] {
        problem(app.get(Some(s.t(who)), &path).await, 404).await;
    }

    // the notice reaches the three members; one signs, the other two are chased once
    let res = app
        .post(
            Some(s.t("donghu")),
            &format!("{path}/notices"),
            &json!({"title": "关于春节期间加强巡查的通知", "body": "各成员单位于2月10日前完成辖区排查"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let notice = json(res).await;
    let notice_id = notice["id"].as_str().unwrap().to_owned();
    assert_eq!((notice["members"].as_i64(), notice["signed"].as_i64()), (Some(3), Some(0)));
    problem(app.post(Some(s.t("office")), &format!("{path}/notices/{notice_id}/sign"), &json!({})).await, 403).await;
    let signed =
        json(app.post(Some(s.t("chengguan")), &format!("{path}/notices/{notice_id}/sign"), &json!({})).await).await;
    assert_eq!(signed["signed"], 1);
    app.advance_clock(Duration::hours(5));
    for (who, chased) in [("gongan", true), ("xiaofang", true), ("chengguan", false)] {
        eventually(&format!("{who} chased: {chased}"), async || {
            let told = get_ok(app, s.t(who), "/api/v1/notifications").await;
            told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "campaign.notice_unsigned") == chased
        })
        .await;
    }

    // 除夕 evening: fireworks and a pile of debris reported; both linked, both on natural time
    app.advance_clock(utc(CHUXI_EVENING) - app.now());
    let report = |code: &str, title: &str| json!({"source": "field_report", "category_code": code, "title": title, "lng": s.inside(0).0, "lat": s.inside(0).1});
    let fireworks = app.create(s.t("worker"), "/api/v1/cases", &report("ZL0303", "小区内燃放烟花")).await;
    let debris = app.create(s.t("worker"), "/api/v1/cases", &report("SJ0102", "燃放残留堆积")).await;
    assert_eq!(debris["clock"], "natural", "the campaign counts its watched categories in natural time");
    assert_eq!(&debris["deadline_at"].as_str().unwrap()[..16], "2026-02-16T13:00", "filed within the hour, that night");
    assert_eq!(get_ok(app, s.t("donghu"), &path).await["cases"], 2);
    // a report filed under the wrong category joins the campaign when the office corrects it, and
    // leaves it when corrected back
    let parked = app.create(s.t("worker"), "/api/v1/cases", &report("SJ0504", "楼下有人放烟花")).await;
    assert_eq!(
        (parked["clock"].as_str(), get_ok(app, s.t("donghu"), &path).await["cases"].as_i64()),
        (Some("working"), Some(2))
    );
    let parked = parked["id"].as_str().unwrap();
    let c = recategorise(app, s.t("office"), parked, "ZL0303").await;
    assert_eq!(
        (c["clock"].as_str(), get_ok(app, s.t("donghu"), &path).await["cases"].as_i64()),
        (Some("natural"), Some(3))
    );
    let c = recategorise(app, s.t("office"), parked, "SJ0504").await;
    assert_eq!(
        (c["clock"].as_str(), get_ok(app, s.t("donghu"), &path).await["cases"].as_i64()),
        (Some("working"), Some(2))
    );
    // the police fine the offender: the outcome is recorded with the handling, and checked
    let id1 = fireworks["id"].as_str().unwrap();
    assert_eq!(case_step(app, s.t("office"), id1, "file", json!({})).await.status(), 200);
    assert_eq!(
        case_step(app, s.t("office"), id1, "dispatch", json!({"department_id": s.depts["gongan"]})).await.status(),
        200
    );
    let p = problem(
        case_step(app, s.t("gongan"), id1, "accept", json!({"outcome": {"kind": "fined", "amount_yuan": 500}})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["outcome"]);
    assert_eq!(case_step(app, s.t("gongan"), id1, "accept", json!({})).await.status(), 200);
    let p = problem(
        case_step(app, s.t("gongan"), id1, "handle", json!({"note": "已处罚", "outcome": {"kind": "罚款"}})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["outcome.amount_yuan"]);
    let p = problem(
        case_step(app, s.t("gongan"), id1, "handle", json!({"note": "已处罚", "outcome": {"kind": "scolded"}})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["outcome.kind"]);
    let res = case_step(
        app,
        s.t("gongan"),
        id1,
        "handle",
        json!({"note": "当场制止，处罚款500元", "outcome": {"kind": "罚款", "persons": 1, "amount_yuan": 500}}),
    )
    .await;
    assert_eq!(res.status(), 200);

    // the general figures count it for the police too
    let depts = get_ok(app, s.t("donghu"), "/api/v1/figures?unit=department&from=2026-02-01&to=2026-02-28").await;
    let police =
        depts["items"].as_array().unwrap().iter().find(|d| d["id"] == s.depts["gongan"].as_str()).unwrap().clone();
    let c = &police["counts"];
    assert_eq!(
        (c["enforced"].as_i64(), c["fined"].as_i64(), c["detained"].as_i64(), c["fines_yuan"].as_i64()),
        (Some(1), Some(1), Some(0), Some(500))
    );

    // a task of the campaign, for the street: verified
    let task = app
        .create(
            s.t("donghu"),
            "/api/v1/tasks",
            &json!({"title": "除夕夜重点区域巡查", "owner": {"type": "street", "id": s.r.street},
            "due_at": "2026-02-17T02:00:00+08:00", "campaign_id": id}),
        )
        .await;
    assert_eq!(task["kind"], "campaign");
    let task_id = task["id"].as_str().unwrap();
    act(app, s.t("office"), task_id, "accept", None).await;
    act(app, s.t("office"), task_id, "submit", None).await;
    act(app, s.t("donghu"), task_id, "verify", None).await;
    let listed = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks?campaign_id={id}")).await;
    assert_eq!(ids(&listed), [task_id]);

    // the figures, checked by hand: two communities, one with cases (孺子亭): 50% zero-case
    app.advance_clock(Duration::days(2));
    let f = get_ok(app, s.t("donghu"), &format!("{path}/figures")).await;
    assert_eq!(
        (
            f["communities"]["total"].as_i64(),
            f["communities"]["zero_case"].as_i64(),
            f["communities"]["zero_case_share"].as_f64()
        ),
        (Some(2), Some(1), Some(50.0))
    );
    assert_eq!(f["communities"]["with_cases"][0]["community_id"], s.r.community.as_str());
    assert_eq!(f["cases"], 2);
    let chuxi = f["per_day"].as_array().unwrap().iter().find(|d| d["date"] == "2026-02-16").unwrap().clone();
    assert_eq!((chuxi["cases"].as_i64(), chuxi["key_date"].as_str()), (Some(2), Some("除夕")));
    assert_eq!(f["per_day"][0]["date"], "2026-02-02");
    assert_eq!(
        f["per_day"].as_array().unwrap().last().unwrap()["date"],
        "2026-02-18",
        "counted to today while it runs"
    );
    assert_eq!(
        (
            f["enforcement"]["cases"].as_i64(),
            f["enforcement"]["by_kind"]["fined"].as_i64(),
            f["enforcement"]["amount_yuan"].as_f64()
        ),
        (Some(1), Some(1), Some(500.0))
    );
    assert_eq!((f["tasks"]["due"].as_i64(), f["tasks"]["completion"].as_f64()), (Some(1), Some(100.0)));
    assert_eq!(
        (f["notices"]["receipts"].as_i64(), f["notices"]["signed"].as_i64(), f["notices"]["rate"].as_f64()),
        (Some(3), Some(1), Some(33.3))
    );
    assert_eq!(f["patrols"]["patrolled"], 0);
    assert_eq!(
        f["targets"][0],
        json!({"metric": "zero_case_share", "label": "零发案社区占比(%)", "value": 90.0, "actual": 50.0, "met": false})
    );
    assert_eq!(f["targets"][1]["met"], true);
    let res = app.get(Some(s.t("donghu")), &format!("{path}/chart.svg")).await;
    assert_eq!(res.headers()["content-type"], "image/svg+xml; charset=utf-8");
    let svg = res.text().await.unwrap();
    assert!(svg.contains("除夕 2") && svg.contains("立春"), "the key dates are marked with their cases");

    // closed: later reports stay out; reviewed with what it found
    let closed = json(act_on(s.t("donghu"), "close", None).await.unwrap()).await;
    assert_eq!(closed["status"], "closed");
    app.create(s.t("worker"), "/api/v1/cases", &report("ZL0303", "又有人燃放")).await;
    assert_eq!(get_ok(app, s.t("donghu"), &path).await["cases"], 2);
    let p = problem(act_on(s.t("donghu"), "review", None).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["note"]);
    let p = problem(act_on(s.t("donghu"), "activate", None).await.unwrap(), 409).await;
    assert_eq!(p["allowed_actions"], json!(["review"]));
    let reviewed =
        json(act_on(s.t("donghu"), "review", Some("零发案社区占比50%，未达目标；孺子亭社区需加强宣传")).await.unwrap())
            .await;
    assert_eq!((reviewed["status"].as_str(), reviewed["status_label"].as_str()), (Some("reviewed"), Some("已总结")));
}

/// Takes a case action; the answer, whatever it is.
async fn case_step(app: &TestApp, token: &str, id: &str, action: &str, extra: Value) -> Response {
    let version = get_ok(app, token, &format!("/api/v1/cases/{id}")).await["version"].clone();
    let mut body = json!({"action": action, "expected_version": version});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    app.post(Some(token), &format!("/api/v1/cases/{id}/transitions"), &body).await
}

/// Corrects a case's category (before it is filed) and expects 200; the case.
async fn recategorise(app: &TestApp, token: &str, id: &str, code: &str) -> Value {
    let res = app.patch(Some(token), &format!("/api/v1/cases/{id}"), None, &json!({"category_code": code})).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "{body}");
    body
}
