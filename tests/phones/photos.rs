//! Photos: checked, stored once, shown in scope.

use gridhub_e2e::*;
use serde_json::{Value, json};

use sha2::{Digest, Sha256};

use super::*;

on_both_backends!(photos_are_checked_stored_once_and_shown_in_scope,);

async fn photos_are_checked_stored_once_and_shown_in_scope(backend: Backend) {
    let Some(w) = World::with(backend, |s| s.sync.photo_max_bytes = 1024).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let sha = format!("{:x}", Sha256::digest(PNG));
    let put = |hash: String, ctype: &'static str, bytes: Vec<u8>| {
        app.client
            .put(app.url(&format!("/api/v1/attachments/{hash}")))
            .bearer_auth(s.t("phone1").to_owned())
            .header("content-type", ctype)
            .body(bytes)
            .send()
    };
    let p = problem(put("0".repeat(64), "image/png", PNG.to_vec()).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["sha256"], "the bytes must hash to the path");
    let p = problem(put(sha.clone(), "image/jpeg", PNG.to_vec()).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["Content-Type"]);
    let text = b"hello, not a photo".to_vec();
    let p = problem(put(format!("{:x}", Sha256::digest(&text)), "image/png", text).await.unwrap(), 422).await;
    assert_eq!(fields(&p), ["body"]);
    let big = vec![0xFFu8; 4096];
    problem(put(format!("{:x}", Sha256::digest(&big)), "image/jpeg", big).await.unwrap(), 413).await;
    problem(put("not-a-hash".into(), "image/png", PNG.to_vec()).await.unwrap(), 400).await;
    // the photo arrives before the record that names it; twice
    assert_eq!(put(sha.clone(), "image/png", PNG.to_vec()).await.unwrap().status(), 201);
    assert_eq!(put(sha.clone(), "image/png", PNG.to_vec()).await.unwrap().status(), 200);
    // its uploader may read it back at once; nobody else until a case they can see names it
    assert_eq!(app.get(Some(s.t("phone1")), &format!("/api/v1/attachments/{sha}")).await.status(), 200);
    problem(app.get(Some(s.t("phone2")), &format!("/api/v1/attachments/{sha}")).await, 404).await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let batch = json!({
        "cases": {"created": [report("photo-case-00001", s.inside(0))], "updated": [], "deleted": []},
        "attachments": {"created": [{"id": "photo-00000001", "case_id": "photo-case-00001", "sha256": sha, "mime": "image/png", "size": PNG.len()}], "updated": [], "deleted": []},
    });
    let res = push(app, s.t("phone1"), ts, &batch).await;
    assert_eq!((res.status().as_u16(), json(res).await), (200, json!({})));
    let res = app.get(Some(s.t("phone2")), &format!("/api/v1/attachments/{sha}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let pulled = pull(app, s.t("phone2"), None).await;
    let photo = &pulled["changes"]["attachments"]["created"][0];
    assert_eq!((photo["id"].as_str(), photo["uploaded"].as_bool()), (Some("photo-00000001"), Some(true)));
    // another community's worker does not see it
    problem(app.get(Some(s.t("stranger")), &format!("/api/v1/attachments/{sha}")).await, 404).await;
    // a record may also come first: its photo shows as not uploaded until it arrives
    let jpeg: Vec<u8> = [&[0xFFu8, 0xD8, 0xFF, 0xE0][..], b"rest of a tiny jpeg"].concat();
    let jsha = format!("{:x}", Sha256::digest(&jpeg));
    let ts = pulled["timestamp"].as_i64().unwrap();
    let meta = changes(
        "attachments",
        vec![
            json!({"id": "photo-00000002", "case_id": "photo-case-00001", "sha256": jsha, "mime": "image/jpeg", "size": jpeg.len()}),
        ],
    );
    assert_eq!(push(app, s.t("phone2"), ts, &meta).await.status(), 200);
    let before = pull(app, s.t("phone1"), Some(ts)).await;
    assert_eq!(before["changes"]["attachments"]["created"][0]["uploaded"], false);
    assert_eq!(put(jsha.clone(), "image/jpeg", jpeg).await.unwrap().status(), 201);
    let after = pull(app, s.t("phone1"), Some(before["timestamp"].as_i64().unwrap())).await;
    let changed: Vec<&Value> = after["changes"]["attachments"]["updated"]
        .as_array()
        .unwrap()
        .iter()
        .chain(after["changes"]["attachments"]["created"].as_array().unwrap())
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["uploaded"], true, "the phone learns the photo arrived");
}
