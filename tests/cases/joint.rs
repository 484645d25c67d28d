//! Joint handling (联动处置, 主办/协办): a case led by 城管 with 公安 and 市场监管 assisting. Each
//! assisting department works its own part with the case's accept, return and handle; 市场监管
//! returns its part and the office dispatches it again, a part added by mistake is waived, 公安 is
//! late (marked, told, its webhook); the lead cannot report the case handled until every part is
//! in; the case closes; the figures count 协办按期率. And a street's own unit (综合执法队): the
//! street adds it, dispatches to it, and its staff file in the street.

use chrono::Duration;
use gridhub_e2e::*;
use gridhub_store::access::Role;
use serde_json::{Value, json};

use super::*;

on_both_backends!(a_case_is_led_by_one_department_and_assisted_by_two,);

fn part(case: &Value, department: &str) -> Value {
    case["parts"].as_array().unwrap().iter().find(|p| p["department_id"] == department).cloned().unwrap_or(Value::Null)
}

fn pile(todo: &Value, kind: &str) -> Vec<String> {
    todo["piles"].as_array().unwrap().iter().find(|p| p["kind"] == kind).map_or_else(Vec::new, |p| {
        p["items"].as_array().unwrap().iter().map(|i| i["case_id"].as_str().unwrap().to_owned()).collect()
    })
}

async fn told(app: &TestApp, token: &str, kind: &str, id: &str) -> bool {
    let n = get_ok(app, token, "/api/v1/notifications").await;
    n["items"].as_array().unwrap().iter().any(|n| n["kind"] == kind && n["case_id"] == id)
}

async fn a_case_is_led_by_one_department_and_assisted_by_two(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    let shichang = s.depts["shichang"].clone();
    s.add(app, "shichang", Role::DeptStaff, Some(&shichang));
    let (cg, ga, xf) = (s.depts["chengguan"].clone(), s.depts["gongan"].clone(), shichang.clone());
    let police = Receiver::start(|_| Some(204)).await;
    let hook = json!({"webhook_url": police.url, "webhook_secret": "a-secret-of-the-police-branch-1"});
    let res = app.patch(Some(s.t("donghu")), &format!("/api/v1/departments/{ga}"), None, &hook).await;
    assert_eq!(res.status(), 200);

    let c = file(app, s.t("worker"), &report("SJ0502", s.inside(0))).await;
    let id = c["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &id, "file", json!({}), "filed").await;

    // the lead is not its own helper, and a helper is a department of the district
    let p = problem(
        act(app, s.t("office"), &id, "dispatch", json!({"department_id": cg, "co_departments": [cg]})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["co_departments"]);
    let c = step(
        app,
        s.t("office"),
        &id,
        "dispatch",
        json!({"department_id": cg, "co_departments": [ga, xf]}),
        "dispatched",
    )
    .await;
    assert_eq!(c["department_id"], cg.as_str(), "城管 leads");
    assert_eq!(
        (part(&c, &ga)["status"].as_str(), part(&c, &xf)["status"].as_str()),
        (Some("dispatched"), Some("dispatched"))
    );
    assert!(part(&c, &ga)["deadline_at"].is_string(), "each part has its deadline on the case's clock");

    // each assisting department sees the case and what it may do with its part; others do not
    let seen = get_case(app, s.t("gongan"), &id).await;
    assert_eq!(
        strings(&seen["allowed_actions"])
            .iter()
            .filter(|a| ["accept", "return", "handle"].contains(&a.as_str()))
            .count(),
        2
    );
    assert!(strings(&seen["allowed_actions"]).contains(&"accept".to_owned()));
    assert_eq!(app.get(Some(s.t("xiaofang")), &format!("/api/v1/cases/{id}")).await.status(), 404);
    assert_eq!(pile(&get_ok(app, s.t("gongan"), "/api/v1/todo").await, "assists_to_accept"), std::slice::from_ref(&id));
    assert!(told(app, s.t("shichang"), "case.assist", &id).await);

    // the lead accepts; its handle waits for the parts
    step(app, s.t("chengguan"), &id, "accept", json!({}), "accepted").await;
    let lead = get_case(app, s.t("chengguan"), &id).await;
    assert!(!strings(&lead["allowed_actions"]).contains(&"handle".to_owned()));
    let p = problem(act(app, s.t("chengguan"), &id, "handle", note("已清理")).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("公安分局"), "{p}");

    // 市场监管 returns its part: back to the office, which dispatches it again
    let p = problem(act(app, s.t("shichang"), &id, "return", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["note"]);
    let c = step(app, s.t("shichang"), &id, "return", note("需先由公安核实经营者身份"), "accepted").await;
    assert_eq!(part(&c, &xf)["status"], "returned");
    assert_eq!(pile(&get_ok(app, s.t("office"), "/api/v1/todo").await, "returned_parts"), std::slice::from_ref(&id));
    assert!(told(app, s.t("office"), "case.part_returned", &id).await);
    problem(act(app, s.t("shichang"), &id, "accept", json!({})).await, 409).await;
    // a part added by mistake is waived
    let xiaofang = s.depts["xiaofang"].clone();
    let c = step(app, s.t("office"), &id, "co_dispatch", json!({"co_departments": [xf, xiaofang]}), "accepted").await;
    assert_eq!(
        (part(&c, &xf)["status"].as_str(), part(&c, &xiaofang)["status"].as_str()),
        (Some("dispatched"), Some("dispatched"))
    );
    let p = problem(act(app, s.t("office"), &id, "co_dispatch", json!({"co_departments": [ga]})).await, 422).await;
    assert_eq!(fields(&p), ["co_departments"], "公安 assists already");
    let p = problem(act(app, s.t("office"), &id, "waive_part", json!({"department_id": xiaofang})).await, 422).await;
    assert_eq!(fields(&p), ["note"]);
    let c = step(
        app,
        s.t("office"),
        &id,
        "waive_part",
        json!({"department_id": xiaofang, "note": "无消防隐患，无需协办"}),
        "accepted",
    )
    .await;
    assert_eq!(part(&c, &xiaofang)["status"], "waived");
    assert!(told(app, s.t("xiaofang"), "case.part_waived", &id).await);

    // 市场监管 accepts and reports its part in time; the lead hears
    step(app, s.t("shichang"), &id, "accept", json!({}), "accepted").await;
    let c = step(app, s.t("shichang"), &id, "handle", note("已核查证照，责令限期整改"), "accepted").await;
    assert_eq!(part(&c, &xf)["status"], "handled");
    assert_eq!(part(&c, &xf)["late"], false);
    assert!(told(app, s.t("chengguan"), "case.part_handled", &id).await);
    problem(act(app, s.t("chengguan"), &id, "handle", note("已清理")).await, 409).await;

    // 公安 runs late: its part is marked once, it and the street are told, its webhook fires
    app.advance_clock(Duration::days(4));
    eventually("the sweep marks 公安's part overdue", async || {
        part(&get_case(app, s.t("office"), &id).await, &ga)["overdue_at"].is_string()
    })
    .await;
    eventually("公安's receiver hears of it", async || {
        police.got.lock().unwrap().iter().any(|(_, body)| body.contains("case.part_overdue") && body.contains(&id))
    })
    .await;
    assert!(told(app, s.t("gongan"), "case.part_overdue", &id).await);
    assert!(told(app, s.t("office"), "case.part_overdue", &id).await);
    // a part still open and late counts against its department already
    let day = |d: i64| gridhub_store::time::local_date(app.now() + Duration::days(d)).to_string();
    let figures = format!("/api/v1/figures?unit=department&from={}&to={}", day(-10), day(1));
    let f = get_ok(app, s.t("donghu"), &figures).await;
    let police = f["items"].as_array().unwrap().iter().find(|r| r["id"] == ga.as_str()).unwrap().clone();
    assert_eq!(
        (police["counts"]["assists"].as_i64(), police["rates"]["assist_on_time_rate"].as_f64()),
        (Some(1), Some(0.0))
    );
    step(app, s.t("gongan"), &id, "accept", json!({}), "accepted").await;
    assert_eq!(pile(&get_ok(app, s.t("gongan"), "/api/v1/todo").await, "assists_to_handle"), std::slice::from_ref(&id));
    let c = step(app, s.t("gongan"), &id, "handle", note("已核实经营者身份并训诫"), "accepted").await;
    assert_eq!((part(&c, &ga)["status"].as_str(), part(&c, &ga)["late"].as_bool()), (Some("handled"), Some(true)));

    // every part in: the lead reports, the street verifies, the case closes
    step(app, s.t("chengguan"), &id, "handle", note("摊点已清理，经营者已劝离"), "handled").await;
    step(app, s.t("worker"), &id, "verify_pass", json!({}), "closed").await;

    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let parts: Vec<(String, Option<String>)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            ["assist_accept", "assist_return", "assist_handle", "co_dispatch", "waive_part", "part_overdue"]
                .contains(&e["action"].as_str().unwrap())
        })
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["data"]["department_id"].as_str().map(str::to_owned)))
        .collect();
    let want = [
        ("assist_return", Some(&xf)),
        ("co_dispatch", None),
        ("waive_part", Some(&xiaofang)),
        ("assist_accept", Some(&xf)),
        ("assist_handle", Some(&xf)),
        ("part_overdue", Some(&ga)),
        ("assist_accept", Some(&ga)),
        ("assist_handle", Some(&ga)),
    ];
    assert_eq!(parts, want.map(|(a, d)| (a.to_owned(), d.cloned())));

    // lists and exports name the assisting departments beside the lead, the waived one left out
    let listed = get_ok(app, s.t("office"), "/api/v1/cases?status=closed").await;
    let row = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == id.as_str()).unwrap().clone();
    assert_eq!(strings(&row["co_department_names"]), ["公安分局", "市场监管局"]);
    let csv = app.get(Some(s.t("office")), "/api/v1/cases?status=closed&format=csv").await.text().await.unwrap();
    assert!(csv.lines().next().unwrap().contains("assisting_departments"), "{csv}");
    assert!(csv.contains("\"公安分局, 市场监管局\""), "{csv}");

    // 协办按期率: 市场监管 1 of 1 on time, 公安 0 of 1; 城管 assisted nothing
    let f = get_ok(app, s.t("donghu"), &figures).await;
    let of = |d: &str| {
        let row = f["items"].as_array().unwrap().iter().find(|r| r["id"] == d).unwrap().clone();
        (row["counts"]["assists"].as_i64(), row["rates"]["assist_on_time_rate"].as_f64())
    };
    assert_eq!(of(&xf), (Some(1), Some(1.0)));
    assert_eq!(of(&ga), (Some(1), Some(0.0)));
    assert_eq!(of(&cg).1, None);
}

on_both_backends!(a_streets_own_unit_takes_its_streets_cases_and_files_in_it,);

/// 人员下沉: the street office adds its own enforcement team, dispatches to it without the
/// district, and the team's staff file what they find in the street — not in another street.
async fn a_streets_own_unit_takes_its_streets_cases_and_files_in_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    let (district, street) = (s.r.district.clone(), s.r.street.clone());
    let team =
        json!({"district_id": district, "code": "gongyuan-zhifa", "name": "公园街道综合执法队", "street_id": street});
    problem(app.post(Some(s.t("office2")), "/api/v1/departments", &team).await, 403).await;
    let bureau = json!({"district_id": district, "code": "wenlv", "name": "文旅局"});
    problem(app.post(Some(s.t("office")), "/api/v1/departments", &bureau).await, 403).await;
    let made = app.create(s.t("office"), "/api/v1/departments", &team).await;
    assert_eq!(made["street_id"], street.as_str());
    let unit = made["id"].as_str().unwrap().to_owned();
    s.add(app, "zhifa", Role::DeptStaff, Some(&unit));

    // a routing rule sends to it in its own street only
    let rule =
        |street: Value| json!({"category_code": "SJ05", "street_id": street, "department_id": unit, "priority": 5});
    let p = problem(app.post(Some(s.t("donghu")), "/api/v1/routing-rules", &rule(Value::Null)).await, 422).await;
    assert_eq!(fields(&p), ["street_id"]);
    app.create(s.t("donghu"), "/api/v1/routing-rules", &rule(json!(street))).await;

    // the street dispatches to its own team
    let c = file(app, s.t("worker"), &report("SJ0502", s.inside(0))).await;
    let id = c["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    step(app, s.t("office"), &id, "dispatch", json!({"department_id": unit}), "dispatched").await;
    step(app, s.t("zhifa"), &id, "accept", json!({}), "accepted").await;

    // another street may not use it, as lead or as helper
    let other = file(app, s.t("worker2"), &report("SJ0502", inside(&s.cells2[0]))).await;
    let other = other["id"].as_str().unwrap().to_owned();
    step(app, s.t("office2"), &other, "file", json!({}), "filed").await;
    let p = problem(act(app, s.t("office2"), &other, "dispatch", json!({"department_id": unit})).await, 422).await;
    assert_eq!(fields(&p), ["department_id"]);
    let body = json!({"department_id": s.depts["chengguan"], "co_departments": [unit]});
    let p = problem(act(app, s.t("office2"), &other, "dispatch", body).await, 422).await;
    assert_eq!(fields(&p), ["co_departments"]);

    // its staff file field reports in its street, like grid workers, and nowhere else
    let found = file(app, s.t("zhifa"), &report("SJ0104", s.inside(1))).await;
    assert_eq!((found["street_id"].as_str(), found["source"].as_str()), (Some(street.as_str()), Some("field_report")));
    let res = app.post(Some(s.t("zhifa")), "/api/v1/cases", &report("SJ0104", inside(&s.cells2[0]))).await;
    problem(res, 403).await;
    let mut request = report("SJ0104", s.inside(1));
    request["source"] = json!("resident_request");
    problem(app.post(Some(s.t("zhifa")), "/api/v1/cases", &request).await, 403).await;
    // a district department's staff still file nothing
    problem(app.post(Some(s.t("chengguan")), "/api/v1/cases", &report("SJ0104", s.inside(1))).await, 403).await;
}

on_both_backends!(a_suspended_case_stops_its_parts_and_a_helper_made_lead_answers_for_all,);

/// A part's clock stands still while its case is suspended (缓办); a helper the office makes the
/// lead (after the lead returned the case) answers for the whole case: its part is settled.
async fn a_suspended_case_stops_its_parts_and_a_helper_made_lead_answers_for_all(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (cg, ga) = (s.depts["chengguan"].clone(), s.depts["gongan"].clone());
    let id = file(app, s.t("worker"), &report("SJ0502", s.inside(0))).await["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    step(app, s.t("office"), &id, "dispatch", json!({"department_id": cg, "co_departments": [ga]}), "dispatched").await;
    step(app, s.t("office"), &id, "suspend", note("等待产权单位确认"), "suspended").await;
    app.advance_clock(Duration::days(3));
    let c = step(app, s.t("office"), &id, "resume", json!({}), "dispatched").await;
    let due: chrono::DateTime<chrono::Utc> = part(&c, &ga)["deadline_at"].as_str().unwrap().parse().unwrap();
    assert!(due.naive_utc() > app.now(), "the part's deadline moved on by the time suspended: {}", part(&c, &ga));
    // signed for past its deadline: late, whether or not the sweep came first
    app.advance_clock(Duration::days(5));
    let c = step(app, s.t("gongan"), &id, "accept", json!({}), "dispatched").await;
    assert_eq!((part(&c, &ga)["status"].as_str(), part(&c, &ga)["late"].as_bool()), (Some("accepted"), Some(true)));

    // the lead returns the case; the office makes the helper the lead
    step(app, s.t("chengguan"), &id, "return", note("主要是治安问题"), "filed").await;
    let c = step(app, s.t("office"), &id, "dispatch", json!({"department_id": ga}), "dispatched").await;
    assert_eq!((part(&c, &ga)["status"].as_str(), part(&c, &ga)["note"].as_str()), (Some("waived"), Some("改为主办")));
    step(app, s.t("gongan"), &id, "accept", json!({}), "accepted").await;
    step(app, s.t("gongan"), &id, "handle", note("已处置"), "handled").await;

    // a case voided needs no help: its parts are waived and their departments told
    let xf = s.depts["xiaofang"].clone();
    let other = file(app, s.t("worker"), &report("SJ0502", s.inside(1))).await["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &other, "file", json!({}), "filed").await;
    step(app, s.t("office"), &other, "dispatch", json!({"department_id": cg, "co_departments": [xf]}), "dispatched")
        .await;
    let c = step(app, s.t("office"), &other, "void", note("重复上报"), "void").await;
    assert_eq!(
        (part(&c, &xf)["status"].as_str(), part(&c, &xf)["note"].as_str()),
        (Some("waived"), Some("案件已作废"))
    );
    assert!(told(app, s.t("xiaofang"), "case.part_waived", &other).await);
}
