//! The closed loop: every legal transition and illegal ones in every state, and each role refused
//! what it may not do.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    every_legal_transition_and_illegal_ones_in_each_state,
    each_role_is_refused_what_it_may_not_do,
    shelving_is_the_districts_call_and_comes_back_for_review,
);

/// Expects `action` refused with 409, listing exactly what GET says is allowed.
async fn refused_now(app: &TestApp, token: &str, id: &str, action: &str) {
    let allowed = get_case(app, token, id).await["allowed_actions"].clone();
    let p = problem(act(app, token, id, action, note("试一下")).await, 409).await;
    assert_eq!(p["allowed_actions"], allowed, "{action}: {p}");
    assert!(!strings(&allowed).contains(&action.to_owned()));
}

async fn every_legal_transition_and_illegal_ones_in_each_state(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (office, dept, worker) = (s.t("office"), s.t("chengguan"), s.t("worker"));
    let c = file(app, worker, &report("SJ0502", HERE)).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let id = id.as_str();
    assert_eq!((c["status"].as_str(), c["step"].as_str()), (Some("reported"), Some("file")));
    assert!(c["deadline_at"].is_string());
    refused_now(app, office, id, "dispatch").await;
    let c = step(app, office, id, "file", json!({}), "filed").await;
    assert_eq!(
        strings(&c["allowed_actions"]),
        ["dispatch", "self_handle", "suspend", "void", "merge", "remark", "escalate", "delegate"]
    );
    refused_now(app, office, id, "verify_pass").await;
    step(app, office, id, "suspend", note("等待产权单位确认"), "suspended").await;
    refused_now(app, office, id, "file").await;
    step(app, office, id, "resume", json!({}), "filed").await;
    step(app, office, id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    refused_now(app, office, id, "file").await;
    let c = step(app, dept, id, "return", note("不属于本部门"), "filed").await;
    assert_eq!((c["misdispatch_count"].as_i64(), c["department_id"].clone()), (Some(1), Value::Null));
    step(app, office, id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, office, id, "suspend", note("暂缓"), "suspended").await;
    step(app, office, id, "resume", json!({}), "dispatched").await;
    let c = step(app, dept, id, "accept", json!({}), "accepted").await;
    assert_eq!(c["step"], "handle");
    assert!(c["assignee_id"].is_string(), "the staff member who accepted it");
    refused_now(app, office, id, "dispatch").await;
    step(app, office, id, "suspend", note("暂缓"), "suspended").await;
    step(app, office, id, "resume", json!({}), "accepted").await;

    // extensions: a request changes nothing, a denial nothing, only a grant moves the deadline
    let before = get_case(app, office, id).await["deadline_at"].as_str().unwrap().to_owned();
    let p = problem(act(app, dept, id, "request_extension", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["extend_by"]);
    let c = step(app, dept, id, "request_extension", json!({"extend_by": "2d", "note": "材料未到"}), "accepted").await;
    assert_eq!((c["pending_extension"].as_str(), c["deadline_at"].as_str()), (Some("2d"), Some(before.as_str())));
    refused_now(app, dept, id, "request_extension").await;
    let c = step(app, office, id, "deny_extension", json!({}), "accepted").await;
    assert_eq!((c["pending_extension"].clone(), c["deadline_at"].as_str()), (Value::Null, Some(before.as_str())));
    refused_now(app, office, id, "grant_extension").await;
    step(app, dept, id, "request_extension", json!({"extend_by": "1d"}), "accepted").await;
    let c = step(app, office, id, "grant_extension", json!({}), "accepted").await;
    let cal = app.store(|conn| gridhub_store::clocks::calendar::load(conn, &Default::default()).unwrap());
    let moved = cal.working_minutes(utc(&before), utc(c["deadline_at"].as_str().unwrap()));
    assert_eq!(moved, 7 * 60, "granted: one working day (7 working hours) more");

    let p = problem(act(app, dept, id, "handle", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["note"], "handling needs a note");
    step(app, dept, id, "handle", json!({"note": "已清理", "attachments": ["photo-1.jpg"]}), "handled").await;
    refused_now(app, office, id, "suspend").await;
    let c = step(app, worker, id, "verify_fail", note("仍有垃圾"), "accepted").await;
    assert_eq!(c["rework_count"], 1);
    step(app, dept, id, "handle", note("已彻底清理"), "handled").await;
    let c = step(app, worker, id, "verify_pass", json!({}), "closed").await;
    assert!(c["closed_at"].is_string() && c["deadline_at"].is_null());
    assert_eq!(strings(&c["allowed_actions"]), Vec::<String>::new(), "a worker does nothing more with a closed case");
    refused_now(app, office, id, "void").await;
    step(app, office, id, "reopen", note("居民反映复发"), "filed").await;
    let c =
        step(app, worker, id, "self_handle", json!({"note": "现场处理", "attachments": ["p2.jpg"]}), "closed").await;
    assert_eq!(c["version"].as_i64(), Some(22), "one version for the report and each of 21 actions");

    // the timeline has every step, in order, with actor role, note and evidence
    let events = json(app.get(Some(office), &format!("/api/v1/cases/{id}/events")).await).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "report",
            "file",
            "suspend",
            "resume",
            "dispatch",
            "return",
            "dispatch",
            "suspend",
            "resume",
            "accept",
            "suspend",
            "resume",
            "request_extension",
            "deny_extension",
            "request_extension",
            "grant_extension",
            "handle",
            "verify_fail",
            "handle",
            "verify_pass",
            "reopen",
            "self_handle"
        ]
    );
    let handled = &events["items"][16];
    assert_eq!((handled["actor_role"].as_str(), handled["note"].as_str()), (Some("dept_staff"), Some("已清理")));
    assert_eq!(handled["attachments"], json!(["photo-1.jpg"]));
    assert_eq!((handled["from_status"].as_str(), handled["to_status"].as_str()), (Some("accepted"), Some("handled")));

    // reject (with a reason) and void
    let c = file(app, worker, &report("SJ0502", HERE)).await;
    let id = c["id"].as_str().unwrap();
    let p = problem(act(app, office, id, "reject", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["note"], "rejecting needs a reason");
    step(app, office, id, "reject", note("重复上报"), "rejected").await;
    refused_now(app, office, id, "file").await;
    step(app, office, id, "void", note("录入错误"), "void").await;
    refused_now(app, office, id, "reopen").await;
    assert_eq!(get_case(app, office, id).await["allowed_actions"], json!([]), "nothing leaves void");

    // a resident's request, closed, is evaluated once by its reporter
    let mut body = report("ZL0501", HERE);
    body["source"] = json!("resident_request");
    let c = file(app, s.t("resident"), &body).await;
    let id = c["id"].as_str().unwrap();
    step(app, office, id, "file", json!({}), "filed").await;
    step(app, office, id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, dept, id, "accept", json!({}), "accepted").await;
    step(app, dept, id, "handle", note("已上门帮助"), "handled").await;
    step(app, worker, id, "verify_pass", json!({}), "closed").await;
    assert_eq!(strings(&get_case(app, s.t("resident"), id).await["allowed_actions"]), ["evaluate"]);
    let p = problem(act(app, s.t("resident"), id, "evaluate", json!({"satisfaction": 6})).await, 422).await;
    assert_eq!(fields(&p), ["satisfaction"]);
    let c = step(app, s.t("resident"), id, "evaluate", json!({"satisfaction": 5}), "closed").await;
    assert_eq!(c["satisfaction"], 5);
    refused_now(app, s.t("resident"), id, "evaluate").await;
    // only the first case was a field report that closed
    let c = json(app.get(Some(office), "/api/v1/cases?status=closed&source=field_report").await).await;
    assert_eq!(c["items"].as_array().unwrap().len(), 1);
}

async fn each_role_is_refused_what_it_may_not_do(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
    let id = c["id"].as_str().unwrap();
    // a community commands only the cases handed down to it: this one is the street's
    let p = problem(act(app, s.t("cadre"), id, "file", note("x")).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("street level"), "{p}");
    for (who, action) in [("worker", "file"), ("volunteer", "file"), ("worker", "void")] {
        // the worker reported it, so may see it; the others see their community
        let p = problem(act(app, s.t(who), id, action, note("x")).await, 403).await;
        assert!(p["detail"].as_str().unwrap().contains(action), "{who} {action}: {p}");
    }
    let mut request = report("ZL0501", HERE);
    request["source"] = json!("resident_request");
    let own = file(app, s.t("resident"), &request).await;
    problem(act(app, s.t("resident"), own["id"].as_str().unwrap(), "file", json!({})).await, 403).await;
    // another street's office and a department it is not dispatched to do not see it at all
    for who in ["office2", "chengguan", "worker2", "resident2"] {
        problem(act(app, s.t(who), id, "file", json!({})).await, 404).await;
        problem(app.get(Some(s.t(who)), &format!("/api/v1/cases/{id}")).await, 404).await;
    }
    step(app, s.t("office"), id, "file", json!({}), "filed").await;
    step(app, s.t("office"), id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    // the department now sees it, and may only take its own actions
    let seen = get_case(app, s.t("chengguan"), id).await;
    assert_eq!(strings(&seen["allowed_actions"]), ["accept", "return", "request_extension", "remark"]);
    assert_eq!(
        strings(&get_case(app, s.t("office"), id).await["allowed_actions"]),
        ["co_dispatch", "suspend", "void", "merge", "remark", "escalate", "delegate"]
    );
    assert_eq!(strings(&get_case(app, s.t("volunteer"), id).await["allowed_actions"]), Vec::<String>::new());
    for (who, action) in [
        ("chengguan", "dispatch"),
        ("chengguan", "verify_pass"),
        ("chengguan", "grant_extension"),
        ("office", "accept"),
        ("office", "handle"),
        ("worker", "accept"),
        ("cadre", "accept"),
        ("volunteer", "verify_pass"),
        ("donghu", "evaluate"),
    ] {
        problem(act(app, s.t(who), id, action, note("x")).await, 403).await;
    }
    problem(act(app, s.t("gongan"), id, "accept", json!({})).await, 404).await;
    // two offices acting on one case at once: one wins, the other is told it moved on
    for round in 0..3 {
        let c = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
        let path = format!("/api/v1/cases/{}/transitions", c["id"].as_str().unwrap());
        let body = json!({"action": "file", "expected_version": 1});
        let (a, b) =
            tokio::join!(app.post(Some(s.t("office")), &path, &body), app.post(Some(s.t("donghu")), &path, &body));
        let mut got = [a.status().as_u16(), b.status().as_u16()];
        got.sort_unstable();
        assert_eq!(got, [200, 412], "round {round}");
    }
    // a stale version answers 412 and changes nothing
    let res = app
        .post(
            Some(s.t("chengguan")),
            &format!("/api/v1/cases/{id}/transitions"),
            &json!({"action": "accept", "expected_version": 1}),
        )
        .await;
    problem(res, 412).await;
    assert_eq!(get_case(app, s.t("office"), id).await["status"], "dispatched");
    let p = problem(
        app.post(Some(s.t("chengguan")), &format!("/api/v1/cases/{id}/transitions"), &json!({"action": "accept"}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["expected_version"]);
    let p = problem(
        app.post(
            Some(s.t("chengguan")),
            &format!("/api/v1/cases/{id}/transitions"),
            &json!({"action": "close", "expected_version": 3}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["action"]);
}

/// 挂账: a case that cannot be resolved for now leaves the department's desk and the clock on the
/// district's word, and comes back for review every 90 days until it is taken up again.
async fn shelving_is_the_districts_call_and_comes_back_for_review(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (office, district) = (s.t("office"), s.t("donghu"));
    let c = file(app, s.t("worker"), &report("SJ0101", HERE)).await;
    let id = c["id"].as_str().unwrap();
    step(app, office, id, "file", json!({}), "filed").await;
    step(app, office, id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    let p = problem(act(app, office, id, "shelve", note("产权不清")).await, 403).await;
    assert!(p["detail"].as_str().unwrap().contains("shelve"), "{p}");
    assert!(!strings(&get_case(app, office, id).await["allowed_actions"]).contains(&"shelve".to_owned()));
    assert!(strings(&get_case(app, district, id).await["allowed_actions"]).contains(&"shelve".to_owned()));
    let p = problem(act(app, district, id, "shelve", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["note"], "the reason is required");
    let c =
        step(app, district, id, "shelve", note("九十年代违建，产权人已故、继承未定，纳入老旧小区改造统筹"), "shelved")
            .await;
    assert_eq!(
        (c["department_id"].clone(), c["deadline_at"].clone(), c["light"].clone()),
        (Value::Null, Value::Null, Value::Null)
    );
    let review_at = c["shelved_review_at"].as_str().unwrap().to_owned();
    let due_in = chrono::DateTime::parse_from_rfc3339(&review_at).unwrap().naive_utc() - app.now();
    assert_eq!(due_in.num_days(), 89, "reviewed every 90 days: {review_at}");
    assert!(
        strings(&c["allowed_actions"])
            .iter()
            .all(|a| ["review_shelved", "unshelve", "void", "merge", "remark"].contains(&a.as_str()))
    );
    let dept = json(app.get(Some(s.t("chengguan")), "/api/v1/cases").await).await;
    assert!(dept["items"].as_array().unwrap().iter().all(|c| c["id"] != id), "off the department's desk");
    let told = json(app.get(Some(s.t("chengguan")), "/api/v1/notifications").await).await;
    assert!(
        told["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "case.shelved" && n["message"].as_str().unwrap().contains("挂账")),
        "the department is told: {told}"
    );
    let overdue = json(app.get(Some(office), "/api/v1/cases?overdue=true").await).await;
    assert!(overdue["items"].as_array().unwrap().is_empty(), "a shelved case is never overdue");

    // the review list: nothing due now; due after 90 days; a review moves the next one on
    let due = async || json(app.get(Some(district), "/api/v1/cases?review_due=true").await).await["items"].clone();
    assert_eq!(due().await, json!([]));
    app.advance_clock(chrono::Duration::days(91));
    let listed = due().await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["status"], "shelved");
    let c = step(app, district, id, "review_shelved", note("改造方案已报区发改委，继续挂账"), "shelved").await;
    assert!(c["shelved_review_at"].as_str().unwrap() > review_at.as_str());
    assert_eq!(due().await, json!([]));
    let events = json(app.get(Some(office), &format!("/api/v1/cases/{id}/events")).await).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.ends_with(&["shelve", "review_shelved"]), "{actions:?}");
    // taken up again: back to the street, with a fresh deadline to dispatch
    let c = step(app, district, id, "unshelve", note("改造资金已落实"), "filed").await;
    assert_eq!((c["step"].as_str(), c["shelved_review_at"].clone()), (Some("dispatch"), Value::Null));
    assert!(c["deadline_at"].is_string());
}
