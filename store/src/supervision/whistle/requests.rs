//! A community asks its street to blow the whistle on a case (申请吹哨): the street office sees
//! the request on its desk and decides — blows the whistle (the request granted, the whistle
//! named) or declines it, saying why; the community is told either way.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::{NewWhistle, WhistleView, blow};
use crate::access::{Caller, Role};
use crate::cases::{self as case, Status};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About, Recipient};
use crate::page::{Page, Paged};
use crate::schema::whistle_requests;
use crate::time::now;

crate::types::text_enum! {
    pub enum RequestStatus {
        Requested = "requested",
        Granted = "granted",
        Declined = "declined",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = whistle_requests)]
pub struct WhistleRequest {
    pub id: String,
    pub case_id: String,
    pub district_id: String,
    pub street_id: String,
    pub community_id: Option<String>,
    pub requested_by: Option<String>,
    /// The departments the community would have summoned (ids), as JSON.
    #[serde(serialize_with = "crate::time::json_text")]
    pub departments: String,
    pub note: String,
    pub status: RequestStatus,
    /// The whistle blown, when granted.
    pub whistle_id: Option<String>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub decided_at: Option<NaiveDateTime>,
}

/// A community's admin asks its street to blow the whistle on a case of the community.
pub fn request(
    conn: &mut DbConn,
    caller: &Caller,
    case_id: &str,
    departments: Vec<String>,
    note: String,
) -> StoreResult<WhistleRequest> {
    if caller.role != Role::CommunityAdmin {
        return Err(StoreError::Forbidden("a community's admin asks its street to blow the whistle".into()));
    }
    crate::db::write(conn, |conn| {
        let c = case::find_case(conn, caller, case_id)?;
        if !caller.reach().covers(&c.place()) {
            return Err(StoreError::Forbidden("the case lies outside your community".into()));
        }
        if !Status::OPEN.contains(&c.status) {
            return Err(StoreError::Conflict { field: "case", detail: format!("the case is {}", c.status) });
        }
        let (Some(district), Some(street)) = (c.district_id.clone(), c.street_id.clone()) else {
            return Err(StoreError::invalid("case", "the case lies in no street; place it first"));
        };
        let r = WhistleRequest {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: c.id.to_string(),
            district_id: district,
            street_id: street.clone(),
            community_id: c.community_id.clone(),
            requested_by: caller.actor_id().map(Into::into),
            departments: json!(departments).to_string(),
            note,
            status: RequestStatus::Requested,
            whistle_id: None,
            decided_by: None,
            decision_note: None,
            created_at: now(),
            decided_at: None,
        };
        diesel::insert_into(whistle_requests::table).values(&r).execute(conn)?;
        let message = format!("社区申请就「{}」吹哨，请研究决定", c.title);
        notify::notify(conn, Recipient::Street(&street), "whistle.requested", About::case(&c.id), message)?;
        Ok(r)
    })
}

fn get(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<WhistleRequest> {
    let r: WhistleRequest = whistle_requests::table
        .find(id)
        .select(WhistleRequest::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("whistle request", id))?;
    let place = crate::access::Place {
        district: Some(r.district_id.clone()),
        street: Some(r.street_id.clone()),
        community: r.community_id.clone(),
    };
    if !caller.role.is_admin() || !caller.reach().covers(&place) {
        return Err(StoreError::not_found("whistle request", id));
    }
    Ok(r)
}

/// The requests the caller sees, newest first: a street's office its street's, a community its own.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    status: Option<RequestStatus>,
    page: &Page,
) -> StoreResult<Paged<WhistleRequest>> {
    if !caller.role.is_admin() {
        return Ok(Paged { items: Vec::new(), next_after: None });
    }
    let q = whistle_requests::table.select(WhistleRequest::as_select()).order(whistle_requests::id.desc()).into_boxed();
    let mut q = crate::access::within_reach!(
        q,
        caller.reach(),
        whistle_requests::district_id,
        whistle_requests::street_id,
        whistle_requests::community_id
    );
    if let Some(s) = status {
        q = q.filter(whistle_requests::status.eq(s));
    }
    if let Some(after) = &page.after {
        q = q.filter(whistle_requests::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    Ok(Paged::from_rows(rows, page, |r: &WhistleRequest| &r.id))
}

/// The street grants a request: blows the whistle on its case (the departments the street
/// chooses, or those the community asked for).
pub fn grant(conn: &mut DbConn, caller: &Caller, id: &str, new: NewWhistle) -> StoreResult<WhistleView> {
    crate::db::write(conn, |conn| {
        let r = pending(conn, caller, id)?;
        let departments = if new.departments.is_empty() {
            serde_json::from_str(&r.departments).unwrap_or_default()
        } else {
            new.departments.clone()
        };
        let w = blow(conn, caller, &r.case_id, NewWhistle { departments, ..new })?;
        decided(conn, caller, &r, RequestStatus::Granted, Some(&w.whistle.id), None)?;
        Ok(w)
    })
}

/// The street declines a request, saying why.
pub fn decline(conn: &mut DbConn, caller: &Caller, id: &str, note: String) -> StoreResult<WhistleRequest> {
    crate::db::write(conn, |conn| {
        let r = pending(conn, caller, id)?;
        decided(conn, caller, &r, RequestStatus::Declined, None, Some(&note))?;
        get(conn, caller, id)
    })
}

/// A request still to decide, for its street's office.
fn pending(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<WhistleRequest> {
    let r = get(conn, caller, id)?;
    if !caller.role.is_office() {
        return Err(StoreError::Forbidden("the street office decides a whistle request".into()));
    }
    if r.status != RequestStatus::Requested {
        return Err(StoreError::NotAllowedNow { detail: format!("the request is {}", r.status), allowed: vec![] });
    }
    Ok(r)
}

fn decided(
    conn: &mut DbConn,
    caller: &Caller,
    r: &WhistleRequest,
    status: RequestStatus,
    whistle_id: Option<&str>,
    note: Option<&str>,
) -> StoreResult<()> {
    diesel::update(whistle_requests::table.find(&r.id))
        .set((
            whistle_requests::status.eq(status),
            whistle_requests::whistle_id.eq(whistle_id),
            whistle_requests::decided_by.eq(caller.actor_id()),
            whistle_requests::decision_note.eq(note),
            whistle_requests::decided_at.eq(now()),
        ))
        .execute(conn)?;
    if let Some(community) = &r.community_id {
        let title = case::get(conn, &r.case_id)?.title;
        let message = match status {
            RequestStatus::Granted => format!("街道已就「{title}」吹哨，相关部门将到场报到"),
            _ => format!("街道未同意就「{title}」吹哨：{}", note.unwrap_or_default()),
        };
        notify::notify(
            conn,
            Recipient::Community(community),
            "whistle.request_decided",
            About::case(&r.case_id),
            message,
        )?;
    }
    Ok(())
}
