//! Residents hear back on WeChat: a subscribe message (订阅消息) when their request is accepted and
//! when a notice of their community reaches them — sent by the outbox worker to a fake WeChat on
//! 127.0.0.1 that checks the access token (and says once that it is stale, so that a fresh one is
//! fetched), the template id and the fields; a resident who has not subscribed (43101) is not
//! tried again.

use std::sync::Mutex;

use diesel::prelude::*;
use gridhub_e2e::*;
use gridhub_store::schema::wechat_messages;
use serde_json::{Value, json};

on_both_backends!(residents_hear_back_on_wechat);

/// What the fake WeChat saw: the tokens it gave out, and each message sent with the token used.
static SEEN: Mutex<(u32, Vec<(String, Value)>)> = Mutex::new((0, Vec::new()));

mod fake {
    use actix_web::{HttpResponse, web};
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::SEEN;

    #[derive(Deserialize)]
    struct TokenQuery {
        grant_type: String,
        appid: String,
        secret: String,
    }

    async fn token(q: web::Query<TokenQuery>) -> HttpResponse {
        if q.grant_type != "client_credential" || q.appid != "wx-test-app" || q.secret != "wx-test-secret" {
            return HttpResponse::Ok().json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
        }
        let mut seen = SEEN.lock().unwrap();
        seen.0 += 1;
        HttpResponse::Ok().json(json!({"access_token": format!("TOKEN-{}", seen.0), "expires_in": 7200}))
    }

    #[derive(Deserialize)]
    struct Session {
        js_code: String,
    }

    async fn session(q: web::Query<Session>) -> HttpResponse {
        HttpResponse::Ok().json(json!({"openid": format!("o-{}", q.js_code), "session_key": "k"}))
    }

    #[derive(Deserialize)]
    struct SendQuery {
        access_token: String,
    }

    async fn send(q: web::Query<SendQuery>, body: web::Json<Value>) -> HttpResponse {
        let mut seen = SEEN.lock().unwrap();
        // the first token WeChat gave is stale by the time of the first message
        if q.access_token != format!("TOKEN-{}", seen.0) || seen.0 < 2 {
            return HttpResponse::Ok().json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
        }
        if body["touser"] == "o-refuser" {
            return HttpResponse::Ok().json(json!({"errcode": 43101, "errmsg": "user refuse to accept the msg"}));
        }
        seen.1.push((q.access_token.clone(), body.into_inner()));
        HttpResponse::Ok().json(json!({"errcode": 0, "errmsg": "ok"}))
    }

    pub fn start() -> String {
        gridhub_e2e::fake_service(|cfg| {
            cfg.route("/cgi-bin/token", web::get().to(token))
                .route("/sns/jscode2session", web::get().to(session))
                .route("/cgi-bin/message/subscribe/send", web::post().to(send));
        })
    }
}

fn sent() -> Vec<(String, Value)> {
    SEEN.lock().unwrap().1.clone()
}

async fn residents_hear_back_on_wechat(backend: Backend) {
    let base = fake::start();
    let Some(w) = World::with(backend, |s| {
        s.wechat.wechat_api_base = base.clone();
        s.wechat.wechat_app_id = Some("wx-test-app".into());
        s.wechat.wechat_app_secret = Some("wx-test-secret".into());
        s.wechat.wechat_template_case_update = Some("TPL-CASE".into());
        s.wechat.wechat_template_notice = Some("TPL-NOTICE".into());
        s.cases.worker_interval_ms = 50;
    })
    .await
    else {
        return;
    };
    let app = &w.app;
    let s = Fixture::new(app, &w.admin).await;
    let login = |code: &'static str| async move {
        let pair = json(app.post(None, "/api/v1/auth/wechat", &json!({"code": code})).await).await;
        pair["access_token"].as_str().unwrap().to_owned()
    };
    let (chen, refuser) = (login("chen").await, login("refuser").await);
    let (lng, lat) = s.inside(0);
    let file = |token: String, title: &'static str| async move {
        let body =
            json!({"source": "resident_request", "category_code": "SJ0502", "title": title, "lng": lng, "lat": lat});
        app.create(&token, "/api/v1/cases", &body).await["id"].as_str().unwrap().to_owned()
    };
    let id = file(chen.clone(), "楼下夜市噪音扰民").await;
    step(app, s.t("office"), &id, "file", json!({"note": "该居民多次投诉"}), "filed").await;
    eventually("the acceptance reaches WeChat", async || !sent().is_empty()).await;
    let (token, msg) = sent()[0].clone();
    assert_eq!(token, "TOKEN-2", "a stale token is fetched anew, once");
    assert_eq!(msg["touser"], "o-chen");
    assert_eq!(msg["template_id"], "TPL-CASE");
    assert_eq!(msg["page"], format!("pages/case/detail?id={id}"));
    assert_eq!(msg["data"]["thing1"]["value"], "楼下夜市噪音扰民");
    assert_eq!(msg["data"]["phrase2"]["value"], "已受理");
    assert_eq!(msg["data"]["thing3"]["value"], "请在小程序中查看详情", "the office's note is its own");
    assert!(msg["data"]["time4"]["value"].as_str().unwrap().len() == "2026-11-28 08:00".len(), "{msg}");

    // a notice to the community reaches its verified residents on WeChat too
    let me = json(
        app.put(Some(&chen), "/api/v1/me/residence", &json!({"community_id": s.r.community, "building": "3栋"})).await,
    )
    .await;
    let verify = format!("/api/v1/residences/{}/verify", me["id"].as_str().unwrap());
    assert_eq!(app.post(Some(s.t("cadre")), &verify, &json!({})).await.status(), 200);
    let notice = json!({"community_id": s.r.community, "title": "停水通知", "body": "周六9:00-17:00因管网检修停水，请提前储水。"});
    app.create(s.t("cadre"), "/api/v1/notices", &notice).await;
    eventually("the notice reaches WeChat", async || sent().len() == 2).await;
    let (_, msg) = sent()[1].clone();
    assert_eq!(
        (msg["template_id"].as_str(), msg["data"]["thing1"]["value"].as_str()),
        (Some("TPL-NOTICE"), Some("停水通知"))
    );
    assert_eq!(
        msg["data"]["thing2"]["value"].as_str().unwrap().chars().count(),
        20,
        "a thing is at most 20 characters"
    );

    // a resident who has not subscribed is not tried again
    let other = file(refuser.clone(), "小区路灯不亮").await;
    step(app, s.t("office"), &other, "file", json!({}), "filed").await;
    let refused = || {
        app.store(|conn| {
            wechat_messages::table
                .filter(wechat_messages::status.eq("refused"))
                .select(wechat_messages::attempts)
                .load::<i32>(conn)
                .unwrap()
        })
    };
    eventually("the refusal is recorded", async || !refused().is_empty()).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(refused(), [1], "tried once, not again");
    assert_eq!(sent().len(), 2);
}
