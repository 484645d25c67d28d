//! The office's desk end to end: a scripted month of cases whose figures are counted by hand
//! here (and a district's equal to the sum of its streets', each rate recomputed from its counts,
//! the stored tallies equal to a recount from the timelines); rankings under a versioned
//! assessment scheme; the to-do of each kind of user and the Chinese notifications that come with
//! it; the monthly digest with its minutes, the charts and the maps.

mod digest;
mod figures;
mod todo;

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::{Value, json};

/// The China Standard Time date of a UTC time, `YYYY-MM-DD`.
fn cst(t: chrono::NaiveDateTime) -> String {
    (t + Duration::hours(8)).date().format("%Y-%m-%d").to_string()
}

/// Files a report as `token` at `at` in `category`; its id.
async fn report(app: &TestApp, token: &str, source: &str, title: &str, at: (f64, f64)) -> String {
    let body = json!({"source": source, "category_code": "SJ0502", "title": title, "lng": at.0, "lat": at.1});
    app.create(token, "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned()
}

/// Takes the steps, each (who, action, extra, expected status), in order.
async fn steps(app: &TestApp, s: &Fixture, id: &str, all: &[(&str, &str, Value, &str)]) {
    for (who, action, extra, status) in all {
        step(app, s.t(who), id, action, extra.clone(), status).await;
    }
}

fn note(text: &str) -> Value {
    json!({"note": text})
}

fn dispatch(s: &Fixture, department: &str) -> Value {
    json!({"department_id": s.depts[department]})
}

/// The figures of one unit over `from`–`to`.
async fn figures_of(app: &TestApp, token: &str, unit: &str, id: &str, from: &str, to: &str) -> Value {
    let path = format!("/api/v1/figures?unit={unit}&id={id}&from={from}&to={to}");
    let answer = get_ok(app, token, &path).await;
    assert_eq!(answer["items"].as_array().map(Vec::len), Some(1), "{path}: {answer}");
    answer["items"][0].clone()
}
