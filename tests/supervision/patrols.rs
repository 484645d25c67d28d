//! Patrols as the office sees them: who walked which grid, when, how long and far, the track as
//! a line; each sees what is theirs to see; a joint patrol plan against what was walked; the map
//! coloured by patrols.

use gridhub_store::Caller;
use gridhub_store::phones::patrol::{self, Patrol};

use super::*;

on_both_backends!(the_office_sees_patrols_and_plans_against_them);

fn walk(id: &str, user: &str, cell: &str, started: chrono::NaiveDateTime, minutes: i64, track: &str) -> Patrol {
    let started = started.and_utc().timestamp_millis();
    Patrol {
        id: id.into(),
        user_id: user.into(),
        cell_id: cell.into(),
        started_at: started,
        ended_at: Some(started + minutes * 60_000),
        distance_m: 1250.0,
        track: track.into(),
        note: "巡查正常".into(),
        created_ms: 0,
        sync_ms: 0,
    }
}

async fn the_office_sees_patrols_and_plans_against_them(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let now = app.now();
    let (worker, cell0, cell1) = (s.id("worker").to_owned(), s.cell(0).to_owned(), s.cell(1).to_owned());
    app.store(|conn| {
        let caller = Caller::resolve(conn, &worker, gridhub_store::Role::GridWorker, Some(&s.r.community)).unwrap();
        let walks = vec![
            walk("pt-tonight-0001", &worker, &cell0, now - Duration::minutes(50), 50, "_p~iF~ps|U_ulLnnqC"),
            walk("pt-yesterday-01", &worker, &cell1, now - Duration::days(1), 40, ""),
        ];
        assert!(patrol::record(conn, &caller, walks).unwrap().is_empty());
    });
    let list = get_ok(app, s.t("office"), &format!("/api/v1/patrols?cell_id={cell0}")).await;
    let p = &list["items"][0];
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (p["user_id"].as_str(), p["duration_s"].as_i64(), p["distance_m"].as_f64()),
        (Some(worker.as_str()), Some(3000), Some(1250.0))
    );
    assert_eq!(p["track"], json!({"type": "LineString", "coordinates": [[-120.2, 38.5], [-120.95, 40.7]]}));
    let since = (now - Duration::hours(2)).and_utc().to_rfc3339();
    let recent = get_ok(app, s.t("office"), &format!("/api/v1/patrols?from={}", since.replace('+', "%2B"))).await;
    assert_eq!(recent["items"].as_array().unwrap().len(), 1, "yesterday's walk is before `from`");
    assert_eq!(
        get_ok(app, s.t("worker"), "/api/v1/patrols").await["items"].as_array().unwrap().len(),
        2,
        "a worker sees their own"
    );
    for who in ["office2", "worker2", "resident"] {
        assert_eq!(get_ok(app, s.t(who), "/api/v1/patrols").await["items"], json!([]), "{who}");
    }
    problem(app.get(Some(s.t("office")), "/api/v1/patrols?from=yesterday").await, 400).await;

    // a joint patrol plan: the grid worker and a police officer, each grid once a day
    let from = now - Duration::minutes(55);
    let plan = json!({"name": "除夕夜联合巡防", "cells": [cell0, cell1], "members": [worker, s.id("gongan")],
                      "from": from.and_utc().to_rfc3339(), "to": (now + Duration::days(2)).and_utc().to_rfc3339(), "times_per_day": 1});
    problem(app.post(Some(s.t("worker")), "/api/v1/patrol-plans", &plan).await, 403).await;
    let mut bad = plan.clone();
    bad["cells"] = json!([s.cells2[0]["id"]]);
    bad["times_per_day"] = json!(0);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/patrol-plans", &bad).await, 422).await;
    assert_eq!(fields(&p), ["times_per_day"]);
    bad["times_per_day"] = json!(1);
    let p = problem(app.post(Some(s.t("office")), "/api/v1/patrol-plans", &bad).await, 422).await;
    assert_eq!(fields(&p), ["cells[0]"], "a grid of another street");
    let made = app.create(s.t("office"), "/api/v1/patrol-plans", &plan).await;
    let c =
        get_ok(app, s.t("office"), &format!("/api/v1/patrol-plans/{}/coverage", made["id"].as_str().unwrap())).await;
    // the plan's days so far (China Standard Time): today, and yesterday if it began before midnight
    let local = |t: chrono::NaiveDateTime| (t + Duration::hours(8)).date();
    let days = (local(now) - local(from)).num_days() + 1;
    assert_eq!((c["planned"].as_i64(), c["met"].as_i64()), (Some(days * 2), Some(1)), "{c}");
    let cells = c["cells"].as_array().unwrap();
    assert_eq!((cells[0]["patrols"].as_i64(), cells[0]["days_met"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        (cells[1]["patrols"].as_i64(), cells[1]["days_met"].as_i64()),
        (Some(0), Some(0)),
        "walked before the plan began"
    );
    problem(
        app.get(Some(s.t("worker")), &format!("/api/v1/patrol-plans/{}/coverage", made["id"].as_str().unwrap())).await,
        404,
    )
    .await;

    // the community's map by patrols
    let res =
        app.get(Some(s.t("office")), &format!("/api/v1/communities/{}/map.svg?color_by=patrols", s.r.community)).await;
    assert_eq!(res.status(), 200);
    let svg = res.text().await.unwrap();
    assert!(svg.contains("近30天未巡查") && svg.contains("1–3 次"), "the legend says what the colours are");
}
