//! Where a resident lives: they say so (`PUT /me/residence`), their community verifies it or
//! rejects it with a reason. Only a verified resident hears the community's notices and takes
//! part in its consultations. The room and the phone are seen by the community that verifies
//! and the offices above it; the resident sees their own.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::office_of;
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::Check;
use crate::regions::community;
use crate::schema::{communities, residences, users};
use crate::time::now;

crate::types::text_enum! {
    /// Where a residence stands.
    pub enum Standing {
        /// 待核实
        Pending = "pending",
        /// 已核实
        Verified = "verified",
        /// 未通过
        Rejected = "rejected",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = residences, treat_none_as_null = true)]
pub struct Residence {
    pub id: String,
    pub user_id: String,
    pub community_id: String,
    pub building: Option<String>,
    pub room: Option<String>,
    pub status: Standing,
    pub reason: Option<String>,
    /// Who in the community decided: kept, not shown (a resident reads units, never staff).
    #[serde(skip)]
    pub decided_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub decided_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

/// A residence as its community reads it: with the resident's name and phone.
#[derive(Debug, Clone, Serialize)]
pub struct ResidenceView {
    #[serde(flatten)]
    pub residence: Residence,
    pub community_name: String,
    pub user_name: String,
    pub phone: Option<String>,
}

/// What a resident says of where they live.
#[derive(Debug, Clone)]
pub struct NewResidence {
    pub community_id: String,
    pub building: Option<String>,
    pub room: Option<String>,
}

/// A resident says where they live (again: a changed residence is verified anew).
pub fn declare(conn: &mut DbConn, caller: &Caller, new: NewResidence) -> StoreResult<Residence> {
    if caller.role != Role::Resident {
        return Err(StoreError::Forbidden("only residents say where they live".into()));
    }
    let mut check = Check::default();
    let building = new.building.as_deref().map(|b| check.text("building", b, 50, false)).filter(|b| !b.is_empty());
    let room = new.room.as_deref().map(|r| check.text("room", r, 20, false)).filter(|r| !r.is_empty());
    check.done()?;
    community::get(conn, &new.community_id)?;
    crate::db::write(conn, |conn| {
        let at = now();
        let old: Option<Residence> = residences::table
            .filter(residences::user_id.eq(&caller.user_id))
            .select(Residence::as_select())
            .first(conn)
            .optional()?;
        let r = Residence {
            id: old.as_ref().map_or_else(|| uuid::Uuid::now_v7().to_string(), |o| o.id.clone()),
            user_id: caller.user_id.to_string(),
            community_id: new.community_id.clone(),
            building: building.clone(),
            room: room.clone(),
            status: Standing::Pending,
            reason: None,
            decided_by: None,
            decided_at: None,
            created_at: old.as_ref().map_or(at, |o| o.created_at),
            updated_at: at,
        };
        if old.is_some() {
            diesel::update(residences::table.find(&r.id)).set(&r).execute(conn)?;
        } else {
            diesel::insert_into(residences::table).values(&r).execute(conn)?;
        }
        Ok(r)
    })
}

/// The caller's own residence, if they said one.
pub fn mine(conn: &mut DbConn, caller: &Caller) -> StoreResult<Option<Residence>> {
    Ok(residences::table
        .filter(residences::user_id.eq(&caller.user_id))
        .select(Residence::as_select())
        .first(conn)
        .optional()?)
}

/// The community verifies a residence, or rejects it saying why.
pub fn decide(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    verified: bool,
    reason: Option<&str>,
) -> StoreResult<Residence> {
    let mut r: Residence = residences::table
        .find(id)
        .select(Residence::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("residence", id))?;
    office_of(conn, caller, &r.community_id).map_err(|e| match e {
        StoreError::NotFound { .. } => StoreError::not_found("residence", id),
        e => e,
    })?;
    let mut check = Check::default();
    let reason = reason.map(|t| check.text("reason", t, 200, false)).filter(|t| !t.is_empty());
    if !verified && reason.is_none() {
        check.push("reason", "is required: say why, so that the resident can put it right");
    }
    check.done()?;
    let at = now();
    r.status = if verified { Standing::Verified } else { Standing::Rejected };
    r.reason = reason;
    r.decided_by = Some(caller.user_id.to_string());
    r.decided_at = Some(at);
    r.updated_at = at;
    diesel::update(residences::table.find(id)).set(&r).execute(conn)?;
    let (kind, message) = if verified {
        ("residence.verified", "您的居住信息已核实，可接收社区通知、参与居民议事".to_owned())
    } else {
        ("residence.rejected", format!("您的居住信息未通过核实：{}", r.reason.as_deref().unwrap_or("")))
    };
    let about = crate::notify::About::default();
    crate::notify::notify(conn, crate::notify::Recipient::User(&r.user_id), kind, about, message)?;
    Ok(r)
}

/// A community's residences (of one standing, if given), for its office.
pub fn of_community(
    conn: &mut DbConn,
    caller: &Caller,
    community_id: &str,
    standing: Option<Standing>,
) -> StoreResult<Vec<ResidenceView>> {
    office_of(conn, caller, community_id)?;
    let mut q = residences::table
        .inner_join(users::table.on(users::id.eq(residences::user_id)))
        .inner_join(communities::table.on(communities::id.eq(residences::community_id)))
        .filter(residences::community_id.eq(community_id))
        .select((Residence::as_select(), communities::name, users::display_name, users::phone))
        .order(residences::created_at.asc())
        .into_boxed();
    if let Some(s) = standing {
        q = q.filter(residences::status.eq(s));
    }
    let rows: Vec<(Residence, String, String, Option<String>)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(residence, community_name, user_name, phone)| ResidenceView {
            residence,
            community_name,
            user_name,
            phone,
        })
        .collect())
}

/// The verified residence of a resident: (community, building).
pub(crate) fn verified(conn: &mut DbConn, user_id: &str) -> StoreResult<Option<(String, Option<String>)>> {
    Ok(residences::table
        .filter(residences::user_id.eq(user_id))
        .filter(residences::status.eq(Standing::Verified))
        .select((residences::community_id, residences::building))
        .first(conn)
        .optional()?)
}

/// The verified residents of a community (of one building, if given).
pub(crate) fn residents_of(conn: &mut DbConn, community_id: &str, building: Option<&str>) -> StoreResult<Vec<String>> {
    let mut q = residences::table
        .filter(residences::community_id.eq(community_id))
        .filter(residences::status.eq(Standing::Verified))
        .select(residences::user_id)
        .into_boxed();
    if let Some(b) = building {
        q = q.filter(residences::building.eq(b));
    }
    Ok(q.load(conn)?)
}
