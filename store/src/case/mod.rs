//! 事件/案卷 — cases: what is found in a cell, filed by the street office, handled by a
//! department, verified on site, closed and scored. This module files and reads them; the
//! state machine is `lifecycle`, its application `transition`, the timeline `event`.
//!
//! Who sees a case: the admins, grid workers and volunteers whose area holds it, the staff of
//! the department it is dispatched to, and everyone who reported it (residents see only those).

pub mod event;
pub mod lifecycle;
pub mod overdue;
pub mod phone;
mod transition;

pub use lifecycle::{Action, Status};
pub use transition::{Act, Policy, transition};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Place, Reach};
use crate::calendar::{self, Calendar};
use crate::category::{self, Category, Step};
use crate::error::{expect_version, unique_as_conflict};
use crate::schema::{case_events, case_reporters, cases, idempotency_keys};
use crate::{Caller, DbConn, Page, Paged, Role, StoreError, StoreResult, cell, now};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct Case {
    pub id: String,
    pub district_id: Option<String>,
    pub street_id: Option<String>,
    pub community_id: Option<String>,
    /// The cell the index found at filing; `None` for a point outside every cell.
    pub cell_id: Option<String>,
    pub source: String,
    pub category_code: String,
    pub title: String,
    pub description: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub reporter_id: String,
    pub priority: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    /// The phone's own time of the report.
    #[serde(serialize_with = "crate::time::serialize")]
    pub reported_at: NaiveDateTime,
    /// When the server received it.
    #[serde(serialize_with = "crate::time::serialize")]
    pub received_at: NaiveDateTime,
    pub status: String,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub step_started_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub deadline_at: Option<NaiveDateTime>,
    pub suspended_from: Option<String>,
    pub department_id: Option<String>,
    /// The department's staff member who accepted it.
    pub assignee_id: Option<String>,
    /// The routing rule that chose the department, when one did.
    pub routing_rule_id: Option<String>,
    /// An extension asked for and not yet granted or denied (`2d`).
    pub pending_extension: Option<String>,
    pub satisfaction: Option<i32>,
    /// The original this duplicate was merged into.
    pub merged_into: Option<String>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub closed_at: Option<NaiveDateTime>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
    /// When the running step was found overdue.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub overdue_at: Option<NaiveDateTime>,
    /// The sync clock's stamp of the last change (phones pull by it).
    #[serde(skip)]
    pub sync_ms: i64,
}

impl Case {
    pub fn state(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Void)
    }

    pub fn place(&self) -> Place {
        Place {
            district: self.district_id.clone(),
            street: self.street_id.clone(),
            community: self.community_id.clone(),
        }
    }

    /// Starts the step of `status` at `t`, with its deadline from the category's limit counted
    /// on the working calendar.
    fn start_step(&mut self, status: Status, category: &Category, t: NaiveDateTime, cal: &Calendar) {
        self.status = status.as_str().to_owned();
        let step = status.step();
        self.step_started_at = step.map(|_| t);
        self.deadline_at = step.and_then(|s| category.limit(s)).map(|l| cal.deadline(t, l));
        self.overdue_at = None;
    }

    /// The traffic light of the running step at `at`: `green` under 80% of its working time
    /// used, `yellow` from 80% to the deadline, `red` past it; none when no step runs (closed,
    /// suspended: a suspended case's clock stands still).
    pub fn light(&self, cal: &Calendar, at: NaiveDateTime) -> Option<&'static str> {
        let (Some(start), Some(deadline)) = (self.step_started_at, self.deadline_at) else { return None };
        if self.state() == Status::Suspended {
            return None;
        }
        if at > deadline {
            return Some("red");
        }
        let total = cal.working_minutes(start, deadline);
        let used = cal.working_minutes(start, at);
        Some(if total > 0 && used * 5 < total * 4 { "green" } else { "yellow" })
    }
}

/// What webhooks and notifications say about a case.
pub(crate) fn payload(case: &Case) -> serde_json::Value {
    json!({
        "case_id": case.id,
        "title": case.title,
        "category_code": case.category_code,
        "status": case.status,
        "priority": case.priority,
        "lng": case.lng,
        "lat": case.lat,
        "address": case.address,
        "street_id": case.street_id,
        "community_id": case.community_id,
        "cell_id": case.cell_id,
        "department_id": case.department_id,
        "deadline_at": case.deadline_at.as_ref().map(crate::time::rfc3339),
    })
}

pub const SOURCES: [&str; 4] = ["field_report", "resident_request", "patrol", "hotline"];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// The sources a role may file from: residents their own requests, people in the grid what
/// they find, offices anything (hotline calls included).
fn may_file(role: Role, source: &str) -> bool {
    match role {
        Role::Resident => source == "resident_request",
        Role::GridWorker | Role::Volunteer | Role::CommunityAdmin => matches!(source, "field_report" | "patrol"),
        Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin => true,
        Role::DeptStaff => false,
    }
}

/// A case as a caller sees it: the record, and what follows from it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    #[serde(flatten)]
    pub case: Case,
    pub outside_grid: bool,
    pub step: Option<&'static str>,
    /// `green`, `yellow` or `red`: how much of the running step's working time is used.
    pub light: Option<&'static str>,
    pub category_name: String,
    pub cell_code: Option<String>,
    pub cell_name: Option<String>,
    pub department_name: Option<String>,
    pub reporters_count: i64,
    pub rework_count: i64,
    pub misdispatch_count: i64,
    /// What the caller may do now (detail views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<&'static str>>,
}

/// An open case of the same category near a new one, and how near.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub status: String,
    pub distance_m: f64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub received_at: NaiveDateTime,
}

pub struct NewCase {
    /// The id a phone made for the report (`[A-Za-z0-9_.-]{1,64}`); the server makes one if none.
    pub id: Option<String>,
    pub source: String,
    pub category_code: String,
    pub title: String,
    pub description: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub priority: String,
    pub reported_at: Option<NaiveDateTime>,
    pub attachments: Vec<String>,
    /// The cell the index found the point in.
    pub cell_id: Option<String>,
    /// For a point outside every cell: the nearest cell, whose street and community the case
    /// is placed in so that someone answers for it.
    pub near_cell_id: Option<String>,
    /// `Idempotency-Key` and a hash of the request it came with.
    pub idempotency: Option<(String, String)>,
}

pub struct Created {
    pub case: CaseView,
    pub possible_duplicates: Vec<Duplicate>,
    /// A retry of an earlier create: nothing was created.
    pub replayed: bool,
}

/// How far in the future a phone's clock may put a report (clocks drift).
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old a report may be when it arrives (a phone offline for weeks).
const OLDEST_REPORT: Duration = Duration::days(30);

/// Files a report. A retried create (same `Idempotency-Key` from the same user) returns the
/// first case and creates nothing, also when the two arrive at once.
pub fn create(conn: &mut DbConn, caller: &Caller, new: &NewCase, policy: &Policy) -> StoreResult<Created> {
    match create_once(conn, caller, new, policy) {
        // the same key committed by a concurrent request between our look-up and our insert
        Err(StoreError::Conflict { field: "Idempotency-Key", .. }) => create_once(conn, caller, new, policy),
        other => other,
    }
}

fn create_once(conn: &mut DbConn, caller: &Caller, new: &NewCase, policy: &Policy) -> StoreResult<Created> {
    crate::write(conn, |conn| {
        let cal = calendar::load(conn, &policy.hours)?;
        if let Some((key, hash)) = &new.idempotency
            && let Some((first_hash, case_id)) = idempotency_keys::table
                .filter(idempotency_keys::user_id.eq(&caller.user_id))
                .filter(idempotency_keys::idem_key.eq(key))
                .select((idempotency_keys::request_hash, idempotency_keys::case_id))
                .first::<(String, String)>(conn)
                .optional()?
        {
            if &first_hash != hash {
                return Err(StoreError::invalid(
                    "Idempotency-Key",
                    "was used before for a different request; use a new key for a new report",
                ));
            }
            let case = get(conn, &case_id)?;
            return answer(conn, caller, case, &cal, true);
        }
        let (case, replayed) = file(conn, caller, new, &cal)?;
        if let Some((key, hash)) = &new.idempotency {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(&caller.user_id),
                    idempotency_keys::idem_key.eq(key),
                    idempotency_keys::request_hash.eq(hash),
                    idempotency_keys::case_id.eq(&case.id),
                    idempotency_keys::created_at.eq(case.received_at),
                ))
                .execute(conn)
                .map_err(unique_as_conflict("Idempotency-Key", "a concurrent request used this key".into()))?;
        }
        answer(conn, caller, case, &cal, replayed)
    })
}

/// The answer to a create: the case as the caller sees it, and its possible duplicates.
fn answer(conn: &mut DbConn, caller: &Caller, case: Case, cal: &Calendar, replayed: bool) -> StoreResult<Created> {
    let category = category::get(conn, &case.category_code)?;
    let possible_duplicates = duplicates(conn, caller, &case, &category)?;
    Ok(Created { case: view(conn, case, cal)?, possible_duplicates, replayed })
}

/// Files a report (the work of a create without its answer): checks it, places it, stamps it,
/// starts its first step on `cal`, records its reporter and its `report` event. A phone's
/// report sent again (its answer was lost) finds the first one: `(case, true)`. Call it in a
/// write transaction.
pub fn file(conn: &mut DbConn, caller: &Caller, new: &NewCase, cal: &Calendar) -> StoreResult<(Case, bool)> {
    // a phone's report sent again (its answer was lost): the first one stands
    if let Some(id) = &new.id
        && let Some(case) = cases::table.find(id).select(Case::as_select()).first(conn).optional()?
    {
        if case.reporter_id != caller.user_id {
            return Err(StoreError::Conflict { field: "id", detail: format!("the id {id} is taken") });
        }
        return Ok((case, true));
    }
    // what every report must say, however it arrives (the API checks it first to name every
    // problem at once)
    if new.title.trim().is_empty() || new.title.chars().count() > 100 {
        return Err(StoreError::invalid("title", "must be 1 to 100 characters"));
    }
    if !PRIORITIES.contains(&new.priority.as_str()) {
        return Err(StoreError::invalid("priority", format!("must be one of {}", PRIORITIES.join(", "))));
    }
    if !may_file(caller.role, &new.source) {
        return Err(StoreError::Forbidden(format!(
            "a {} may not file a case of source {}",
            caller.role.as_str(),
            new.source
        )));
    }
    let category = category::get(conn, &new.category_code).ok().filter(|c| c.active).ok_or_else(|| {
        StoreError::invalid("category_code", format!("{} is not an active category", new.category_code))
    })?;
    let t = now();
    let reported_at = new.reported_at.unwrap_or(t);
    if reported_at > t + CLOCK_SKEW {
        return Err(StoreError::invalid("reported_at", "is in the future; check the phone's clock"));
    }
    if reported_at < t - OLDEST_REPORT {
        return Err(StoreError::invalid("reported_at", "is more than 30 days ago"));
    }
    let place = match new.cell_id.as_ref().or(new.near_cell_id.as_ref()) {
        Some(id) => {
            let (_, c, s) = cell::placed(conn, id)?;
            Place::community(&s.district_id, &s.id, &c.id)
        }
        None => Place::of_scope(conn, caller.role.scope_level(), caller.scope_id.as_deref()).unwrap_or_default(),
    };
    // people of a community report in its cells; the street office and above anywhere
    let local = matches!(caller.role, Role::GridWorker | Role::Volunteer | Role::CommunityAdmin);
    if local && new.cell_id.is_some() && place.community != caller.scope_id {
        return Err(StoreError::Forbidden(format!(
            "a {} reports in the cells of their own community; this point lies in another",
            caller.role.as_str()
        )));
    }
    let mut case = Case {
        id: new.id.clone().unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        district_id: place.district,
        street_id: place.street,
        community_id: place.community,
        cell_id: new.cell_id.clone(),
        source: new.source.clone(),
        category_code: category.code.clone(),
        title: new.title.clone(),
        description: new.description.clone(),
        lng: new.lng,
        lat: new.lat,
        address: new.address.clone(),
        reporter_id: caller.user_id.clone(),
        priority: new.priority.clone(),
        attachments: json!(new.attachments).to_string(),
        reported_at,
        received_at: t,
        status: String::new(),
        step_started_at: None,
        deadline_at: None,
        suspended_from: None,
        department_id: None,
        assignee_id: None,
        routing_rule_id: None,
        pending_extension: None,
        satisfaction: None,
        merged_into: None,
        closed_at: None,
        version: 1,
        updated_at: t,
        overdue_at: None,
        sync_ms: crate::clock::tick(conn)?,
    };
    case.start_step(Status::Reported, &category, t, cal);
    diesel::insert_into(cases::table).values(&case).execute(conn)?;
    add_reporter(conn, &case.id, &caller.user_id, &case.id, t)?;
    let data = json!({
        "source": case.source,
        "cell_id": case.cell_id,
        "outside_grid": case.cell_id.is_none(),
        "near_cell_id": if case.cell_id.is_none() { new.near_cell_id.clone() } else { None },
    });
    event::record(
        conn,
        caller,
        &case.id,
        "report",
        None,
        Status::Reported,
        None,
        &new.attachments,
        Some((case.lng, case.lat)),
        data,
    )?;
    Ok((case, false))
}

/// Writes `new` over the case if it is still at `seen` (compare-and-set): two offices acting on
/// one case at once cannot both win, whatever the isolation level.
fn save(conn: &mut DbConn, seen: i64, new: &Case) -> StoreResult<()> {
    let new = &Case { sync_ms: crate::clock::tick(conn)?, ..new.clone() };
    let written = diesel::update(cases::table.find(&new.id).filter(cases::version.eq(seen))).set(new).execute(conn)?;
    if written == 1 {
        Ok(())
    } else {
        let current = cases::table.find(&new.id).select(cases::version).first(conn)?;
        Err(StoreError::VersionMismatch { entity: "case", id: new.id.clone(), current })
    }
}

fn add_reporter(conn: &mut DbConn, case_id: &str, user_id: &str, via: &str, t: NaiveDateTime) -> StoreResult<()> {
    let known = case_reporters::table
        .find((case_id, user_id))
        .select(case_reporters::case_id)
        .first::<String>(conn)
        .optional()?;
    if known.is_none() {
        diesel::insert_into(case_reporters::table)
            .values((
                case_reporters::case_id.eq(case_id),
                case_reporters::user_id.eq(user_id),
                case_reporters::via_case.eq(via),
                case_reporters::at.eq(t),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Open cases of the same category within the category's radius of `case`, received within
/// its time window before it; nearest first. Residents are not shown other people's titles.
fn duplicates(conn: &mut DbConn, caller: &Caller, case: &Case, category: &Category) -> StoreResult<Vec<Duplicate>> {
    let radius = category.duplicate_radius_m;
    let (mx, my) = gridhub_geo::index::metres_per_degree(case.lat);
    let (dlng, dlat) = (radius / mx, radius / my);
    let open: Vec<&str> = Status::OPEN.iter().map(|s| s.as_str()).collect();
    let since = case.received_at - Duration::hours(i64::from(category.duplicate_window_hours));
    let rows: Vec<Case> = cases::table
        .filter(cases::category_code.eq(&case.category_code))
        .filter(cases::lat.between(case.lat - dlat, case.lat + dlat))
        .filter(cases::lng.between(case.lng - dlng, case.lng + dlng))
        .filter(cases::status.eq_any(open))
        .filter(cases::merged_into.is_null())
        .filter(cases::received_at.ge(since))
        .filter(cases::id.ne(&case.id))
        .select(Case::as_select())
        .load(conn)?;
    let mut found: Vec<Duplicate> = rows
        .into_iter()
        .map(|c| {
            let d = ((c.lng - case.lng) * mx).hypot((c.lat - case.lat) * my);
            (c, d)
        })
        .filter(|(_, d)| *d <= radius)
        .map(|(c, d)| Duplicate {
            id: c.id,
            title: (caller.role != Role::Resident).then_some(c.title),
            status: c.status,
            distance_m: (d * 10.0).round() / 10.0,
            received_at: c.received_at,
        })
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    Ok(found)
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Case> {
    cases::table
        .find(id)
        .select(Case::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("case", id))
}

fn is_reporter(conn: &mut DbConn, case_id: &str, user_id: &str) -> StoreResult<bool> {
    Ok(case_reporters::table
        .find((case_id, user_id))
        .select(case_reporters::case_id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// Whether the caller may see the case (see the module).
fn visible(conn: &mut DbConn, caller: &Caller, reach: &Reach, case: &Case) -> StoreResult<bool> {
    let by_role = match caller.role {
        Role::DeptStaff => case.department_id.is_some() && case.department_id == caller.scope_id,
        Role::Resident => false,
        _ => reach.covers(&case.place()),
    };
    Ok(by_role || is_reporter(conn, &case.id, &caller.user_id)?)
}

/// A case the caller may see; 404 for any other.
pub(crate) fn find_case(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Case> {
    let case = get(conn, id)?;
    let reach = Reach::of(conn, caller)?;
    if visible(conn, caller, &reach, &case)? { Ok(case) } else { Err(StoreError::not_found("case", id)) }
}

/// A case with what the caller may do with it now.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str, policy: &Policy) -> StoreResult<CaseView> {
    let case = find_case(conn, caller, id)?;
    let cal = calendar::load(conn, &policy.hours)?;
    detail(conn, caller, case, &cal, policy)
}

/// A case as one caller sees it alone: its view and what they may do with it now.
fn detail(conn: &mut DbConn, caller: &Caller, case: Case, cal: &Calendar, policy: &Policy) -> StoreResult<CaseView> {
    let mut v = view(conn, case, cal)?;
    v.allowed_actions = Some(transition::allowed(conn, caller, &v.case, policy)?);
    Ok(v)
}

fn view(conn: &mut DbConn, case: Case, cal: &Calendar) -> StoreResult<CaseView> {
    Ok(views(conn, vec![case], cal)?.pop().expect("one case in, one view out"))
}

/// Views of a page of cases, with the names a screen shows (category, cell, department) and
/// the counts, in a fixed number of queries whatever the page size.
fn views(conn: &mut DbConn, rows: Vec<Case>, cal: &Calendar) -> StoreResult<Vec<CaseView>> {
    let at = now();
    use std::collections::HashMap;

    use crate::schema::{categories, cells, departments};
    let ids: Vec<&str> = rows.iter().map(|c| c.id.as_str()).collect();
    let codes: Vec<&str> = rows.iter().map(|c| c.category_code.as_str()).collect();
    let cell_ids: Vec<&str> = rows.iter().filter_map(|c| c.cell_id.as_deref()).collect();
    let dept_ids: Vec<&str> = rows.iter().filter_map(|c| c.department_id.as_deref()).collect();
    let category_names: HashMap<String, String> = categories::table
        .filter(categories::code.eq_any(&codes))
        .select((categories::code, categories::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let cell_names: HashMap<String, (String, String)> = cells::table
        .filter(cells::id.eq_any(&cell_ids))
        .select((cells::id, cells::code, cells::name))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let dept_names: HashMap<String, String> = departments::table
        .filter(departments::id.eq_any(&dept_ids))
        .select((departments::id, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let reporters: HashMap<String, i64> = case_reporters::table
        .filter(case_reporters::case_id.eq_any(&ids))
        .group_by(case_reporters::case_id)
        .select((case_reporters::case_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let counted: Vec<(String, String, i64)> = case_events::table
        .filter(case_events::case_id.eq_any(&ids))
        .filter(case_events::action.eq_any(["verify_fail", "return"]))
        .group_by((case_events::case_id, case_events::action))
        .select((case_events::case_id, case_events::action, diesel::dsl::count_star()))
        .load(conn)?;
    let count =
        |id: &str, action: &str| counted.iter().find(|(c, a, _)| c == id && a == action).map_or(0, |(_, _, n)| *n);
    Ok(rows
        .into_iter()
        .map(|case| {
            let cell = case.cell_id.as_ref().and_then(|id| cell_names.get(id));
            CaseView {
                outside_grid: case.cell_id.is_none(),
                step: case.state().step().map(Step::as_str),
                light: case.light(cal, at),
                category_name: category_names.get(&case.category_code).cloned().unwrap_or_default(),
                cell_code: cell.map(|c| c.0.clone()),
                cell_name: cell.map(|c| c.1.clone()),
                department_name: case.department_id.as_ref().and_then(|id| dept_names.get(id)).cloned(),
                reporters_count: reporters.get(&case.id).copied().unwrap_or(0),
                rework_count: count(&case.id, "verify_fail"),
                misdispatch_count: count(&case.id, "return"),
                allowed_actions: None,
                case,
            }
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<Status>,
    /// A category code, or a 大类 for all its 小类.
    pub category: Option<String>,
    pub source: Option<String>,
    pub cell_id: Option<String>,
    pub community_id: Option<String>,
    pub street_id: Option<String>,
    pub department_id: Option<String>,
    /// Open cases past their deadline (suspended ones are not counted).
    pub overdue: bool,
    pub received_from: Option<NaiveDateTime>,
    pub received_to: Option<NaiveDateTime>,
}

/// The cases the caller may see, newest first.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    filter: &CaseFilter,
    page: &Page,
    policy: &Policy,
) -> StoreResult<Paged<CaseView>> {
    let reach = Reach::of(conn, caller)?;
    let mine = case_reporters::table
        .filter(case_reporters::user_id.eq(caller.user_id.clone()))
        .select(case_reporters::case_id);
    let mut q = cases::table.select(Case::as_select()).order(cases::id.desc()).into_boxed();
    q = match (caller.role, &reach) {
        (Role::DeptStaff, _) => {
            q.filter(cases::department_id.eq(caller.scope_id.clone().unwrap_or_default()).or(cases::id.eq_any(mine)))
        }
        (Role::Resident, _) | (_, Reach::Nothing) => q.filter(cases::id.eq_any(mine)),
        (_, Reach::Everywhere) => q,
        (_, Reach::District { district }) => {
            q.filter(cases::district_id.eq(district.clone()).or(cases::id.eq_any(mine)))
        }
        (_, Reach::Street { street, .. }) => q.filter(cases::street_id.eq(street.clone()).or(cases::id.eq_any(mine))),
        (_, Reach::Community { community, .. }) => {
            q.filter(cases::community_id.eq(community.clone()).or(cases::id.eq_any(mine)))
        }
    };
    if !filter.statuses.is_empty() {
        q = q.filter(cases::status.eq_any(filter.statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
    }
    if let Some(code) = &filter.category {
        q = if code.len() == 4 {
            q.filter(cases::category_code.like(format!("{code}%")))
        } else {
            q.filter(cases::category_code.eq(code.clone()))
        };
    }
    if let Some(s) = &filter.source {
        q = q.filter(cases::source.eq(s.clone()));
    }
    if let Some(id) = &filter.cell_id {
        q = q.filter(cases::cell_id.eq(id.clone()));
    }
    if let Some(id) = &filter.community_id {
        q = q.filter(cases::community_id.eq(id.clone()));
    }
    if let Some(id) = &filter.street_id {
        q = q.filter(cases::street_id.eq(id.clone()));
    }
    if let Some(id) = &filter.department_id {
        q = q.filter(cases::department_id.eq(id.clone()));
    }
    if filter.overdue {
        let running: Vec<&str> = Status::OPEN.iter().filter(|s| **s != Status::Suspended).map(|s| s.as_str()).collect();
        q = q.filter(cases::deadline_at.lt(now())).filter(cases::status.eq_any(running));
    }
    if let Some(t) = filter.received_from {
        q = q.filter(cases::received_at.ge(t));
    }
    if let Some(t) = filter.received_to {
        q = q.filter(cases::received_at.lt(t));
    }
    if let Some(after) = &page.after {
        q = q.filter(cases::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |c: &Case| &c.id);
    let cal = calendar::load(conn, &policy.hours)?;
    Ok(Paged { items: views(conn, paged.items, &cal)?, next_after: paged.next_after })
}

#[derive(Debug, Clone, Default)]
pub struct CasePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub address: Option<Option<String>>,
    pub priority: Option<String>,
    /// Only before the case is filed.
    pub category_code: Option<String>,
}

/// Corrects what a report says. The reporter may while it waits to be filed; the office and
/// the community while it is open. The category only changes before filing.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: CasePatch,
    expected_version: Option<i64>,
    policy: &Policy,
) -> StoreResult<CaseView> {
    crate::write(conn, |conn| {
        let old = find_case(conn, caller, id)?;
        let reach = Reach::of(conn, caller)?;
        let state = old.state();
        let office =
            matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin | Role::CommunityAdmin)
                && reach.covers(&old.place());
        let reporter = old.reporter_id == caller.user_id && state == Status::Reported;
        if !office && !reporter {
            return Err(StoreError::Forbidden(
                "only the street office or community, or the reporter before it is filed, may correct a case".into(),
            ));
        }
        expect_version("case", id, old.version, expected_version)?;
        if !Status::OPEN.contains(&state) {
            return Err(StoreError::Conflict {
                field: "status",
                detail: format!("a {} case is not corrected", state.as_str()),
            });
        }
        let cal = calendar::load(conn, &policy.hours)?;
        let mut new = Case { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(code) = patch.category_code.filter(|c| *c != old.category_code) {
            if state != Status::Reported {
                return Err(StoreError::Conflict {
                    field: "category_code",
                    detail: "the category changes only before the case is filed".into(),
                });
            }
            let category = category::get(conn, &code)
                .ok()
                .filter(|c| c.active)
                .ok_or_else(|| StoreError::invalid("category_code", format!("{code} is not an active category")))?;
            new.category_code = category.code.clone();
            let started = old.step_started_at.unwrap_or(old.received_at);
            new.start_step(Status::Reported, &category, started, &cal);
        }
        new.title = patch.title.unwrap_or(new.title);
        new.description = patch.description.unwrap_or(new.description);
        new.address = patch.address.unwrap_or(new.address);
        new.priority = patch.priority.unwrap_or(new.priority);
        let same = (&new.title, &new.description, &new.address, &new.priority, &new.category_code)
            == (&old.title, &old.description, &old.address, &old.priority, &old.category_code);
        if same {
            // nothing to correct (a phone sending its record again): nothing changes
            return detail(conn, caller, old, &cal, policy);
        }
        save(conn, old.version, &new)?;
        let changes = crate::audit::diff(&[
            ("title", json!(old.title), json!(new.title)),
            ("description", json!(old.description), json!(new.description)),
            ("address", json!(old.address), json!(new.address)),
            ("priority", json!(old.priority), json!(new.priority)),
            ("category_code", json!(old.category_code), json!(new.category_code)),
        ]);
        event::record(conn, caller, id, "correct", Some(state), state, None, &[], None, json!({"changes": changes}))?;
        detail(conn, caller, new, &cal, policy)
    })
}

/// The timeline of a case the caller may see, oldest first.
pub fn events(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Vec<event::EventView>> {
    find_case(conn, caller, id)?;
    event::of_case(conn, id)
}

/// How many open cases each of `cell_ids` has.
pub fn open_per_cell(conn: &mut DbConn, cell_ids: &[String]) -> StoreResult<std::collections::HashMap<String, i64>> {
    let open: Vec<&str> = Status::OPEN.iter().map(|s| s.as_str()).collect();
    let rows: Vec<(Option<String>, i64)> = cases::table
        .filter(cases::cell_id.eq_any(cell_ids))
        .filter(cases::status.eq_any(open))
        .group_by(cases::cell_id)
        .select((cases::cell_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(id, n)| id.map(|id| (id, n))).collect())
}
