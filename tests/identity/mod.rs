//! Identity and access: accounts managed inside an area, sign-out when an account is disabled
//! or its password changes, lockout and rate limits, WeChat login, the audit log, and the
//! permission matrix — every role against records inside and outside its scope.

mod accounts;
mod matrix;
mod wechat;

use gridhub_e2e::*;
use gridhub_store::regions::department;
use gridhub_store::{Caller, Role};
use serde_json::json;

/// Two districts, each with a street and a community: area 1 is "ours", area 2 "theirs".
struct Area {
    d: [String; 2],
    s: [String; 2],
    c: [String; 2],
    dept: String,
}

async fn area(app: &TestApp, admin: &str) -> Area {
    let mut ids: Vec<[String; 3]> = Vec::new();
    for (dc, sc, cc, lng) in
        [("360102", "360102001", "360102001001", 115.89), ("360103", "360103001", "360103001001", 115.87)]
    {
        let d = app.create(admin, "/api/v1/districts", &json!({"code": dc, "name": format!("区{dc}")})).await;
        let s = app
            .create(admin, "/api/v1/streets", &json!({"district_id": d["id"], "code": sc, "name": format!("街道{sc}")}))
            .await;
        let c = app
            .create(admin, "/api/v1/communities", &json!({"street_id": s["id"], "code": cc, "name": format!("社区{cc}"), "boundary": square(lng, 28.67, 0.005)}))
            .await;
        ids.push([d, s, c].map(|v| v["id"].as_str().unwrap().to_owned()));
    }
    let d1 = ids[0][0].clone();
    let dept = app.store(|conn| {
        department::create(conn, &Caller::system(), department::NewDepartment::government(&d1, "chengguan", "城管局"))
            .unwrap()
            .id
    });
    Area {
        d: [ids[0][0].clone(), ids[1][0].clone()],
        s: [ids[0][1].clone(), ids[1][1].clone()],
        c: [ids[0][2].clone(), ids[1][2].clone()],
        dept,
    }
}

async fn new_user(
    app: &TestApp,
    token: &str,
    username: &str,
    role: &str,
    scope: Option<&str>,
    phone: Option<&str>,
) -> Response {
    let body = json!({"username": username, "password": PASSWORD, "display_name": username, "role": role, "scope_id": scope, "phone": phone});
    app.post(Some(token), "/api/v1/users", &body).await
}

async fn made(res: Response) -> String {
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// A fake WeChat API on 127.0.0.1: the code chooses the answer.
mod fake_wechat {
    use actix_web::{HttpResponse, web};
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Query {
        appid: String,
        secret: String,
        js_code: String,
        grant_type: String,
    }

    async fn jscode2session(q: web::Query<Query>) -> HttpResponse {
        if q.appid != "wx-test-app" || q.secret != "wx-test-secret" || q.grant_type != "authorization_code" {
            return HttpResponse::Ok().body(r#"{"errcode":40013,"errmsg":"invalid appid"}"#);
        }
        let body = match q.js_code.as_str() {
            "good-a" => r#"{"openid":"oA-123","session_key":"SECRET-SESSION-KEY","unionid":"uA-456"}"#,
            "good-a-again" => r#"{"openid":"oA-123","session_key":"SECRET-SESSION-KEY-2"}"#,
            "good-b" => r#"{"openid":"oB-789","session_key":"SECRET-SESSION-KEY-3"}"#,
            "used" => r#"{"errcode":40029,"errmsg":"invalid code"}"#,
            "limited" => r#"{"errcode":45011,"errmsg":"api minute-quota reach limit"}"#,
            "blocked" => r#"{"errcode":40226,"errmsg":"high risk user"}"#,
            "busy" => r#"{"errcode":-1,"errmsg":"system error"}"#,
            "slow" => {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(3)).await;
                r#"{"openid":"late"}"#
            }
            _ => "<html>502 Bad Gateway</html>",
        };
        // WeChat labels its JSON text/plain
        HttpResponse::Ok().content_type("text/plain").body(body)
    }

    /// Starts the fake; returns its base URL. It lives as long as the test process.
    pub fn start() -> String {
        gridhub_e2e::fake_service(|cfg| {
            cfg.route("/sns/jscode2session", web::get().to(jscode2session));
        })
    }
}
