//! The demo data set: a real district with nested codes, communities with valid boundaries
//! near Nanchang, one account of every role that can log in, and cases at every stage.

use gridhub_e2e::*;
use gridhub_store::Role;
use serde_json::Value;

on_both_backends!(the_demo_data_set_loads_once_and_every_account_logs_in);

async fn the_demo_data_set_loads_once_and_every_account_logs_in(backend: Backend) {
    let Some(db) = TestDb::new(backend) else { return };
    let app = TestApp::start(settings(&db)).await;
    let pool = gridhub_store::connect(&db.url, 1).unwrap();
    let mut conn = gridhub_store::db::get(&pool).unwrap();
    let loaded = gridhub::demo::load(&mut conn).unwrap().expect("an empty database takes the demo");
    assert!(loaded.units > 300, "every community is divided into unit grids of a hectare: {}", loaded.units);
    let accounts = loaded.accounts;
    assert!(gridhub::demo::load(&mut conn).unwrap().is_none(), "never loaded twice");
    let mut roles: Vec<&str> = accounts.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(roles.iter().filter(|r| **r == "street_admin").count(), 2, "both street offices have an account");
    roles.sort_unstable();
    roles.dedup();
    let mut all = Role::ALL.map(Role::as_str);
    all.sort_unstable();
    assert_eq!(roles, all, "an account of every role");
    for (username, role) in &accounts {
        let token = app.login(username, gridhub::demo::PASSWORD).await;
        let me = json(app.get(Some(&token), "/api/v1/auth/me").await).await;
        assert_eq!(me["role"], role.as_str());
    }
    let token = app.login("admin", gridhub::demo::PASSWORD).await;
    let districts = json(app.get(Some(&token), "/api/v1/districts").await).await;
    assert_eq!(districts["items"][0]["code"], "360102");
    let streets = json(app.get(Some(&token), "/api/v1/streets").await).await["items"].as_array().unwrap().clone();
    assert_eq!(streets.len(), 2);
    let communities =
        json(app.get(Some(&token), "/api/v1/communities").await).await["items"].as_array().unwrap().clone();
    assert!(communities.len() >= 5);
    for c in &communities {
        let street = streets.iter().find(|s| s["id"] == c["street_id"]).expect("its street exists");
        assert!(c["code"].as_str().unwrap().starts_with(street["code"].as_str().unwrap()));
        let area = c["area_m2"].as_f64().unwrap();
        assert!((100_000.0..2_000_000.0).contains(&area), "{} is {area} m²", c["name"]);
        let lng = c["boundary"]["coordinates"][0][0][0].as_f64().unwrap();
        let lat = c["boundary"]["coordinates"][0][0][1].as_f64().unwrap();
        assert!((115.85..115.95).contains(&lng) && (28.65..28.72).contains(&lat), "in 东湖区, Nanchang");
        // 5 to 15 governance grids of 150 to 500 households, each with someone who answers for it
        let id = c["id"].as_str().unwrap();
        let grids =
            json(app.get(Some(&token), &format!("/api/v1/cells?community_id={id}&layer=governance")).await).await;
        let grids = grids["features"].as_array().unwrap().clone();
        assert!((5..=15).contains(&grids.len()), "{} has {} grids", c["name"], grids.len());
        for g in &grids {
            let h = g["properties"]["households"].as_i64().unwrap();
            assert!((150..=500).contains(&h), "{} holds {h} households", g["properties"]["code"]);
        }
        let staffing = json(app.get(Some(&token), &format!("/api/v1/communities/{id}/staffing")).await).await;
        let cells = staffing["per_cell"].as_array().unwrap();
        assert_eq!(cells.len(), grids.len(), "staffing is by governance grid");
        assert!(cells.iter().all(|c| c["grid_leader"].is_string() || !c["workers"].as_array().unwrap().is_empty()));
    }
    // cases at every stage of the closed loop, each where its office and its department see it
    let office = app.login("gongyuan.office", gridhub::demo::PASSWORD).await;
    let cases =
        json(app.get(Some(&office), "/api/v1/cases?limit=200").await).await["items"].as_array().unwrap().clone();
    let mut statuses: Vec<&str> = cases.iter().map(|c| c["status"].as_str().unwrap()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        ["accepted", "closed", "dispatched", "filed", "handled", "rejected", "reported", "shelved", "suspended"]
    );
    assert!(
        cases.iter().all(|c| c["outside_grid"] == false && c["cell_code"].is_string() && c["unit_code"].is_string())
    );
    let dept = app.login("chengguan.zhang", gridhub::demo::PASSWORD).await;
    let theirs = json(app.get(Some(&dept), "/api/v1/cases").await).await["items"].as_array().unwrap().len();
    assert!(theirs >= 5, "the department sees the cases dispatched to it");
    let resident = app.login("resident.chen", gridhub::demo::PASSWORD).await;
    let own = json(app.get(Some(&resident), "/api/v1/cases?limit=200").await).await;
    let ratings: Vec<i64> =
        own["items"].as_array().unwrap().iter().filter_map(|c| c["satisfaction"].as_i64()).collect();
    assert!(ratings.contains(&5) && ratings.contains(&2), "the resident's requests, rated well and badly: {ratings:?}");
    // a consultation answered without dispatch, and a department's reply the resident reads
    let notes: Vec<String> = json(app.get(Some(&resident), "/api/v1/notifications?limit=100").await).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(notes.contains(&"case.answered".to_owned()) && notes.contains(&"case.replied".to_owned()), "{notes:?}");
    // a verified resident hears the community: a notice, an open consultation; the other waits
    assert_eq!(json(app.get(Some(&resident), "/api/v1/notices").await).await["items"][0]["title"], "停水通知");
    assert_eq!(json(app.get(Some(&resident), "/api/v1/polls").await).await["items"][0]["state"], "open");
    let newcomer = app.login("resident.zhao", gridhub::demo::PASSWORD).await;
    let waiting = json(app.get(Some(&newcomer), "/api/v1/me/residence").await).await;
    assert_eq!(waiting["residence"]["status"], "pending");
    // every figure has something to show: five weeks of history
    let lights: Vec<&str> = cases.iter().filter_map(|c| c["light"].as_str()).collect();
    assert!(lights.contains(&"red") && lights.contains(&"yellow"), "{lights:?}");
    let district = app.login("donghu.admin", gridhub::demo::PASSWORD).await;
    let now = chrono::Utc::now().naive_utc() + chrono::Duration::hours(8);
    let (from, to) = ((now - chrono::Duration::days(40)).date(), now.date());
    let streets =
        json(app.get(Some(&district), &format!("/api/v1/figures?unit=street&from={from}&to={to}")).await).await;
    let (gongyuan, baihuazhou) = (&streets["items"][0]["counts"], &streets["items"][1]["counts"]);
    for count in ["returned", "reworked", "evaluated", "self_handled", "overdue", "whistle_summoned", "redone"] {
        assert!(gongyuan[count].as_i64().unwrap() > 0, "{count}: {gongyuan}");
    }
    assert!(gongyuan["satisfied"].as_i64() < gongyuan["evaluated"].as_i64(), "not every rating is good");
    let (walked, cells) = (gongyuan["cells_patrolled"].as_i64().unwrap(), gongyuan["cells"].as_i64().unwrap());
    assert!(walked > 0 && walked < cells, "patrolled and unpatrolled grids: {walked} of {cells}");
    assert_eq!(baihuazhou["cells_patrolled"], 0);
    assert!(baihuazhou["closed"].as_i64().unwrap() > 0, "百花洲街道 has its own cases");
    let office2 = app.login("baihuazhou.office", gridhub::demo::PASSWORD).await;
    let todo = json(app.get(Some(&office2), "/api/v1/todo").await).await;
    assert!(todo["piles"].is_array());
    // the winter fire-safety sweep runs down the grid: a district task with its streets under it,
    // a worker's grids under way, one verified and one returned; the police have their part
    let sweep = json(app.get(Some(&district), "/api/v1/tasks?mine=owned").await).await;
    let sweep =
        sweep["items"].as_array().unwrap().iter().find(|t| t["title"] == "冬季消防安全隐患大排查").cloned().unwrap();
    assert_eq!(
        (sweep["children"]["total"].as_i64(), sweep["target_quantity"].as_i64()),
        (Some(3), Some(6000)),
        "2 streets and the police"
    );
    assert!(sweep["quantity_done"].as_i64().unwrap() > 100, "{sweep}");
    let worker = app.login("worker.li", gridhub::demo::PASSWORD).await;
    let grids = json(app.get(Some(&worker), "/api/v1/tasks?mine=owned").await).await;
    let states: Vec<&str> = grids["items"].as_array().unwrap().iter().filter_map(|t| t["status"].as_str()).collect();
    assert!(states.contains(&"verified") && states.contains(&"returned"), "{states:?}");
    let todo = json(app.get(Some(&worker), "/api/v1/todo").await).await;
    assert!(
        todo["piles"].as_array().unwrap().iter().any(|p| p["kind"] == "tasks_to_do" && p["count"].as_i64() > Some(0))
    );
    // last Spring Festival's fireworks ban, reviewed: its figures have something true to show
    let campaigns = json(app.get(Some(&district), "/api/v1/campaigns").await).await;
    let ban = &campaigns["items"][0];
    assert_eq!((ban["status"].as_str(), ban["members"].as_array().map(Vec::len)), (Some("reviewed"), Some(5)));
    let f = json(app.get(Some(&district), &format!("/api/v1/campaigns/{}/figures", ban["id"].as_str().unwrap())).await)
        .await;
    let zero = f["communities"]["zero_case_share"].as_f64().unwrap();
    assert!(zero > 0.0 && zero < 100.0, "some communities with cases, most without: {zero}");
    assert!(f["per_day"].as_array().unwrap().iter().any(|d| d["key_date"] == "除夕" && d["cases"].as_i64() > Some(0)));
    assert!(
        f["enforcement"]["by_kind"]["fined"].as_i64() > Some(0) && f["enforcement"]["amount_yuan"].as_f64() > Some(0.0)
    );
    assert_eq!(f["tasks"]["completion"], 100.0);
    assert!(f["tasks"]["by_unit"].as_array().unwrap().iter().any(|u| u["overdue"] == 1), "one community was late");
    assert!(f["patrols"]["patrolled"].as_i64() > Some(0));
    assert_eq!(f["notices"]["rate"], 100.0);
    let office = app.login("gongyuan.office", gridhub::demo::PASSWORD).await;
    let walked = json(
        app.get(
            Some(&office),
            "/api/v1/patrols?from=2026-02-16T00%3A00%3A00%2B08%3A00&to=2026-02-18T00%3A00%3A00%2B08%3A00",
        )
        .await,
    )
    .await;
    assert_eq!(walked["items"].as_array().unwrap().len(), 6, "除夕 night's patrols");

    // last month's consultation day in 公园街道, its decisions under way; its next turn's agenda
    // already holds the item it carried
    let days = json(app.get(Some(&district), "/api/v1/meetings?kind=consultation_day").await).await;
    let days = days["items"].as_array().unwrap();
    assert_eq!(days.len(), 3, "last month, next month, the month after");
    let held = days.iter().find(|m| m["status"] == "minutes_published").expect("last month's, with its minutes");
    let id = held["id"].as_str().unwrap();
    let r = json(app.get(Some(&district), &format!("/api/v1/meetings/{id}/report")).await).await;
    assert_eq!(
        (r["on_agenda"].as_i64(), r["decided"].as_i64(), r["resolved"].as_i64(), r["continuing"].as_i64()),
        (Some(5), Some(4), Some(1), Some(1)),
        "{r}"
    );
    let plan = json(app.get(Some(&district), &format!("/api/v1/meetings/{id}/plan")).await).await;
    assert_eq!(plan["items"].as_array().unwrap().len(), 8);
    let next = days
        .iter()
        .find(|m| m["agenda"].as_array().is_some_and(|a| a.len() == 1 && a[0]["status"] == "on_agenda"))
        .expect("next month's");
    assert_eq!(next["agenda"][0]["title"], "沿江路违章搭建阳光房");

    // a case handed down to 孺子亭社区 and one escalated to the district, each on that level's desk;
    // a whistle solved, closed and rated
    let cadre = app.login("ruziting.admin", gridhub::demo::PASSWORD).await;
    let desk = json(app.get(Some(&cadre), "/api/v1/todo").await).await;
    let handed = desk["piles"].as_array().unwrap().iter().find(|p| p["kind"] == "cases_handed_down").unwrap();
    assert_eq!(handed["items"][0]["title"], "小区门口占道废品收购");
    let desk = json(app.get(Some(&district), "/api/v1/todo").await).await;
    let up = desk["piles"].as_array().unwrap().iter().find(|p| p["kind"] == "cases_escalated").unwrap();
    assert_eq!(up["items"][0]["title"], "阳明路人行道大面积破损");
    let whistles = json(app.get(Some(&office), "/api/v1/whistles?status=closed").await).await;
    let solved = &whistles["items"][0];
    assert_eq!(solved["result"], "围挡已收窄，恢复双向通行");
    assert!(solved["departments"].as_array().unwrap().iter().all(|d| d["rating"].is_number()));

    // joint handling: 公安's part of the market case is late and on its desk, 市场监管's reported;
    // a part 消防 returned waits on the street's desk; the street's own team works a case and
    // filed one; a whistle blown on what was no case; a community's request waits for the street
    let police = app.login("gongan.liu", gridhub::demo::PASSWORD).await;
    let pile = |desk: &Value, kind: &str| {
        desk["piles"].as_array().unwrap().iter().find(|p| p["kind"] == kind).unwrap()["items"].clone()
    };
    let desk = json(app.get(Some(&police), "/api/v1/todo").await).await;
    let late = &pile(&desk, "assists_to_accept")[0];
    assert_eq!((late["title"].as_str(), late["overdue"].as_bool()), (Some("农贸市场周边流动摊贩聚集"), Some(true)));
    let market =
        json(app.get(Some(&police), &format!("/api/v1/cases/{}", late["case_id"].as_str().unwrap())).await).await;
    let states: Vec<&str> = market["parts"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(states, ["dispatched", "handled"]);
    let desk = json(app.get(Some(&office), "/api/v1/todo").await).await;
    assert_eq!(pile(&desk, "returned_parts")[0]["title"], "楼道堆放杂物堵塞通道");
    assert_eq!(pile(&desk, "whistle_requests")[0]["title"], "小区内违规搭建彩钢棚");
    let team = app.login("gongyuan.zhifa", gridhub::demo::PASSWORD).await;
    let desk = json(app.get(Some(&team), "/api/v1/todo").await).await;
    assert_eq!(pile(&desk, "cases_to_handle")[0]["title"], "背街小巷废品乱堆乱放");
    let own = json(app.get(Some(&team), "/api/v1/cases?source=field_report").await).await;
    assert!(own["items"].as_array().unwrap().iter().any(|c| c["title"] == "沿街商铺门前违规设置广告牌"));
    let blown = json(app.get(Some(&office), "/api/v1/cases?source=whistle").await).await;
    assert_eq!(blown["items"][0]["title"], "菜市场夜间占道经营回潮");
    app.stop().await;
}
