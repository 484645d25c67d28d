//! A community's notices (通知公告): written by its office to the whole community or one
//! building, seen by its verified residents there, each told in their notifications; a resident
//! marks one read, and the office sees how many of those it reached have read it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{office_of, residence};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::Check;
use crate::notify::{About, Recipient, notify, wechat};
use crate::schema::{notice_reads, notices};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: String,
    pub community_id: String,
    pub building: Option<String>,
    pub title: String,
    pub body: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    #[serde(skip)]
    pub author_id: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

/// A notice as its reader sees it: a resident whether they read it; the office how many of the
/// verified residents it is for have read it.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeView {
    #[serde(flatten)]
    pub notice: Notice,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readers: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub community_id: String,
    pub building: Option<String>,
    pub title: String,
    pub body: String,
    pub attachments: Vec<String>,
}

/// The office publishes a notice; its residents are told.
pub fn publish(conn: &mut DbConn, caller: &Caller, new: NewNotice) -> StoreResult<NoticeView> {
    office_of(conn, caller, &new.community_id)?;
    let mut check = Check::default();
    let title = check.text("title", &new.title, 100, true);
    let body = check.text("body", &new.body, 5000, true);
    let building = new.building.as_deref().map(|b| check.text("building", b, 50, false)).filter(|b| !b.is_empty());
    let attachments = check.attachments(new.attachments.clone());
    check.done()?;
    crate::db::write(conn, |conn| {
        let n = Notice {
            id: uuid::Uuid::now_v7().to_string(),
            community_id: new.community_id.clone(),
            building: building.clone(),
            title: title.clone(),
            body: body.clone(),
            attachments: serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into()),
            author_id: caller.user_id.to_string(),
            created_at: now(),
        };
        diesel::insert_into(notices::table).values(&n).execute(conn)?;
        let residents = residence::residents_of(conn, &n.community_id, n.building.as_deref())?;
        let about = About::default();
        let page = format!("pages/notice/detail?id={}", n.id);
        let time = wechat::time_field(n.created_at);
        let fields = [("thing1", n.title.as_str()), ("thing2", n.body.as_str()), ("time3", time.as_str())];
        for user in &residents {
            notify(conn, Recipient::User(user), "notice.published", about, format!("社区通知：{}", n.title))?;
            wechat::enqueue(conn, user, wechat::Template::Notice, &page, &fields)?;
        }
        Ok(NoticeView { notice: n, read: None, readers: Some(0), residents: Some(residents.len() as i64) })
    })
}

/// The notices the caller may read, newest first: a resident's community's (the whole
/// community's and their building's), once verified; an office's, of one community or of all in
/// its reach.
pub fn list(conn: &mut DbConn, caller: &Caller, community_id: Option<&str>) -> StoreResult<Vec<NoticeView>> {
    if caller.role == Role::Resident {
        let Some((community, building)) = residence::verified(conn, &caller.user_id)? else { return Ok(Vec::new()) };
        let rows: Vec<Notice> = notices::table
            .filter(notices::community_id.eq(&community))
            .filter(notices::building.is_null().or(notices::building.eq(building.clone().unwrap_or_default())))
            .order(notices::created_at.desc())
            .select(Notice::as_select())
            .limit(200)
            .load(conn)?;
        let ids: Vec<&str> = rows.iter().map(|n| n.id.as_str()).collect();
        let read: Vec<String> = notice_reads::table
            .filter(notice_reads::notice_id.eq_any(&ids))
            .filter(notice_reads::user_id.eq(&caller.user_id))
            .select(notice_reads::notice_id)
            .load(conn)?;
        return Ok(rows
            .into_iter()
            .map(|n| {
                let was_read = read.contains(&n.id);
                NoticeView { notice: n, read: Some(was_read), readers: None, residents: None }
            })
            .collect());
    }
    let communities = super::communities_for(conn, caller, community_id)?;
    let rows: Vec<Notice> = notices::table
        .filter(notices::community_id.eq_any(&communities))
        .order(notices::created_at.desc())
        .select(Notice::as_select())
        .limit(200)
        .load(conn)?;
    let mut out = Vec::new();
    // the residents a notice reached, read once per community and building, not per notice
    let mut reached: HashMap<(String, Option<String>), Vec<String>> = HashMap::new();
    for n in rows {
        let whom = (n.community_id.clone(), n.building.clone());
        if !reached.contains_key(&whom) {
            let found = residence::residents_of(conn, &n.community_id, n.building.as_deref())?;
            reached.insert(whom.clone(), found);
        }
        let residents = &reached[&whom];
        let readers: i64 = notice_reads::table
            .filter(notice_reads::notice_id.eq(&n.id))
            .filter(notice_reads::user_id.eq_any(residents))
            .count()
            .get_result(conn)?;
        out.push(NoticeView { notice: n, read: None, readers: Some(readers), residents: Some(residents.len() as i64) });
    }
    Ok(out)
}

/// A resident marks a notice read (once; again changes nothing).
pub fn mark_read(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<()> {
    let n: Notice = notices::table
        .find(id)
        .select(Notice::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("notice", id))?;
    let theirs = residence::verified(conn, &caller.user_id)?.is_some_and(|(community, building)| {
        community == n.community_id && (n.building.is_none() || n.building == building)
    });
    if caller.role != Role::Resident || !theirs {
        return Err(StoreError::not_found("notice", id));
    }
    let row = (
        notice_reads::notice_id.eq(id),
        notice_reads::user_id.eq(caller.user_id.as_str()),
        notice_reads::read_at.eq(now()),
    );
    crate::db::per_backend!(conn, c => diesel::insert_into(notice_reads::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(())
}
