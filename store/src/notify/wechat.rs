//! WeChat subscribe messages (订阅消息) to residents, through an outbox as the department webhooks
//! are: a message is written in the transaction of what it tells (a request accepted, replied to,
//! answered or closed; a notice), for residents who logged in with WeChat; a worker sends it and
//! records what WeChat answered — delivered, retried with backoff, dead-lettered, or `refused`
//! when the resident has not subscribed (WeChat's 43101, not retried), or `not_sent` when the
//! operator configured no template for its kind.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{users, wechat_messages};
use crate::time::now;

/// The kinds of message, each sent with the template the operator configured for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A resident's request moved on: `thing1` 诉求事项, `phrase2` 办理状态, `thing3` 说明, `time4` 时间.
    CaseUpdate,
    /// A notice of their community: `thing1` 通知标题, `thing2` 内容, `time3` 发布时间.
    Notice,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::CaseUpdate => "case_update",
            Template::Notice => "notice",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = wechat_messages)]
pub struct Message {
    pub id: String,
    pub user_id: String,
    pub template: String,
    /// The mini-program page the message opens.
    pub page: String,
    /// The template's fields, as WeChat takes them: `{"thing1": {"value": "…"}, …}`.
    pub data: String,
    /// `pending`, `delivered`, `refused`, `not_sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

/// A field as a template takes it: a `thing` at most 20 characters (the rest shown in the app,
/// the field ending in …), a `phrase` at most 5, a `time` as China Standard Time.
fn field(kind: &str, value: &str) -> Value {
    let limit = if kind.starts_with("phrase") { 5 } else { 20 };
    let chars: Vec<char> = value.chars().collect();
    let shown: String = if chars.len() > limit {
        chars[..limit - 1].iter().chain(std::iter::once(&'…')).collect()
    } else {
        value.to_owned()
    };
    json!({ "value": shown })
}

/// The time field of a template: China Standard Time, as WeChat shows it.
pub fn time_field(t: NaiveDateTime) -> String {
    (t + Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

/// Queues a message of `template` to the user, if they logged in with WeChat (others have no
/// WeChat to receive it). Call it in the transaction of what it tells.
pub fn enqueue(
    conn: &mut DbConn,
    user_id: &str,
    template: Template,
    page: &str,
    fields: &[(&str, &str)],
) -> StoreResult<()> {
    let openid: Option<Option<String>> =
        users::table.find(user_id).select(users::wechat_openid).first(conn).optional()?;
    if openid.flatten().is_none() {
        return Ok(());
    }
    let data: Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), field(k, v))).collect();
    let t = now();
    let row = Message {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        template: template.as_str().into(),
        page: page.into(),
        data: Value::Object(data).to_string(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: t,
        last_error: None,
        created_at: t,
        delivered_at: None,
    };
    diesel::insert_into(wechat_messages::table).values(&row).execute(conn)?;
    Ok(())
}

/// A message due to be sent, with the openid it goes to.
#[derive(Debug, Clone)]
pub struct Due {
    pub message: Message,
    pub openid: String,
}

/// Takes up to `limit` messages due at `at` and holds them for `lease`, as the webhooks' outbox
/// does, so that no other worker sends them meanwhile.
pub fn claim_due(conn: &mut DbConn, at: NaiveDateTime, limit: i64, lease: Duration) -> StoreResult<Vec<Due>> {
    crate::db::write(conn, |conn| {
        let rows: Vec<Message> = crate::db::claim!(
            conn,
            wechat_messages::table
                .filter(wechat_messages::status.eq("pending"))
                .filter(wechat_messages::next_attempt_at.le(at))
                .order(wechat_messages::next_attempt_at.asc())
                .limit(limit)
                .select(Message::as_select())
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for m in rows {
            diesel::update(wechat_messages::table.find(&m.id))
                .set(wechat_messages::next_attempt_at.eq(at + lease))
                .execute(conn)?;
            let openid: Option<String> = users::table.find(&m.user_id).select(users::wechat_openid).first(conn)?;
            match openid {
                Some(openid) => out.push(Due { message: m, openid }),
                None => record(conn, &m.id, Sent::NotSent("the resident has no WeChat any more".into()), at)?,
            }
        }
        Ok(out)
    })
}

/// What sending came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Delivered,
    /// The resident has not subscribed to this kind (WeChat's 43101): not retried.
    Refused(String),
    /// No template is configured for the kind, or WeChat is not: not sent, not retried.
    NotSent(String),
    /// Failed; tried again at the time given, or dead-lettered when there is none.
    Failed(String, Option<NaiveDateTime>),
}

/// Records what sending a message came to.
pub fn record(conn: &mut DbConn, id: &str, sent: Sent, at: NaiveDateTime) -> StoreResult<()> {
    let target = wechat_messages::table.find(id);
    let (status, error, next) = match sent {
        Sent::Delivered => ("delivered", None, at),
        Sent::Refused(e) => ("refused", Some(e), at),
        Sent::NotSent(e) => ("not_sent", Some(e), at),
        Sent::Failed(e, Some(retry)) => ("pending", Some(e), retry),
        Sent::Failed(e, None) => ("failed", Some(e), at),
    };
    diesel::update(target)
        .set((
            wechat_messages::status.eq(status),
            wechat_messages::attempts.eq(wechat_messages::attempts + 1),
            wechat_messages::last_error.eq(error),
            wechat_messages::next_attempt_at.eq(next),
            wechat_messages::delivered_at.eq((status == "delivered").then_some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_to_what_a_template_takes() {
        assert_eq!(field("thing1", "井盖缺失"), json!({"value": "井盖缺失"}));
        let long = "小区门口的垃圾桶已经满溢好几天了请尽快处理谢谢";
        let shown = field("thing3", long)["value"].as_str().unwrap().to_owned();
        assert_eq!(shown.chars().count(), 20);
        assert!(shown.ends_with('…'));
        assert_eq!(field("phrase2", "已答复办结")["value"], "已答复办结");
    }
}
