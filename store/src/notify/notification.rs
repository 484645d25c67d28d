//! Notifications: rows a street, district or department reads (`GET /api/v1/notifications`),
//! written in the transaction of the change they tell of.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::page::{Page, Paged};
use crate::schema::notifications;
use crate::time::now;

/// Who a notification is for.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    Department(&'a str),
    Street(&'a str),
    District(&'a str),
    /// A community's admins (社区).
    Community(&'a str),
    /// One person (a grid worker).
    User(&'a str),
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: String,
    pub recipient_type: String,
    pub recipient_id: String,
    pub kind: String,
    pub case_id: Option<String>,
    pub whistle_id: Option<String>,
    pub message: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    /// The task (督办任务) it is about.
    pub task_id: Option<String>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    pub case_id: Option<&'a str>,
    pub whistle_id: Option<&'a str>,
    pub task_id: Option<&'a str>,
}

impl<'a> About<'a> {
    pub fn case(id: &'a str) -> Self {
        About { case_id: Some(id), ..About::default() }
    }

    pub fn whistle(case_id: &'a str, id: &'a str) -> Self {
        About { case_id: Some(case_id), whistle_id: Some(id), ..About::default() }
    }

    pub fn task(id: &'a str) -> Self {
        About { task_id: Some(id), ..About::default() }
    }
}

pub fn notify(conn: &mut DbConn, to: Recipient, kind: &str, about: About, message: String) -> StoreResult<()> {
    let row = row(to, kind, about, message);
    diesel::insert_into(notifications::table).values(&row).execute(conn)?;
    Ok(())
}

/// Many notifications in few statements (a phone's batch of reports).
pub fn notify_all<'a>(
    conn: &mut DbConn,
    all: impl IntoIterator<Item = (Recipient<'a>, &'a str, About<'a>, String)>,
) -> StoreResult<()> {
    let rows: Vec<Notification> = all.into_iter().map(|(to, kind, about, m)| row(to, kind, about, m)).collect();
    for chunk in rows.chunks(200) {
        crate::db::per_backend!(conn, c => diesel::insert_into(notifications::table).values(chunk).execute(c))?;
    }
    Ok(())
}

fn row(to: Recipient, kind: &str, about: About, message: String) -> Notification {
    let (recipient_type, recipient_id) = match to {
        Recipient::Department(id) => ("department", id),
        Recipient::Street(id) => ("street", id),
        Recipient::District(id) => ("district", id),
        Recipient::Community(id) => ("community", id),
        Recipient::User(id) => ("user", id),
    };
    Notification {
        id: uuid::Uuid::now_v7().to_string(),
        recipient_type: recipient_type.into(),
        recipient_id: recipient_id.into(),
        kind: kind.into(),
        case_id: about.case_id.map(Into::into),
        whistle_id: about.whistle_id.map(Into::into),
        message,
        created_at: now(),
        task_id: about.task_id.map(Into::into),
    }
}

/// The notifications for the caller: a street office its street's, a district admin its
/// district's, a community admin its community's, department staff their department's, anyone
/// else their own; newest first.
pub fn notifications_of(conn: &mut DbConn, caller: &Caller, page: &Page) -> StoreResult<Paged<Notification>> {
    let mut q = notifications::table.select(Notification::as_select()).order(notifications::id.desc()).into_boxed();
    let scope = caller.scope_id.clone().unwrap_or_default();
    q = match caller.role {
        Role::SystemAdmin => q,
        Role::DistrictAdmin => {
            q.filter(notifications::recipient_type.eq("district").and(notifications::recipient_id.eq(scope)))
        }
        Role::StreetAdmin => {
            q.filter(notifications::recipient_type.eq("street").and(notifications::recipient_id.eq(scope)))
        }
        Role::DeptStaff => {
            q.filter(notifications::recipient_type.eq("department").and(notifications::recipient_id.eq(scope)))
        }
        Role::CommunityAdmin => {
            q.filter(notifications::recipient_type.eq("community").and(notifications::recipient_id.eq(scope)))
        }
        _ => q.filter(
            notifications::recipient_type.eq("user").and(notifications::recipient_id.eq(caller.user_id.to_string())),
        ),
    };
    if let Some(after) = &page.after {
        q = q.filter(notifications::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |n| &n.id))
}
