//! WeChat mini-program login: the phone's `wx.login()` code is traded for the user's `openid`
//! with WeChat's `jscode2session`. The `session_key` WeChat returns is never stored or passed
//! on. WeChat's failures become clear problems: an invalid code 401, rate limited 429, a
//! blocked user 403; busy, slow, unreachable or nonsense answers 502/503 with `Retry-After`.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde::Deserialize;

use super::limits::too_many;
use crate::config::Settings;
use crate::error::ApiError;

pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    app_id: String,
    app_secret: String,
}

/// Who WeChat says logged in.
#[derive(Debug)]
pub struct WechatIdentity {
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    openid: Option<String>,
    unionid: Option<String>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

fn unavailable(status: StatusCode, detail: String) -> ApiError {
    let mut e = ApiError::new(status, "wechat-unavailable", detail);
    e.retry_after = Some(5);
    e
}

impl WechatClient {
    /// `None` when no app id and secret are configured (WeChat login is then off).
    pub fn from_settings(settings: &Settings) -> Result<Option<Self>, String> {
        let (Some(app_id), Some(app_secret)) = (&settings.wechat.wechat_app_id, &settings.wechat.wechat_app_secret)
        else {
            return Ok(None);
        };
        crate::tls::install();
        let timeout = Duration::from_millis(settings.wechat.wechat_timeout_ms);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the WeChat client: {e}"))?;
        Ok(Some(Self {
            http,
            base: settings.wechat.wechat_api_base.trim_end_matches('/').to_owned(),
            app_id: app_id.clone(),
            app_secret: app_secret.expose().to_owned(),
        }))
    }

    pub async fn code_to_session(&self, code: &str) -> Result<WechatIdentity, ApiError> {
        let url = format!("{}/sns/jscode2session", self.base);
        let query = [
            ("appid", self.app_id.as_str()),
            ("secret", self.app_secret.as_str()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ];
        let res = self.http.get(&url).query(&query).send().await.map_err(|e| {
            tracing::warn!(error = %e, "WeChat unreachable");
            let what = if e.is_timeout() { "did not answer in time" } else { "could not be reached" };
            unavailable(StatusCode::SERVICE_UNAVAILABLE, format!("WeChat {what}; try again shortly"))
        })?;
        // WeChat answers JSON, often labelled text/plain; read the text and parse it ourselves
        let status = res.status();
        let text =
            res.text().await.map_err(|_| unavailable(StatusCode::BAD_GATEWAY, "WeChat's answer was cut off".into()))?;
        let answer: Answer = serde_json::from_str(&text).map_err(|_| {
            tracing::warn!(%status, body = %text.chars().take(200).collect::<String>(), "WeChat answered nonsense");
            unavailable(StatusCode::BAD_GATEWAY, "WeChat gave an answer that could not be read".into())
        })?;
        match (answer.errcode, answer.openid) {
            (0, Some(openid)) if !openid.is_empty() => Ok(WechatIdentity { openid, unionid: answer.unionid }),
            (0, _) => Err(unavailable(StatusCode::BAD_GATEWAY, "WeChat's answer named no user".into())),
            (40029 | 40163, _) => {
                Err(ApiError::unauthorized("the WeChat login code is invalid or already used; call wx.login() again"))
            }
            (45011, _) => Err(too_many(60, "WeChat is limiting logins from this mini-program; wait a minute")),
            (40226, _) => {
                Err(ApiError::new(StatusCode::FORBIDDEN, "wechat-blocked", "WeChat reports this user as blocked"))
            }
            (-1, _) => Err(unavailable(StatusCode::SERVICE_UNAVAILABLE, "WeChat is busy; try again shortly".into())),
            (code, _) => {
                tracing::warn!(errcode = code, errmsg = %answer.errmsg, "WeChat refused");
                Err(unavailable(StatusCode::BAD_GATEWAY, format!("WeChat refused the login (error {code})")))
            }
        }
    }
}
