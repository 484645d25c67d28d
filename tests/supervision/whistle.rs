//! The whistle (吹哨报到): departments on site, off site and overdue.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    a_whistle_with_departments_on_site_off_site_and_overdue,
    a_whistle_is_planned_closed_when_solved_and_rated,
    a_community_asks_its_street_to_blow_the_whistle,
    a_whistle_blown_on_what_is_no_case_yet_makes_its_case,
);

async fn whistle_cases(app: &TestApp, token: &str) -> usize {
    get_ok(app, token, "/api/v1/cases?source=whistle").await["items"].as_array().unwrap().len()
}

/// 吹哨 on what the street found itself: the case (source `whistle`, filed) and the summons in one
/// step; a refused summons leaves no case behind; a whistle's case is not filed as a report.
async fn a_whistle_blown_on_what_is_no_case_yet_makes_its_case(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (lng, lat) = HERE;
    let departments = [&s.depts["chengguan"], &s.depts["gongan"]];
    let body = json!({
        "category_code": "SJ0502", "title": "菜市场周边占道经营回潮", "lng": lng, "lat": lat,
        "departments": departments, "report_in_within_minutes": 30, "note": "联合整治，请到场"
    });
    problem(app.post(Some(s.t("worker")), "/api/v1/whistles", &body).await, 403).await;
    let mut bad = body.clone();
    bad["departments"] = json!([departments[0], "nope"]);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/whistles", &bad).await, 422).await;
    assert_eq!(fields(&p), ["departments[1]"]);
    assert_eq!(whistle_cases(app, s.t("office")).await, 0, "a refused summons leaves no case behind");
    let mut bad = body.clone();
    bad["title"] = json!("");
    bad["report_in_within_minutes"] = json!(1);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/whistles", &bad).await, 422).await;
    assert_eq!(fields(&p), ["title"]);

    let res = app.post(Some(s.t("office")), "/api/v1/whistles", &body).await;
    assert_eq!(res.status(), 201);
    let whistle = json(res).await;
    let case_id = whistle["case_id"].as_str().unwrap().to_owned();
    let c = get_ok(app, s.t("office"), &format!("/api/v1/cases/{case_id}")).await;
    assert_eq!((c["source"].as_str(), c["status"].as_str()), (Some("whistle"), Some("filed")));
    assert_eq!(c["title"], "菜市场周边占道经营回潮");
    assert_eq!(whistle_cases(app, s.t("office")).await, 1);
    let told = get_ok(app, s.t("gongan"), "/api/v1/notifications").await;
    assert!(told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "whistle.summoned"));
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{case_id}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "file", "whistle"]);

    // a report may not pose as a whistle's case
    let report = json!({"source": "whistle", "category_code": "SJ0502", "title": "占道", "lng": lng, "lat": lat});
    let p = problem(app.post(Some(s.t("office")), "/api/v1/cases", &report).await, 422).await;
    assert_eq!(fields(&p), ["source"]);
}

async fn a_whistle_with_departments_on_site_off_site_and_overdue(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let c = file(app, s.t("worker"), HERE).await;
    let id = c["id"].as_str().unwrap().to_owned();
    let all = [&s.depts["chengguan"], &s.depts["gongan"], &s.depts["xiaofang"]];
    let body = json!({"departments": all, "report_in_within_minutes": 30, "note": "占道经营屡禁不止，联合执法"});
    let path = format!("/api/v1/cases/{id}/whistle");
    problem(app.post(Some(s.t("worker")), &path, &body).await, 403).await;
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"departments": [all[0], "nope"], "report_in_within_minutes": 30}))
            .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["departments[1]"]);
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"departments": [], "report_in_within_minutes": 1})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["departments", "report_in_within_minutes"]);
    let res = app.post(Some(s.t("office")), &path, &body).await;
    assert_eq!(res.status(), 201);
    let whistle = json(res).await;
    let wid = whistle["id"].as_str().unwrap().to_owned();
    assert!(whistle["departments"].as_array().unwrap().iter().all(|d| d["state"] == "summoned"));
    let notes = get_ok(app, s.t("gongan"), "/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "whistle.summoned");

    let report =
        |dept: &str, at: (f64, f64)| json!({"department_id": s.depts[dept], "lng": at.0, "lat": at.1, "note": "已到"});
    let report_path = format!("/api/v1/whistles/{wid}/report-in");
    // staff report in for their own department only
    problem(app.post(Some(s.t("chengguan")), &report_path, &report("gongan", HERE)).await, 403).await;
    // 城管 from the place (given in GCJ-02, as a WeChat phone would), 公安 from a kilometre away
    let (glng, glat) = gridhub_geo::Crs::Gcj02.from_wgs84(HERE.0 + 0.0003, HERE.1);
    let mut on_site = report("chengguan", (glng, glat));
    on_site["crs"] = json!("gcj02");
    let res = app.post(Some(s.t("chengguan")), &report_path, &on_site).await;
    assert_eq!(res.status(), 200);
    let res = app.post(Some(s.t("gongan")), &report_path, &report("gongan", (HERE.0 + 0.01, HERE.1))).await;
    assert_eq!(res.status(), 200);
    problem(app.post(Some(s.t("gongan")), &report_path, &report("gongan", HERE)).await, 409).await;
    assert_eq!(
        get_ok(app, s.t("office"), &format!("/api/v1/whistles?status=open&street_id={}", s.r.street)).await["items"][0]
            ["id"],
        wid.as_str()
    );

    // 消防 never comes: after 30 minutes it is overdue and escalated to the district
    app.advance_clock(Duration::minutes(31));
    eventually("the worker marks 消防 overdue", async || {
        get_ok(app, s.t("office"), &format!("/api/v1/whistles/{wid}")).await["counts"]["absent"] == 1
    })
    .await;
    let w = get_ok(app, s.t("office"), &format!("/api/v1/whistles/{wid}")).await;
    assert_eq!(
        (w["status"].as_str(), w["closed_at"].is_null()),
        (Some("open"), true),
        "open until the problem is solved"
    );
    assert_eq!(
        w["counts"],
        json!({"summoned": 3, "on_site": 1, "off_site": 1, "late": 0, "absent": 1, "waiting": 0}),
        "read at a glance: who came, who came to the wrong place, who never came"
    );
    let state: HashMap<&str, &Value> =
        w["departments"].as_array().unwrap().iter().map(|d| (d["department_name"].as_str().unwrap(), d)).collect();
    assert_eq!(state["城管局"]["state"], "on_site");
    assert!(state["城管局"]["distance_m"].as_f64().unwrap() < 50.0);
    assert_eq!(state["公安分局"]["state"], "reported_in");
    assert!(state["公安分局"]["distance_m"].as_f64().unwrap() > 900.0);
    assert_eq!(state["消防大队"]["state"], "overdue");
    assert!(state["消防大队"]["overdue_at"].is_string() && state["消防大队"]["reported_at"].is_null());
    let district = get_ok(app, s.t("donghu"), "/api/v1/notifications").await;
    assert!(
        district["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "whistle.overdue" && n["message"].as_str().unwrap().contains("消防大队"))
    );
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "whistle", "report_in", "report_in", "whistle_overdue"]);
    // a late report-in is recorded, and stays counted against the department
    let res = app.post(Some(s.t("xiaofang")), &report_path, &report("xiaofang", HERE)).await;
    assert_eq!(res.status(), 200);
    let late = json(res).await;
    let x =
        late["departments"].as_array().unwrap().iter().find(|d| d["department_name"] == "消防大队").unwrap().clone();
    assert_eq!(x["state"], "on_site");
    assert!(x["overdue_at"].is_string());
    // who sees the whistle
    assert_eq!(get_ok(app, s.t("xiaofang"), "/api/v1/whistles").await["items"].as_array().unwrap().len(), 1);
    problem(app.get(Some(s.t("worker")), &format!("/api/v1/whistles/{wid}/nothing")).await, 404).await;
}

async fn a_whistle_is_planned_closed_when_solved_and_rated(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let id = file(app, s.t("worker"), HERE).await["id"].as_str().unwrap().to_owned();
    let all = [&s.depts["chengguan"], &s.depts["gongan"], &s.depts["xiaofang"]];
    let body = json!({"departments": all, "report_in_within_minutes": 30, "note": "背街小巷违建，联合处置"});
    let wid = app.create(s.t("office"), &format!("/api/v1/cases/{id}/whistle"), &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // the plan: a task for each department's part, assigned by the street
    let due = (app.now() + Duration::days(3)).and_utc().to_rfc3339();
    let plan = |dept: &str, task: &str| json!({"department_id": s.depts[dept], "task": task, "due_at": due});
    let path = format!("/api/v1/whistles/{wid}/plan");
    let bad =
        problem(app.post(Some(s.t("office")), &path, &json!({"items": [plan("shichang", "查证照")]})).await, 422).await;
    assert_eq!(fields(&bad), ["items[0].department_id"], "only a summoned department");
    problem(app.post(Some(s.t("chengguan")), &path, &json!({"items": [plan("chengguan", "拆除")]})).await, 403).await;
    let res = app
        .post(
            Some(s.t("office")),
            &path,
            &json!({"items": [plan("chengguan", "拆除违建"), plan("gongan", "现场秩序维护")]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let planned = json(res).await;
    assert_eq!(planned["plan"].as_array().unwrap().len(), 2);
    let task_id = planned["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["department_id"] == s.depts["chengguan"].as_str())
        .unwrap()["task_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = get_ok(app, s.t("chengguan"), &format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(
        (task["kind"].as_str(), task["assigner_type"].as_str(), task["assigner_id"].as_str()),
        (Some("whistle"), Some("street"), Some(s.r.street.as_str()))
    );
    let res = app
        .post(Some(s.t("chengguan")), &format!("/api/v1/tasks/{task_id}/transitions"), &json!({"action": "accept"}))
        .await;
    assert_eq!(res.status(), 200, "the department works it as any task");

    // rated only when closed; closed by the street office with the result
    let rate = |dept: &str, rating: i64| json!({"department_id": s.depts[dept], "rating": rating, "note": "响应情况"});
    let ratings = format!("/api/v1/whistles/{wid}/ratings");
    problem(app.post(Some(s.t("office")), &ratings, &rate("chengguan", 5)).await, 409).await;
    let close = format!("/api/v1/whistles/{wid}/close");
    problem(app.post(Some(s.t("worker")), &close, &json!({"result": "x"})).await, 403).await;
    let p = problem(app.post(Some(s.t("office")), &close, &json!({"result": " "})).await, 422).await;
    assert_eq!(fields(&p), ["result"]);
    let closed = json(app.post(Some(s.t("office")), &close, &json!({"result": "违建已拆除，恢复通行"})).await).await;
    assert_eq!((closed["status"].as_str(), closed["result"].as_str()), (Some("closed"), Some("违建已拆除，恢复通行")));
    problem(app.post(Some(s.t("office")), &close, &json!({"result": "again"})).await, 409).await;
    for (dept, rating) in [("chengguan", 5), ("gongan", 3), ("xiaofang", 1)] {
        let res = app.post(Some(s.t("office")), &ratings, &rate(dept, rating)).await;
        assert_eq!(res.status(), 200);
    }
    problem(app.post(Some(s.t("office")), &ratings, &rate("chengguan", 4)).await, 409).await;
    let p = problem(app.post(Some(s.t("office")), &ratings, &rate("gongan", 6)).await, 422).await;
    assert_eq!(fields(&p), ["rating"]);
    let events = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}/events")).await;
    let actions: Vec<&str> =
        events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["report", "whistle", "whistle_plan", "whistle_close"]);

    // the ratings count in the departments' figures: 5 → 100%, 3 → 50%, 1 → 0%
    let today = gridhub_store::time::local_date(app.now());
    let f = get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=department&from={today}&to={today}")).await;
    let rate_of = |dept: &str| {
        f["items"].as_array().unwrap().iter().find(|d| d["id"] == s.depts[dept].as_str()).unwrap()["rates"]["response_rating_rate"].as_f64()
    };
    assert_eq!((rate_of("chengguan"), rate_of("gongan"), rate_of("xiaofang")), (Some(1.0), Some(0.5), Some(0.0)));
    // and in the month's rankings under the default scheme: the better rated, the higher
    let month = today.format("%Y-%m");
    let path = format!("/api/v1/rankings?unit=department&district_id={}&month={month}", s.r.district);
    let ranked = get_ok(app, s.t("donghu"), &path).await;
    let order: Vec<&str> = ranked["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["score"].is_number())
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(order[..3], ["城管局", "公安分局", "消防大队"], "{ranked}");
    let score = |i: usize| ranked["items"][i]["score"].as_f64().unwrap();
    assert!(score(0) > score(1) && score(1) > score(2), "{ranked}");

    // a whistle whose case is done closes with it
    let other = file(app, s.t("worker"), HERE).await["id"].as_str().unwrap().to_owned();
    let body = json!({"departments": [all[0]], "report_in_within_minutes": 30});
    let w2 = app.create(s.t("office"), &format!("/api/v1/cases/{other}/whistle"), &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    step(app, s.t("office"), &other, "void", json!({"note": "重复上报"}), "void").await;
    let w2 = get_ok(app, s.t("office"), &format!("/api/v1/whistles/{w2}")).await;
    assert_eq!((w2["status"].as_str(), w2["result"].as_str()), (Some("closed"), Some("案件已作废")));
}

async fn a_community_asks_its_street_to_blow_the_whistle(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let id = file(app, s.t("worker"), HERE).await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/cases/{id}/whistle-requests");
    let body = json!({"departments": [s.depts["chengguan"]], "note": "楼顶违建涉及多个部门，社区协调不动"});
    problem(app.post(Some(s.t("worker")), &path, &body).await, 403).await;
    let asked = app.create(s.t("cadre"), &path, &body).await;
    assert_eq!(asked["status"], "requested");
    let told = get_ok(app, s.t("office"), "/api/v1/notifications").await;
    assert!(told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "whistle.requested"));
    let pending = get_ok(app, s.t("office"), "/api/v1/whistle-requests?status=requested").await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    let desk = get_ok(app, s.t("office"), "/api/v1/todo").await;
    let pile = desk["piles"].as_array().unwrap().iter().find(|p| p["kind"] == "whistle_requests").unwrap().clone();
    assert_eq!(
        (pile["count"].as_i64(), pile["items"][0]["case_id"].as_str()),
        (Some(1), Some(id.as_str())),
        "on the street's desk"
    );
    let rid = asked["id"].as_str().unwrap();
    problem(
        app.post(
            Some(s.t("cadre")),
            &format!("/api/v1/whistle-requests/{rid}/grant"),
            &json!({"report_in_within_minutes": 30}),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/whistle-requests/{rid}/grant"),
            &json!({"report_in_within_minutes": 30}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let whistle = json(res).await;
    assert_eq!(whistle["departments"][0]["department_id"], s.depts["chengguan"].as_str(), "the departments asked for");
    let granted = get_ok(app, s.t("cadre"), "/api/v1/whistle-requests").await;
    assert_eq!(
        (granted["items"][0]["status"].as_str(), granted["items"][0]["whistle_id"].as_str()),
        (Some("granted"), whistle["id"].as_str())
    );
    problem(
        app.post(Some(s.t("office")), &format!("/api/v1/whistle-requests/{rid}/decline"), &json!({"note": "x"})).await,
        409,
    )
    .await;
    // another, declined with the reason, and the community told why
    let again = app.create(s.t("cadre"), &path, &json!({"note": "再次申请"})).await;
    let rid = again["id"].as_str().unwrap();
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/whistle-requests/{rid}/decline"),
            &json!({"note": "已吹哨，请等待部门报到"}),
        )
        .await;
    assert_eq!(json(res).await["status"], "declined");
    let told = get_ok(app, s.t("cadre"), "/api/v1/notifications").await;
    assert!(
        told["items"].as_array().unwrap().iter().any(|n| n["kind"] == "whistle.request_decided"
            && n["message"].as_str().unwrap().contains("已吹哨，请等待部门报到"))
    );
}
