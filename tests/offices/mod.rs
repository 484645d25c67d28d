//! Working the way offices work, end to end: case lists that search, filter by light and sort;
//! the same selection (and the figures, rankings, staffing and audit log) exported as CSV that
//! Excel opens and as XLSX read back with calamine; assignment sheets as Excel saves them (GBK
//! CSV with Chinese headers and duty names, XLSX); problems in Chinese by default and English on
//! request; the contract served with its reference page; the consultation day (基层会商日) from
//! stuck problems to supervised decisions.

mod consultation;
mod exports;
mod language;
mod search;
mod sheets;

use gridhub_e2e::*;
use serde_json::json;

/// Files a field report as the grid worker in cell `i` of 孺子亭社区; its id.
async fn report(app: &TestApp, s: &Fixture, i: usize, title: &str, description: &str, address: &str) -> String {
    let (lng, lat) = s.inside(i);
    let body = json!({"source": "field_report", "category_code": "BJ0103", "title": title,
        "description": description, "address": address, "lng": lng, "lat": lat});
    app.create(s.t("worker"), "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned()
}

/// GETs `path` as `token` as a browser in China would (no `Accept-Language: en`, unlike the
/// suite's client), asking for `accept`; the answer.
async fn get_as(app: &TestApp, token: &str, path: &str, accept: &str) -> Response {
    reqwest::Client::new().get(app.url(path)).bearer_auth(token).header("accept", accept).send().await.unwrap()
}
