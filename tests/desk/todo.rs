//! The to-do of each kind of user, and the notifications that tell them, in whole Chinese.

use super::*;

on_both_backends!(each_user_sees_what_awaits_them_and_is_told_in_chinese,);

/// The count of a pile of a to-do, and the titles of its first items.
fn pile(todo: &Value, kind: &str) -> (i64, Vec<String>) {
    let p = todo["piles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == kind)
        .unwrap_or_else(|| panic!("no pile {kind}: {todo}"));
    let titles = p["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_owned()).collect();
    (p["count"].as_i64().unwrap(), titles)
}

fn kinds(todo: &Value) -> Vec<String> {
    todo["piles"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap().to_owned()).collect()
}

async fn messages(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let notes = get_ok(app, token, "/api/v1/notifications?limit=100").await;
    notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["kind"].as_str().unwrap().to_owned(), n["message"].as_str().unwrap().to_owned()))
        .collect()
}

async fn each_user_sees_what_awaits_them_and_is_told_in_chinese(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let here = s.inside(0);
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/cells/{}/assignments", s.cell(0)),
            &json!({"user_id": s.id("worker"), "duty": "grid_leader"}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let reported = report(app, s.t("worker"), "field_report", "井盖缺失", here).await;
    let request = report(app, s.t("resident"), "resident_request", "楼道堆放杂物", here).await;
    let office = get_ok(app, s.t("office"), "/api/v1/todo").await;
    assert_eq!(
        kinds(&office),
        [
            "reports_to_file",
            "resident_requests",
            "cases_to_dispatch",
            "returned_cases",
            "extension_requests",
            "cases_to_verify",
            "whistle_requests",
            "returned_parts",
            "tasks_to_do",
            "tasks_to_verify"
        ]
    );
    assert_eq!(pile(&office, "reports_to_file"), (1, vec!["井盖缺失".to_owned()]));
    assert_eq!(pile(&office, "resident_requests"), (1, vec!["楼道堆放杂物".to_owned()]));
    assert_eq!(office["total"], 2);
    let _ = request;

    // returned by 公安, re-dispatched to 城管, who ask for more time and report it handled
    steps(
        app,
        &s,
        &reported,
        &[("office", "file", json!({}), "filed"), ("office", "dispatch", dispatch(&s, "gongan"), "dispatched")],
    )
    .await;
    assert_eq!(pile(&get_ok(app, s.t("gongan"), "/api/v1/todo").await, "cases_to_accept").0, 1);
    step(app, s.t("gongan"), &reported, "return", note("井盖属城管维护"), "filed").await;
    let office = get_ok(app, s.t("office"), "/api/v1/todo").await;
    assert_eq!(pile(&office, "returned_cases"), (1, vec!["井盖缺失".to_owned()]));
    assert_eq!(pile(&office, "cases_to_dispatch").0, 1);
    steps(
        app,
        &s,
        &reported,
        &[
            ("office", "dispatch", dispatch(&s, "chengguan"), "dispatched"),
            ("chengguan", "accept", json!({}), "accepted"),
            ("chengguan", "request_extension", json!({"extend_by": "2d"}), "accepted"),
        ],
    )
    .await;
    let chengguan = get_ok(app, s.t("chengguan"), "/api/v1/todo").await;
    assert_eq!(
        kinds(&chengguan),
        [
            "cases_to_accept",
            "cases_to_handle",
            "assists_to_accept",
            "assists_to_handle",
            "whistles_to_report_in",
            "tasks_to_do"
        ]
    );
    assert_eq!(pile(&chengguan, "cases_to_handle").0, 1);
    assert_eq!(pile(&get_ok(app, s.t("office"), "/api/v1/todo").await, "extension_requests").0, 1);
    steps(
        app,
        &s,
        &reported,
        &[("office", "grant_extension", json!({}), "accepted"), ("chengguan", "handle", note("已更换井盖"), "handled")],
    )
    .await;
    // the grid leader of the grid, the community and the street office may verify it
    for who in ["worker", "cadre", "office"] {
        assert_eq!(pile(&get_ok(app, s.t(who), "/api/v1/todo").await, "cases_to_verify").0, 1, "{who}");
    }
    assert_eq!(kinds(&get_ok(app, s.t("worker"), "/api/v1/todo").await), ["cases_to_verify", "tasks_to_do"]);
    assert_eq!(pile(&get_ok(app, s.t("worker2"), "/api/v1/todo").await, "cases_to_verify").0, 0, "not their grid");
    step(app, s.t("worker"), &reported, "verify_fail", note("井盖松动"), "accepted").await;
    // a whistle waits for 公安
    let c = report(app, s.t("worker"), "field_report", "占道经营", here).await;
    steps(app, &s, &c, &[("office", "file", json!({}), "filed")]).await;
    app.create(
        s.t("office"),
        &format!("/api/v1/cases/{c}/whistle"),
        &json!({"departments": [s.depts["gongan"]], "report_in_within_minutes": 30}),
    )
    .await;
    assert_eq!(
        pile(&get_ok(app, s.t("gongan"), "/api/v1/todo").await, "whistles_to_report_in"),
        (1, vec!["占道经营".to_owned()])
    );
    // overdue: the street and the department are told which step, in Chinese
    app.advance_clock(Duration::days(30));
    eventually("the sweep marks the case to handle overdue", async || {
        messages(app, s.t("chengguan")).await.iter().any(|(k, _)| k == "case.overdue")
    })
    .await;

    let street = messages(app, s.t("office")).await;
    let told = |all: &[(String, String)], kind: &str| -> String {
        all.iter().find(|(k, _)| k == kind).map(|(_, m)| m.clone()).unwrap_or_else(|| panic!("no {kind} in {all:?}"))
    };
    assert_eq!(told(&street, "case.reported"), "新上报「占道经营」，待立案");
    assert!(street.iter().any(|(_, m)| m == "新居民诉求「楼道堆放杂物」，待受理"), "{street:?}");
    assert_eq!(told(&street, "case.returned"), "「井盖缺失」被公安分局退回，待重新派遣：井盖属城管维护");
    assert_eq!(told(&street, "case.extension_requested"), "城管局申请「井盖缺失」延期2个工作日，待审批");
    assert_eq!(told(&street, "case.handled"), "「井盖缺失」已处置反馈，待核查结案");
    assert_eq!(told(&street, "case.overdue"), "「井盖缺失」的处置环节已超时");
    let department = messages(app, s.t("chengguan")).await;
    assert_eq!(told(&department, "case.rework"), "「井盖缺失」核查未通过，需返工：井盖松动");
    assert_eq!(told(&department, "case.extension_granted"), "「井盖缺失」的延期申请已批准");
    assert_eq!(told(&messages(app, s.t("worker")).await, "case.handled"), "「井盖缺失」已处置反馈，待核查结案");
    assert_eq!(told(&messages(app, s.t("cadre")).await, "case.handled"), "「井盖缺失」已处置反馈，待核查结案");
    // whole Chinese: no code of ours inside any text
    for (kind, message) in street.iter().chain(&department) {
        assert!(!message.chars().any(|c| c.is_ascii_alphabetic()), "{kind}: {message}");
    }
}
