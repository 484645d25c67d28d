//! The sync clock: pulls never skip a change committed by a concurrent push.

use gridhub_e2e::*;

use super::*;

on_both_backends!(concurrent_pushes_and_pulls_miss_nothing,);

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
