//! Open311 GeoReport v2's side of the store: API keys — issued and revoked by system admins, each
//! of one district, each filing its requests as a resident account of its own, only a hash of the
//! key kept — and the requests Open311 reads back: those filed through it, by their public face
//! only (status, the notes residents may read, the unit responsible; never staff, contacts or
//! internal notes).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::access::{Caller, Role, place};
use crate::cases::lifecycle::Face;
use crate::cases::{Case, Status};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::Check;
use crate::people::user::{self, NewUser};
use crate::schema::{case_events, cases, departments, open311_keys, streets};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = open311_keys)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub district_id: String,
    /// The resident account requests through this key are filed as.
    pub user_id: String,
    #[serde(skip)]
    pub key_hash: String,
    pub created_by: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub revoked_at: Option<NaiveDateTime>,
}

fn require_system(caller: &Caller) -> StoreResult<()> {
    if caller.role == Role::SystemAdmin {
        Ok(())
    } else {
        Err(StoreError::Forbidden("only system admins issue and revoke Open311 keys".into()))
    }
}

/// Issues a key (its hash given; the key itself is shown once, by the caller) for an app of the
/// district, with the resident account its requests are filed as.
pub fn issue(conn: &mut DbConn, caller: &Caller, name: &str, district_id: &str, key_hash: &str) -> StoreResult<ApiKey> {
    require_system(caller)?;
    let mut check = Check::default();
    let name = check.name("name", name);
    check.done()?;
    place::of_district(conn, district_id)?;
    crate::db::write(conn, |conn| {
        let id = uuid::Uuid::now_v7().to_string();
        let account = user::create(
            conn,
            &Caller::system(),
            NewUser {
                username: format!("open311-{}", &id[id.len() - 12..]),
                password_hash: None,
                display_name: format!("{name} (Open311)"),
                phone: None,
                role: Role::Resident,
                scope_id: None,
            },
        )?;
        let key = ApiKey {
            id,
            name: name.clone(),
            district_id: district_id.to_owned(),
            user_id: account.id.to_string(),
            key_hash: key_hash.to_owned(),
            created_by: caller.user_id.to_string(),
            created_at: now(),
            revoked_at: None,
        };
        diesel::insert_into(open311_keys::table).values(&key).execute(conn)?;
        Ok(key)
    })
}

pub fn list(conn: &mut DbConn, caller: &Caller) -> StoreResult<Vec<ApiKey>> {
    require_system(caller)?;
    Ok(open311_keys::table.order(open311_keys::created_at.desc()).select(ApiKey::as_select()).load(conn)?)
}

pub fn revoke(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<ApiKey> {
    require_system(caller)?;
    let mut key: ApiKey = open311_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("Open311 key", id))?;
    if key.revoked_at.is_none() {
        key.revoked_at = Some(now());
        diesel::update(open311_keys::table.find(id)).set(open311_keys::revoked_at.eq(key.revoked_at)).execute(conn)?;
    }
    Ok(key)
}

/// The key with this hash, if it is in force, and the resident it files as.
pub fn authenticate(conn: &mut DbConn, key_hash: &str) -> StoreResult<Option<(ApiKey, Caller)>> {
    let key: Option<ApiKey> = open311_keys::table
        .filter(open311_keys::key_hash.eq(key_hash))
        .filter(open311_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    match key {
        Some(k) => {
            let caller = Caller::resolve(conn, &k.user_id, Role::Resident, None)?;
            Ok(Some((k, caller)))
        }
        None => Ok(None),
    }
}

/// Files a request through a key: the same intake as the API, as the key's resident account
/// (`caller`), at a point in the key's district; who to call back (the contact fields an app
/// sent) is kept on the timeline for staff only (`contact`, which residents and Open311 readers
/// do not see).
pub fn file(
    conn: &mut DbConn,
    key: &ApiKey,
    caller: &Caller,
    new: &crate::cases::intake::NewCase,
    contact: Option<String>,
    policy: &crate::cases::Policy,
) -> StoreResult<crate::cases::intake::Created> {
    if new.placement.answering().is_none_or(|p| p.district_id != key.district_id) {
        return Err(StoreError::invalid("lat", "the point lies outside the district this key serves"));
    }
    crate::db::write(conn, |conn| {
        let made = crate::cases::intake::create(conn, caller, new, policy)?;
        if let Some(contact) = contact {
            let id = made.case.case.id.to_string();
            let e = crate::cases::event::NewEvent::new(&id, "contact", Some(Status::Reported), Status::Reported)
                .note(Some(contact.as_str()));
            crate::cases::event::record(conn, caller, e)?;
        }
        Ok(made)
    })
}

/// The district a GeoReport `jurisdiction_id` names: its code (360102) or its id.
pub fn district_named(conn: &mut DbConn, named: &str) -> StoreResult<Option<String>> {
    use crate::schema::districts;
    Ok(districts::table
        .filter(districts::code.eq(named).or(districts::id.eq(named)))
        .select(districts::id)
        .first(conn)
        .optional()?)
}

/// What GeoReport v2's `GET requests` asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub ids: Vec<String>,
    pub service_code: Option<String>,
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    pub open: Option<bool>,
}

/// A request as Open311 shows it.
#[derive(Debug, Clone)]
pub struct Request {
    pub case: Case,
    pub open: bool,
    /// The last note residents may read (a reply, the closing's result).
    pub status_notes: Option<String>,
    /// The unit responsible: the department it is with, else the street office.
    pub agency_responsible: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// The most requests one answer lists.
pub const MAX_REQUESTS: i64 = 1000;

/// Requests filed through Open311 — through `key` if given (else through any key, of the
/// district `jurisdiction` if given) — newest first, by default of the last 90 days. Requests
/// residents filed in the mini-program are theirs alone, and never listed here.
pub fn requests(
    conn: &mut DbConn,
    key: Option<&ApiKey>,
    jurisdiction: Option<&str>,
    f: &Filter,
) -> StoreResult<Vec<Request>> {
    let mut accounts = open311_keys::table.select(open311_keys::user_id).into_boxed();
    if let Some(k) = key {
        accounts = accounts.filter(open311_keys::id.eq(k.id.clone()));
    }
    if let Some(d) = jurisdiction {
        accounts = accounts.filter(open311_keys::district_id.eq(d.to_owned()));
    }
    let accounts: Vec<String> = accounts.load(conn)?;
    let mut q = cases::table
        .filter(cases::reporter_id.eq_any(accounts))
        .filter(cases::merged_into.is_null())
        .select(Case::as_select())
        .order(cases::received_at.desc())
        .limit(MAX_REQUESTS)
        .into_boxed();
    if !f.ids.is_empty() {
        q = q.filter(cases::id.eq_any(f.ids.clone()));
    } else {
        let start = f.start.unwrap_or_else(|| f.end.unwrap_or_else(now) - chrono::Duration::days(90));
        q = q.filter(cases::received_at.ge(start));
    }
    if let Some(end) = f.end {
        q = q.filter(cases::received_at.lt(end));
    }
    if let Some(code) = &f.service_code {
        q = q.filter(cases::category_code.eq(code.clone()));
    }
    match f.open {
        Some(true) => q = q.filter(cases::status.eq_any(Status::OPEN)),
        Some(false) => q = q.filter(cases::status.ne_all(Status::OPEN)),
        None => {}
    }
    let rows: Vec<Case> = q.load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|c| c.id.as_str()).collect();
    let events: Vec<(String, String, Option<String>, NaiveDateTime)> = case_events::table
        .filter(case_events::case_id.eq_any(&ids))
        .order((case_events::occurred_at.asc(), case_events::id.asc()))
        .select((case_events::case_id, case_events::action, case_events::note, case_events::at))
        .load(conn)?;
    let mut notes: HashMap<String, String> = HashMap::new();
    for (case, action, note, _) in &events {
        if let Some(n) =
            note.as_ref().filter(|n| !n.trim().is_empty() && Face::of(action) == Face::Note && action != "report")
        {
            notes.insert(case.clone(), n.clone());
        }
    }
    let dept_ids: Vec<&str> = rows.iter().filter_map(|c| c.department_id.as_deref()).collect();
    let depts: HashMap<String, String> = departments::table
        .filter(departments::id.eq_any(&dept_ids))
        .select((departments::id, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let street_ids: Vec<&str> = rows.iter().filter_map(|c| c.street_id.as_deref()).collect();
    let street_names: HashMap<String, String> = streets::table
        .filter(streets::id.eq_any(&street_ids))
        .select((streets::id, streets::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|case| {
            let agency = match (&case.department_id, &case.street_id) {
                (Some(d), _) => depts.get(d).cloned(),
                (None, Some(s)) => street_names.get(s).map(|n| format!("{n}办事处")),
                _ => None,
            };
            Request {
                open: Status::OPEN.contains(&case.status),
                status_notes: notes.remove(case.id.as_str()),
                agency_responsible: agency,
                updated_at: case.updated_at,
                case,
            }
        })
        .collect())
}
