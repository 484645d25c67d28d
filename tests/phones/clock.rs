//! The sync clock: pulls never skip a change committed by a concurrent push — under load, and
//! in the one window that would lose a change if stamps were not taken one at a time.

use std::time::Duration;

use diesel::RunQueryDsl;
use gridhub_e2e::*;

use super::*;

on_both_backends!(concurrent_pushes_and_pulls_miss_nothing, a_pull_never_skips_a_slow_stamp);

/// Two pushes take their stamps while a phone pulls between their commits. The sync clock is
/// set far ahead of the wall clock, so every stamp is the last one plus one, and every tick
/// pauses with its transaction open: were the second push to read the clock before the first
/// committed (no lock on PostgreSQL's advisory key, or SQLite's write lock), both would carry
/// the same stamp, the puller would be told that stamp after the first commit, and the second
/// change would never reach it.
async fn a_pull_never_skips_a_slow_stamp(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let ahead = chrono::Utc::now().timestamp_millis() + 10 * 86_400_000;
    let moved = app.store(|conn| {
        let sql = diesel::sql_query(format!("UPDATE sync_clock SET last_ms = {ahead}"));
        match conn {
            gridhub_store::DbConn::Sqlite(c) => sql.execute(c),
            gridhub_store::DbConn::Pg(c) => sql.execute(c),
        }
    });
    assert_eq!(moved, Ok(1), "the clock moves ahead");
    let start = pull(app, s.t("phone4"), None).await["timestamp"].as_i64().unwrap();
    assert_eq!(start, ahead);
    app.pause_ticks(300);
    let first = async {
        let res =
            push(app, s.t("phone1"), start, &changes("cases", vec![report("slow-stamp-00001", s.inside(0))])).await;
        assert_eq!(res.status(), 200);
    };
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let res =
            push(app, s.t("phone2"), start, &changes("cases", vec![report("slow-stamp-00002", s.inside(1))])).await;
        assert_eq!(res.status(), 200);
    };
    let watching = async {
        let (mut seen, mut last) = (HashSet::new(), start);
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let p = pull(app, s.t("phone4"), Some(last)).await;
            seen.extend(ids(&p, "cases", "created"));
            last = p["timestamp"].as_i64().unwrap();
        }
        (seen, last)
    };
    let ((), (), (mut seen, last)) = tokio::join!(first, second, watching);
    app.pause_ticks(0);
    seen.extend(ids(&pull(app, s.t("phone4"), Some(last)).await, "cases", "created"));
    assert_eq!(seen, set(&["slow-stamp-00001", "slow-stamp-00002"]), "the watching phone got both reports");
}

async fn concurrent_pushes_and_pulls_miss_nothing(backend: Backend) {
    let Some(w) = World::new(backend).await else { return };
    let app = &w.app;
    let s = setup(app, &w.admin).await;
    let pushers = ["phone1", "phone2", "phone3"];
    let start = pull(app, s.t("phone4"), None).await["timestamp"].as_i64().unwrap();
    let pushing = futures_util::future::join_all(pushers.iter().enumerate().map(|(p, who)| {
        let s = &s;
        async move {
            let mut last = pull(app, s.t(who), None).await["timestamp"].as_i64().unwrap();
            let mut made = Vec::new();
            for batch in 0..8 {
                let records: Vec<Value> =
                    (0..3).map(|k| report(&format!("c{p}-{batch}-{k}-00000"), s.inside(k % 2))).collect();
                made.extend(records.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
                let res = push(app, s.t(who), last, &changes("cases", records)).await;
                assert_eq!(res.status(), 200);
                last = pull(app, s.t(who), Some(last)).await["timestamp"].as_i64().unwrap();
            }
            made
        }
    }));
    // a fourth phone pulls over and over while they push
    let watching = async {
        let mut seen = HashSet::new();
        let mut last = start;
        for _ in 0..40 {
            let p = pull(app, s.t("phone4"), Some(last)).await;
            seen.extend(ids(&p, "cases", "created"));
            seen.extend(ids(&p, "cases", "updated"));
            last = p["timestamp"].as_i64().unwrap();
        }
        (seen, last)
    };
    let (made, (mut seen, last)) = tokio::join!(pushing, watching);
    let p = pull(app, s.t("phone4"), Some(last)).await;
    seen.extend(ids(&p, "cases", "created"));
    let all: HashSet<String> = made.into_iter().flatten().collect();
    assert_eq!(all.len(), 72);
    let missed: Vec<&String> = all.difference(&seen).collect();
    assert!(missed.is_empty(), "the watching phone never saw {missed:?}");
}
