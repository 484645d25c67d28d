//! The two kinds of grid end to end: a community's unit grids (单元网格) and the governance
//! grids (网格) made of them by hand or by households; locate answering both; a case carrying
//! both; people and phones going by governance grid; and a database of the schema before there
//! were two layers migrating without loss.

use geo::{BoundingRect, Centroid};
use gridhub_e2e::*;
use gridhub_geo::Boundary;
use gridhub_store::Role;
use serde_json::{Value, json};

on_both_backends!(
    governance_grids_are_made_of_unit_grids,
    a_grid_gains_and_gives_up_unit_grids,
    people_and_phones_go_by_governance_grid,
    governance_grids_are_generated_by_households,
    a_database_of_one_grid_migrates_without_loss,
);

/// 公园社区 beside 孺子亭社区 (0.003°, about ten hectares), divided into unit grids of a hectare
/// with 30 to 72 households each; its id and its unit grids.
async fn with_units(app: &TestApp, s: &Fixture) -> (String, Vec<Value>) {
    let c = app
        .create(
            s.t("admin"),
            "/api/v1/communities",
            &json!({"street_id": s.r.street, "code": "360102001002", "name": "公园社区", "boundary": square(115.895, 28.676, 0.003)}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let res = app
        .post(Some(s.t("office")), &format!("/api/v1/communities/{id}/cells/generate"), &json!({"layer": "unit"}))
        .await;
    assert_eq!(res.status(), 200);
    let mut units = json(res).await["features"].as_array().unwrap().clone();
    assert!(units.len() >= 8, "{} unit grids", units.len());
    for (k, u) in units.iter_mut().enumerate() {
        assert_eq!(
            (u["properties"]["layer"].as_str(), u["properties"]["name"].as_str().unwrap().ends_with("单元网格")),
            (Some("unit"), true)
        );
        let path = format!("/api/v1/cells/{}", u["id"].as_str().unwrap());
        let households = 30 + (k * 17 % 43) as i64;
        let res = app.patch(Some(s.t("office")), &path, Some("\"1\""), &json!({"households": households})).await;
        assert_eq!(res.status(), 200);
        u["properties"]["households"] = json!(households);
    }
    (id, units)
}

fn centre(cell: &Value) -> (f64, f64) {
    let c = Boundary::from_geojson(&cell["geometry"], &Default::default()).unwrap().shape().centroid().unwrap();
    (c.x(), c.y())
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// The north-west unit grid, the one south of it, and the south-east one (not next to either).
fn corner_units(units: &[Value]) -> (&Value, &Value, &Value) {
    let nw = units.iter().max_by(|a, b| (centre(a).1 - centre(a).0).total_cmp(&(centre(b).1 - centre(b).0))).unwrap();
    let (x, y) = centre(nw);
    let south = units
        .iter()
        .filter(|u| (centre(u).0 - x).abs() < 0.0002 && centre(u).1 < y)
        .max_by(|a, b| centre(a).1.total_cmp(&centre(b).1))
        .unwrap();
    let se = units.iter().min_by(|a, b| (centre(a).1 - centre(a).0).total_cmp(&(centre(b).1 - centre(b).0))).unwrap();
    (nw, south, se)
}

async fn governance_grids_are_made_of_unit_grids(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let (community, units) = with_units(app, &s).await;
    let (nw, south, se) = corner_units(&units);
    let path = format!("/api/v1/communities/{community}/governance-grids");
    let grid = json!({"code": "36010200100201", "name": "公园第一网格", "unit_cell_ids": [id(nw), id(south)]});
    problem(app.post(Some(s.t("cadre")), &path, &grid).await, 404).await;
    problem(app.post(Some(s.t("office2")), &path, &grid).await, 404).await;
    // not one piece; not this community's code; a governance grid is not a unit grid
    let apart = json!({"code": "36010200100201", "unit_cell_ids": [id(nw), id(se)]});
    let p = problem(app.post(Some(s.t("office")), &path, &apart).await, 422).await;
    assert_eq!(fields(&p), ["unit_cell_ids"]);
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("2 separate pieces"), "{p}");
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"code": "36010200100101", "unit_cell_ids": [id(nw)]})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["code"]);
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"code": "36010200100201", "unit_cell_ids": [s.cell(0)]})).await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["unit_cell_ids[0]"]);

    let made = app.create(s.t("office"), &path, &grid).await;
    assert_eq!((made["layer"].as_str(), made["name"].as_str()), (Some("governance"), Some("公园第一网格")));
    let sum = nw["properties"]["households"].as_i64().unwrap() + south["properties"]["households"].as_i64().unwrap();
    assert_eq!(made["households"].as_i64(), Some(sum), "its households are its unit grids'");
    let area = nw["properties"]["area_m2"].as_f64().unwrap() + south["properties"]["area_m2"].as_f64().unwrap();
    assert!((made["area_m2"].as_f64().unwrap() - area).abs() < 1.0, "its outline is theirs");
    for u in [nw, south] {
        let unit = get_ok(app, s.t("office"), &format!("/api/v1/cells/{}", id(u))).await;
        assert_eq!(unit["parent_id"], made["id"], "a unit grid names its governance grid");
    }
    let p = problem(
        app.post(Some(s.t("office")), &path, &json!({"code": "36010200100202", "unit_cell_ids": [id(south)]})).await,
        422,
    )
    .await;
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("already belongs to grid 36010200100201"), "{p}");
    let listed =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cells?community_id={community}&layer=governance")).await)
            .await;
    assert_eq!(listed["features"].as_array().unwrap().len(), 1);

    // locate answers both layers; where the community has only unit grids, the unit alone
    let (lng, lat) = inside(south);
    let at = get_ok(app, s.t("worker"), &format!("/api/v1/cells/locate?lng={lng}&lat={lat}")).await;
    assert_eq!((at["grid"]["id"].clone(), at["cell"]["id"].clone()), (made["id"].clone(), made["id"].clone()));
    assert_eq!(
        (at["unit"]["id"].as_str(), at["unit"]["code"].clone()),
        (Some(id(south)), south["properties"]["code"].clone())
    );
    assert_eq!(at["community"]["name"], "公园社区");
    let (lng2, lat2) = inside(se);
    let at = get_ok(app, s.t("worker"), &format!("/api/v1/cells/locate?lng={lng2}&lat={lat2}")).await;
    assert_eq!(
        (at["grid"].clone(), at["cell"].clone(), at["unit"]["id"].as_str()),
        (Value::Null, Value::Null, Some(id(se)))
    );
    let (lng3, lat3) = s.inside(0);
    let at = get_ok(app, s.t("worker"), &format!("/api/v1/cells/locate?lng={lng3}&lat={lat3}")).await;
    assert_eq!((at["cell"]["id"].as_str(), at["unit"].clone()), (Some(s.cell(0)), Value::Null), "one layer, as before");

    // a case carries both: its unit grid's code for the standard, its governance grid for who answers
    let report = |(lng, lat): (f64, f64)| json!({"source": "field_report", "category_code": "BJ0101", "title": "上水井盖缺失", "lng": lng, "lat": lat});
    let c = app.create(s.t("office"), "/api/v1/cases", &report((lng, lat))).await;
    assert_eq!((c["cell_id"].clone(), c["cell_code"].as_str()), (made["id"].clone(), Some("36010200100201")));
    assert_eq!(
        (c["unit_cell_id"].as_str(), c["unit_code"].clone()),
        (Some(id(south)), south["properties"]["code"].clone())
    );
    assert_eq!(c["community_id"], community);
    // in a unit grid of no governance grid: the unit's community answers, never a neighbour's grid
    let c2 = app.create(s.t("office"), "/api/v1/cases", &report((lng2, lat2))).await;
    assert_eq!(
        (c2["cell_id"].clone(), c2["unit_cell_id"].as_str(), c2["community_id"].as_str()),
        (Value::Null, Some(id(se)), Some(community.as_str()))
    );
    let by_unit = get_ok(app, s.t("office"), &format!("/api/v1/cases?unit_cell_id={}", id(south))).await;
    assert_eq!(by_unit["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_unit["items"][0]["id"], c["id"]);
    let svg = app
        .get(Some(s.t("office")), &format!("/api/v1/communities/{community}/map.svg?layer=unit&color_by=open_cases"))
        .await;
    let svg = svg.text().await.unwrap();
    assert!(
        svg.contains("#f8e08e") && svg.contains(south["properties"]["code"].as_str().unwrap()),
        "hotspots by unit grid"
    );
}

/// A street office redraws a grid as households move: it takes in a neighbouring unit grid and
/// gives up another, and locate, the unit grids and the households follow.
async fn a_grid_gains_and_gives_up_unit_grids(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    let (community, units) = with_units(app, &s).await;
    s.add(app, "gongyuan.cadre", Role::CommunityAdmin, Some(&community));
    let (nw, south, se) = corner_units(&units);
    let (x, y) = centre(nw);
    let east = units
        .iter()
        .filter(|u| (centre(u).1 - y).abs() < 0.0002 && centre(u).0 > x)
        .min_by(|a, b| centre(a).0.total_cmp(&centre(b).0))
        .unwrap();
    let path = format!("/api/v1/communities/{community}/governance-grids");
    let grid = app.create(s.t("office"), &path, &json!({"code": "36010200100201", "unit_cell_ids": [id(nw)]})).await;
    let other =
        app.create(s.t("office"), &path, &json!({"code": "36010200100202", "unit_cell_ids": [id(south)]})).await;
    let at = format!("/api/v1/cells/{}", id(&grid));
    let patch = async |body: Value, version: &str| app.patch(Some(s.t("office")), &at, Some(version), &body).await;
    let households = |u: &Value| u["properties"]["households"].as_i64().unwrap();

    let p = problem(patch(json!({"unit_cell_ids": [id(nw), id(south)]}), "\"1\"").await, 422).await;
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("already belongs to grid 36010200100202"), "{p}");
    let p = problem(patch(json!({"unit_cell_ids": [id(nw), id(se)]}), "\"1\"").await, 422).await;
    assert_eq!(fields(&p), ["unit_cell_ids"]);
    let both = json!({"unit_cell_ids": [id(nw)], "boundary": square(115.895, 28.676, 0.001)});
    assert_eq!(fields(&problem(patch(both, "\"1\"").await, 422).await), ["unit_cell_ids"]);
    let on_unit = app
        .patch(
            Some(s.t("office")),
            &format!("/api/v1/cells/{}", id(east)),
            Some("\"2\""),
            &json!({"unit_cell_ids": [id(east)]}),
        )
        .await;
    assert_eq!(fields(&problem(on_unit, 422).await), ["unit_cell_ids"]);
    // the community's own cadre may not redraw its grids; another community's does not even see them
    let redraw = json!({"unit_cell_ids": [id(nw), id(east)]});
    problem(app.patch(Some(s.t("gongyuan.cadre")), &at, Some("\"1\""), &redraw).await, 403).await;
    problem(app.patch(Some(s.t("cadre")), &at, Some("\"1\""), &redraw).await, 404).await;

    let res = patch(json!({"unit_cell_ids": [id(nw), id(east)]}), "\"1\"").await;
    assert_eq!(res.status(), 200);
    let grown = json(res).await;
    assert_eq!(grown["households"].as_i64(), Some(households(nw) + households(east)));
    let area = nw["properties"]["area_m2"].as_f64().unwrap() + east["properties"]["area_m2"].as_f64().unwrap();
    assert!((grown["area_m2"].as_f64().unwrap() - area).abs() < 1.0);
    assert_eq!(get_ok(app, s.t("office"), &format!("/api/v1/cells/{}", id(east))).await["parent_id"], grid["id"]);
    let (ex, ey) = inside(east);
    assert_eq!(
        get_ok(app, s.t("office"), &format!("/api/v1/cells/locate?lng={ex}&lat={ey}")).await["grid"]["id"],
        grid["id"]
    );

    // it gives up the north-west unit grid, which then belongs to no grid
    let version = format!("\"{}\"", grown["version"]);
    let shrunk = json(patch(json!({"unit_cell_ids": [id(east)], "name": "东片网格"}), &version).await).await;
    assert_eq!((shrunk["name"].as_str(), shrunk["households"].as_i64()), (Some("东片网格"), Some(households(east))));
    assert_eq!(get_ok(app, s.t("office"), &format!("/api/v1/cells/{}", id(nw))).await["parent_id"], Value::Null);
    let (nx, ny) = inside(nw);
    let there = get_ok(app, s.t("office"), &format!("/api/v1/cells/locate?lng={nx}&lat={ny}")).await;
    assert_eq!((there["grid"].clone(), there["unit"]["id"].as_str()), (Value::Null, Some(id(nw))));
    assert_eq!(
        get_ok(app, s.t("office"), &format!("/api/v1/cells/{}", id(&other))).await["households"].as_i64(),
        Some(households(south))
    );
}

async fn people_and_phones_go_by_governance_grid(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let mut s = Fixture::new(app, &w.admin).await;
    let (community, units) = with_units(app, &s).await;
    let (nw, south, _) = corner_units(&units);
    let path = format!("/api/v1/communities/{community}/governance-grids");
    let grid = app
        .create(s.t("office"), &path, &json!({"code": "36010200100201", "unit_cell_ids": [id(nw), id(south)]}))
        .await;
    let worker = s.add(app, "gongyuan.worker", Role::GridWorker, Some(&community));
    let assign = |cell: &str| {
        (format!("/api/v1/cells/{cell}/assignments"), json!({"user_id": worker, "duty": "full_time_worker"}))
    };
    let (to_unit, body) = assign(id(nw));
    let p = problem(app.post(Some(s.t("office")), &to_unit, &body).await, 422).await;
    assert_eq!(fields(&p), ["cell_id"]);
    assert!(p["errors"][0]["detail"].as_str().unwrap().contains("unit grid"), "{p}");
    let (to_grid, body) = assign(id(&grid));
    assert_eq!(app.post(Some(s.t("office")), &to_grid, &body).await.status(), 201);
    let staffing = get_ok(app, s.t("office"), &format!("/api/v1/communities/{community}/staffing")).await;
    assert_eq!(staffing["cells"], 1, "staffing counts governance grids: {staffing}");
    assert_eq!(staffing["per_cell"][0]["workers"].as_array().unwrap().len(), 1);
    // the unit grids' map shows each unit grid its grid's staffing: a worker and no leader (amber);
    // a unit grid of no grid has nobody (red)
    let svg = app
        .get(Some(s.t("office")), &format!("/api/v1/communities/{community}/map.svg?layer=unit&color_by=staffing"))
        .await;
    let svg = svg.text().await.unwrap();
    let fill = |u: &Value| format!("fill=\"{{}}\"><title>{} ", u["properties"]["code"].as_str().unwrap());
    assert!(svg.contains(&fill(nw).replace("{}", "#f8d49a")), "{svg}");
    let lone = units.iter().find(|u| u["id"] != nw["id"] && u["id"] != south["id"]).unwrap();
    assert!(svg.contains(&fill(lone).replace("{}", "#f3a3a0")));

    // a report in one of the grid's unit grids reaches the phone of the grid's worker; the phone
    // holds the governance grid, not the unit grids
    let (lng, lat) = inside(south);
    let c = app
        .create(
            s.t("office"),
            "/api/v1/cases",
            &json!({"source": "field_report", "category_code": "SJ0102", "title": "暴露垃圾", "lng": lng, "lat": lat}),
        )
        .await;
    let phone = s.t("gongyuan.worker");
    let res = app.get(Some(phone), "/api/v1/sync?last_pulled_at=null&schema_version=1&migration=null").await;
    let pulled = json(res).await;
    let cells: Vec<&str> =
        pulled["changes"]["cells"]["created"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(cells, [id(&grid)]);
    let cases: Vec<&str> =
        pulled["changes"]["cases"]["created"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(cases, [id(&c)]);
    // the street office's phone, holding the whole area, gets governance grids only
    let office =
        json(app.get(Some(s.t("office")), "/api/v1/sync?last_pulled_at=null&schema_version=1&migration=null").await)
            .await;
    let pulled_cells = office["changes"]["cells"]["created"].as_array().unwrap();
    assert!(pulled_cells.iter().all(|c| units.iter().all(|u| u["id"] != c["id"])), "no unit grid goes to a phone");
    assert!(pulled_cells.iter().any(|c| c["id"] == grid["id"]));
}

async fn governance_grids_are_generated_by_households(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let generate = |community: &str| format!("/api/v1/communities/{community}/governance-grids/generate");
    // 孺子亭社区 has no unit grids: nothing to group
    let p = problem(
        app.post(Some(s.t("office")), &generate(&s.r.community), &json!({"target_households": 150})).await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("no unit grids"), "{p}");
    let (community, units) = with_units(app, &s).await;
    let total: i64 = units.iter().map(|u| u["properties"]["households"].as_i64().unwrap()).sum();
    let target = 150;
    let p = problem(app.post(Some(s.t("office")), &generate(&community), &json!({"target_households": 5})).await, 400)
        .await;
    assert_eq!(fields(&p), ["target_households"]);
    problem(app.post(Some(s.t("cadre")), &generate(&community), &json!({"target_households": target})).await, 404)
        .await;

    let dry = json(
        app.post(Some(s.t("office")), &generate(&community), &json!({"target_households": target, "dry_run": true}))
            .await,
    )
    .await;
    assert_eq!(dry["stored"], false);
    let grids = dry["features"].as_array().unwrap();
    assert_eq!(grids.len() as i64, (total as f64 / f64::from(target)).round() as i64, "{total} households");
    let mut held = 0;
    for g in grids {
        let h = g["properties"]["households"].as_i64().unwrap();
        assert!(
            (h - i64::from(target)).abs() * 10 <= i64::from(target) * 3,
            "{h} households is within 30% of {target}"
        );
        // one piece: a single polygon
        let shape = Boundary::from_geojson(&g["geometry"], &Default::default()).unwrap().shape().clone();
        assert_eq!(shape.0.len(), 1, "grid {} is contiguous", g["properties"]["code"]);
        held += h;
    }
    assert_eq!(held, total, "every household in exactly one grid");
    let listed =
        json(app.get(Some(s.t("office")), &format!("/api/v1/cells?community_id={community}&layer=governance")).await)
            .await;
    assert_eq!(listed["features"], json!([]), "a dry run stores nothing");

    let made =
        json(app.post(Some(s.t("office")), &generate(&community), &json!({"target_households": target})).await).await;
    assert_eq!((made["stored"].as_bool(), made["features"].as_array().unwrap().len()), (Some(true), grids.len()));
    let grid_ids: Vec<&str> = made["features"].as_array().unwrap().iter().map(id).collect();
    let now_units = json(
        app.get(Some(s.t("office")), &format!("/api/v1/cells?community_id={community}&layer=unit&limit=500")).await,
    )
    .await;
    for u in now_units["features"].as_array().unwrap() {
        assert!(grid_ids.contains(&u["properties"]["parent_id"].as_str().unwrap()), "every unit grid in a grid");
    }
    let coverage = get_ok(app, s.t("office"), &format!("/api/v1/communities/{community}/coverage")).await;
    assert!(coverage["coverage_ratio"].as_f64().unwrap() > 0.999, "the grids cover the community: {coverage}");
    let p =
        problem(app.post(Some(s.t("office")), &generate(&community), &json!({"target_households": 200})).await, 409)
            .await;
    assert_eq!(fields(&p), ["replace"]);
    let again = json(
        app.post(Some(s.t("office")), &generate(&community), &json!({"target_households": 300, "replace": true})).await,
    )
    .await;
    assert!(again["features"].as_array().unwrap().len() < grids.len());
    let retired = json(app.get(Some(s.t("office")), &format!("/api/v1/cells/{}", grid_ids[0])).await).await;
    assert!(retired["retired_at"].is_string(), "the old grids are retired, not deleted");
}

/// The shape of a cell row as the schema before two layers had it (migration 8), written by
/// hand: what a server of that release left behind.
fn previous_release(conn: &mut gridhub_store::DbConn) {
    use diesel::connection::SimpleConnection;
    let t = "'2026-11-20 08:00:00'";
    let square = |x: f64, y: f64, d: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}"#,
            x2 = x + d,
            y2 = y + d
        )
    };
    let (community, cell1, cell2) =
        (square(115.89, 28.676, 0.002), square(115.89, 28.676, 0.001), square(115.891, 28.676, 0.001));
    let sql = format!(
        "INSERT INTO districts (id, code, name, created_at, updated_at) VALUES ('d1', '360102', '东湖区', {t}, {t});
         INSERT INTO streets (id, district_id, code, name, created_at, updated_at) VALUES ('s1', 'd1', '360102001', '公园街道', {t}, {t});
         INSERT INTO communities (id, street_id, code, name, boundary, min_lng, min_lat, max_lng, max_lat, area_m2, created_at, updated_at)
             VALUES ('c1', 's1', '360102001001', '孺子亭社区', '{community}', 115.89, 28.676, 115.892, 28.678, 43600.0, {t}, {t});
         INSERT INTO cells (id, community_id, code, name, boundary, min_lng, min_lat, max_lng, max_lat, area_m2, households, created_at, updated_at, sync_ms)
             VALUES ('g1', 'c1', '36010200100101', '东门网格', '{cell1}', 115.89, 28.676, 115.891, 28.677, 10900.0, 320, {t}, {t}, 5),
                    ('g2', 'c1', '36010200100102', '西门网格', '{cell2}', 115.891, 28.676, 115.892, 28.677, 10900.0, 280, {t}, {t}, 6);
         INSERT INTO users (id, username, display_name, role, scope_id, created_at, updated_at) VALUES ('u1', 'li', '李强', 'grid_worker', 'c1', {t}, {t});
         INSERT INTO assignments (id, cell_id, user_id, duty, starts_at, created_at, updated_at) VALUES ('a1', 'g1', 'u1', 'full_time_worker', {t}, {t}, {t});
         INSERT INTO categories (code, parent_code, kind, name, default_department, filing_criteria, closing_criteria, time_limits, duplicate_radius_m, duplicate_window_hours, created_at, updated_at)
             VALUES ('ZL01', NULL, 'governance', '矛盾纠纷', 'sifa', '', '', '{{\"file\":\"1h\",\"dispatch\":\"1h\",\"accept\":\"2h\",\"handle\":\"5d\",\"verify\":\"1d\"}}', 50, 72, {t}, {t}),
                    ('ZL0103', 'ZL01', 'governance', '劳资纠纷', 'sifa', '', '', '{{}}', 50, 72, {t}, {t}),
                    ('ZL0101', 'ZL01', 'governance', '邻里纠纷', 'gongan', '', '', '{{}}', 50, 72, {t}, {t});
         INSERT INTO cases (id, district_id, street_id, community_id, cell_id, source, category_code, title, description, lng, lat, reporter_id, priority, attachments, reported_at, received_at, status, updated_at, sync_ms, created_ms)
             VALUES ('k1', 'd1', 's1', 'c1', 'g1', 'field_report', 'ZL0103', '讨薪', '工地拖欠工资', 115.8905, 28.6765, 'u1', 'normal', '[]', {t}, {t}, 'filed', {t}, 7, 7);"
    );
    conn.batch_execute(&sql).expect("the previous release's rows");
}

async fn a_database_of_one_grid_migrates_without_loss(backend: Backend) {
    let Some(db) = TestDb::empty(backend) else { return };
    {
        let pool = gridhub_store::connect(&db.url, 1).unwrap();
        let mut conn = gridhub_store::db::get(&pool).unwrap();
        let ran = gridhub_store::db::migrate_through(&mut conn, "2026-11-27-000008_intake").unwrap();
        assert_eq!(ran, 8, "the schema of the release before two layers");
        previous_release(&mut conn);
    }
    // the new release starts on it: migrates, seeds, serves
    let app = TestApp::start(settings(&db)).await;
    let admin_id = app.create_user("admin", Role::SystemAdmin, None);
    let admin = app.token(&admin_id, Role::SystemAdmin, None);
    let cells = json(app.get(Some(&admin), "/api/v1/cells?community_id=c1").await).await;
    let cells = cells["features"].as_array().unwrap();
    let got: Vec<(&str, &str, &str, i64, &str)> = cells
        .iter()
        .map(|c| {
            let p = &c["properties"];
            (
                id(c),
                p["code"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["households"].as_i64().unwrap(),
                p["layer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("g1", "36010200100101", "东门网格", 320, "governance"),
            ("g2", "36010200100102", "西门网格", 280, "governance")
        ],
        "every cell kept, as a governance grid"
    );
    let shape = Boundary::from_geojson(&cells[0]["geometry"], &Default::default()).unwrap();
    let b = shape.shape().bounding_rect().unwrap();
    assert_eq!(
        (b.min().x, b.min().y, b.max().x, b.max().y),
        (115.89, 28.676, 115.891, 28.677),
        "its boundary unchanged"
    );
    let at = get_ok(&app, &admin, "/api/v1/cells/locate?lng=115.8905&lat=28.6765").await;
    assert_eq!(
        (at["cell"]["id"].as_str(), at["grid"]["id"].as_str(), at["unit"].clone()),
        (Some("g1"), Some("g1"), Value::Null)
    );
    let case = get_ok(&app, &admin, "/api/v1/cases/k1").await;
    assert_eq!(
        (case["cell_id"].as_str(), case["cell_code"].as_str(), case["status"].as_str()),
        (Some("g1"), Some("36010200100101"), Some("filed"))
    );
    assert_eq!(case["unit_code"], Value::Null);
    let staffing = get_ok(&app, &admin, "/api/v1/communities/c1/staffing").await;
    assert_eq!(staffing["per_cell"][0]["workers"], json!(["李强"]), "the assignment kept: {staffing}");
    // the shipped route corrected where nobody changed it, an office's own choice left alone
    let category = async |code: &str| get_ok(&app, &admin, &format!("/api/v1/categories/{code}")).await;
    assert_eq!(category("ZL0103").await["default_department"], "renshe");
    assert_eq!(category("ZL0101").await["default_department"], "gongan", "edited by the office: kept");
    assert_eq!(category("BJ0101").await["standard_code"], "0101", "the rest of the catalogue seeded with its codes");
    let department = json!({"district_id": "d1", "code": "renshe", "name": "东湖区人力资源和社会保障局"});
    assert_eq!(app.create(&admin, "/api/v1/departments", &department).await["kind"], "government");
    // and the grid goes on: unit grids may be added beneath the old grids
    let res = app.post(Some(&admin), "/api/v1/communities/c1/cells/generate", &json!({"layer": "unit"})).await;
    assert_eq!(res.status(), 200);
    let units = json(res).await["features"].as_array().unwrap().clone();
    let at = get_ok(&app, &admin, "/api/v1/cells/locate?lng=115.8905&lat=28.6765").await;
    assert_eq!(at["grid"]["id"], "g1");
    let unit = units.iter().find(|u| u["id"] == at["unit"]["id"]).expect("the point's unit grid");
    assert_eq!(unit["properties"]["parent_id"], "g1", "the new unit grid lies in the old grid");
    app.stop().await;
}
