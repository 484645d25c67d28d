//! A district's task decomposed to its two streets, their communities and their grids; a grid
//! worker's progress with photos rolled up to the district; a community late, marked once and
//! told; a department late, told through its webhook; everything verified back up.

use super::*;

on_both_backends!(a_district_task_runs_down_the_grid_and_back_verified);

async fn a_district_task_runs_down_the_grid_and_back_verified(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    s.add(app, "cadre2", gridhub_store::Role::CommunityAdmin, Some(&s.community2.clone()));
    let cadre2 = s.t("cadre2").to_owned();
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/cells/{}/assignments", s.cell(0)),
            &json!({"user_id": s.id("worker"), "duty": "grid_leader"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let police = Receiver::start(|_| Some(204)).await;
    let path = format!("/api/v1/departments/{}", s.depts["gongan"]);
    let secret = "a-secret-of-the-department-1234";
    let res = app
        .patch(Some(s.t("donghu")), &path, None, &json!({"webhook_url": police.url, "webhook_secret": secret}))
        .await;
    assert_eq!(res.status(), 200);

    // the city assigns the district its part: visit 100 households about fireworks safety
    let district = app
        .create(
            &w.admin,
            "/api/v1/tasks",
            &json!({"title": "春节烟花爆竹安全入户宣传", "description": "每户发放禁燃禁放告知书", "kind": "campaign",
                    "owner": {"type": "district", "id": s.r.district}, "due_at": in_days(app, 10), "target_quantity": 100}),
        )
        .await;
    let district_id = district["id"].as_str().unwrap().to_owned();
    assert_eq!((district["status"].as_str(), district["owner_name"].as_str()), (Some("assigned"), Some("东湖区")));
    assert_eq!(district["allowed_actions"], json!(["cancel"]), "the city may only withdraw it");
    let mine = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{district_id}")).await;
    assert_eq!(mine["allowed_actions"], json!(["accept", "progress", "decompose"]));
    act(app, s.t("donghu"), &district_id, "accept", None).await;

    // the district decomposes it to its two streets, and separately asks the police for patrols
    let d = decompose(app, s.t("donghu"), &district_id, "streets", Some(&in_days(app, 7))).await;
    assert_eq!(d["children"]["total"], 2);
    assert_eq!(d["status"], "in_progress");
    let street1 = child(&d, &s.r.street)["id"].as_str().unwrap().to_owned();
    let street2 = child(&d, &s.street2)["id"].as_str().unwrap().to_owned();
    assert_eq!(child(&d, &s.r.street)["assigner_name"], "东湖区");
    let again = decompose(app, s.t("donghu"), &district_id, "streets", None).await;
    assert_eq!(again["children"]["total"], 2, "decomposing again adds no second task to a street");
    let patrols = app
        .create(
            s.t("donghu"),
            "/api/v1/tasks",
            &json!({"title": "除夕夜重点区域巡逻", "kind": "campaign", "owner": {"type": "department", "id": s.depts["gongan"]},
                    "due_at": in_days(app, 2), "parent_id": district_id}),
        )
        .await;
    let patrols_id = patrols["id"].as_str().unwrap().to_owned();
    let told = get_ok(app, s.t("gongan"), "/api/v1/notifications").await;
    assert!(
        told["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "task.assigned" && n["task_id"] == patrols_id.as_str()),
        "{told}"
    );

    // each street decomposes into its communities; the communities into their grids
    let st1 = decompose(app, s.t("office"), &street1, "communities", None).await;
    let community1 = child(&st1, &s.r.community)["id"].as_str().unwrap().to_owned();
    let st2 = decompose(app, s.t("office2"), &street2, "communities", Some(&in_days(app, 3))).await;
    let community2 = child(&st2, &s.community2)["id"].as_str().unwrap().to_owned();
    let c1 = decompose(app, s.t("cadre"), &community1, "cells", None).await;
    assert_eq!(c1["children"]["total"], s.cells.len(), "one task per grid");
    let grid0 = child(&c1, s.cell(0))["id"].as_str().unwrap().to_owned();

    // the grid worker sees their grid's task on their list and to-do, and reports progress with photos
    let owned = get_ok(app, s.t("worker"), "/api/v1/tasks?mine=owned").await;
    assert_eq!(ids(&owned), [grid0.as_str()]);
    let todo = get_ok(app, s.t("worker"), "/api/v1/todo").await;
    let pile = todo["piles"].as_array().unwrap().iter().find(|p| p["kind"] == "tasks_to_do").unwrap();
    assert_eq!(
        (pile["label"].as_str(), pile["items"][0]["task_id"].as_str()),
        (Some("待办任务"), Some(grid0.as_str()))
    );
    let res = app
        .post(
            Some(s.t("worker")),
            &format!("/api/v1/tasks/{grid0}/progress"),
            &json!({"quantity": 18, "note": "已走访18户", "attachments": ["p-1", "p-2"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post(
            Some(s.t("worker")),
            &format!("/api/v1/tasks/{grid0}/progress"),
            &json!({"quantity": 12, "note": "补访12户"}),
        )
        .await;
    let g = json(res).await;
    assert_eq!((g["quantity_done"].as_i64(), g["status"].as_str()), (Some(30), Some("in_progress")));
    let progress: Vec<&Value> = g["events"].as_array().unwrap().iter().filter(|e| e["action"] == "progress").collect();
    assert_eq!(progress[0]["attachments"], json!(["p-1", "p-2"]));
    assert_eq!(progress[1]["quantity"], 12);
    for up in [&community1, &street1, &district_id] {
        let t = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{up}")).await;
        assert_eq!(t["quantity_done"], 30, "progress counts for every task above: {up}");
    }
    // the community cannot submit while a grid's task is open
    let p = problem(
        app.post(Some(s.t("cadre")), &format!("/api/v1/tasks/{community1}/transitions"), &json!({"action": "submit"}))
            .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("not verified"), "{p}");
    act(app, s.t("worker"), &grid0, "submit", None).await;
    let todo = get_ok(app, s.t("cadre"), "/api/v1/todo").await;
    let pile = todo["piles"].as_array().unwrap().iter().find(|p| p["kind"] == "tasks_to_verify").unwrap();
    assert_eq!((pile["count"].as_i64(), pile["items"][0]["task_id"].as_str()), (Some(1), Some(grid0.as_str())));
    let told = get_ok(app, s.t("cadre"), "/api/v1/notifications").await;
    assert!(
        told["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "task.submitted" && n["task_id"] == grid0.as_str()),
        "{told}"
    );
    // the community returns it once (a photo missing), then verifies it
    let r = act(app, s.t("cadre"), &grid0, "return", Some("缺少入户照片")).await;
    assert_eq!(r["status"], "returned");
    act(app, s.t("worker"), &grid0, "submit", None).await;
    act(app, s.t("cadre"), &grid0, "verify", None).await;
    // the community's other grids, without a worker assigned, are done by the community itself
    for cell in s.cells.iter().skip(1) {
        let id = child(&c1, cell["id"].as_str().unwrap())["id"].as_str().unwrap().to_owned();
        act(app, s.t("cadre"), &id, "accept", None).await;
        act(app, s.t("cadre"), &id, "submit", None).await;
        act(app, s.t("cadre"), &id, "verify", None).await;
    }
    let c = get_ok(app, s.t("cadre"), &format!("/api/v1/tasks/{community1}")).await;
    assert_eq!(
        (c["children"]["verified"].as_u64(), c["children"]["completion"].as_f64()),
        (Some(s.cells.len() as u64), Some(100.0))
    );
    act(app, s.t("cadre"), &community1, "submit", None).await;
    act(app, s.t("office"), &community1, "verify", None).await;
    act(app, s.t("office"), &street1, "submit", None).await;
    act(app, s.t("donghu"), &street1, "verify", None).await;
    let d = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{district_id}")).await;
    assert_eq!(d["children"]["verified"], 1);

    // 百花洲社区 lets its day pass: the sweep marks it once, tells the community and its street
    app.advance_clock(Duration::days(3) + Duration::minutes(1));
    let path = format!("/api/v1/tasks/{community2}");
    eventually("the sweep marks the community's task overdue", async || {
        get_ok(app, &cadre2, &path).await["overdue_at"].is_string()
    })
    .await;
    let late = get_ok(app, s.t("office2"), "/api/v1/tasks?overdue=true&mine=assigned").await;
    assert_eq!(ids(&late), [community2.as_str()]);
    let t = get_ok(app, &cadre2, &path).await;
    assert_eq!(t["events"].as_array().unwrap().iter().filter(|e| e["action"] == "overdue").count(), 1, "marked once");
    for token in [cadre2.as_str(), s.t("office2")] {
        let told = get_ok(app, token, "/api/v1/notifications").await;
        let n = told["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "task.overdue" && n["task_id"] == community2.as_str())
            .cloned();
        assert!(n.is_some_and(|n| n["message"].as_str().unwrap().contains("超期")), "{told}");
    }
    // the police's patrol task is late too: told through their webhook
    eventually("the police receive task.overdue", async || {
        police.got.lock().unwrap().iter().any(|(_, body)| body.contains("task.overdue") && body.contains(&patrols_id))
    })
    .await;
    let got = police.got.lock().unwrap().clone();
    assert!(got.iter().any(|(_, body)| body.contains("task.assigned")), "the assignment was sent too");
    let d = get_ok(app, s.t("donghu"), &format!("/api/v1/tasks/{district_id}")).await;
    assert_eq!(
        (d["children"]["overdue"].as_i64(), d["children"]["total"].as_i64()),
        (Some(1), Some(3)),
        "the police: {}",
        d["children"]
    );
    let st2 = get_ok(app, s.t("office2"), &format!("/api/v1/tasks/{street2}")).await;
    assert_eq!(
        (st2["children"]["overdue"].as_i64(), st2["overdue"].as_bool()),
        (Some(1), Some(false)),
        "the street is not late, its community is"
    );

    // late, but done: the overdue mark stays
    let res = app.post(Some(&cadre2), &format!("/api/v1/tasks/{community2}/progress"), &json!({"quantity": 40})).await;
    assert_eq!(res.status(), 200);
    act(app, &cadre2, &community2, "submit", None).await;
    let v = act(app, s.t("office2"), &community2, "verify", None).await;
    assert!(v["overdue_at"].is_string() && v["overdue"] == true, "{v}");
    act(app, s.t("office2"), &street2, "submit", None).await;
    act(app, s.t("donghu"), &street2, "verify", None).await;
    act(app, s.t("gongan"), &patrols_id, "accept", None).await;
    act(app, s.t("gongan"), &patrols_id, "submit", None).await;
    act(app, s.t("donghu"), &patrols_id, "verify", None).await;
    let d = act(app, s.t("donghu"), &district_id, "submit", None).await;
    assert_eq!((d["quantity_done"].as_i64(), d["children"]["completion"].as_f64()), (Some(70), Some(100.0)));
    let d = act(app, &w.admin, &district_id, "verify", None).await;
    assert_eq!((d["status"].as_str(), d["status_label"].as_str()), (Some("verified"), Some("已完成")));
    assert!(d["allowed_actions"].as_array().unwrap().is_empty());
}
