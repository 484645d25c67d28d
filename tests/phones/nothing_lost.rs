//! Nothing a grid worker sends is lost or hidden: a late edit becomes a supplementary note, a
//! phone's photo shows on its case and event, offline times are kept, an uploader reads back a
//! photo and orphans are forgotten, and a report is judged by the same rules whichever way it came.

use chrono::{Duration, SubsecRound};
use gridhub_e2e::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;

on_both_backends!(
    a_late_edit_is_kept_as_a_supplementary_note,
    photos_from_phones_show_on_the_case_and_its_event,
    offline_times_are_kept_apart_from_when_they_arrived,
    an_uploader_reads_back_and_orphans_are_forgotten,
    the_api_and_phones_apply_the_same_rules_to_a_report,
);

/// A case's timeline.
async fn timeline(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    get_ok(app, token, &format!("/api/v1/cases/{id}/events")).await["items"].as_array().unwrap().clone()
}

fn of_action<'a>(events: &'a [Value], action: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["action"] == action).collect()
}

fn ms(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

async fn a_late_edit_is_kept_as_a_supplementary_note(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let mut record = report("late-edit-000001", s.inside(0));
    record["reported_at"] = json!(ms(app.now() - Duration::hours(1)));
    assert_eq!(push(app, s.t("phone1"), ts, &changes("cases", vec![record.clone()])).await.status(), 200);
    let ts = pull(app, s.t("phone1"), Some(ts)).await["timestamp"].as_i64().unwrap();

    // while the case waits to be filed, the reporter's edit is applied
    record["description"] = json!("人行道 三楼");
    record["_status"] = json!("updated");
    let edit = json!({"cases": {"created": [], "updated": [record.clone()], "deleted": []}});
    assert_eq!(push(app, s.t("phone1"), ts, &edit).await.status(), 200);
    let case = get_ok(app, s.t("office"), "/api/v1/cases/late-edit-000001").await;
    assert_eq!(case["description"], "人行道 三楼");
    assert_eq!(of_action(&timeline(app, s.t("office"), "late-edit-000001").await, "correct").len(), 1);

    // the office files it; the phone, offline, adds the floor's side, raises the priority and
    // moves the pin 30 m east; it pulls (no conflict left) and pushes
    step(app, s.t("office"), "late-edit-000001", "file", json!({}), "filed").await;
    let pulled = pull(app, s.t("phone1"), Some(ts)).await;
    let ts = pulled["timestamp"].as_i64().unwrap();
    let edited_at = app.now() - Duration::minutes(10);
    record["description"] = json!("人行道 三楼 东侧");
    record["priority"] = json!("high");
    record["lng"] = json!(s.inside(0).0 + 0.0003);
    record["updated_at"] = json!(ms(edited_at));
    let edit = json!({"cases": {"created": [], "updated": [record.clone()], "deleted": []}});
    let res = push(app, s.t("phone1"), ts, &edit).await;
    assert_eq!((res.status().as_u16(), json(res).await), (200, json!({})), "nothing refused");
    // the case keeps the office's record; the worker's words are on the timeline
    let case = get_ok(app, s.t("office"), "/api/v1/cases/late-edit-000001").await;
    assert_eq!((case["description"].as_str(), case["priority"].as_str()), (Some("人行道 三楼"), Some("normal")));
    let events = timeline(app, s.t("office"), "late-edit-000001").await;
    let notes = of_action(&events, "supplement");
    assert_eq!(notes.len(), 1, "{events:?}");
    let note = notes[0];
    let words = note["note"].as_str().unwrap();
    for said in ["补充说明", "东侧", "紧急程度：高", "位置", "已立案"] {
        assert!(words.contains(said), "{said} is in the note: {words}");
    }
    assert_eq!(note["actor_id"], s.id("phone1"));
    assert!(note["actor_name"].is_string());
    assert_eq!(utc(note["occurred_at"].as_str().unwrap()), edited_at.trunc_subsecs(3), "the phone's time");
    assert!(utc(note["recorded_at"].as_str().unwrap()) > edited_at);
    assert_eq!(utc(note["data"]["phone_time"].as_str().unwrap()), edited_at.trunc_subsecs(3));
    let changed: Vec<&str> =
        note["data"]["changes"].as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>();
    assert_eq!(changed, ["description", "point", "priority"]);

    // the phone pulls the server's record back, with the note
    let back = pull(app, s.t("phone1"), Some(ts)).await;
    let case = back["changes"]["cases"]["updated"].as_array().unwrap().iter().find(|c| c["id"] == "late-edit-000001");
    assert_eq!(case.expect("the case comes back")["description"], "人行道 三楼");
    let pulled_notes: Vec<&Value> = back["changes"]["case_events"]["created"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "supplement")
        .collect();
    assert_eq!(pulled_notes.len(), 1);
    assert_eq!(pulled_notes[0]["note"], words);

    // the same words again (a retry after a lost answer) leave one note
    let again = push(app, s.t("phone1"), back["timestamp"].as_i64().unwrap(), &edit).await;
    assert_eq!(again.status(), 200);
    assert_eq!(of_action(&timeline(app, s.t("office"), "late-edit-000001").await, "supplement").len(), 1);
    // the street office itself may still correct the filed case
    let res = app
        .patch(Some(s.t("office")), "/api/v1/cases/late-edit-000001", None, &json!({"description": "人行道 三楼 东侧"}))
        .await;
    assert_eq!(res.status(), 200, "{}", json(res).await);
}

async fn photos_from_phones_show_on_the_case_and_its_event(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let sha = format!("{:x}", Sha256::digest(PNG));
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    // the record first (taken offline), the bytes later
    let batch = json!({
        "cases": {"created": [report("photo-case-00009", s.inside(0))], "updated": [], "deleted": []},
        "attachments": {"created": [{"id": "photo-rec-000009", "case_id": "photo-case-00009", "sha256": sha, "mime": "image/png", "size": PNG.len()}], "updated": [], "deleted": []},
    });
    assert_eq!(push(app, s.t("phone1"), ts, &batch).await.status(), 200);
    let case = get_ok(app, s.t("office"), "/api/v1/cases/photo-case-00009").await;
    let photos = case["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 1, "{case}");
    assert_eq!((photos[0]["id"].as_str(), photos[0]["uploaded"].as_bool()), (Some("photo-rec-000009"), Some(false)));
    let events = timeline(app, s.t("office"), "photo-case-00009").await;
    let reported = of_action(&events, "report");
    assert_eq!(reported.len(), 1);
    assert_eq!(photos[0]["event_id"], reported[0]["id"], "the photo belongs to the report");
    assert_eq!(reported[0]["photos"][0]["id"], "photo-rec-000009");
    // the bytes arrive; the office sees and fetches the photo
    let res = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{sha}")))
        .bearer_auth(s.t("phone1"))
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let case = get_ok(app, s.t("office"), "/api/v1/cases/photo-case-00009").await;
    assert_eq!(case["photos"][0]["uploaded"], true);
    let res = app.get(Some(s.t("office")), case["photos"][0]["url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // through the API: the office files; a department handles with a photo it uploaded
    step(app, s.t("office"), "photo-case-00009", "file", json!({}), "filed").await;
    let dept = s.depts["chengguan"].clone();
    step(app, s.t("office"), "photo-case-00009", "dispatch", json!({"department_id": dept}), "dispatched").await;
    step(app, s.t("chengguan"), "photo-case-00009", "accept", json!({}), "accepted").await;
    let after: Vec<u8> = [PNG, b"after"].concat();
    let after_sha = format!("{:x}", Sha256::digest(&after));
    let res = app
        .client
        .put(app.url(&format!("/api/v1/attachments/{after_sha}")))
        .bearer_auth(s.t("chengguan"))
        .header("content-type", "image/png")
        .body(after.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let extra = json!({"note": "已清理", "attachments": [after_sha]});
    step(app, s.t("chengguan"), "photo-case-00009", "handle", extra, "handled").await;
    let case = get_ok(app, s.t("office"), "/api/v1/cases/photo-case-00009").await;
    let shas: Vec<&str> = case["photos"].as_array().unwrap().iter().map(|p| p["sha256"].as_str().unwrap()).collect();
    assert_eq!(shas, [sha.as_str(), after_sha.as_str()]);
    let events = timeline(app, s.t("office"), "photo-case-00009").await;
    let handled = of_action(&events, "handle");
    assert_eq!(handled[0]["photos"][0]["sha256"], after_sha.as_str());
    assert_eq!(handled[0]["photos"][0]["uploaded"], true);
    // the grid worker who verifies sees the department's photo, on the phone too
    let res = app.get(Some(s.t("phone2")), &format!("/api/v1/attachments/{after_sha}")).await;
    assert_eq!(res.status(), 200);
    let pulled = pull(app, s.t("phone2"), None).await;
    let shas: HashSet<&str> = pulled["changes"]["attachments"]["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sha256"].as_str().unwrap())
        .collect();
    assert!(shas.contains(after_sha.as_str()), "{shas:?}");
}

async fn offline_times_are_kept_apart_from_when_they_arrived(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let c = app
        .create(
            s.t("office"),
            "/api/v1/cases",
            &json!({"source": "hotline", "category_code": "SJ0502", "title": "占道", "lng": s.inside(0).0, "lat": s.inside(0).1}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    step(app, s.t("office"), &id, "file", json!({}), "filed").await;
    step(app, s.t("office"), &id, "dispatch", json!({"department_id": s.depts["chengguan"]}), "dispatched").await;
    step(app, s.t("chengguan"), &id, "accept", json!({}), "accepted").await;
    step(app, s.t("chengguan"), &id, "handle", json!({"note": "已清理"}), "handled").await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    // the worker checks at 08:06 (nine minutes ago) and the phone syncs at 08:15
    app.advance_clock(Duration::minutes(15));
    let checked = app.now() - Duration::minutes(9);
    let event = |eid: &str, action: &str, at: i64| json!({"id": eid, "case_id": id, "action": action, "note": "现场核查", "lng": s.inside(0).0, "lat": s.inside(0).1, "created_at": at});
    let batch = changes(
        "case_events",
        vec![
            event("t-note-00000001", "note", ms(checked) - 60_000),
            event("t-verify-000001", "verify_pass", ms(checked)),
            // a phone whose clock runs an hour ahead, and one from before the case existed
            event("t-note-00000002", "note", ms(app.now() + Duration::hours(1))),
            event("t-note-00000003", "note", ms(app.now() - Duration::days(3))),
        ],
    );
    let sent = app.now();
    assert_eq!(push(app, s.t("phone1"), ts, &batch).await.status(), 200);
    let received = app.now();
    let events = timeline(app, s.t("office"), &id).await;
    let by_id = |eid: &str| events.iter().find(|e| e["id"] == eid).unwrap_or_else(|| panic!("{eid}")).clone();
    let verify = by_id("t-verify-000001");
    assert_eq!(utc(verify["occurred_at"].as_str().unwrap()), checked.trunc_subsecs(3), "when it happened");
    let recorded = utc(verify["recorded_at"].as_str().unwrap());
    assert!(sent.trunc_subsecs(3) <= recorded && recorded <= received, "when it arrived: {recorded}");
    assert_eq!(verify["result"], "applied");
    let early = by_id("t-note-00000001");
    assert_eq!(utc(early["occurred_at"].as_str().unwrap()), (checked - Duration::minutes(1)).trunc_subsecs(3));
    for implausible in ["t-note-00000002", "t-note-00000003"] {
        let e = by_id(implausible);
        let occurred = utc(e["occurred_at"].as_str().unwrap());
        assert_eq!(occurred, utc(e["recorded_at"].as_str().unwrap()), "{implausible}: the server's time stands");
        assert!(e["data"]["phone_time"].is_string(), "{implausible}: the phone's claim is kept");
    }
    // the timeline is in the order things happened: the verification before the two late notes
    let order: Vec<&str> = events.iter().filter_map(|e| e["id"].as_str()).filter(|i| i.starts_with("t-")).collect();
    assert_eq!(order, ["t-note-00000001", "t-verify-000001", "t-note-00000002", "t-note-00000003"]);
    // the case closed when the worker checked, not when the phone synced
    let case = get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["status"], "closed");
    // the phone pulls its own event back with the phone's time
    let back = pull(app, s.t("phone1"), Some(ts)).await;
    let mine = back["changes"]["case_events"]["updated"].as_array().unwrap();
    let verify = mine.iter().find(|e| e["id"] == "t-verify-000001").unwrap();
    assert_eq!(verify["created_at"], ms(checked));
}

async fn an_uploader_reads_back_and_orphans_are_forgotten(backend: Backend) {
    let Some(w) = World::with(backend, |s| {
        s.sync.photo_retention_days = 1;
        s.cases.worker_interval_ms = 50;
    })
    .await
    else {
        return;
    };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let put = |who: &'static str, bytes: Vec<u8>| {
        let sha = format!("{:x}", Sha256::digest(&bytes));
        let req = app
            .client
            .put(app.url(&format!("/api/v1/attachments/{sha}")))
            .bearer_auth(s.t(who).to_owned())
            .header("content-type", "image/png")
            .body(bytes);
        async move { (sha, req.send().await.unwrap().status().as_u16()) }
    };
    let file = |sha: &str| app.settings.server.data_dir.join("photos").join(&sha[..2]).join(sha);
    // a resident's photo nothing names yet: they read it back, nobody else does
    let (orphan, status) = put("resident", [PNG, b"orphan"].concat()).await;
    assert_eq!(status, 201);
    assert_eq!(app.get(Some(s.t("resident")), &format!("/api/v1/attachments/{orphan}")).await.status(), 200);
    problem(app.get(Some(s.t("office")), &format!("/api/v1/attachments/{orphan}")).await, 404).await;
    // a worker's photo that a report names
    let (kept, status) = put("phone1", [PNG, b"kept"].concat()).await;
    assert_eq!(status, 201);
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let batch = json!({
        "cases": {"created": [report("kept-photo-00001", s.inside(0))], "updated": [], "deleted": []},
        "attachments": {"created": [{"id": "kept-photo-rec01", "case_id": "kept-photo-00001", "sha256": kept, "mime": "image/png", "size": PNG.len() + 4}], "updated": [], "deleted": []},
    });
    assert_eq!(push(app, s.t("phone1"), ts, &batch).await.status(), 200);
    assert!(file(&orphan).exists() && file(&kept).exists());
    // a day later the orphan is gone, bytes and all; the named photo stays
    app.advance_clock(Duration::hours(25));
    eventually("the orphan is removed", async || !file(&orphan).exists()).await;
    problem(app.get(Some(s.t("resident")), &format!("/api/v1/attachments/{orphan}")).await, 404).await;
    assert!(file(&kept).exists());
    assert_eq!(app.get(Some(s.t("office")), &format!("/api/v1/attachments/{kept}")).await.status(), 200);
    // uploading it again brings it back
    assert_eq!(put("resident", [PNG, b"orphan"].concat()).await.1, 201);
}

async fn the_api_and_phones_apply_the_same_rules_to_a_report(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let (lng, lat) = s.inside(0);
    let long = |n: usize| "长".repeat(n);
    let cases: Vec<(&str, Value)> = vec![
        ("title", json!({"title": long(101)})),
        ("address", json!({"address": long(201)})),
        ("description", json!({"description": long(2001)})),
        ("priority", json!({"priority": "very"})),
        ("title", json!({"title": "占道\u{0}经营"})),
        ("description", json!({"description": "三楼\u{7}"})),
    ];
    for (k, (field, bad)) in cases.into_iter().enumerate() {
        let mut body =
            json!({"source": "field_report", "category_code": "SJ0502", "title": "占道", "lng": lng, "lat": lat});
        body.as_object_mut().unwrap().extend(bad.as_object().unwrap().clone());
        // through the API: refused, naming the field
        let p = problem(app.post(Some(s.t("phone1")), "/api/v1/cases", &body).await, 422).await;
        assert_eq!(fields(&p), [field], "{p}");
        let said = format!("{}: {}", field, p["errors"][0]["detail"].as_str().unwrap());
        // through sync: quarantined with the same words, the rest of the push applied
        let id = format!("same-rules-{k:05}");
        let good = format!("same-good-{k:06}");
        let mut record = report(&id, (lng, lat));
        record.as_object_mut().unwrap().extend(bad.as_object().unwrap().clone());
        let res = push(app, s.t("phone1"), ts, &changes("cases", vec![record, report(&good, (lng, lat))])).await;
        assert_eq!(res.status(), 200);
        assert_eq!(json(res).await["experimentalRejectedIds"], json!({"cases": [id]}));
        get_ok(app, s.t("office"), &format!("/api/v1/cases/{good}")).await;
        problem(app.get(Some(s.t("office")), &format!("/api/v1/cases/{id}")).await, 404).await;
        let q = get_ok(app, s.t("office"), "/api/v1/sync/quarantine?limit=100").await;
        let kept = q["items"].as_array().unwrap().iter().find(|r| r["record_id"] == id.as_str()).expect("quarantined");
        assert_eq!(kept["reason"], said.as_str(), "the same words");
        assert_eq!(kept["raw"]["id"], id.as_str(), "the record as sent");
    }
    // an edit is judged as a correction through the API is: the same limit, the same words
    let c = app
        .create(
            s.t("phone1"),
            "/api/v1/cases",
            &json!({"source": "field_report", "category_code": "SJ0502", "title": "占道", "lng": lng, "lat": lat}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let p = problem(
        app.patch(Some(s.t("phone1")), &format!("/api/v1/cases/{id}"), None, &json!({"title": long(101)})).await,
        422,
    )
    .await;
    let said = format!("title: {}", p["errors"][0]["detail"].as_str().unwrap());
    let ts = pull(app, s.t("phone1"), None).await["timestamp"].as_i64().unwrap();
    let mut edit = report(&id, (lng, lat));
    edit["title"] = json!(long(101));
    edit["_status"] = json!("updated");
    let res = push(app, s.t("phone1"), ts, &json!({"cases": {"created": [], "updated": [edit], "deleted": []}})).await;
    assert_eq!(json(res).await["experimentalRejectedIds"], json!({"cases": [id]}));
    let q = get_ok(app, s.t("office"), "/api/v1/sync/quarantine?limit=100").await;
    let kept = q["items"].as_array().unwrap().iter().find(|r| r["record_id"] == id.as_str()).expect("quarantined");
    assert_eq!(kept["reason"], said.as_str());
    assert_eq!(get_ok(app, s.t("office"), &format!("/api/v1/cases/{id}")).await["title"], "占道", "nothing cut");
}
