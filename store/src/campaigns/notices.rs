//! A campaign's notices (工作通知): published by the office that runs it to every member
//! department, each of which signs for it (签收) by one of its staff. A department that has not
//! signed within `CHASE_AFTER` is chased once (催签), by notification and its webhook.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::{CampaignStatus, find_campaign, require_runner};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About, Recipient};
use crate::regions::department;
use crate::schema::{campaign_members, campaign_notice_receipts, campaign_notices, campaigns, departments};
use crate::time::now;

/// How long a member department has to sign for a notice before it is chased.
pub const CHASE_AFTER: Duration = Duration::hours(4);

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = campaign_notices)]
pub struct Notice {
    pub id: String,
    pub campaign_id: String,
    pub title: String,
    pub body: String,
    #[serde(skip)]
    pub author_id: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

/// A department's receipt of a notice.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = campaign_notice_receipts)]
pub struct Receipt {
    #[serde(skip)]
    pub notice_id: String,
    pub department_id: String,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub signed_at: Option<NaiveDateTime>,
    pub signed_by: Option<String>,
    /// When it was chased for not signing.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub chased_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiptView {
    #[serde(flatten)]
    pub receipt: Receipt,
    pub department_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    #[serde(flatten)]
    pub notice: Notice,
    pub signed: usize,
    pub members: usize,
    pub receipts: Vec<ReceiptView>,
}

/// Publishes a notice to every member department of an active (or planned) campaign.
pub fn publish(
    conn: &mut DbConn,
    caller: &Caller,
    campaign_id: &str,
    title: String,
    body: String,
) -> StoreResult<NoticeView> {
    crate::db::write(conn, |conn| {
        let c = find_campaign(conn, caller, campaign_id)?;
        require_runner(conn, caller, &c)?;
        if !matches!(c.status, CampaignStatus::Draft | CampaignStatus::Active) {
            return Err(StoreError::Conflict { field: "campaign", detail: format!("the campaign is {}", c.status) });
        }
        let n = Notice {
            id: uuid::Uuid::now_v7().to_string(),
            campaign_id: c.id.clone(),
            title,
            body,
            author_id: caller.actor_id().map(Into::into),
            created_at: now(),
        };
        diesel::insert_into(campaign_notices::table).values(&n).execute(conn)?;
        let members: Vec<String> = campaign_members::table
            .filter(campaign_members::campaign_id.eq(&c.id))
            .select(campaign_members::department_id)
            .load(conn)?;
        for d in &members {
            let r = Receipt {
                notice_id: n.id.clone(),
                department_id: d.clone(),
                signed_at: None,
                signed_by: None,
                chased_at: None,
            };
            diesel::insert_into(campaign_notice_receipts::table).values(&r).execute(conn)?;
            let message = format!("「{}」工作通知：{}，请签收", c.name, n.title);
            notify::notify(conn, Recipient::Department(d), "campaign.notice", About::default(), message)?;
            let dept = department::get(conn, d)?;
            let data =
                json!({"campaign_id": c.id, "campaign": c.name, "notice_id": n.id, "title": n.title, "body": n.body});
            notify::enqueue(conn, &dept, "campaign.notice", data)?;
        }
        view(conn, n)
    })
}

fn view(conn: &mut DbConn, notice: Notice) -> StoreResult<NoticeView> {
    let rows: Vec<(Receipt, String)> = campaign_notice_receipts::table
        .inner_join(departments::table)
        .filter(campaign_notice_receipts::notice_id.eq(&notice.id))
        .order(departments::code.asc())
        .select((Receipt::as_select(), departments::name))
        .load(conn)?;
    let receipts: Vec<ReceiptView> =
        rows.into_iter().map(|(receipt, department_name)| ReceiptView { receipt, department_name }).collect();
    Ok(NoticeView {
        signed: receipts.iter().filter(|r| r.receipt.signed_at.is_some()).count(),
        members: receipts.len(),
        receipts,
        notice,
    })
}

/// A campaign's notices, newest first, with who has signed.
pub fn list(conn: &mut DbConn, caller: &Caller, campaign_id: &str) -> StoreResult<Vec<NoticeView>> {
    let c = find_campaign(conn, caller, campaign_id)?;
    let rows: Vec<Notice> = campaign_notices::table
        .filter(campaign_notices::campaign_id.eq(&c.id))
        .order(campaign_notices::id.desc())
        .select(Notice::as_select())
        .load(conn)?;
    rows.into_iter().map(|n| view(conn, n)).collect()
}

/// A member department signs for a notice, by one of its staff; signing again changes nothing.
pub fn sign(conn: &mut DbConn, caller: &Caller, campaign_id: &str, notice_id: &str) -> StoreResult<NoticeView> {
    crate::db::write(conn, |conn| {
        let c = find_campaign(conn, caller, campaign_id)?;
        let n: Notice = campaign_notices::table
            .find(notice_id)
            .filter(campaign_notices::campaign_id.eq(&c.id))
            .select(Notice::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| StoreError::not_found("notice", notice_id))?;
        let department = caller.scope_id.clone().filter(|_| caller.role == Role::DeptStaff);
        let Some(department) = department else {
            return Err(StoreError::Forbidden("a member department signs for a notice by its own staff".into()));
        };
        diesel::update(
            campaign_notice_receipts::table
                .find((&n.id, &department))
                .filter(campaign_notice_receipts::signed_at.is_null()),
        )
        .set((
            campaign_notice_receipts::signed_at.eq(now()),
            campaign_notice_receipts::signed_by.eq(caller.user_id.to_string()),
        ))
        .execute(conn)?;
        view(conn, n)
    })
}

/// Chases, once, each department that has not signed for a notice of an active campaign
/// published more than `CHASE_AFTER` before `at`; returns how many.
pub fn chase(conn: &mut DbConn, at: NaiveDateTime) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let due: Vec<(Receipt, String, String)> = campaign_notice_receipts::table
            .inner_join(
                campaign_notices::table
                    .inner_join(campaigns::table.on(campaigns::id.eq(campaign_notices::campaign_id))),
            )
            .filter(campaign_notice_receipts::signed_at.is_null())
            .filter(campaign_notice_receipts::chased_at.is_null())
            .filter(campaigns::status.eq(CampaignStatus::Active))
            .filter(campaign_notices::created_at.lt(at - CHASE_AFTER))
            .limit(200)
            .select((Receipt::as_select(), campaign_notices::title, campaigns::name))
            .load(conn)?;
        for (r, title, campaign) in &due {
            diesel::update(campaign_notice_receipts::table.find((&r.notice_id, &r.department_id)))
                .set(campaign_notice_receipts::chased_at.eq(at))
                .execute(conn)?;
            let message = format!("「{campaign}」工作通知「{title}」尚未签收，请尽快签收");
            notify::notify(
                conn,
                Recipient::Department(&r.department_id),
                "campaign.notice_unsigned",
                About::default(),
                message,
            )?;
            let dept = department::get(conn, &r.department_id)?;
            notify::enqueue(
                conn,
                &dept,
                "campaign.notice_unsigned",
                json!({"notice_id": r.notice_id, "title": title, "campaign": campaign}),
            )?;
        }
        Ok(due.len())
    })
}
