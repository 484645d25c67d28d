//! What a task refuses, and how: who may assign what to whom, bad fields named, actions out of
//! turn (409 with what is allowed), by the wrong unit (403), on a stale version (412), and tasks
//! hidden from those they are not for.

use super::*;

on_both_backends!(tasks_refuse_clearly_and_stay_with_their_units);

async fn tasks_refuse_clearly_and_stay_with_their_units(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let body = |owner_type: &str, owner_id: &str| json!({"title": "清理楼道堆物", "owner": {"type": owner_type, "id": owner_id}, "due_at": in_days(app, 3)});
    // who may assign what to whom
    problem(app.post(Some(s.t("worker")), "/api/v1/tasks", &body("cell", s.cell(0))).await, 403).await;
    problem(app.post(Some(s.t("office")), "/api/v1/tasks", &body("department", &s.depts["chengguan"])).await, 403)
        .await;
    problem(app.post(Some(s.t("office")), "/api/v1/tasks", &body("community", &s.community2)).await, 403).await;
    problem(app.post(Some(s.t("resident")), "/api/v1/tasks", &body("cell", s.cell(0))).await, 403).await;
    // bad fields, named
    let p = problem(
        app.post(Some(s.t("office")), "/api/v1/tasks", &json!({"title": "", "owner": {"type": "community", "id": s.r.community}, "due_at": "tomorrow", "target_quantity": 0}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["title", "due_at", "target_quantity"]);
    let p = problem(
        app.post(
            Some(s.t("office")),
            "/api/v1/tasks",
            &json!({"title": "x", "owner": {"type": "city", "id": "x"}, "due_at": in_days(app, 1)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["owner.type"]);
    let past = json!({"title": "x", "owner": {"type": "community", "id": s.r.community}, "due_at": in_days(app, -1)});
    let p = problem(app.post(Some(s.t("office")), "/api/v1/tasks", &past).await, 422).await;
    assert_eq!(fields(&p), ["due_at"]);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/tasks", &body("community", "no-such-community")).await, 422)
        .await;
    assert_eq!(fields(&p), ["owner.id"]);

    let t = app.create(s.t("office"), "/api/v1/tasks", &body("community", &s.r.community)).await;
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (t["kind"].as_str(), t["kind_label"].as_str(), t["status_label"].as_str()),
        (Some("routine"), Some("日常督办"), Some("待签收"))
    );
    // out of turn, by the wrong unit, without a reason, on a stale version
    let path = format!("/api/v1/tasks/{id}/transitions");
    let tr =
        |token: &str, body: Value| app.client.post(app.url(&path)).bearer_auth(token.to_owned()).json(&body).send();
    let p = problem(tr(s.t("cadre"), json!({"action": "verify"})).await.unwrap(), 403).await;
    assert!(p["detail"].as_str().unwrap().contains("assigner"), "{p}");
    let p = problem(tr(s.t("cadre"), json!({"action": "submit"})).await.unwrap(), 409).await;
    assert_eq!(p["allowed_actions"], json!(["accept", "progress", "decompose"]), "{p}");
    let p = problem(tr(s.t("office"), json!({"action": "cancel"})).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["note"]);
    let p = problem(tr(s.t("office"), json!({"action": "fly"})).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["action"]);
    problem(tr(s.t("cadre"), json!({"action": "accept", "expected_version": 7})).await.unwrap(), 412).await;
    act(app, s.t("cadre"), &id, "accept", None).await;
    let p = problem(
        app.post(Some(s.t("cadre")), &format!("/api/v1/tasks/{id}/decompose"), &json!({"to": "streets"})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["to"]);
    let p = problem(
        app.post(
            Some(s.t("cadre")),
            &format!("/api/v1/tasks/{id}/decompose"),
            &json!({"to": "cells", "due_at": in_days(app, 5)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["due_at"], "a child is due by its parent's date");
    let p = problem(app.post(Some(s.t("cadre")), &format!("/api/v1/tasks/{id}/progress"), &json!({})).await, 422).await;
    assert_eq!(fields(&p), ["quantity"]);
    let p = problem(
        app.post(Some(s.t("cadre")), &format!("/api/v1/tasks/{id}/progress"), &json!({"quantity": -3})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["quantity"]);

    // a task stays with its units: the other street, the other community's worker, residents see nothing
    for who in ["office2", "worker2", "resident", "chengguan"] {
        problem(app.get(Some(s.t(who)), &format!("/api/v1/tasks/{id}")).await, 404).await;
        assert_eq!(get_ok(app, s.t(who), "/api/v1/tasks").await["items"], json!([]), "{who}");
    }
    for who in ["office", "cadre", "donghu"] {
        assert_eq!(ids(&get_ok(app, s.t(who), "/api/v1/tasks").await), [id.as_str()], "{who}");
    }
    assert_eq!(ids(&get_ok(app, s.t("office"), "/api/v1/tasks?mine=owned").await), Vec::<String>::new());
    assert_eq!(
        ids(&get_ok(app, s.t("cadre"), &format!("/api/v1/tasks?owner_type=community&owner_id={}", s.r.community)).await),
        [id.as_str()]
    );
    for bad in ["status=late", "mine=everything", "owner_type=community", "overdue=maybe", "kind=x"] {
        problem(app.get(Some(s.t("office")), &format!("/api/v1/tasks?{bad}")).await, 400).await;
    }
    // the street's ledger (督办台账) as Excel opens it: Chinese headers, one row per task
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/tasks?format=csv&limit=1"))
        .bearer_auth(s.t("office"))
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}任务,类型,承办单位,交办单位,状态,截止时间,是否超期"), "{csv}");
    let rows: Vec<&str> = csv.trim_end().split("\r\n").skip(1).collect();
    assert_eq!(rows.len(), 1);
    assert!(
        rows[0].starts_with("清理楼道堆物,日常督办,孺子亭社区,公园街道,已签收,") && rows[0].contains(",否,"),
        "{}",
        rows[0]
    );
    let en = app.get(Some(s.t("office")), "/api/v1/tasks?format=csv").await.text().await.unwrap();
    assert!(en.contains("\r\n清理楼道堆物,routine,孺子亭社区,公园街道,accepted,") && en.contains(",no,"), "{en}");

    // the assigner withdraws it, saying why; nothing more can happen to it
    let c = act(app, s.t("office"), &id, "cancel", Some("与专项行动任务重复")).await;
    assert_eq!(c["status"], "cancelled");
    let told = get_ok(app, s.t("cadre"), "/api/v1/notifications").await;
    assert!(
        told["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "task.cancelled" && n["message"].as_str().unwrap().contains("与专项行动任务重复"))
    );
    let p = problem(tr(s.t("cadre"), json!({"action": "submit"})).await.unwrap(), 409).await;
    assert_eq!(p["allowed_actions"], json!([]));
}
