//! Case lists that find: `q` (Chinese two-character words included, `%` and `_` as themselves,
//! Latin letters in either case), `light`, `overdue`, and `sort` with cursors that keep to it.

use chrono::Duration;
use gridhub_e2e::*;
use serde_json::{Value, json};

use super::report;

on_both_backends!(a_search_finds_exactly_the_cases_that_hold_its_words, lists_filter_by_light_and_sort_by_deadline);

/// The titles of the cases `path` lists for `token`, in order.
async fn titles(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    let page = get_ok(app, token, path).await;
    page["items"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn a_search_finds_exactly_the_cases_that_hold_its_words(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    report(app, &s, 0, "雨水井盖缺失", "路口的井盖不见了", "八一大道 12 号").await;
    report(app, &s, 1, "路灯不亮", "夜间一片漆黑", "井冈山大道 3 号").await;
    report(app, &s, 2, "路面积水", "下雨后井盖周边积水严重", "中山路").await;
    report(app, &s, 3, "Broken PIPE", "water leaking", "Riverside Road").await;
    report(app, &s, 4, "完成率 100%_核查", "名称里有百分号和下划线", "民德路").await;
    let office = s.t("office");
    let find = |q: &str| {
        let path = format!("/api/v1/cases?q={}", urlencode(q));
        async move { sorted(titles(app, office, &path).await) }
    };
    assert_eq!(find("井盖").await, ["路面积水", "雨水井盖缺失"], "the title or the description holds 井盖");
    assert_eq!(find("井冈").await, ["路灯不亮"], "the address is searched too");
    assert_eq!(find("井盖 积水").await, ["路面积水"], "every word must be found");
    assert_eq!(find("井盖\u{3000}积水").await, ["路面积水"], "a full-width space parts words too");
    assert_eq!(find("pipe").await, ["Broken PIPE"], "Latin letters in either case");
    assert_eq!(find("%").await, ["完成率 100%_核查"], "% is itself, not a wildcard");
    assert_eq!(find("0%_").await, ["完成率 100%_核查"]);
    assert_eq!(find("_").await, ["完成率 100%_核查"], "_ is itself");
    assert!(find("井盖丢失").await.is_empty());
    // the words search within the caller's reach and the other filters
    assert!(titles(app, s.t("office2"), "/api/v1/cases?q=%E4%BA%95%E7%9B%96").await.is_empty());
    assert_eq!(titles(app, office, "/api/v1/cases?q=%E4%BA%95%E7%9B%96&status=filed").await, Vec::<String>::new());
    for bad in ["", "%20%20", &"x".repeat(101)] {
        let p = problem(app.get(Some(office), &format!("/api/v1/cases?q={bad}")).await, 400).await;
        assert_eq!(fields(&p), ["q"], "{p}");
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn lists_filter_by_light_and_sort_by_deadline(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let office = s.t("office");
    for (i, title) in ["一号", "二号", "三号"].iter().enumerate() {
        report(app, &s, i, title, "见现场照片", "").await;
    }
    // a month on, their filing deadlines have long passed; a new report starts green
    app.advance_clock(Duration::days(30));
    report(app, &s, 3, "四号", "见现场照片", "").await;
    let void = report(app, &s, 4, "五号", "见现场照片", "").await;
    step(app, office, &void, "void", json!({"note": "重复上报"}), "void").await;

    assert_eq!(sorted(titles(app, office, "/api/v1/cases?light=red").await), ["一号", "三号", "二号"]);
    assert_eq!(titles(app, office, "/api/v1/cases?light=green").await, ["四号"]);
    assert!(titles(app, office, "/api/v1/cases?light=yellow").await.is_empty());
    assert_eq!(sorted(titles(app, office, "/api/v1/cases?overdue=true").await), ["一号", "三号", "二号"]);
    // a light is counted on the working calendar, not in SQL: a page of red cases is still full
    assert_eq!(titles(app, office, "/api/v1/cases?light=red&limit=2").await.len(), 2);
    assert_eq!(fields(&problem(app.get(Some(office), "/api/v1/cases?light=blue").await, 400).await), ["light"]);

    // the soonest deadline first, a case with none (void) last
    let by_deadline = titles(app, office, "/api/v1/cases?sort=deadline_at").await;
    assert_eq!(by_deadline, ["一号", "二号", "三号", "四号", "五号"]);
    // newest first by default, and by the time reported
    assert_eq!(titles(app, office, "/api/v1/cases").await, ["五号", "四号", "三号", "二号", "一号"]);
    assert_eq!(titles(app, office, "/api/v1/cases?sort=reported_at").await, ["五号", "四号", "三号", "二号", "一号"]);
    // pages of two follow the order they came from
    for sort in ["deadline_at", "reported_at", "received_at"] {
        let mut seen = Vec::new();
        let mut path = format!("/api/v1/cases?sort={sort}&limit=2");
        loop {
            let page: Value = get_ok(app, office, &path).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/cases?sort={sort}&limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(seen, titles(app, office, &format!("/api/v1/cases?sort={sort}")).await, "{sort}");
    }
    let page = get_ok(app, office, "/api/v1/cases?sort=deadline_at&limit=2").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let p = problem(app.get(Some(office), &format!("/api/v1/cases?sort=reported_at&cursor={cursor}")).await, 400).await;
    assert_eq!(fields(&p), ["cursor"], "a cursor keeps to the order that gave it out");
    assert_eq!(fields(&problem(app.get(Some(office), "/api/v1/cases?sort=title").await, 400).await), ["sort"]);
}
