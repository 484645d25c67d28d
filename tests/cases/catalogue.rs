//! The catalogue (its admins edit it), departments and the routing rules that choose who acts.

use gridhub_e2e::*;
use serde_json::{Value, json};

use super::*;

on_both_backends!(
    the_catalogue_ships_and_admins_edit_it,
    departments_and_routing_rules_choose_who_acts,
    the_catalogue_routes_as_offices_do,
);

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

/// The shipped defaults follow practice: wage disputes to 人社, serious mental disorders led by 卫健,
/// fitness equipment to 体育, a power company's manhole cover to the power company; residents'
/// consultations and help requests answered by the community first; the national codes beside ours.
async fn the_catalogue_routes_as_offices_do(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let office = s.t("office");
    let category = async |code: &str| get_ok(app, office, &format!("/api/v1/categories/{code}")).await;
    for (code, department) in
        [("ZL0103", "renshe"), ("ZL0405", "weijian"), ("BJ0601", "tiyu"), ("BJ0105", "gongdian"), ("BJ0106", "tongxin")]
    {
        assert_eq!(category(code).await["default_department"], department, "{code}");
    }
    for code in ["ZL0501", "ZL0502"] {
        assert_eq!(category(code).await["default_department"], Value::Null, "{code}: the community answers first");
    }
    assert_eq!(category("BJ0101").await["standard_code"], "0101", "上水井盖 in GB/T 30428.2");
    assert_eq!(category("SJ05").await["standard_code"], "05");
    assert_eq!(category("ZL01").await["standard_code"], Value::Null, "the standard has no social-governance classes");

    // the power company answers for its manhole cover; 人社 for a wage dispute
    let power = json!({"district_id": s.r.district, "code": "gongdian", "name": "国网南昌供电公司东湖供电中心", "kind": "utility"});
    let power = app.create(s.t("donghu"), "/api/v1/departments", &power).await;
    assert_eq!(power["kind"], "utility");
    let hr = json!({"district_id": s.r.district, "code": "renshe", "name": "东湖区人力资源和社会保障局"});
    let hr = app.create(s.t("donghu"), "/api/v1/departments", &hr).await;
    assert_eq!(hr["kind"], "government", "a bureau unless said otherwise");
    let p = problem(
        app.post(
            Some(s.t("donghu")),
            "/api/v1/departments",
            &json!({"district_id": s.r.district, "code": "wuye", "name": "物业", "kind": "company"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["kind"]);
    for (code, department) in [("BJ0105", &power), ("ZL0103", &hr)] {
        let c = file(app, office, &report(code, HERE)).await;
        let id = c["id"].as_str().unwrap();
        step(app, office, id, "file", json!({}), "filed").await;
        let c = step(app, office, id, "dispatch", json!({}), "dispatched").await;
        assert_eq!(c["department_id"], department["id"], "{code} goes to {}", department["name"]);
    }
    // a consultation is not sent to a department by default: the community answers it
    let mut ask = report("ZL0502", HERE);
    ask["title"] = json!("咨询老年人高龄补贴怎么申请");
    let c = file(app, office, &ask).await;
    let id = c["id"].as_str().unwrap();
    step(app, office, id, "file", json!({}), "filed").await;
    let p = problem(act(app, office, id, "dispatch", json!({})).await, 422).await;
    assert_eq!(fields(&p), ["department_id"]);
    step(app, s.t("cadre"), id, "self_handle", note("已电话答复：携带身份证到社区服务站申请"), "closed").await;
}
