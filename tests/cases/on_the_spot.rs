//! 随手办: a grid worker who fixes a minor problem on the spot closes it from the report in one
//! step, with a photo before and after, in the categories the catalogue marks; counted as 就地解决,
//! and the street may still reopen it.

use gridhub_e2e::*;
use serde_json::json;

use super::*;

on_both_backends!(a_grid_worker_fixes_a_minor_problem_on_the_spot,);

async fn a_grid_worker_fixes_a_minor_problem_on_the_spot(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let photos = json!(["before-0001.jpg", "after-0001.jpg"]);
    let fix = |photos: serde_json::Value| json!({"note": "现场清理完毕", "attachments": photos});

    // exposed rubbish (SJ0102) is on the catalogue's list; a broken manhole cover (BJ0101) is not
    let cat = get_ok(app, s.t("office"), "/api/v1/categories/SJ0102").await;
    assert_eq!(cat["on_the_spot"], true);
    let cover = file(app, s.t("worker"), &report("BJ0101", s.inside(0))).await["id"].as_str().unwrap().to_owned();
    let p = problem(act(app, s.t("worker"), &cover, "self_handle", fix(photos.clone())).await, 409).await;
    assert!(p["detail"].as_str().unwrap().contains("not fixed on the spot"), "{p}");

    let rubbish = file(app, s.t("worker"), &report("SJ0102", s.inside(0))).await["id"].as_str().unwrap().to_owned();
    let before = get_case(app, s.t("worker"), &rubbish).await;
    assert!(before["allowed_actions"].as_array().unwrap().iter().any(|a| a == "self_handle"));
    let p = problem(act(app, s.t("worker"), &rubbish, "self_handle", fix(json!(["only-after.jpg"]))).await, 422).await;
    assert_eq!(fields(&p), ["attachments"], "a photo before and one after");
    let c = step(app, s.t("worker"), &rubbish, "self_handle", fix(photos), "closed").await;
    assert!(c["closed_at"].is_string());

    // it counts as filed and settled on the spot
    let today = gridhub_store::time::local_date(app.now());
    let f = get_ok(app, s.t("office"), &format!("/api/v1/figures?unit=street&from={today}&to={today}")).await;
    let street = f["items"].as_array().unwrap().iter().find(|u| u["id"] == s.r.street.as_str()).unwrap();
    assert_eq!((street["counts"]["filed"].as_i64(), street["counts"]["self_handled"].as_i64()), (Some(1), Some(1)));

    // the street office can still reopen it
    step(app, s.t("office"), &rubbish, "reopen", note("复查发现又有垃圾堆放"), "filed").await;
}
