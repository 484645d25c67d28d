//! A scripted month, counted by hand; rankings under the scheme in force.

use std::collections::BTreeMap;

use super::*;

on_both_backends!(a_scripted_month_counts_as_counted_by_hand, rankings_follow_the_scheme_in_force_that_month,);

/// Every rate and its formula, written out again here so that the server's cannot drift.
const FORMULAS: [(&str, &str, &str); 12] = [
    ("closure_rate", "closed", "filed"),
    ("on_time_closure_rate", "closed_on_time", "due_to_close"),
    ("timely_acceptance_rate", "accepted_on_time", "accepted"),
    ("on_time_handling_rate", "handled_on_time", "handled"),
    ("rework_rate", "reworked", "handled"),
    ("return_rate", "returned", "dispatched"),
    ("on_the_spot_rate", "self_handled", "filed"),
    ("satisfaction_rate", "satisfied", "evaluated"),
    ("valid_report_rate", "filed", "reported"),
    ("report_in_rate", "whistle_reported_in", "whistle_summoned"),
    ("on_site_rate", "whistle_on_site", "whistle_summoned"),
    ("patrol_coverage", "cells_patrolled", "cells"),
];

fn check_rates(f: &Value) {
    for (rate, num, den) in FORMULAS {
        let (n, d) = (f["counts"][num].as_i64().unwrap(), f["counts"][den].as_i64().unwrap());
        let want = if d == 0 { Value::Null } else { json!(n as f64 / d as f64) };
        assert_eq!(f["rates"][rate], want, "{rate} of {} = {num}/{den}", f["name"]);
    }
}

fn counts(f: &Value, names: &[&str]) -> BTreeMap<String, i64> {
    names.iter().map(|n| ((*n).to_owned(), f["counts"][*n].as_i64().unwrap_or(-1))).collect()
}

fn expect(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

async fn a_scripted_month_counts_as_counted_by_hand(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.cases.worker_interval_ms = 50).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let day = cst(app.now());
    let (from, to) = (cst(app.now() - Duration::days(1)), cst(app.now() + Duration::days(12)));
    // the worker answers for the first grid, and walks it once
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/cells/{}/assignments", s.cell(0)),
            &json!({"user_id": s.id("worker"), "duty": "full_time_worker"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", json(res).await);
    let started = app.now().and_utc().timestamp_millis();
    let patrol = json!({"patrols": {"created": [{"id": "walk000000000001", "cell_id": s.cell(0), "started_at": started, "ended_at": started + 3_600_000, "distance_m": 2100.0, "track": "", "note": "正常"}], "updated": [], "deleted": []}});
    let res = app
        .client
        .post(app.url("/api/v1/sync?last_pulled_at=0"))
        .bearer_auth(s.t("worker"))
        .header("content-type", "text/plain")
        .body(patrol.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let here = s.inside(0);
    // a report made offline three days ago counts on the day the phone made it
    let made = app.now() - Duration::days(3);
    let offline = json!({"cases": {"created": [{"id": "offline000000001", "category_code": "SJ0502", "title": "店外经营（离线）", "description": "", "lng": here.0, "lat": here.1, "crs": "wgs84", "priority": "normal", "reported_at": made.and_utc().timestamp_millis(), "_status": "created", "_changed": ""}], "updated": [], "deleted": []}});
    let res = app
        .client
        .post(app.url("/api/v1/sync?last_pulled_at=0"))
        .bearer_auth(s.t("worker"))
        .header("content-type", "text/plain")
        .body(offline.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let that_day = cst(made);
    let then = figures_of(app, s.t("office"), "street", &s.r.street, &that_day, &that_day).await;
    assert_eq!(then["counts"]["reported"], 1, "the phone's day, not the server's");
    let w_ = "worker";
    // c1: the whole loop, on time
    let c1 = report(app, s.t(w_), "field_report", "店外经营一", here).await;
    steps(
        app,
        &s,
        &c1,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "dispatch", dispatch(&s, "chengguan"), "dispatched"),
            ("chengguan", "accept", json!({}), "accepted"),
            ("chengguan", "handle", note("已清理"), "handled"),
            ("office", "verify_pass", json!({}), "closed"),
        ],
    )
    .await;
    // c2: mis-dispatched to 公安 and returned, then 城管, whose first handling fails verification
    let c2 = report(app, s.t(w_), "field_report", "店外经营二", here).await;
    steps(
        app,
        &s,
        &c2,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "dispatch", dispatch(&s, "gongan"), "dispatched"),
            ("gongan", "return", note("不属于公安职责"), "filed"),
            ("office", "dispatch", dispatch(&s, "chengguan"), "dispatched"),
            ("chengguan", "accept", json!({}), "accepted"),
            ("chengguan", "handle", note("已劝离"), "handled"),
            ("office", "verify_fail", note("摊位仍在"), "accepted"),
            ("chengguan", "handle", note("已取缔"), "handled"),
            ("office", "verify_pass", json!({}), "closed"),
        ],
    )
    .await;
    // c3: fixed on the spot
    let c3 = report(app, s.t(w_), "field_report", "店外经营三", here).await;
    steps(
        app,
        &s,
        &c3,
        &[("office", "file", json!({}), "filed"), ("office", "self_handle", note("已现场劝导"), "closed")],
    )
    .await;
    // c4: not a case; c5: void (counts for nothing)
    let c4 = report(app, s.t(w_), "field_report", "店外经营四", here).await;
    steps(app, &s, &c4, &[("office", "reject", note("不属于受理范围"), "rejected")]).await;
    let c5 = report(app, s.t(w_), "field_report", "店外经营五", here).await;
    steps(app, &s, &c5, &[("office", "file", json!({}), "filed"), ("office", "void", note("重复录入"), "void")]).await;
    // c6: dispatched to 消防, who accept ten days late; a whistle: 城管 on site, 公安 never
    let c6 = report(app, s.t(w_), "field_report", "店外经营六", here).await;
    steps(
        app,
        &s,
        &c6,
        &[("office", "file", json!({}), "filed"), ("office", "dispatch", dispatch(&s, "xiaofang"), "dispatched")],
    )
    .await;
    let whistle = app
        .create(
            s.t("office"),
            &format!("/api/v1/cases/{c6}/whistle"),
            &json!({"departments": [s.depts["chengguan"], s.depts["gongan"]], "report_in_within_minutes": 30}),
        )
        .await;
    let res = app
        .post(
            Some(s.t("chengguan")),
            &format!("/api/v1/whistles/{}/report-in", whistle["id"].as_str().unwrap()),
            &json!({"department_id": s.depts["chengguan"], "lng": here.0, "lat": here.1}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // c7, c8: residents' requests; one closed and rated 5, one settled by the office and rated 2
    let c7 = report(app, s.t("resident"), "resident_request", "门口有人占道卖菜", here).await;
    steps(
        app,
        &s,
        &c7,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "dispatch", dispatch(&s, "chengguan"), "dispatched"),
            ("chengguan", "accept", json!({}), "accepted"),
            ("chengguan", "handle", note("已处理"), "handled"),
            ("office", "verify_pass", json!({}), "closed"),
            ("resident", "evaluate", json!({"satisfaction": 5}), "closed"),
        ],
    )
    .await;
    let c8 = report(app, s.t("resident2"), "resident_request", "楼下夜市太吵", here).await;
    steps(
        app,
        &s,
        &c8,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "self_handle", note("已协调摊主"), "closed"),
            ("resident2", "evaluate", json!({"satisfaction": 3}), "closed"),
        ],
    )
    .await;
    // c9: the other street's, closed
    let c9 = report(app, s.t("worker2"), "field_report", "百花洲店外经营", inside(&s.cells2[0])).await;
    steps(
        app,
        &s,
        &c9,
        &[("office2", "file", json!({}), "filed"), ("office2", "dispatch", dispatch(&s, "shichang"), "dispatched")],
    )
    .await;
    let shichang = s.depts["shichang"].clone();
    let mut cast = s;
    cast.add(app, "shichang", gridhub_store::Role::DeptStaff, Some(&shichang));
    let s = cast;
    steps(
        app,
        &s,
        &c9,
        &[
            ("shichang", "accept", json!({}), "accepted"),
            ("shichang", "handle", note("已查处"), "handled"),
            ("office2", "verify_pass", json!({}), "closed"),
        ],
    )
    .await;
    // ten days on: 消防 accept late
    app.advance_clock(Duration::days(10));
    eventually("the sweep marks c6 overdue", async || {
        get_ok(app, s.t("office"), &format!("/api/v1/cases/{c6}")).await["overdue_at"].is_string()
    })
    .await;
    step(app, s.t("xiaofang"), &c6, "accept", json!({}), "accepted").await;

    // 公园街道, by hand
    let street = figures_of(app, s.t("donghu"), "street", &s.r.street, &from, &to).await;
    let names = [
        "reported",
        "filed",
        "due_to_close",
        "closed",
        "closed_on_time",
        "self_handled",
        "evaluated",
        "satisfied",
        "overdue",
        "dispatched",
        "accepted",
        "accepted_on_time",
        "handled",
        "handled_on_time",
        "returned",
        "reworked",
        "file_steps",
        "dispatch_steps",
        "verify_steps",
        "whistle_summoned",
        "whistle_reported_in",
        "whistle_on_site",
        "cells",
        "cells_patrolled",
    ];
    let cells = s.cells.len() as i64;
    assert_eq!(
        counts(&street, &names),
        expect(&[
            ("reported", 7),
            ("filed", 6),
            ("due_to_close", 6),
            ("closed", 5),
            ("closed_on_time", 5),
            ("self_handled", 2),
            ("evaluated", 2),
            ("satisfied", 1),
            ("overdue", 1),
            ("dispatched", 5),
            ("accepted", 4),
            ("accepted_on_time", 3),
            ("handled", 4),
            ("handled_on_time", 4),
            ("returned", 1),
            ("reworked", 1),
            ("whistle_summoned", 2),
            ("whistle_reported_in", 1),
            ("whistle_on_site", 1),
            ("cells", cells),
            ("cells_patrolled", 1),
            ("file_steps", 7),
            ("dispatch_steps", 7),
            ("verify_steps", 4),
        ]),
        "{street}"
    );
    assert_eq!(street["rates"]["closure_rate"], json!(5.0 / 6.0));
    assert_eq!(street["rates"]["satisfaction_rate"], json!(0.5));
    check_rates(&street);
    let m = &street["mean_minutes"];
    assert!(m["accept"].as_f64().unwrap() > 0.0, "消防's ten days count: {m}");
    assert!(
        m["file"].as_f64().is_some() && m["handle"].as_f64().is_some() && m["verify"].as_f64().is_some(),
        "{m} {street}"
    );

    // the departments, by hand: each its own part of the cases it held
    let dept = |name: &str| figures_of(app, s.t("donghu"), "department", &s.depts[name], &from, &to);
    let chengguan = dept("chengguan").await;
    let d_names = [
        "dispatched",
        "accepted",
        "accepted_on_time",
        "handled",
        "handled_on_time",
        "returned",
        "reworked",
        "closed",
        "whistle_summoned",
        "whistle_on_site",
    ];
    assert_eq!(
        counts(&chengguan, &d_names),
        expect(&[
            ("dispatched", 3),
            ("accepted", 3),
            ("accepted_on_time", 3),
            ("handled", 4),
            ("handled_on_time", 4),
            ("returned", 0),
            ("reworked", 1),
            ("closed", 3),
            ("whistle_summoned", 1),
            ("whistle_on_site", 1)
        ])
    );
    let gongan = dept("gongan").await;
    assert_eq!(
        counts(&gongan, &d_names),
        expect(&[
            ("dispatched", 1),
            ("accepted", 0),
            ("accepted_on_time", 0),
            ("handled", 0),
            ("handled_on_time", 0),
            ("returned", 1),
            ("reworked", 0),
            ("closed", 0),
            ("whistle_summoned", 1),
            ("whistle_on_site", 0)
        ])
    );
    assert_eq!(gongan["rates"]["return_rate"], json!(1.0));
    assert_eq!(gongan["rates"]["report_in_rate"], json!(0.0));
    let xiaofang = dept("xiaofang").await;
    assert_eq!(
        (xiaofang["counts"]["accepted"].as_i64(), xiaofang["counts"]["accepted_on_time"].as_i64()),
        (Some(1), Some(0))
    );
    for f in [&chengguan, &gongan, &xiaofang] {
        check_rates(f);
    }
    // department staff read their own department only
    let own = get_ok(app, s.t("gongan"), &format!("/api/v1/figures?unit=department&from={from}&to={to}")).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["items"][0]["counts"], gongan["counts"]);

    // the worker: five reports of theirs count (the void one not), four filed, one fixed on the spot
    let worker = figures_of(app, s.t("office"), "worker", s.id("worker"), &from, &to).await;
    assert_eq!(
        counts(&worker, &["reported", "filed", "self_handled", "cells", "cells_patrolled"]),
        expect(&[("reported", 5), ("filed", 4), ("self_handled", 1), ("cells", 1), ("cells_patrolled", 1)])
    );
    assert_eq!(worker["rates"]["patrol_coverage"], json!(1.0));
    check_rates(&worker);

    // a district's counts are the sum of its streets'
    let district = figures_of(app, s.t("donghu"), "district", &s.r.district, &from, &to).await;
    let streets = get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=street&from={from}&to={to}")).await;
    let streets = streets["items"].as_array().unwrap();
    assert_eq!(streets.len(), 2);
    for name in names {
        let sum: i64 = streets.iter().map(|f| f["counts"][name].as_i64().unwrap()).sum();
        assert_eq!(district["counts"][name].as_i64(), Some(sum), "{name}");
    }
    check_rates(&district);
    assert_eq!(district["counts"]["closed"], 6, "c9 closed in the other street");
    // a category narrows them; a day before the month counts nothing
    let narrow =
        get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=district&from={from}&to={to}&category=SJ0501")).await;
    assert_eq!(narrow["items"][0]["counts"]["reported"], 0);
    let wide =
        get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=district&from={from}&to={to}&category=SJ05")).await;
    assert_eq!(wide["items"][0]["counts"]["reported"], 8);
    let before = cst(app.now() - Duration::days(40));
    let empty = get_ok(app, s.t("donghu"), &format!("/api/v1/figures?unit=district&from={before}&to={before}")).await;
    assert_eq!(empty["items"][0]["counts"]["reported"], 0);
    assert_eq!(empty["items"][0]["rates"]["closure_rate"], Value::Null, "no denominator, no rate");
    assert!(day >= from && day <= to);

    // who may read what: a street office not the district, a resident nothing; bad periods named
    problem(app.get(Some(s.t("office")), "/api/v1/figures?unit=district").await, 403).await;
    problem(app.get(Some(s.t("resident")), "/api/v1/figures?unit=worker").await, 403).await;
    let other = get_ok(app, s.t("office"), &format!("/api/v1/figures?unit=street&from={from}&to={to}")).await;
    assert_eq!(other["items"].as_array().unwrap().len(), 1, "a street office sees its own street");
    problem(app.get(Some(s.t("office")), &format!("/api/v1/figures?unit=street&id={}", s.street2)).await, 404).await;
    for (query, field) in [
        ("unit=street&from=2026-13-01&to=2026-12-31", "from"),
        ("unit=street&from=2026-12-31&to=2026-12-01", "to"),
        ("unit=planet", "unit"),
        ("unit=street&month=2026-1", "month"),
        ("unit=street&category=XX", "category"),
        ("unit=street&from=2026-12-01", "to"),
    ] {
        let p = problem(app.get(Some(s.t("donghu")), &format!("/api/v1/figures?{query}")).await, 400).await;
        assert_eq!(fields(&p), [field], "{query}");
    }

    // the stored tallies are what the timelines give
    let differ = app.store(|conn| gridhub_store::cases::tally::mismatches(conn).unwrap());
    assert!(differ.is_empty(), "tallies out of step with their timelines: {differ:?}");
    let _ = (c1, c2, c3, c4, c5, c7, c8, c9);
}

async fn rankings_follow_the_scheme_in_force_that_month(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let here = s.inside(0);
    let month = cst(app.now())[..7].to_owned();
    // 城管 closes one on time; 公安 returns one
    let a = report(app, s.t("worker"), "field_report", "店外经营", here).await;
    steps(
        app,
        &s,
        &a,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "dispatch", dispatch(&s, "chengguan"), "dispatched"),
            ("chengguan", "accept", json!({}), "accepted"),
            ("chengguan", "handle", note("已清理"), "handled"),
            ("office", "verify_pass", json!({}), "closed"),
        ],
    )
    .await;
    let b = report(app, s.t("worker"), "field_report", "店外经营乙", here).await;
    steps(
        app,
        &s,
        &b,
        &[
            ("office", "file", json!({}), "filed"),
            ("office", "dispatch", dispatch(&s, "gongan"), "dispatched"),
            ("gongan", "return", note("非本部门职责"), "filed"),
        ],
    )
    .await;
    let path = format!("/api/v1/rankings?unit=department&district_id={}&month={month}", s.r.district);
    let r = get_ok(app, s.t("donghu"), &path).await;
    assert_eq!(r["scheme"]["id"], Value::Null, "no scheme yet: the defaults");
    assert!(r["scheme"]["source"].as_str().unwrap().contains("GB/T 30428.4"));
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "every department of the district");
    assert_eq!((items[0]["name"].as_str(), items[0]["rank"].as_i64()), (Some("城管局"), Some(1)));
    assert_eq!(items[0]["score"], json!(100.0), "every rate 城管 has is perfect: {}", items[0]);
    // 公安: a return rate of 1 is scored 0; it has no other rate
    assert_eq!((items[1]["name"].as_str(), items[1]["score"].as_f64()), (Some("公安分局"), Some(0.0)));
    assert!(items[2]["rank"].is_null() && items[2]["score"].is_null(), "nothing to score: {}", items[2]);

    // a scheme that weights only acceptance: 公安 has nothing to score under it
    let scheme_path = format!("/api/v1/districts/{}/assessment-scheme", s.r.district);
    let body = json!({"weights": {"department": {"timely_acceptance_rate": 100}}, "note": "本月只考核签收"});
    problem(app.put(Some(s.t("office")), &scheme_path, &body).await, 403).await;
    let set = app.put(Some(s.t("donghu")), &scheme_path, &body).await;
    assert_eq!(set.status(), 200);
    let r = get_ok(app, s.t("donghu"), &path).await;
    assert_eq!(r["scheme"]["effective_from"], month.as_str());
    assert!(r["items"][1]["score"].is_null(), "{}", r["items"][1]);
    // a month already begun cannot be rescored; bad weights are named
    let p = problem(
        app.put(
            Some(s.t("donghu")),
            &scheme_path,
            &json!({"effective_from": "2020-01", "weights": {"street": {"closure_rate": 1}}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["effective_from"]);
    let p = problem(
        app.put(
            Some(s.t("donghu")),
            &scheme_path,
            &json!({"weights": {"planet": {"closure_rate": 1}, "street": {"luck": 5, "closure_rate": 101}}}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["weights.planet", "weights.street.closure_rate", "weights.street.luck"]);
    // last month is still scored with the defaults
    let last = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap() - Duration::days(1);
    let before = get_ok(
        app,
        s.t("donghu"),
        &format!("/api/v1/districts/{}/assessment-scheme?month={}", s.r.district, &last.to_string()[..7]),
    )
    .await;
    assert_eq!(before["in_force"]["id"], Value::Null);
    assert_eq!(before["versions"].as_array().unwrap().len(), 1);
    // the ranking as a picture
    let res = app
        .get(Some(s.t("donghu")), &format!("/api/v1/figures/chart.svg?kind=ranking&unit=department&month={month}"))
        .await;
    assert_eq!(res.status(), 200);
    let svg = res.text().await.unwrap();
    assert!(svg.contains("城管局") && svg.contains("综合得分排名"), "{svg}");
}
