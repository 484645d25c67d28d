//! WeChat subscribe messages (订阅消息) to residents: the sender the workers use. The access token
//! is fetched with the mini-program's id and secret (`/cgi-bin/token`) and kept until shortly
//! before it expires; when WeChat says it is stale (40001, 42001) it is fetched anew and the
//! message sent once more. A resident who has not subscribed (43101) is not tried again; a kind
//! with no template configured is not sent (said once in the log).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gridhub_store::notify::wechat::{Due, Sent};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Settings;

pub struct WechatSender {
    http: reqwest::Client,
    base: String,
    app: Option<(String, String)>,
    case_update: Option<String>,
    notice: Option<String>,
    token: tokio::sync::Mutex<Option<(String, Instant)>>,
    said_unconfigured: [AtomicBool; 2],
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// What one call to send came to.
enum Call {
    Sent,
    StaleToken,
    Failed(String),
    Refused(String),
}

impl WechatSender {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let w = &settings.wechat;
        let timeout = Duration::from_millis(w.wechat_timeout_ms);
        crate::tls::install();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the WeChat client: {e}"))?;
        let app = match (&w.wechat_app_id, &w.wechat_app_secret) {
            (Some(id), Some(secret)) => Some((id.clone(), secret.expose().to_owned())),
            _ => None,
        };
        Ok(Self {
            http,
            base: w.wechat_api_base.trim_end_matches('/').to_owned(),
            app,
            case_update: w.wechat_template_case_update.clone(),
            notice: w.wechat_template_notice.clone(),
            token: tokio::sync::Mutex::new(None),
            said_unconfigured: [AtomicBool::new(false), AtomicBool::new(false)],
        })
    }

    /// The access token: the one kept, or (`fresh`, or none kept, or expiring) a new one.
    async fn token(&self, fresh: bool) -> Result<String, String> {
        let Some((id, secret)) = &self.app else { return Err("WeChat is not configured".into()) };
        let mut kept = self.token.lock().await;
        if let Some((token, until)) = kept.as_ref()
            && !fresh
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let url = format!("{}/cgi-bin/token", self.base);
        let query = [("grant_type", "client_credential"), ("appid", id.as_str()), ("secret", secret.as_str())];
        let text = self
            .http
            .get(&url)
            .query(&query)
            .send()
            .await
            .map_err(|e| format!("WeChat's token could not be fetched: {e}"))?
            .text()
            .await
            .map_err(|e| format!("WeChat's token could not be read: {e}"))?;
        let a: Answer =
            serde_json::from_str(&text).map_err(|_| format!("WeChat's token answer is not JSON: {text}"))?;
        match a.access_token {
            Some(token) if a.errcode == 0 => {
                // kept until five minutes before WeChat lets it go
                let life = Duration::from_secs(a.expires_in.unwrap_or(7200).saturating_sub(300).max(60));
                *kept = Some((token.clone(), Instant::now() + life));
                Ok(token)
            }
            _ => Err(format!("WeChat gave no token: {} {}", a.errcode, a.errmsg)),
        }
    }

    async fn call(&self, token: &str, body: &Value) -> Call {
        let url = format!("{}/cgi-bin/message/subscribe/send", self.base);
        let res = self.http.post(&url).query(&[("access_token", token)]).json(body).send().await;
        let text = match res {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => return Call::Failed(format!("WeChat could not be reached: {e}")),
        };
        match serde_json::from_str::<Answer>(&text) {
            Ok(a) if a.errcode == 0 => Call::Sent,
            Ok(a) if a.errcode == 40001 || a.errcode == 42001 => Call::StaleToken,
            Ok(a) if a.errcode == 43101 => Call::Refused(format!("the resident has not subscribed: {}", a.errmsg)),
            Ok(a) => Call::Failed(format!("WeChat answered {} {}", a.errcode, a.errmsg)),
            Err(_) => Call::Failed(format!("WeChat's answer is not JSON: {text}")),
        }
    }

    /// Sends one message; what it came to (the worker decides when a failure is tried again).
    pub async fn send(&self, due: &Due) -> Result<Sent, String> {
        let (template, which) = match due.message.template.as_str() {
            "case_update" => (&self.case_update, 0),
            _ => (&self.notice, 1),
        };
        let Some(template_id) = template else {
            if !self.said_unconfigured[which].swap(true, Ordering::Relaxed) {
                tracing::info!(kind = %due.message.template, "no WeChat template is configured for this kind of message; such messages are not sent");
            }
            return Ok(Sent::NotSent(format!("no WeChat template is configured for {}", due.message.template)));
        };
        if self.app.is_none() {
            return Ok(Sent::NotSent("WeChat is not configured".into()));
        }
        let data: Value = serde_json::from_str(&due.message.data).unwrap_or(Value::Null);
        let body = json!({
            "touser": due.openid,
            "template_id": template_id,
            "page": due.message.page,
            "data": data,
            "lang": "zh_CN",
        });
        let mut token = self.token(false).await?;
        for attempt in 0..2 {
            match self.call(&token, &body).await {
                Call::Sent => return Ok(Sent::Delivered),
                Call::Refused(why) => return Ok(Sent::Refused(why)),
                Call::Failed(why) => return Err(why),
                Call::StaleToken if attempt == 0 => token = self.token(true).await?,
                Call::StaleToken => return Err("WeChat refused a fresh token".into()),
            }
        }
        Err("WeChat refused a fresh token".into())
    }
}
