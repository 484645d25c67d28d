//! Control characters (NUL above all, which PostgreSQL cannot store) are refused the same way
//! on both backends, wherever text comes in: a body's field (422 naming it), a query parameter
//! (400 naming it), an id in a path (404: it names nothing), a phone's record (quarantined, the
//! rest of the push applied).

use gridhub_e2e::*;
use serde_json::json;

on_both_backends!(control_characters_are_refused_alike_everywhere);

async fn control_characters_are_refused_alike_everywhere(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let office = s.t("office");
    // a body's text: login, a report, a note, a nested field
    let p =
        problem(app.post(None, "/api/v1/auth/login", &json!({"username": "ad\u{0}min", "password": "x"})).await, 422)
            .await;
    assert_eq!(fields(&p), ["username"]);
    let (lng, lat) = s.inside(0);
    let report = json!({"source": "hotline", "category_code": "SJ0502", "title": "占道\u{0}", "lng": lng, "lat": lat});
    let p = problem(app.post(Some(office), "/api/v1/cases", &report).await, 422).await;
    assert_eq!(fields(&p), ["title"]);
    let c = app
        .create(
            office,
            "/api/v1/cases",
            &json!({"source": "hotline", "category_code": "SJ0502", "title": "占道", "lng": lng, "lat": lat}),
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let p = problem(act(app, office, id, "file", json!({"note": "立案\u{1b}[31m"})).await, 422).await;
    assert_eq!(fields(&p), ["note"]);
    let p = problem(
        app.post(
            Some(office),
            "/api/v1/users",
            &json!({"username": "u1", "display_name": "张三", "role": "resident", "phone": "138\u{0}"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&p), ["phone"]);
    // tab and line breaks are text
    let fine = act(app, office, id, "file", json!({"note": "第一行\n第二行\t完"})).await;
    assert_eq!(fine.status(), 200);
    // a query: a filter, a cursor, an unknown name with NUL
    for (query, field) in [("status=filed%00", "status"), ("cursor=%00", "cursor"), ("q%00=1", "q\u{0}")] {
        let p = problem(app.get(Some(office), &format!("/api/v1/cases?{query}")).await, 400).await;
        assert_eq!(fields(&p), [field], "{query}");
    }
    // an id in a path names nothing
    for path in ["/api/v1/cases/a%00b", "/api/v1/users/%00", "/api/v1/cells/x%00/assignments", "/api/v1/whistles/%00"] {
        problem(app.get(Some(office), path).await, 404).await;
    }
    // the refresh token itself
    let p = problem(app.post(None, "/api/v1/auth/refresh", &json!({"refresh_token": "abc\u{0}"})).await, 422).await;
    assert_eq!(fields(&p), ["refresh_token"]);
}
