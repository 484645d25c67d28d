//! 事件/案卷 — cases: what is found in a cell, filed by the street office, handled by a
//! department, verified on site, closed and scored. Here is the record and who sees it; a report
//! becomes a case through `intake`, the state machine is `lifecycle`, its application
//! `transition`, the timeline `event`; `read` lists and shows cases, `correct` changes what a
//! report says, `tally` what a case counts for in the figures, `parts` the assisting departments'
//! parts (协办).
//!
//! Who sees a case: the admins, grid workers and volunteers whose area holds it, the staff of
//! the department it is dispatched to and of those assisting it, and everyone who reported it (residents see only those).

mod allowed;
pub mod campaign;
pub mod category;
pub mod correct;
pub mod event;
mod face;
pub mod intake;
pub mod lifecycle;
pub mod outcome;
pub mod overdue;
pub mod parts;
pub mod phone;
pub mod photo;
pub mod read;
pub mod routing;
pub mod tally;
mod transition;

pub use lifecycle::{Action, Level, PartStatus, Status};
pub use transition::{Act, transition};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Caller, Place, Role};
use crate::clocks::{Calendar, Clock, Timer, WorkingHours};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::{StoreError, StoreResult};
use crate::schema::{case_reporters, cases};
use crate::types::{CaseId, CellId, UserId};
use category::Category;

/// Settings of the closed loop that an operator chooses.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long after closing a case may be reopened.
    pub reopen_window: Duration,
    /// How long after closing a resident may rate their request.
    pub evaluation_window: Duration,
    /// How often a shelved case (挂账) comes up for review.
    pub shelved_review: Duration,
    /// The working hours time limits are counted in.
    pub hours: WorkingHours,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            reopen_window: Duration::days(7),
            evaluation_window: Duration::days(7),
            shelved_review: Duration::days(90),
            hours: WorkingHours::default(),
        }
    }
}

crate::types::text_enum! {
    /// Where a report came from.
    pub enum Source {
        /// 巡查上报: a grid worker found it.
        FieldReport = "field_report",
        /// 居民诉求: a resident asked.
        ResidentRequest = "resident_request",
        /// Found on a patrol.
        Patrol = "patrol",
        /// 热线: a call the street office took.
        Hotline = "hotline",
        /// 吹哨: the street office blew the whistle on a problem it found (`POST /api/v1/whistles`).
        Whistle = "whistle",
    }
}

crate::types::text_enum! {
    /// How urgent a case is.
    pub enum Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Urgent = "urgent",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = cases, treat_none_as_null = true)]
pub struct Case {
    pub id: CaseId,
    pub district_id: Option<String>,
    pub street_id: Option<String>,
    pub community_id: Option<String>,
    /// The governance grid the index found at filing (who answers); `None` for a point outside
    /// every governance grid.
    pub cell_id: Option<CellId>,
    pub source: Source,
    pub category_code: String,
    pub title: String,
    pub description: String,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub reporter_id: UserId,
    pub priority: Priority,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    /// The phone's own time of the report.
    #[serde(serialize_with = "crate::time::serialize")]
    pub reported_at: NaiveDateTime,
    /// When the server received it.
    #[serde(serialize_with = "crate::time::serialize")]
    pub received_at: NaiveDateTime,
    pub status: Status,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub step_started_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub deadline_at: Option<NaiveDateTime>,
    pub suspended_from: Option<Status>,
    pub department_id: Option<String>,
    /// The department's staff member who accepted it.
    pub assignee_id: Option<UserId>,
    /// The routing rule that chose the department, when one did.
    pub routing_rule_id: Option<String>,
    /// An extension asked for and not yet granted or denied (`2d`).
    pub pending_extension: Option<String>,
    pub satisfaction: Option<i32>,
    /// The original this duplicate was merged into.
    pub merged_into: Option<CaseId>,
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
    /// The stamp of its filing (a pull tells new cases from changed ones by it).
    #[serde(skip)]
    pub created_ms: i64,
    /// The unit grid (单元网格) the report lies in, and its code as it was then: where problems
    /// cluster, and the standard's statistics.
    pub unit_cell_id: Option<CellId>,
    pub unit_code: Option<String>,
    /// When a shelved case (挂账) is next due for the district's review.
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub shelved_review_at: Option<NaiveDateTime>,
    /// What its time limits count: natural time for a category that cannot wait or an urgent
    /// case, working time otherwise (see `Case::clock_of`).
    pub clock: Clock,
    /// The level whose office commands it (files, rejects, dispatches): `lifecycle::LEVELS`.
    pub level: Level,
}

impl Case {
    pub fn place(&self) -> Place {
        Place {
            district: self.district_id.clone(),
            street: self.street_id.clone(),
            community: self.community_id.clone(),
        }
    }

    /// The clock a case counts its limits on, chosen when it is filed: natural time for an
    /// urgent case, for a category that counts natural time, and for a case linked to a campaign
    /// that switches its watched categories to natural time (`campaign`); working time otherwise.
    pub fn clock_of(category: &Category, priority: Priority, campaign: bool) -> Clock {
        if priority == Priority::Urgent || campaign { Clock::Natural } else { category.clock }
    }

    /// Its calendar read on its clock.
    pub fn timer<'a>(&self, cal: &'a Calendar) -> Timer<'a> {
        cal.on(self.clock)
    }

    /// Starts the step of `status` at `t`, with its deadline from the category's limit counted
    /// on the case's clock.
    pub(crate) fn start_step(&mut self, status: Status, category: &Category, t: NaiveDateTime, cal: &Calendar) {
        self.status = status;
        let step = status.step();
        self.step_started_at = step.map(|_| t);
        self.deadline_at = step.and_then(|s| category.limit(s)).map(|l| self.timer(cal).deadline(t, l));
        self.overdue_at = None;
    }

    /// Counts the running step again when what it is filed as changes its clock (its category
    /// corrected, its priority made urgent or not): the step keeps its start, its deadline is
    /// the step's limit from there on the new clock. Whether the clock changed.
    pub(crate) fn recount(&mut self, category: &Category, campaign: bool, cal: &Calendar) -> bool {
        let clock = Case::clock_of(category, self.priority, campaign);
        if clock == self.clock {
            return false;
        }
        self.clock = clock;
        if let (Some(step), Some(start)) = (self.status.step(), self.step_started_at) {
            self.deadline_at = category.limit(step).map(|l| self.timer(cal).deadline(start, l));
            self.overdue_at = None;
        }
        true
    }

    /// The lights a running step can show.
    pub const LIGHTS: [&'static str; 3] = ["green", "yellow", "red"];

    /// The traffic light of the running step at `at`: `green` under 80% of its time used (on
    /// the case's clock), `yellow` from 80% to the deadline, `red` past it; none when no step
    /// runs (closed, suspended: a suspended case's clock stands still).
    pub fn light(&self, cal: &Calendar, at: NaiveDateTime) -> Option<&'static str> {
        let (Some(start), Some(deadline)) = (self.step_started_at, self.deadline_at) else { return None };
        if self.status == Status::Suspended {
            return None;
        }
        if at > deadline {
            return Some("red");
        }
        let timer = self.timer(cal);
        let total = timer.minutes(start, deadline);
        let used = timer.minutes(start, at);
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

impl Source {
    /// What people call the source (中文).
    pub fn label(self) -> &'static str {
        match self {
            Source::FieldReport => "网格员上报",
            Source::ResidentRequest => "居民诉求",
            Source::Patrol => "巡查发现",
            Source::Hotline => "热线",
            Source::Whistle => "街道吹哨",
        }
    }
}

impl Priority {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "低",
            Priority::Normal => "一般",
            Priority::High => "高",
            Priority::Urgent => "紧急",
        }
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
    /// The assisting departments (协办), by name; waived parts left out.
    pub co_department_names: Vec<String>,
    pub reporters_count: i64,
    pub rework_count: i64,
    pub misdispatch_count: i64,
    /// What the caller may do now (detail views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<&'static str>>,
    /// Every photo of the case, whatever route it came by (detail views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<photo::Photo>>,
    /// The assisting departments' parts (协办), staff's detail views only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<parts::PartView>>,
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Case> {
    cases::table
        .find(id)
        .select(Case::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("case", id))
}

pub(crate) fn is_reporter(conn: &mut DbConn, case_id: &str, user_id: &str) -> StoreResult<bool> {
    Ok(case_reporters::table
        .find((case_id, user_id))
        .select(case_reporters::case_id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// Whether the caller may see the case (see the module).
fn visible(conn: &mut DbConn, caller: &Caller, case: &Case) -> StoreResult<bool> {
    let by_role = match caller.role {
        Role::DeptStaff => match caller.scope_id.as_deref() {
            Some(department) => {
                case.department_id.as_deref() == Some(department) || parts::assists(conn, &case.id, department)?
            }
            None => false,
        },
        Role::Resident => false,
        _ => caller.reach().covers(&case.place()),
    };
    Ok(by_role || is_reporter(conn, &case.id, &caller.user_id)?)
}

/// A case the caller may see; 404 for any other.
pub(crate) fn find_case(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Case> {
    let case = get(conn, id)?;
    if visible(conn, caller, &case)? { Ok(case) } else { Err(StoreError::not_found("case", id)) }
}

/// Writes `new` over the case if it is still at `seen` (compare-and-set): two offices acting on
/// one case at once cannot both win, whatever the isolation level.
pub(crate) fn save(conn: &mut DbConn, seen: i64, new: &Case) -> StoreResult<()> {
    let new = &Case { sync_ms: clock::tick(conn)?, ..new.clone() };
    let written = diesel::update(cases::table.find(&new.id).filter(cases::version.eq(seen))).set(new).execute(conn)?;
    if written == 1 {
        Ok(())
    } else {
        let current = cases::table.find(&new.id).select(cases::version).first(conn)?;
        Err(StoreError::VersionMismatch { entity: "case", id: new.id.to_string(), current })
    }
}

/// Records that `user_id` reported the case (once), via the case they filed.
pub(crate) fn add_reporter(
    conn: &mut DbConn,
    case_id: &str,
    user_id: &str,
    via: &str,
    t: NaiveDateTime,
) -> StoreResult<()> {
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
