//! 设岗定责 over HTTP: each rule of assignment refused once, history answering for any moment,
//! batches that apply whole or not at all, two offices racing on one cell, phones following,
//! and the staffing report on the demo data.

use gridhub_e2e::*;
use gridhub_store::Role;
use serde_json::{Value, json};

on_both_backends!(
    each_rule_of_assignment_is_enforced,
    history_answers_for_any_moment,
    a_batch_applies_whole_or_not_at_all,
    two_offices_reshuffle_one_cell_at_once,
    phones_follow_their_assignments,
    the_staffing_report_on_the_demo_data,
    a_street_office_imports_its_sheet,
);

/// The fixture, with four more grid workers of 孺子亭社区 (`w1`…`w4`), a second office of its
/// street (`office_b`) and a grid worker of 百花洲社区 (`far`).
struct Setup {
    f: Fixture,
    cells: Vec<String>,
    far_cells: Vec<String>,
    r: Regions,
}

impl std::ops::Deref for Setup {
    type Target = Fixture;
    fn deref(&self) -> &Fixture {
        &self.f
    }
}

async fn setup(app: &TestApp, admin: &str) -> Setup {
    let mut f = Fixture::new(app, admin).await;
    let ids = |cells: &[Value]| cells.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let (cells, far_cells) = (ids(&f.cells), ids(&f.cells2));
    let (street, community, community2) = (f.r.street.clone(), f.r.community.clone(), f.community2.clone());
    f.add(app, "office_b", Role::StreetAdmin, Some(&street));
    f.add(app, "far", Role::GridWorker, Some(&community2));
    for w in ["w1", "w2", "w3", "w4"] {
        f.add(app, w, Role::GridWorker, Some(&community));
    }
    let r = Regions { district: f.r.district.clone(), street, community };
    Setup { f, cells, far_cells, r }
}

async fn assign(app: &TestApp, token: &str, cell: &str, user: &str, duty: &str) -> Response {
    app.post(Some(token), &format!("/api/v1/cells/{cell}/assignments"), &json!({"user_id": user, "duty": duty})).await
}

async fn each_rule_of_assignment_is_enforced(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let [w1, w2, w3] = [s.id("w1").to_owned(), s.id("w2").to_owned(), s.id("w3").to_owned()];
    let c = &s.cells;

    let made = assign(app, &office, &c[0], &w1, "grid_leader").await;
    assert_eq!(made.status(), 201);
    assert_eq!(made.headers()["etag"], "\"2\"", "the cell's version moves on");
    let p = problem(assign(app, &office, &c[0], &w2, "grid_leader").await, 422).await;
    assert_eq!(fields(&p), ["duty"]);
    assert!(p["detail"].as_str().unwrap().contains("already has a grid leader"), "{p}");
    let p = problem(assign(app, &office, &c[0], &w1, "volunteer").await, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("already holds a duty"), "{p}");
    for cell in &c[1..4] {
        assert_eq!(assign(app, &office, cell, &w3, "full_time_worker").await.status(), 201);
    }
    let p = problem(assign(app, &office, &c[4], &w3, "full_time_worker").await, 422).await;
    assert_eq!(fields(&p), ["user_id"]);
    assert!(p["detail"].as_str().unwrap().contains("the limit is 3"), "{p}");

    let far = s.id("far").to_owned();
    let p = problem(assign(app, &office, &c[5], &far, "part_time_worker").await, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("another street"), "{p}");
    let donghu = s.t("donghu").to_owned();
    assert_eq!(
        assign(app, &donghu, &c[5], &far, "part_time_worker").await.status(),
        201,
        "a district admin moves them"
    );
    let moved = json(app.get(Some(&w.admin), &format!("/api/v1/users/{far}")).await).await;
    assert_eq!(moved["scope_id"], s.r.community.as_str());

    let resident = s.id("resident").to_owned();
    problem(assign(app, &office, &c[6], &resident, "grid_leader").await, 422).await;
    assert_eq!(
        assign(app, &office, &c[6], &resident, "building_steward").await.status(),
        201,
        "a resident may be a building steward"
    );
    let steward = app
        .post(
            Some(&office),
            &format!("/api/v1/cells/{}/assignments", c[7]),
            &json!({"user_id": w2, "duty": "volunteer", "building": "3栋"}),
        )
        .await;
    assert_eq!(fields(&problem(steward, 422).await), ["building"]);
    assert_eq!(fields(&problem(assign(app, &office, &c[7], &w2, "boss").await, 422).await), ["duty"]);

    let cadre = s.t("cadre").to_owned();
    problem(assign(app, &cadre, &c[7], &w2, "grid_leader").await, 403).await;
    assert_eq!(assign(app, &cadre, &c[7], &w2, "part_time_worker").await.status(), 201);
    let worker = s.t("w4").to_owned();
    problem(assign(app, &worker, &c[8], &w2, "volunteer").await, 403).await;
    problem(assign(app, &office, &s.far_cells[0], &w2, "volunteer").await, 404).await;
    let audit = json(app.get(Some(&w.admin), "/api/v1/audit?limit=500").await).await;
    let created = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "assignment.create").count();
    assert_eq!(created, 7, "every assignment is audited");
}

async fn history_answers_for_any_moment(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let [w1, w2] = [s.id("w1").to_owned(), s.id("w2").to_owned()];
    let cell = &s.cells[0];
    let path = format!("/api/v1/cells/{cell}/assignments");
    let first = json(
        app.post(
            Some(&office),
            &path,
            &json!({"user_id": w1, "duty": "grid_leader", "starts_at": "2026-01-01T09:00:00+08:00"}),
        )
        .await,
    )
    .await;
    let id = first["assignment"]["id"].as_str().unwrap();
    let end = app
        .post(
            Some(&office),
            &format!("/api/v1/assignments/{id}/end"),
            &json!({"ends_at": "2026-03-01T00:00:00Z", "reason": "调任"}),
        )
        .await;
    assert_eq!(end.status(), 200);
    let second = app
        .post(Some(&office), &path, &json!({"user_id": w2, "duty": "grid_leader", "starts_at": "2026-03-01T00:00:00Z"}))
        .await;
    assert_eq!(second.status(), 201);
    let office = office.as_str();
    let leader_at = |at: &'static str| {
        let url = format!("{path}?at={at}");
        async move {
            json(app.get(Some(office), &url).await).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["user_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(leader_at("2025-12-31T00:00:00Z").await, Vec::<String>::new());
    assert_eq!(leader_at("2026-02-01T00:00:00Z").await, std::slice::from_ref(&w1));
    assert_eq!(leader_at("2026-04-01T00:00:00Z").await, std::slice::from_ref(&w2));
    let now = json(app.get(Some(office), &path).await).await;
    assert_eq!(now["items"][0]["user_name"], "w2");
    let past =
        json(app.get(Some(office), &format!("/api/v1/users/{w1}/assignments?at=2026-02-01T00:00:00Z")).await).await;
    assert_eq!(past["items"][0]["cell_id"], cell.as_str());
    assert_eq!(json(app.get(Some(office), &format!("/api/v1/users/{w1}/assignments")).await).await["items"], json!([]));
    problem(app.post(Some(office), &format!("/api/v1/assignments/{id}/end"), &json!({"reason": "again"})).await, 422)
        .await;
    assert_eq!(fields(&problem(app.get(Some(office), &format!("{path}?at=soon")).await, 400).await), ["at"]);
}

async fn version(app: &TestApp, token: &str, cell: &str) -> i64 {
    json(app.get(Some(token), &format!("/api/v1/cells/{cell}")).await).await["version"].as_i64().unwrap()
}

async fn a_batch_applies_whole_or_not_at_all(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let [w1, w2, w3] = [s.id("w1").to_owned(), s.id("w2").to_owned(), s.id("w3").to_owned()];
    let (a, b) = (&s.cells[0], &s.cells[1]);
    let made = json(assign(app, &office, a, &w1, "full_time_worker").await).await;
    let moving = made["assignment"]["id"].as_str().unwrap().to_owned();
    let (va, vb) = (version(app, &office, a).await, version(app, &office, b).await);
    let items = json!([
        {"op": "move", "assignment_id": moving, "to_cell_id": b},
        {"op": "assign", "cell_id": a, "user_id": w2, "duty": "grid_leader"},
    ]);
    let stale = json!({"items": items, "expected_versions": {a: va - 1, b: vb}});
    let p = problem(app.post(Some(&office), "/api/v1/reassignments", &stale).await, 412).await;
    assert!(p["detail"].as_str().unwrap().contains(a.as_str()), "names the cell: {p}");
    let missing = json!({"items": items, "expected_versions": {a: va}});
    assert!(
        problem(app.post(Some(&office), "/api/v1/reassignments", &missing).await, 412).await["detail"]
            .as_str()
            .unwrap()
            .contains(b.as_str())
    );
    let bad = json!({"items": [items[0], {"op": "assign", "cell_id": a, "user_id": w3, "duty": "grid_leader"}, {"op": "assign", "cell_id": a, "user_id": w2, "duty": "grid_leader"}], "expected_versions": {a: va, b: vb}});
    let p = problem(app.post(Some(&office), "/api/v1/reassignments", &bad).await, 422).await;
    assert_eq!(fields(&p), ["items[2].duty"], "the second leader of one cell is refused: {p}");
    // nothing of the refused batches happened
    let now_a = json(app.get(Some(&office), &format!("/api/v1/cells/{a}/assignments")).await).await;
    assert_eq!(now_a["items"].as_array().unwrap().len(), 1);
    assert_eq!(now_a["items"][0]["user_id"], w1.as_str());
    assert_eq!((version(app, &office, a).await, version(app, &office, b).await), (va, vb));
    let typo = json!({"items": [{"op": "promote", "assignment_id": moving}], "expected_versions": {}});
    assert_eq!(
        fields(&problem(app.post(Some(&office), "/api/v1/reassignments", &typo).await, 422).await),
        ["items[0].op"]
    );

    let ok = app
        .post(Some(&office), "/api/v1/reassignments", &json!({"items": items, "expected_versions": {a: va, b: vb}}))
        .await;
    assert_eq!(ok.status(), 200);
    let done = json(ok).await;
    assert_eq!(done["cell_versions"][a.as_str()], va + 1);
    let in_b = json(app.get(Some(&office), &format!("/api/v1/cells/{b}/assignments")).await).await;
    assert_eq!(in_b["items"][0]["user_id"], w1.as_str(), "moved");
    let in_a = json(app.get(Some(&office), &format!("/api/v1/cells/{a}/assignments")).await).await;
    assert_eq!(
        in_a["items"].as_array().unwrap().iter().map(|x| x["duty"].as_str().unwrap()).collect::<Vec<_>>(),
        ["grid_leader"]
    );
}

async fn two_offices_reshuffle_one_cell_at_once(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let (one, two) = (s.t("office").to_owned(), s.t("office_b").to_owned());
    let (w1, w2) = (s.id("w1").to_owned(), s.id("w2").to_owned());
    for round in 0..3 {
        let cell = &s.cells[round];
        let v = version(app, &one, cell).await;
        let batch = |who: &str| json!({"items": [{"op": "assign", "cell_id": cell, "user_id": who, "duty": "grid_leader"}], "expected_versions": {cell.as_str(): v}});
        let (first, second) = (batch(&w1), batch(&w2));
        let (a, b) = tokio::join!(
            app.post(Some(&one), "/api/v1/reassignments", &first),
            app.post(Some(&two), "/api/v1/reassignments", &second),
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}: one wins, the other is told the cell moved on");
        let leaders = json(app.get(Some(&one), &format!("/api/v1/cells/{cell}/assignments")).await).await;
        assert_eq!(leaders["items"].as_array().unwrap().len(), 1);
    }
}

async fn phones_follow_their_assignments(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let w1 = s.id("w1").to_owned();
    let phone = s.t("w1").to_owned();
    let cells_of = || async {
        json(app.get(Some(&phone), "/api/v1/auth/me").await).await["assigned_cells"].as_array().unwrap().len()
    };
    assert_eq!(cells_of().await, 0);
    let made = json(assign(app, &office, &s.cells[0], &w1, "full_time_worker").await).await;
    assign(app, &office, &s.cells[1], &w1, "full_time_worker").await;
    assert_eq!(cells_of().await, 2);
    let id = made["assignment"]["id"].as_str().unwrap();
    app.post(Some(&office), &format!("/api/v1/assignments/{id}/end"), &json!({"reason": "调整"})).await;
    assert_eq!(cells_of().await, 1);
}

async fn the_staffing_report_on_the_demo_data(backend: Backend) {
    let Some(db) = TestDb::new(backend) else { return };
    let app = TestApp::start(settings(&db)).await;
    app.store(|conn| gridhub::demo::load(conn).unwrap().expect("the demo loads"));
    let office = app.login("gongyuan.office", gridhub::demo::PASSWORD).await;
    let street =
        json(app.get(Some(&office), "/api/v1/streets").await).await["items"][0]["id"].as_str().unwrap().to_owned();
    let report = json(app.get(Some(&office), &format!("/api/v1/streets/{street}/staffing")).await).await;
    let cells = report["cells"].as_u64().unwrap();
    let no_leader = report["cells_without_grid_leader"].as_array().unwrap().len() as u64;
    let no_worker = report["cells_without_worker"].as_array().unwrap().len() as u64;
    assert!(
        (15..=45).contains(&cells) && no_leader > 0 && no_leader < cells / 5 && no_worker > 0 && no_worker < cells / 5,
        "{cells} governance grids, {no_leader} without a leader, {no_worker} without a worker"
    );
    let workers = report["per_worker"].as_array().unwrap();
    assert!(workers.iter().all(|w| w["cells"].as_u64().unwrap() <= 3 && w["households"].as_i64().unwrap() > 0));
    assert!(
        report["per_cell"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["volunteers"].as_u64().unwrap() > 0 && c["party_members"].as_u64().unwrap() == 0)
    );
    let community = json(app.get(Some(&office), "/api/v1/communities?limit=1").await).await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = json(app.get(Some(&office), &format!("/api/v1/communities/{community}/staffing")).await).await;
    assert!(one["cells"].as_u64().unwrap() < cells);
    let svg = app
        .get(Some(&office), &format!("/api/v1/communities/{community}/map.svg?color_by=staffing"))
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("无人负责") && svg.contains("#f3a3a0"), "unstaffed cells stand out");
    let far_street = json(app.get(Some(&app.login("admin", gridhub::demo::PASSWORD).await), "/api/v1/streets").await)
        .await["items"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(app.get(Some(&office), &format!("/api/v1/streets/{far_street}/staffing")).await, 404).await;
}

async fn import_sheet(app: &TestApp, token: &str, street: &str, sheet: &str, dry_run: bool) -> Response {
    let url =
        app.url(&format!("/api/v1/streets/{street}/assignments/import{}", if dry_run { "?dry_run=true" } else { "" }));
    app.client
        .post(url)
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(sheet.to_owned())
        .send()
        .await
        .unwrap()
}

async fn a_street_office_imports_its_sheet(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let office = s.t("office").to_owned();
    let w2 = s.id("w2").to_owned();
    app.patch(Some(&w.admin), &format!("/api/v1/users/{w2}"), None, &json!({"phone": "13800002222"})).await;
    let mut codes = Vec::new();
    for cell in &s.cells[..3] {
        codes.push(
            json(app.get(Some(&w.admin), &format!("/api/v1/cells/{cell}")).await).await["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (c0, c1, c2) = (&codes[0], &codes[1], &codes[2]);
    // as a spreadsheet saves it: a byte-order mark, a quoted field with a comma, a plain date
    let sheet = format!(
        "\u{feff}cell_code,user,duty,building,starts_at\n{c0},w1,grid_leader,,2026-03-01\n{c0},13800002222,full_time_worker,,\n{c1},resident,building_steward,\"3栋, 2单元\",\n"
    );
    let dry = json(import_sheet(app, &office, &s.r.street, &sheet, true).await).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["assigned"].as_u64()), (Some(true), Some(3)));
    let people = |cell: &str| {
        let path = format!("/api/v1/cells/{cell}/assignments");
        let office = office.clone();
        async move { json(app.get(Some(&office), &path).await).await["items"].as_array().unwrap().len() }
    };
    assert_eq!(people(&s.cells[0]).await, 0, "a dry run changes nothing");

    let bad = format!(
        "cell_code,user,duty\n{c2},w3,volunteer\n99999999999999,w3,volunteer\n{c2},nobody,volunteer\n{c2},w4,boss\n"
    );
    let p = problem(import_sheet(app, &office, &s.r.street, &bad, false).await, 422).await;
    assert_eq!(fields(&p), ["lines[3].cell_code", "lines[4].user", "lines[5].duty"]);
    let two_leaders = format!("cell_code,user,duty\n{c2},w3,grid_leader\n{c2},w4,grid_leader\n");
    let p = problem(import_sheet(app, &office, &s.r.street, &two_leaders, false).await, 422).await;
    assert_eq!(fields(&p), ["lines[3].duty"], "the rule names the line that breaks it: {p}");
    assert_eq!(people(&s.cells[2]).await, 0, "nothing of a refused sheet is kept");
    assert_eq!(
        fields(&problem(import_sheet(app, &office, &s.r.street, "cell,who\nx,y\n", false).await, 422).await),
        ["header"]
    );

    let done = json(import_sheet(app, &office, &s.r.street, &sheet, false).await).await;
    assert_eq!(done["assigned"], 3);
    assert_eq!((people(&s.cells[0]).await, people(&s.cells[1]).await), (2, 1));
    let steward = json(app.get(Some(&office), &format!("/api/v1/cells/{}/assignments", s.cells[1])).await).await;
    assert_eq!(steward["items"][0]["building"], "3栋, 2单元");
    let leader = json(app.get(Some(&office), &format!("/api/v1/cells/{}/assignments", s.cells[0])).await).await;
    let starts =
        leader["items"].as_array().unwrap().iter().find(|a| a["duty"] == "grid_leader").unwrap()["starts_at"].clone();
    assert_eq!(starts, "2026-02-28T16:00:00.000000Z", "a sheet's date is midnight in China");
    problem(import_sheet(app, &office, &s.far_cells[0], &sheet, false).await, 404).await;
}
