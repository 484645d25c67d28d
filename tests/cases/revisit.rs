//! 回访: any closed case — not only a resident's request — is revisited by the office or the
//! community once per closing; a visit that finds the problem unsolved sends the case back for a
//! second handling (重办) once, and the street office is told to dispatch it anew.

use gridhub_e2e::*;
use serde_json::json;

use super::*;

on_both_backends!(a_revisit_that_finds_the_problem_unsolved_sends_the_case_back_once,);

/// Files, dispatches, handles and closes a field report; its id.
async fn closed(app: &TestApp, s: &Fixture) -> String {
    let c = file(app, s.t("worker"), &report("BJ0101", s.inside(0))).await;
    let id = c["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    step(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, s.t("chengguan"), &id, "accept", json!({}), "accepted").await;
    step(app, s.t("chengguan"), &id, "handle", note("已修复"), "handled").await;
    step(app, s.t("worker"), &id, "verify_pass", json!({}), "closed").await;
    id
}

async fn a_revisit_that_finds_the_problem_unsolved_sends_the_case_back_once(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;

    // a satisfied visit changes nothing but the timeline, and is taken once per closing
    let good = closed(app, &s).await;
    let missing = problem(act(app, s.t("office"), &good, "revisit", note("没说满不满意")).await, 422).await;
    assert_eq!(fields(&missing), ["satisfied"]);
    let c =
        step(app, s.t("cadre"), &good, "revisit", json!({"satisfied": true, "note": "回访居民，井盖已更换"}), "closed")
            .await;
    assert!(!c["allowed_actions"].as_array().unwrap().iter().any(|a| a == "revisit"), "once per closing");
    let again =
        problem(act(app, s.t("office"), &good, "revisit", json!({"satisfied": true, "note": "再访"})).await, 409).await;
    assert!(again["detail"].as_str().unwrap().contains("revisited"), "{again}");
    problem(act(app, s.t("worker"), &good, "revisit", json!({"satisfied": true, "note": "x"})).await, 403).await;

    // an unsolved one goes back for a second handling, off the department's desk
    let bad = closed(app, &s).await;
    let c =
        step(app, s.t("office"), &bad, "revisit", json!({"satisfied": false, "note": "井盖仍松动，有异响"}), "filed")
            .await;
    assert_eq!(c["department_id"], serde_json::Value::Null);
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{bad}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions[actions.len() - 2..], ["revisit", "redo"], "{actions:?}");
    let told = get_ok(app, s.t("office"), "/api/v1/notifications").await;
    assert!(told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "case.redo" && n["case_id"] == bad.as_str()));

    // handled again and closed again, an unsolved visit is noted but does not send it back twice
    step(app, s.t("office"), &bad, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, s.t("chengguan"), &bad, "accept", json!({}), "accepted").await;
    step(app, s.t("chengguan"), &bad, "handle", note("更换井座"), "handled").await;
    step(app, s.t("worker"), &bad, "verify_pass", json!({}), "closed").await;
    step(app, s.t("office"), &bad, "revisit", json!({"satisfied": false, "note": "仍有异响"}), "closed").await;
}
