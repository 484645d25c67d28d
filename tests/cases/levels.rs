//! Levels of command (两级指挥、三级联动): a street hands a case down to its community, which
//! commands it itself; a community escalates to its street and a street to its district, whose
//! to-do then holds it; the timeline says who moved it, where and why.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(a_case_goes_down_to_the_community_and_up_to_the_district,);

fn pile(todo: &Value, kind: &str) -> Vec<String> {
    todo["piles"].as_array().unwrap().iter().find(|p| p["kind"] == kind).map_or_else(Vec::new, |p| {
        p["items"].as_array().unwrap().iter().map(|i| i["case_id"].as_str().unwrap().to_owned()).collect()
    })
}

async fn a_case_goes_down_to_the_community_and_up_to_the_district(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), &report("SJ0502", s.inside(0))).await;
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["level"], "street", "every report starts with the street");
    let c = step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    assert!(
        !get_case(app, s.t("cadre"), &id).await["allowed_actions"].as_array().unwrap().iter().any(|a| a == "dispatch")
    );
    problem(act(app, s.t("cadre"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]})).await, 409).await;
    let _ = c;

    // the street hands it down; the community commands it
    let p = problem(act(app, s.t("office"), &id, "delegate", json!({"to": "community"})).await, 422).await;
    assert_eq!(fields(&p), ["note"]);
    let c =
        step(app, s.t("office"), &id, "delegate", json!({"to": "community", "note": "店外经营由社区劝导"}), "filed")
            .await;
    assert_eq!(c["level"], "community");
    assert_eq!(pile(&get_ok(app, s.t("cadre"), "/api/v1/todo").await, "cases_handed_down"), std::slice::from_ref(&id));
    let told = get_ok(app, s.t("cadre"), "/api/v1/notifications").await;
    assert!(
        told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "case.delegate" && n["case_id"] == id.as_str())
    );
    problem(act(app, s.t("office"), &id, "escalate", note("x")).await, 409).await;

    // it will not move for the community: up to the street, and on to the district
    step(app, s.t("cadre"), &id, "escalate", note("多次劝导无效，需执法"), "filed").await;
    let c = step(app, s.t("office"), &id, "escalate", note("涉及多部门，需区级协调"), "filed").await;
    assert_eq!(c["level"], "district");
    let district = get_ok(app, s.t("donghu"), "/api/v1/todo").await;
    assert_eq!(pile(&district, "cases_escalated"), std::slice::from_ref(&id));
    let office = get_ok(app, s.t("office"), "/api/v1/todo").await;
    assert!(!pile(&office, "cases_to_dispatch").contains(&id), "it left the street's desk");
    problem(act(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]})).await, 409).await;
    let p =
        problem(act(app, s.t("donghu"), &id, "delegate", json!({"to": "community", "note": "下派"})).await, 422).await;
    assert_eq!(fields(&p), ["to"], "one level down only");
    step(app, s.t("donghu"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    let c =
        step(app, s.t("donghu"), &id, "delegate", json!({"to": "street", "note": "交街道跟进"}), "dispatched").await;
    assert_eq!(c["level"], "street");

    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let moves: Vec<(String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "escalate" || e["action"] == "delegate")
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["data"]["to"].as_str().unwrap().to_owned()))
        .collect();
    let want = [("delegate", "community"), ("escalate", "street"), ("escalate", "district"), ("delegate", "street")];
    assert_eq!(moves, want.map(|(a, t)| (a.to_owned(), t.to_owned())));

    // the figures count it as escalated and as handed down, in its street and its community
    let today = gridhub_store::time::local_date(app.now());
    for unit in ["street", "community"] {
        let f = get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit={unit}&from={today}&to={today}")).await;
        let own = if unit == "street" { &s.r.street } else { &s.r.community };
        let row = f["items"].as_array().unwrap().iter().find(|r| r["id"] == own.as_str()).unwrap();
        assert_eq!(
            (row["counts"]["escalated"].as_i64(), row["counts"]["delegated"].as_i64()),
            (Some(1), Some(1)),
            "{unit}"
        );
    }
}
