//! The monthly analysis (民情研判): the digest a community prints, its minutes shown next month;
//! the charts and the street map.

use super::*;

on_both_backends!(a_community_digest_shows_the_month_and_what_was_decided,);

async fn a_community_digest_shows_the_month_and_what_was_decided(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    // unit grids (单元网格) under the governance grids: where problems cluster
    let res = app
        .post(
            Some(s.t("office")),
            &format!("/api/v1/communities/{}/cells/generate", s.r.community),
            &json!({"layer": "unit"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let here = inside(&json(res).await["features"][0]);
    let month = cst(app.now())[..7].to_owned();
    // the same problem three times in one place: a hotspot; one reporter twice
    for title in ["店外经营甲", "店外经营乙", "店外经营丙"] {
        let id = report(app, s.t("worker"), "field_report", title, here).await;
        step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    }
    // a resident asks twice (not yet accepted): a repeat reporter; a worker reporting is not one
    for title in ["楼下有人占道卖菜", "又有人占道卖菜"] {
        report(app, s.t("resident"), "resident_request", title, s.inside(3)).await;
    }
    let path = format!("/api/v1/communities/{}/digest?month={month}", s.r.community);
    let d = get_ok(app, s.t("cadre"), &path).await;
    assert_eq!(d["figures"]["counts"]["filed"], 3);
    assert_eq!(d["top_categories"][0]["code"], "SJ0502");
    assert_eq!(
        (d["top_categories"][0]["count"].as_i64(), d["top_categories"][0]["change"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(d["hotspots"].as_array().unwrap().len(), 1, "{}", d["hotspots"]);
    assert_eq!(d["hotspots"][0]["count"], 3);
    assert_eq!(d["repeat_reporters"].as_array().unwrap().len(), 1, "{}", d["repeat_reporters"]);
    assert_eq!(
        (d["repeat_reporters"][0]["user_id"].as_str(), d["repeat_reporters"][0]["count"].as_i64()),
        (Some(s.id("resident")), Some(2))
    );
    assert_eq!(d["unpatrolled_cells"].as_array().unwrap().len(), s.cells.len(), "nobody walked this month");
    assert_eq!(d["cells_without_grid_leader"].as_array().unwrap().len(), s.cells.len());
    assert_eq!(d["daily"].as_array().unwrap().iter().map(|x| x[1].as_i64().unwrap()).sum::<i64>(), 3);
    // minutes: the community records them; another community's admin may not
    let minutes = format!("/api/v1/communities/{}/digest/{month}/minutes", s.r.community);
    let body = json!({"attendees": ["社区书记 王芳", "网格员 李强"], "findings": "店外经营集中在菜市场门口", "decisions": [{"what": "联合城管每日早晚巡查", "owner": "李强", "due": "2027-01-15"}]});
    let res = app.post(Some(s.t("cadre")), &minutes, &body).await;
    assert_eq!(res.status(), 201);
    let p = problem(
        app.post(Some(s.t("cadre")), &minutes, &json!({"findings": " ", "decisions": [{"what": ""}]})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["findings", "decisions[0].what"]);
    problem(app.post(Some(s.t("worker")), &minutes, &body).await, 403).await;
    problem(app.get(Some(s.t("office2")), &path).await, 404).await;
    let d = get_ok(app, s.t("office"), &path).await;
    assert_eq!(d["minutes"][0]["decisions"][0]["what"], "联合城管每日早晚巡查");
    // next month's digest shows what was decided
    let next = chrono::NaiveDate::parse_from_str(&format!("{month}-28"), "%Y-%m-%d").unwrap() + Duration::days(5);
    let later = get_ok(
        app,
        s.t("cadre"),
        &format!("/api/v1/communities/{}/digest?month={}", s.r.community, &next.to_string()[..7]),
    )
    .await;
    assert_eq!(later["previous_minutes"][0]["findings"], "店外经营集中在菜市场门口");
    assert_eq!(later["top_categories"][0]["previous"], 5);
    // the printable page, with its charts inline
    let res =
        app.client.get(app.url(&path)).bearer_auth(s.t("cadre")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    for text in ["民情研判会材料", "热点网格", "<svg", "闭环漏斗", "联合城管每日早晚巡查"] {
        assert!(html.contains(text), "{text} missing");
    }
    let street = get_ok(app, s.t("office"), &format!("/api/v1/streets/{}/digest?month={month}", s.r.street)).await;
    assert_eq!(street["figures"]["counts"]["filed"], 3);

    // the charts and the maps
    for q in [
        format!("kind=trend&unit=community&id={}&month={month}", s.r.community),
        format!("kind=funnel&unit=street&id={}&month={month}", s.r.street),
    ] {
        let res = app.get(Some(s.t("office")), &format!("/api/v1/figures/chart.svg?{q}")).await;
        assert_eq!(res.status(), 200, "{q}");
        let svg = res.text().await.unwrap();
        assert!(svg.starts_with("<svg") && (svg.contains("立案") || svg.contains("上报")), "{q}");
    }
    for (q, field) in [
        ("figures/chart.svg?kind=pie&unit=street", "kind"),
        ("figures/chart.svg?kind=trend&unit=cell&id=x", "unit"),
        ("figures/chart.svg?kind=ranking&unit=district", "unit"),
        ("rankings?unit=cell", "unit"),
        ("rankings?unit=street&month=May", "month"),
    ] {
        let p = problem(app.get(Some(s.t("donghu")), &format!("/api/v1/{q}")).await, 400).await;
        assert_eq!(fields(&p), [field], "{q}");
    }
    for colour in ["overdue", "closure_rate", "staffing"] {
        let res =
            app.get(Some(s.t("office")), &format!("/api/v1/streets/{}/map.svg?color_by={colour}", s.r.street)).await;
        assert_eq!(res.status(), 200, "{colour}");
        let svg = res.text().await.unwrap();
        assert!(
            svg.contains("孺子亭社区") || svg.contains(&s.cells[0]["properties"]["code"].as_str().unwrap()[12..]),
            "{colour}"
        );
    }
    let res = app
        .get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=closure_rate", s.r.community))
        .await;
    assert!(res.text().await.unwrap().contains("近30天结案率"));
    problem(app.get(Some(s.t("office2")), &format!("/api/v1/streets/{}/map.svg", s.r.street)).await, 404).await;
}
