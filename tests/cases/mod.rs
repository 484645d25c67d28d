//! Cases end to end: the catalogue, departments and routing, every legal transition of the
//! closed loop and illegal ones in every state, each role refused what it may not do, the
//! idempotent create, duplicates within the radius and not outside it, merging, a point
//! outside every cell, and what each caller sees.

mod catalogue;
mod closed_loop;
mod filing;
mod joint;
mod levels;
mod on_the_spot;
mod revisit;

use std::collections::HashMap;

use gridhub_e2e::*;
use serde_json::{Value, json};

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
