//! Regions that would contradict each other are refused, saying how far outside; and the area
//! and coverage of a community with a hole are right, against a computation of their own.

use gridhub_e2e::*;
use serde_json::{Value, json};

on_both_backends!(a_region_lies_within_the_one_above_it, a_community_with_a_hole_has_the_right_area);

async fn a_region_lies_within_the_one_above_it(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let admin = w.admin.as_str();
    let r = regions(app, admin).await;
    // the street gets a boundary around its community (115.89–115.895, 28.676–28.681)
    let street = format!("/api/v1/streets/{}", r.street);
    let res = app.patch(Some(admin), &street, None, &json!({"boundary": square(115.888, 28.674, 0.01)})).await;
    assert_eq!(res.status(), 200, "{}", json(res).await);
    // a street boundary that would leave its community out
    let p =
        problem(app.patch(Some(admin), &street, None, &json!({"boundary": square(115.892, 28.674, 0.01)})).await, 422)
            .await;
    assert_eq!(fields(&p), ["boundary"]);
    assert!(p["detail"].as_str().unwrap().contains("孺子亭社区"), "{p}");
    // a community reaching about 100 m out of its street
    let beyond = json!({"street_id": r.street, "code": "360102001002", "name": "越界社区", "boundary": square(115.897, 28.676, 0.002)});
    let p = problem(app.post(Some(admin), "/api/v1/communities", &beyond).await, 422).await;
    assert_eq!(fields(&p), ["boundary"]);
    let said = p["detail"].as_str().unwrap();
    assert!(said.contains("m outside its street") && said.contains("(at most 5 m is allowed)"), "{said}");
    let metres: f64 = said.split("lies up to ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!((90.0..110.0).contains(&metres), "about 100 m: {said}");
    // a metre of survey noise is not a contradiction
    let (mx, _) = gridhub_geo::measure::metres_per_degree(28.68);
    let noise = json!({"street_id": r.street, "code": "360102001002", "name": "边界社区", "boundary": square(115.896, 28.676, 0.002 + 1.0 / mx)});
    assert_eq!(app.post(Some(admin), "/api/v1/communities", &noise).await.status(), 201);
    // a cell reshaped out of its community
    let cells = generate(app, admin, &r.community).await;
    let cell = format!("/api/v1/cells/{}", cells[0]["id"].as_str().unwrap());
    let p =
        problem(app.patch(Some(admin), &cell, None, &json!({"boundary": square(115.885, 28.676, 0.001)})).await, 422)
            .await;
    assert!(p["detail"].as_str().unwrap().contains("outside its community 孺子亭社区"), "{p}");
    // and a community reshaped away from its cells
    let community = format!("/api/v1/communities/{}", r.community);
    let p = problem(
        app.patch(Some(admin), &community, None, &json!({"boundary": square(115.89, 28.676, 0.003)})).await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("its cell"), "{p}");
}

/// The area of a ring on a plane at its latitude, in m² (a different computation from the
/// server's geodesic one; the two agree to well under 0.1% over a few hundred metres).
fn planar_area(ring: &[(f64, f64)]) -> f64 {
    let (mx, my) = gridhub_geo::measure::metres_per_degree(ring[0].1);
    let twice: f64 = ring.windows(2).map(|w| (w[0].0 * mx) * (w[1].1 * my) - (w[1].0 * mx) * (w[0].1 * my)).sum();
    twice.abs() / 2.0
}

async fn a_community_with_a_hole_has_the_right_area(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let admin = w.admin.as_str();
    let r = regions(app, admin).await;
    // a lake in the middle of the community, its ring wound the same way as the outer one
    let outer = [(115.89, 28.676), (115.895, 28.676), (115.895, 28.681), (115.89, 28.681), (115.89, 28.676)];
    let lake =
        [(115.8915, 28.6775), (115.8935, 28.6775), (115.8935, 28.6795), (115.8915, 28.6795), (115.8915, 28.6775)];
    let ring = |r: &[(f64, f64)]| r.iter().map(|(x, y)| json!([x, y])).collect::<Vec<Value>>();
    let boundary = json!({"type": "Polygon", "coordinates": [ring(&outer), ring(&lake)]});
    let path = format!("/api/v1/communities/{}", r.community);
    let c = json(app.patch(Some(admin), &path, None, &json!({"boundary": boundary})).await).await;
    let expected = planar_area(&outer) - planar_area(&lake);
    let area = c["area_m2"].as_f64().unwrap();
    assert!((area - expected).abs() / expected < 0.001, "{area} against {expected}");
    generate(app, admin, &r.community).await;
    let report = json(app.get(Some(admin), &format!("{path}/coverage")).await).await;
    let community_area = report["community_area_m2"].as_f64().unwrap();
    assert!((community_area - expected).abs() / expected < 0.001, "{report}");
    let ratio = report["coverage_ratio"].as_f64().unwrap();
    assert!(ratio > 0.999, "the generated cells cover the land, not the lake: {report}");
}
