//! Cases end to end: the catalogue, departments and routing, every legal transition of the
//! closed loop and illegal ones in every state, each role refused what it may not do, the
//! idempotent create, duplicates within the radius and not outside it, merging, a point
//! outside every cell, and what each caller sees.

use std::collections::HashMap;

use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(
    the_catalogue_ships_and_admins_edit_it,
    departments_and_routing_rules_choose_who_acts,
    every_legal_transition_and_illegal_ones_in_each_state,
    each_role_is_refused_what_it_may_not_do,
    a_retried_create_returns_the_first_case,
    duplicates_within_the_radius_and_not_outside_it,
    a_point_outside_every_cell_is_filed_and_flagged,
    cases_are_validated_scoped_and_pictured,
);

/// Inside the first community's cells (WGS-84).
const HERE: (f64, f64) = (115.8925, 28.6785);

fn report(category: &str, (lng, lat): (f64, f64)) -> Value {
    json!({"source": "field_report", "category_code": category, "title": "占道经营", "description": "人行道上摆摊", "lng": lng, "lat": lat})
}

/// Files a case as `token`; returns it.
async fn file(app: &TestApp, token: &str, body: &Value) -> Value {
    app.create(token, "/api/v1/cases", body).await
}

async fn get_case(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app.get(Some(token), &format!("/api/v1/cases/{id}")).await;
    assert_eq!(res.status(), 200, "GET case {id}");
    json(res).await
}

fn note(text: &str) -> Value {
    json!({"note": text})
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map_or(vec![], |a| a.iter().filter_map(|x| x.as_str().map(Into::into)).collect())
}

async fn the_catalogue_ships_and_admins_edit_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let all = json(app.get(Some(s.t("worker")), "/api/v1/categories").await).await;
    let items = all["items"].as_array().unwrap();
    let by_code: HashMap<&str, &Value> = items.iter().map(|c| (c["code"].as_str().unwrap(), c)).collect();
    for (code, kind) in [("BJ01", "component"), ("SJ0501", "event"), ("ZL0303", "governance"), ("ZL05", "governance")] {
        assert_eq!(by_code[code]["kind"], kind, "{code}");
    }
    assert!(by_code["ZL0303"]["name"].as_str().unwrap().contains("烟花爆竹"), "illegal fireworks are a category");
    assert_eq!(by_code["SJ0501"]["parent_code"], "SJ05");
    assert!(by_code["SJ0501"]["time_limits"]["handle"].is_string());
    assert!(!by_code["SJ05"]["closing_criteria"].as_str().unwrap().is_empty());
    let minor = json(app.get(Some(s.t("resident")), "/api/v1/categories?parent_code=SJ05").await).await;
    assert!(minor["items"].as_array().unwrap().iter().all(|c| c["code"].as_str().unwrap().starts_with("SJ05")));
    problem(app.get(Some(s.t("worker")), "/api/v1/categories?kind=animal").await, 400).await;

    let local = json!({"code": "SJ0599", "name": "夜市占道", "time_limits": {"handle": "2h"}});
    problem(app.post(Some(s.t("office")), "/api/v1/categories", &local).await, 403).await;
    let made = app.create(&w.admin, "/api/v1/categories", &local).await;
    assert_eq!(made["time_limits"]["handle"], "2h");
    assert_eq!(made["time_limits"]["dispatch"], by_code["SJ05"]["time_limits"]["dispatch"], "taken from its 大类");
    assert_eq!(made["default_department"], "chengguan");
    problem(app.post(Some(&w.admin), "/api/v1/categories", &local).await, 409).await;
    for (body, field) in [
        (json!({"code": "SX01", "name": "x"}), "code"),
        (json!({"code": "SJ0901", "name": "x"}), "code"),
        (json!({"code": "SJ0598", "name": "x", "time_limits": {"handle": "3w"}}), "time_limits.handle"),
        (json!({"code": "SJ0598", "name": "x", "duplicate_radius_m": 0}), "duplicate_radius_m"),
        (json!({"code": "SJ0598", "name": "x", "time_limits": {"fix": "1h"}}), "time_limits"),
    ] {
        let p = problem(app.post(Some(&w.admin), "/api/v1/categories", &body).await, 422).await;
        assert!(fields(&p).iter().any(|f| f.starts_with(field)), "{body} names {field}: {p}");
    }
    let patch = json!({"time_limits": {"verify": "4h"}, "duplicate_radius_m": 80});
    problem(app.patch(Some(&w.admin), "/api/v1/categories/SJ0599", Some("\"9\""), &patch).await, 412).await;
    let res = app.patch(Some(&w.admin), "/api/v1/categories/SJ0599", Some("\"1\""), &patch).await;
    assert_eq!(res.status(), 200);
    let changed = json(res).await;
    assert_eq!(
        (changed["time_limits"]["verify"].as_str(), changed["time_limits"]["handle"].as_str()),
        (Some("4h"), Some("2h"))
    );
    assert_eq!(changed["duplicate_radius_m"], 80.0);
    let res = app.patch(Some(&w.admin), "/api/v1/categories/SJ0599", None, &json!({"active": false})).await;
    assert_eq!(res.status(), 200);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/cases", &report("SJ0599", HERE)).await, 422).await;
    assert_eq!(fields(&p), ["category_code"], "a retired category takes no new cases");
}

async fn departments_and_routing_rules_choose_who_acts(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let dept = json!({"district_id": s.r.district, "code": "minzheng", "name": "民政局", "phone": "0791-86000000"});
    problem(app.post(Some(s.t("office")), "/api/v1/departments", &dept).await, 403).await;
    let made = app.create(s.t("donghu"), "/api/v1/departments", &dept).await;
    problem(app.post(Some(s.t("donghu")), "/api/v1/departments", &dept).await, 409).await;
    let bad = json!({"district_id": s.r.district, "code": "民政", "name": ""});
    let p = problem(app.post(Some(s.t("donghu")), "/api/v1/departments", &bad).await, 422).await;
    assert_eq!(fields(&p), ["code", "name"]);
    let path = format!("/api/v1/departments/{}", made["id"].as_str().unwrap());
    let res = app.patch(Some(s.t("donghu")), &path, Some("\"1\""), &json!({"name": "东湖区民政局"})).await;
    assert_eq!((res.status().as_u16(), json(res).await["name"].clone()), (200, json!("东湖区民政局")));
    let listed = json(app.get(Some(s.t("chengguan")), "/api/v1/departments").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 5, "department staff see their district's departments");
    let none = json(app.get(Some(s.t("resident")), "/api/v1/departments").await).await;
    assert_eq!(none["items"], json!([]));

    // a district-wide rule for a 大类, and a street's own rule for one 小类
    let wide = json!({"category_code": "SJ05", "department_id": s.depts["chengguan"], "priority": 100});
    problem(app.post(Some(s.t("office")), "/api/v1/routing-rules", &wide).await, 403).await;
    let wide_rule = app.create(s.t("donghu"), "/api/v1/routing-rules", &wide).await;
    let own = json!({"category_code": "SJ0504", "street_id": s.r.street, "department_id": s.depts["gongan"], "priority": 100});
    let own_rule = app.create(s.t("office"), "/api/v1/routing-rules", &own).await;
    let theirs = json!({"category_code": "SJ0504", "street_id": s.street2, "department_id": s.depts["gongan"]});
    let p = problem(app.post(Some(s.t("office")), "/api/v1/routing-rules", &theirs).await, 422).await;
    assert_eq!(fields(&p), ["street_id"], "another street's id is refused");
    let tried = json(app.get(Some(s.t("office")), "/api/v1/routing-rules?category_code=SJ0504").await).await;
    let order: Vec<&str> = tried["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(order, [own_rule["id"].as_str().unwrap(), wide_rule["id"].as_str().unwrap()], "the street's rule first");

    let dispatched = async |category: &str, at: (f64, f64), office: &str| -> Value {
        let c = file(app, s.t(office), &report(category, at)).await;
        let id = c["id"].as_str().unwrap().to_owned();
        step(app, s.t(office), &id, "file", json!({}), "filed").await;
        step(app, s.t(office), &id, "dispatch", json!({}), "dispatched").await
    };
    // street 1, 机动车乱停放: its own rule (公安)
    let c = dispatched("SJ0504", HERE, "office").await;
    assert_eq!(
        (c["department_id"].as_str(), c["routing_rule_id"].as_str()),
        (Some(s.depts["gongan"].as_str()), own_rule["id"].as_str())
    );
    let events =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", c["id"].as_str().unwrap())).await).await;
    let routing = &events["items"].as_array().unwrap().last().unwrap()["data"]["routing"];
    assert_eq!((routing["by"].as_str(), routing["rule_id"].as_str()), (Some("rule"), own_rule["id"].as_str()));
    assert_eq!(routing["department_name"], "公安分局");
    // street 2, the same category: only the district-wide rule applies (城管)
    let c = dispatched("SJ0504", (115.9065, 28.6775), "office2").await;
    assert_eq!(
        (c["department_id"].as_str(), c["routing_rule_id"].as_str()),
        (Some(s.depts["chengguan"].as_str()), wide_rule["id"].as_str())
    );
    // no rule: the category's default department (ZL0303 illegal fireworks → 公安)
    let c = dispatched("ZL0303", HERE, "office").await;
    assert_eq!(
        (c["department_id"].as_str(), c["routing_rule_id"].clone()),
        (Some(s.depts["gongan"].as_str()), Value::Null)
    );
    let events =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", c["id"].as_str().unwrap())).await).await;
    assert_eq!(events["items"].as_array().unwrap().last().unwrap()["data"]["routing"]["by"], "category_default");
    // named by hand; a department of no district of ours is refused, naming the field
    let c = file(app, s.t("office"), &report("SJ0101", HERE)).await;
    let id = c["id"].as_str().unwrap();
    step(app, s.t("office"), id, "file", json!({}), "filed").await;
    let p = problem(act(app, s.t("office"), id, "dispatch", json!({"department_id": "no-such"})).await, 422).await;
    assert_eq!(fields(&p), ["department_id"]);
    let c = step(app, s.t("office"), id, "dispatch", json!({"department_id": s.depts["shichang"]}), "dispatched").await;
    assert_eq!(c["department_id"].as_str(), Some(s.depts["shichang"].as_str()));
    // removing a rule: the next dispatch falls through to the district rule
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/routing-rules/{}", own_rule["id"].as_str().unwrap())))
        .bearer_auth(s.t("office2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another street's office does not see it");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/routing-rules/{}", own_rule["id"].as_str().unwrap())))
        .bearer_auth(s.t("office"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let c = dispatched("SJ0504", HERE, "office").await;
    assert_eq!(c["department_id"].as_str(), Some(s.depts["chengguan"].as_str()));
}

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
    assert_eq!(strings(&c["allowed_actions"]), ["dispatch", "self_handle", "suspend", "void", "merge"]);
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
    for (who, action) in [("worker", "file"), ("volunteer", "file"), ("cadre", "file"), ("worker", "void")] {
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
    assert_eq!(strings(&seen["allowed_actions"]), ["accept", "return", "request_extension"]);
    assert_eq!(strings(&get_case(app, s.t("office"), id).await["allowed_actions"]), ["suspend", "void", "merge"]);
    assert_eq!(strings(&get_case(app, s.t("volunteer"), id).await["allowed_actions"]), Vec::<String>::new());
    for (who, action) in [
        ("chengguan", "dispatch"),
        ("chengguan", "verify_pass"),
        ("chengguan", "grant_extension"),
        ("office", "accept"),
        ("office", "handle"),
        ("worker", "accept"),
        ("cadre", "dispatch"),
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

async fn a_retried_create_returns_the_first_case(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let body = report("SJ0502", HERE);
    let send = async |token: &str, key: &str, body: &Value| {
        app.client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .unwrap()
    };
    let first = send(s.t("worker"), "phone-1-report-7", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = json(first).await;
    let again = send(s.t("worker"), "phone-1-report-7", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(json(again).await["id"], first["id"]);
    // retries racing each other still make one case
    let racing = futures_util::future::join_all((0..4).map(|_| send(s.t("worker"), "phone-1-report-8", &body))).await;
    let mut ids = Vec::new();
    for res in racing {
        assert_eq!(res.status(), 201);
        ids.push(json(res).await["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one case for four racing retries");
    let listed = json(app.get(Some(s.t("office")), "/api/v1/cases").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "two keys, two cases");
    let events = json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", ids[0])).await).await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "one report event");
    // the same key with another body is refused; another user's key is their own
    let mut other = body.clone();
    other["title"] = json!("别的事");
    let p = problem(send(s.t("worker"), "phone-1-report-7", &other).await, 422).await;
    assert_eq!(fields(&p), ["Idempotency-Key"]);
    let theirs = json(send(s.t("cadre"), "phone-1-report-7", &body).await).await;
    assert_ne!(theirs["id"], first["id"]);
    problem(send(s.t("worker"), "", &body).await, 400).await;
}

/// A point `east` metres east and `north` metres north of `HERE`.
fn offset(east: f64, north: f64) -> (f64, f64) {
    let (mx, my) = gridhub_geo::measure::metres_per_degree(HERE.1);
    (HERE.0 + east / mx, HERE.1 + north / my)
}

async fn duplicates_within_the_radius_and_not_outside_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let a = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
    assert_eq!(a["possible_duplicates"], json!([]));
    let b = file(app, s.t("worker"), &report("SJ0502", offset(-30.0, 0.0))).await;
    let dups = b["possible_duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0]["id"], a["id"]);
    assert!((dups[0]["distance_m"].as_f64().unwrap() - 30.0).abs() < 0.5, "{dups:?}");
    assert_eq!(dups[0]["title"], "占道经营");
    let c = file(app, s.t("worker"), &report("SJ0502", offset(80.0, 0.0))).await;
    assert_eq!(c["possible_duplicates"], json!([]), "80 m away is outside the default 50 m");
    let d = file(app, s.t("worker"), &report("SJ0501", HERE)).await;
    assert_eq!(d["possible_duplicates"], json!([]), "another category is no duplicate");
    // the radius is the category's
    let res = app.patch(Some(&w.admin), "/api/v1/categories/SJ0502", None, &json!({"duplicate_radius_m": 100})).await;
    assert_eq!(res.status(), 200);
    let e = file(app, s.t("worker"), &report("SJ0502", offset(60.0, 0.0))).await;
    let near: Vec<String> =
        e["possible_duplicates"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    let expected = [&c, &a, &b].map(|x| x["id"].as_str().unwrap().to_owned());
    assert_eq!(near, expected, "nearest first: c at 20 m, a at 60 m, b at 90 m");
    // a resident is told of a duplicate without other people's words
    let mut request = report("SJ0502", offset(0.0, 10.0));
    request["source"] = json!("resident_request");
    let r = file(app, s.t("resident"), &request).await;
    let first = &r["possible_duplicates"][0];
    assert_eq!(first["id"], a["id"]);
    assert!(first.get("title").is_none(), "{first}");

    // merge the resident's report into a: it closes, the resident follows a
    let rid = r["id"].as_str().unwrap();
    let aid = a["id"].as_str().unwrap();
    problem(app.post(Some(s.t("worker")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": aid})).await, 403)
        .await;
    let p =
        problem(app.post(Some(s.t("office")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": rid})).await, 422)
            .await;
    assert_eq!(fields(&p), ["into"]);
    let res = app.post(Some(s.t("office")), &format!("/api/v1/cases/{rid}/merge"), &json!({"into": aid})).await;
    assert_eq!(res.status(), 200);
    let original = json(res).await;
    assert_eq!((original["id"].as_str(), original["reporters_count"].as_i64()), (Some(aid), Some(2)));
    let dup = get_case(app, s.t("office"), rid).await;
    assert_eq!((dup["status"].as_str(), dup["merged_into"].as_str()), (Some("closed"), Some(aid)));
    let followed = get_case(app, s.t("resident"), aid).await;
    assert_eq!(followed["id"], a["id"], "the resident follows the original");
    let mine = json(app.get(Some(s.t("resident")), "/api/v1/cases").await).await;
    let mine: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(mine, [rid, aid]);
    let events = json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{aid}/events")).await).await;
    assert_eq!(events["items"].as_array().unwrap().last().unwrap()["action"], "merged_in");
    // a closed case is no original
    let p = problem(
        app.post(
            Some(s.t("office")),
            &format!("/api/v1/cases/{}/merge", b["id"].as_str().unwrap()),
            &json!({"into": rid}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["into"]);
    // merged duplicates are no longer offered as duplicates
    let f = file(app, s.t("worker"), &report("SJ0502", offset(0.0, 10.0))).await;
    assert!(f["possible_duplicates"].as_array().unwrap().iter().all(|d| d["id"] != r["id"]));
}

async fn a_point_outside_every_cell_is_filed_and_flagged(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let inside = file(app, s.t("worker"), &report("SJ0502", HERE)).await;
    assert_eq!(inside["outside_grid"], false);
    assert!(inside["cell_id"].is_string());
    assert_eq!(inside["community_id"].as_str(), Some(s.r.community.as_str()));
    // 100 m east of the community: outside every cell, placed with the nearest cell's office
    let near = file(app, s.t("worker"), &report("SJ0502", (115.896, 28.6785))).await;
    assert_eq!((near["outside_grid"].clone(), near["cell_id"].clone()), (json!(true), Value::Null));
    assert_eq!(near["street_id"].as_str(), Some(s.r.street.as_str()));
    let events =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cases/{}/events", near["id"].as_str().unwrap())).await)
            .await;
    assert_eq!(events["items"][0]["data"]["outside_grid"], true);
    assert!(events["items"][0]["data"]["near_cell_id"].is_string());
    // far from every cell: accepted; a resident's report belongs to no office but its reporter sees it
    let mut far = report("ZL0501", (116.5, 29.5));
    far["source"] = json!("resident_request");
    let lost = file(app, s.t("resident"), &far).await;
    assert_eq!((lost["outside_grid"].clone(), lost["district_id"].clone()), (json!(true), Value::Null));
    get_case(app, s.t("resident"), lost["id"].as_str().unwrap()).await;
    let flagged = json(app.get(Some(&w.admin), "/api/v1/cases?source=resident_request").await).await;
    assert_eq!(flagged["items"][0]["id"], lost["id"], "system admins see what no office holds");
    // GCJ-02 in (a WeChat phone), WGS-84 stored, GCJ-02 out again on request
    let (glng, glat) = gridhub_geo::Crs::Gcj02.from_wgs84(HERE.0, HERE.1);
    let mut body = report("SJ0502", (glng, glat));
    body["crs"] = json!("gcj02");
    let c = file(app, s.t("worker"), &body).await;
    assert_eq!(c["cell_id"], inside["cell_id"]);
    let stored = get_case(app, s.t("worker"), c["id"].as_str().unwrap()).await;
    assert!(
        (stored["lng"].as_f64().unwrap() - HERE.0).abs() < 1e-6
            && (stored["lat"].as_f64().unwrap() - HERE.1).abs() < 1e-6
    );
    let shown =
        json(app.get(Some(s.t("worker")), &format!("/api/v1/cases/{}?crs=gcj02", c["id"].as_str().unwrap())).await)
            .await;
    assert!((shown["lng"].as_f64().unwrap() - glng).abs() < 1e-6);
}

async fn cases_are_validated_scoped_and_pictured(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let bad = json!({"source": "rumour", "category_code": "XX01", "title": "", "lng": 200.0, "lat": 28.6, "attachments": ["../etc/passwd"], "reported_at": "2099-01-01T00:00:00Z", "priority": "now"});
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &bad).await, 422).await;
    assert_eq!(fields(&p), ["source", "category_code", "title", "lng", "priority", "attachments[0]"]);
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &json!({"source": "patrol"})).await, 422).await;
    assert_eq!(fields(&p), ["category_code"]);
    problem(
        app.client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(s.t("worker"))
            .header("content-type", "application/json")
            .body("{\"source\":")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let mut future = report("SJ0502", HERE);
    future["reported_at"] = json!("2099-01-01T00:00:00+08:00");
    let p = problem(app.post(Some(s.t("worker")), "/api/v1/cases", &future).await, 422).await;
    assert_eq!(fields(&p), ["reported_at"]);
    // who files what
    let mut hotline = report("SJ0502", HERE);
    hotline["source"] = json!("hotline");
    problem(app.post(Some(s.t("worker")), "/api/v1/cases", &hotline).await, 403).await;
    problem(app.post(Some(s.t("resident")), "/api/v1/cases", &report("SJ0502", HERE)).await, 403).await;
    problem(app.post(Some(s.t("chengguan")), "/api/v1/cases", &report("SJ0502", HERE)).await, 403).await;
    let phone_time = "2026-11-20T08:30:00+08:00";
    let mut mine = report("SJ0502", HERE);
    mine["reported_at"] = json!(phone_time);
    mine["address"] = json!("阳明路 1 号");
    let a = file(app, s.t("worker"), &mine).await;
    assert_eq!(a["reported_at"], "2026-11-20T00:30:00.000000Z", "the phone's time, in UTC");
    assert_ne!(a["received_at"], a["reported_at"]);
    let b = file(app, s.t("office"), &hotline).await;
    let aid = a["id"].as_str().unwrap();

    // corrections: the category only before filing, with If-Match
    let path = format!("/api/v1/cases/{aid}");
    problem(app.patch(Some(s.t("worker")), &path, Some("\"7\""), &json!({"category_code": "SJ0501"})).await, 412).await;
    let res = app
        .patch(
            Some(s.t("worker")),
            &path,
            Some("\"1\""),
            &json!({"category_code": "SJ0501", "description": "改为暴露垃圾"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json(res).await["category_code"], "SJ0501");
    step(app, s.t("office"), aid, "file", json!({}), "filed").await;
    let p = problem(app.patch(Some(s.t("office")), &path, None, &json!({"category_code": "SJ0502"})).await, 409).await;
    assert_eq!(fields(&p), ["category_code"]);
    problem(app.patch(Some(s.t("worker")), &path, None, &json!({"title": "我改一下"})).await, 403).await;
    let res = app.patch(Some(s.t("office")), &path, None, &json!({"priority": "urgent"})).await;
    assert_eq!(res.status(), 200);

    // lists: scoped, filtered
    let ids = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let all = json(app.get(Some(s.t("office")), "/api/v1/cases").await).await;
    assert_eq!(ids(&all), [b["id"].as_str().unwrap(), aid], "newest first");
    assert_eq!(ids(&json(app.get(Some(s.t("office2")), "/api/v1/cases").await).await), Vec::<String>::new());
    assert_eq!(ids(&json(app.get(Some(s.t("chengguan")), "/api/v1/cases").await).await), Vec::<String>::new());
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?status=filed").await).await), [aid]);
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?category=SJ05").await).await).len(), 2);
    assert_eq!(ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?category=SJ0501").await).await), [aid]);
    assert_eq!(
        ids(&json(app.get(Some(s.t("office")), "/api/v1/cases?overdue=true").await).await),
        Vec::<String>::new()
    );
    let page = json(app.get(Some(s.t("office")), "/api/v1/cases?limit=1").await).await;
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = json(app.get(Some(s.t("office")), &format!("/api/v1/cases?limit=1&cursor={next}")).await).await;
    assert_eq!(ids(&page2), [aid]);
    for q in ["status=open", "overdue=maybe", "category=XX", "created_from=yesterday"] {
        problem(app.get(Some(s.t("office")), &format!("/api/v1/cases?{q}")).await, 400).await;
    }
    let cell = a["cell_id"].as_str().unwrap();
    assert_eq!(ids(&json(app.get(Some(s.t("worker")), &format!("/api/v1/cases?cell_id={cell}")).await).await).len(), 2);

    // a case dispatched to the department: its staff see it, the other department does not
    step(app, s.t("office"), aid, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    assert_eq!(ids(&json(app.get(Some(s.t("chengguan")), "/api/v1/cases").await).await), [aid]);
    assert_eq!(
        ids(&json(
            app.get(Some(s.t("office")), &format!("/api/v1/cases?department_id={}", s.depts["chengguan"])).await
        )
        .await),
        [aid]
    );
    problem(app.get(Some(s.t("gongan")), &path).await, 404).await;

    // the map shows open cases per cell
    let res = app
        .get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=open_cases", s.r.community))
        .await;
    assert_eq!(res.status(), 200);
    let svg = res.text().await.unwrap();
    assert!(svg.contains("无在办事件") && svg.contains("#f8e08e"), "a cell with two open cases is coloured");
    problem(
        app.get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=cases", s.r.community)).await,
        400,
    )
    .await;
}
