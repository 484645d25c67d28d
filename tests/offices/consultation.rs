//! 基层会商日 end to end: a street brings six agenda items (two proposed by gridhub from stuck
//! cases), the district's consultation day comes from its rotation, three decisions leave with
//! seven milestones owned by three departments, one milestone is late (marked, told, sent by
//! webhook), two items are resolved, one is carried to the next meeting where it comes up
//! again; the report's figures checked by hand, the plan as a sheet and a chart, the minutes.

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(a_consultation_day_turns_stuck_problems_into_supervised_work,);

async fn a_consultation_day_turns_stuck_problems_into_supervised_work(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (district, street, community) = (s.r.district.clone(), s.r.street.clone(), s.r.community.clone());
    let police = Receiver::start(|_| Some(204)).await;
    let path = format!("/api/v1/departments/{}", s.depts["xiaofang"]);
    let res = app
        .patch(
            Some(s.t("donghu")),
            &path,
            None,
            &json!({"webhook_url": police.url, "webhook_secret": "a-secret-of-the-fire-brigade-1"}),
        )
        .await;
    assert_eq!(res.status(), 200);

    // two reports left unfiled for two weeks: stuck, and gridhub says so
    let mut stuck = Vec::new();
    for (i, title) in [(0, "违章搭建阳光房"), (1, "小区雨污管网混接")] {
        let (lng, lat) = s.inside(i);
        let c = app
            .create(
                s.t("worker"),
                "/api/v1/cases",
                &json!({"source": "field_report", "category_code": "SJ0502", "title": title, "description": "多次反映未解决", "lng": lng, "lat": lat}),
            )
            .await;
        stuck.push(c["id"].as_str().unwrap().to_owned());
    }
    app.advance_clock(Duration::days(14));
    let candidates = get_ok(app, s.t("office"), &format!("/api/v1/agenda-items/candidates?street_id={street}")).await;
    let overdue: Vec<&Value> =
        candidates["items"].as_array().unwrap().iter().filter(|c| c["reason"] == "overdue").collect();
    assert_eq!(overdue.len(), 2, "{candidates}");
    assert!(overdue[0]["why"].as_str().unwrap().contains("个工作日"), "{}", overdue[0]["why"]);
    problem(app.get(Some(s.t("cadre")), &format!("/api/v1/agenda-items/candidates?street_id={street}")).await, 403)
        .await;

    // six items: four the street and its community raise, two from the candidates
    let raise = |title: &str, class: &str, by: Value, extra: Value| {
        let mut body = json!({"title": title, "description": "需区级部门协调解决", "class": class, "raised_by": by, "needs": ["funding", "approval"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let by_street = json!({"type": "street", "id": street});
    let by_community = json!({"type": "community", "id": community});
    let mut items = Vec::new();
    for (token, title, class, by) in [
        ("office", "背街小巷路灯缺失", "public_facilities", &by_street),
        ("office", "菜市场周边占道经营", "environment", &by_street),
        ("cadre", "老旧小区加装电梯审批", "construction", &by_community),
        ("cadre", "楼道堆物屡清屡堆", "environment", &by_community),
    ] {
        let item = app.create(s.t(token), "/api/v1/agenda-items", &raise(title, class, by.clone(), json!({}))).await;
        assert_eq!((item["status"].as_str(), item["raised_by_name"].is_string()), (Some("proposed"), true));
        items.push(item["id"].as_str().unwrap().to_owned());
    }
    for c in &overdue {
        let extra = json!({"case_ids": [c["case_id"]], "proposed_because": c["why"], "proposed_lead_department_id": s.depts["chengguan"]});
        let item = app
            .create(
                s.t("office"),
                "/api/v1/agenda-items",
                &raise(c["title"].as_str().unwrap(), "wuwei_sibi", by_street.clone(), extra),
            )
            .await;
        items.push(item["id"].as_str().unwrap().to_owned());
    }
    let again = get_ok(app, s.t("office"), &format!("/api/v1/agenda-items/candidates?street_id={street}")).await;
    assert!(
        again["items"].as_array().unwrap().iter().all(|c| c["reason"] != "overdue"),
        "raised ones are not proposed again"
    );
    let bad = problem(
        app.post(
            Some(s.t("cadre")),
            "/api/v1/agenda-items",
            &raise("x", "weather", by_community.clone(), json!({"needs": ["luck"]})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&bad), ["class", "needs[0]"]);
    problem(
        app.post(Some(s.t("cadre")), "/api/v1/agenda-items", &raise("x", "environment", by_street.clone(), json!({})))
            .await,
        403,
    )
    .await;
    let classes = get_ok(app, s.t("office"), "/api/v1/agenda-classes").await;
    assert_eq!(classes["items"][0], json!({"code": "wuwei_sibi", "name": "五违四必"}));

    // the street screens them; one it declines, saying why
    for id in &items {
        let res = app
            .post(Some(s.t("office")), &format!("/api/v1/agenda-items/{id}/transitions"), &json!({"action": "screen"}))
            .await;
        assert_eq!(res.status(), 200);
    }
    problem(
        app.post(
            Some(s.t("office")),
            &format!("/api/v1/agenda-items/{}/transitions", items[3]),
            &json!({"action": "decline"}),
        )
        .await,
        422,
    )
    .await;
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/agenda-items/{}/transitions", items[3]),
            &json!({"action": "decline", "note": "社区自行清理，纳入日常巡查"}),
        )
        .await;
    assert_eq!(json(res).await["status"], "declined");

    // the district's rotation: this month here, next month here again
    let month = |d: i64| gridhub_store::time::local_date(app.now() + Duration::days(d)).format("%Y-%m").to_string();
    let (this, next) = (month(0), month(31));
    let rotation = app
        .put(Some(s.t("donghu")), &format!("/api/v1/districts/{district}/consultation-rotation"),
             &json!({"months": [{"month": this, "street_id": street, "starts_at": (app.now() + Duration::hours(2)).and_utc().to_rfc3339(), "place": "公园街道三楼会议室"},
                                {"month": next, "street_id": street}]}))
        .await;
    assert_eq!(rotation.status(), 200);
    let rotation = json(rotation).await;
    let day = rotation["items"][0]["meeting_id"].as_str().unwrap().to_owned();
    let day2 = rotation["items"][1]["meeting_id"].as_str().unwrap().to_owned();
    problem(
        app.put(
            Some(s.t("office")),
            &format!("/api/v1/districts/{district}/consultation-rotation"),
            &json!({"months": []}),
        )
        .await,
        403,
    )
    .await;
    let m = get_ok(app, s.t("office"), &format!("/api/v1/meetings/{day}")).await;
    assert_eq!((m["kind"].as_str(), m["status"].as_str()), (Some("consultation_day"), Some("scheduled")));

    // the agenda: the six less the declined one; a declined item cannot come back
    let on: Vec<&String> = items.iter().enumerate().filter(|(i, _)| *i != 3).map(|(_, id)| id).collect();
    let res =
        app.post(Some(s.t("donghu")), &format!("/api/v1/meetings/{day}/agenda"), &json!({"agenda_item_ids": on})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["agenda"].as_array().unwrap().len(), 5);
    problem(
        app.post(
            Some(s.t("donghu")),
            &format!("/api/v1/meetings/{day}/agenda"),
            &json!({"agenda_item_ids": [items[3]]}),
        )
        .await,
        409,
    )
    .await;
    let res =
        app.post(Some(s.t("donghu")), &format!("/api/v1/meetings/{day}/transitions"), &json!({"action": "hold"})).await;
    assert_eq!(res.status(), 200);

    // three decisions, seven milestones, three departments
    let due = |days: i64| (app.now() + Duration::days(days)).and_utc().to_rfc3339();
    let (cg, ga, xf) = (s.depts["chengguan"].clone(), s.depts["gongan"].clone(), s.depts["xiaofang"].clone());
    let decide =
        |item: &str, summary: &str, ms: Value| json!({"agenda_item_id": item, "summary": summary, "milestones": ms});
    let mut tasks_of = Vec::new();
    for body in [
        decide(
            &items[0],
            "区建管委安排资金，年内完成路灯补装",
            json!([
            {"title": "路灯点位勘察", "owner_department_id": cg, "due_at": due(5), "deliverable": "点位清单"},
            {"title": "资金拨付", "owner_department_id": cg, "co_department_ids": [ga], "due_at": due(10), "deliverable": "拨付文件"},
            {"title": "路灯安装验收", "owner_department_id": cg, "due_at": due(20), "deliverable": "验收单"}]),
        ),
        decide(
            &items[1],
            "划定临时疏导点，联合执法",
            json!([
            {"title": "疏导点设置", "owner_department_id": cg, "due_at": due(7), "deliverable": "疏导点方案"},
            {"title": "联合整治", "owner_department_id": ga, "co_department_ids": [cg], "due_at": due(14), "deliverable": "整治记录"}]),
        ),
        decide(
            &items[2],
            "开辟绿色通道，加装电梯审批提速",
            json!([
            {"title": "消防审查", "owner_department_id": xf, "due_at": due(3), "deliverable": "审查意见"},
            {"title": "规划公示", "owner_department_id": cg, "due_at": due(30), "deliverable": "公示材料"}]),
        ),
    ] {
        let res = app.post(Some(s.t("donghu")), &format!("/api/v1/meetings/{day}/decisions"), &body).await;
        let status = res.status();
        let d = json(res).await;
        assert_eq!(status, 201, "{d}");
        tasks_of.push(
            d["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["task_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(tasks_of.iter().map(Vec::len).sum::<usize>(), 7);
    let bad = problem(
        app.post(
            Some(s.t("donghu")),
            &format!("/api/v1/meetings/{day}/decisions"),
            &decide(&items[4], "x", json!([{"title": "t", "owner_department_id": "nope", "due_at": due(3)}])),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&bad), ["milestones[0].owner_department_id"]);
    problem(
        app.post(
            Some(s.t("office")),
            &format!("/api/v1/meetings/{day}/decisions"),
            &decide(&items[4], "x", json!([{"title": "t", "owner_department_id": cg, "due_at": due(3)}])),
        )
        .await,
        403,
    )
    .await;
    // a milestone is a department's task like any other
    let task = get_ok(app, s.t("chengguan"), &format!("/api/v1/tasks/{}", tasks_of[0][0])).await;
    assert_eq!(
        (task["kind"].as_str(), task["owner_name"].as_str(), task["assigner_name"].as_str()),
        (Some("meeting"), Some("城管局"), Some("东湖区"))
    );

    // the departments work; the district verifies items 0 and 1 whole, and half of item 2
    let who = |dept: &str| match dept {
        d if d == cg => "chengguan",
        d if d == ga => "gongan",
        _ => "xiaofang",
    };
    for (k, ids) in tasks_of.iter().enumerate() {
        for (j, id) in ids.iter().enumerate() {
            if k == 2 && j == 0 {
                continue; // 消防审查 is left undone
            }
            let t = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{id}")).await;
            let dept = who(t["owner_id"].as_str().unwrap());
            for action in ["accept", "submit"] {
                let res = app
                    .post(Some(s.t(dept)), &format!("/api/v1/tasks/{id}/transitions"), &json!({"action": action}))
                    .await;
                assert_eq!(res.status(), 200, "{dept} {action}");
            }
            if k < 2 {
                let res = app
                    .post(Some(s.t("donghu")), &format!("/api/v1/tasks/{id}/transitions"), &json!({"action": "verify"}))
                    .await;
                assert_eq!(res.status(), 200);
            }
        }
    }
    // item 4 is carried to next month, saying why
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/agenda-items/{}/transitions", items[4]),
            &json!({"action": "carry", "note": "涉及多个产权单位，待摸清底数后再议"}),
        )
        .await;
    assert_eq!(json(res).await["status"], "continuing");

    // 消防审查 runs late: marked once, the brigade told and sent its webhook
    app.advance_clock(Duration::days(4));
    let late = tasks_of[2][0].clone();
    eventually("the sweep marks the late milestone", async || {
        get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{late}")).await["overdue_at"].is_string()
    })
    .await;
    eventually("the brigade's receiver hears of it", async || {
        police.got.lock().unwrap().iter().any(|(_, body)| body.contains("task.overdue") && body.contains(&late))
    })
    .await;
    let told = get_ok(app, s.t("xiaofang"), "/api/v1/notifications").await;
    assert!(
        told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "task.overdue" && n["task_id"] == late.as_str()),
        "{told}"
    );

    // the report: 5 on the agenda, 3 decided, 2 resolved, 1 continuing — 解决率 2/3 = 66.7%;
    // 城管局 5 milestones, 4 done by their dates (安装验收 and 规划公示 were submitted, one of
    // them verified: 勘察, 拨付, 安装验收 and 疏导点 verified on time), etc. — counted by hand below
    let r = get_ok(app, s.t("donghu"), &format!("/api/v1/meetings/{day}/report")).await;
    assert_eq!(
        (r["on_agenda"].as_i64(), r["decided"].as_i64(), r["resolved"].as_i64(), r["continuing"].as_i64()),
        (Some(5), Some(3), Some(2), Some(1)),
        "{r}"
    );
    assert_eq!(r["resolution_rate"], 66.7);
    let line = |d: &str| r["departments"].as_array().unwrap().iter().find(|l| l["department_id"] == d).unwrap().clone();
    // 城管局: 勘察, 拨付, 安装验收, 疏导点 verified on time; 规划公示 not yet due → due 4, on time 4
    assert_eq!(
        (line(&cg)["milestones"].as_i64(), line(&cg)["due"].as_i64(), line(&cg)["on_time"].as_i64()),
        (Some(5), Some(4), Some(4))
    );
    // 公安分局: 联合整治 verified → 1 of 1; 消防大队: 审查 due and late → 0 of 1
    assert_eq!((line(&ga)["due"].as_i64(), line(&ga)["on_time"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        (line(&xf)["due"].as_i64(), line(&xf)["on_time"].as_i64(), line(&xf)["on_time_rate"].as_f64()),
        (Some(1), Some(0), Some(0.0))
    );
    let item2 = r["items"].as_array().unwrap().iter().find(|l| l["agenda_item_id"] == items[2].as_str()).unwrap();
    assert_eq!(
        (item2["status"].as_str(), item2["late"].as_i64(), item2["done"].as_i64()),
        (Some("in_progress"), Some(1), Some(0))
    );

    // the departments' figures (and so their rankings, where the district's scheme weighs it)
    // count the milestones due in the period and those verified by their date: 城管局 4 of 5
    let day_of = |d: i64| gridhub_store::time::local_date(app.now() + Duration::days(d)).to_string();
    let figures =
        get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=department&from={}&to={}", day_of(-30), day_of(30)))
            .await;
    let of = |d: &str| figures["items"].as_array().unwrap().iter().find(|f| f["id"] == d).unwrap().clone();
    assert_eq!(
        (of(&cg)["counts"]["milestones_due"].as_i64(), of(&cg)["rates"]["milestone_on_time_rate"].as_f64()),
        (Some(5), Some(0.8))
    );
    assert_eq!(
        (of(&xf)["counts"]["milestones_due"].as_i64(), of(&xf)["rates"]["milestone_on_time_rate"].as_f64()),
        (Some(1), Some(0.0))
    );

    // the plan: as a sheet and as a Gantt chart, the late one red
    let csv = app.get(Some(s.t("donghu")), &format!("/api/v1/meetings/{day}/plan?format=csv")).await;
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("owner_department") && csv.contains("消防审查") && csv.lines().count() == 8, "{csv}");
    let svg = app.get(Some(s.t("donghu")), &format!("/api/v1/meetings/{day}/plan.svg")).await.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("消防大队") && svg.contains("超期") && svg.contains("#d0453a"));
    let res = app
        .post(
            Some(s.t("donghu")),
            &format!("/api/v1/meetings/{day}/transitions"),
            &json!({"action": "publish_minutes", "note": "5项议题中3项形成决定"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = app
        .client
        .get(app.url(&format!("/api/v1/meetings/{day}/minutes")))
        .bearer_auth(s.t("donghu"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let page = page.text().await.unwrap();
    assert!(page.contains("会议纪要") && page.contains("解决率 66.7%") && page.contains("<svg"), "{page}");
    let minutes = get_ok(app, s.t("xiaofang"), &format!("/api/v1/meetings/{day}/minutes")).await;
    assert_eq!(minutes["report"]["resolved"], 2);

    // next month the carried item comes up again, with its history
    let res = app
        .post(Some(s.t("donghu")), &format!("/api/v1/meetings/{day2}/agenda"), &json!({"agenda_item_ids": []}))
        .await;
    let m2 = json(res).await;
    let ids: Vec<&str> = m2["agenda"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [items[4].as_str()], "{m2}");
    let carried = get_ok(app, s.t("office"), &format!("/api/v1/agenda-items/{}", items[4])).await;
    let history: Vec<(&str, Option<&str>)> = carried["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["meeting_id"].as_str()))
        .collect();
    assert_eq!(
        history,
        [
            ("raise", None),
            ("screen", None),
            ("put_on_agenda", Some(day.as_str())),
            ("carry", None),
            ("put_on_agenda", Some(day2.as_str()))
        ]
    );
    let first = get_ok(app, s.t("office"), &format!("/api/v1/agenda-items/{}", items[0])).await;
    assert_eq!(first["status"], "resolved");
}
