//! 待办 — what awaits the caller's action, pile by pile, each with its count and the most urgent
//! first items: a street office's reports to file, resident requests, cases to dispatch, returned
//! cases, handlings to verify, extension requests, assisting parts returned (and, for the district,
//! shelved cases due for review); a department's cases to accept and to handle, its assisting
//! parts (协办) to accept and to report, and whistles to report in to; a
//! community's and a grid worker's handlings to verify in their community or grids; and for each
//! unit the tasks it owns still to do and those it assigned now submitted. Each pile
//! also raises a notification when something lands on it (see `cases::transition`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::access::{Caller, Role};
use crate::cases::{Level, PartStatus, Source, Status};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{assignments, case_events, case_parts, cases, whistle_departments, whistle_requests, whistles};
use crate::tasks::Mine;
use crate::time::now;

/// How many items of each pile the answer shows.
pub const FIRST: i64 = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    /// Everything waiting, all piles together.
    pub total: i64,
    pub piles: Vec<Pile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pile {
    pub kind: &'static str,
    /// 中文: what the pile is.
    pub label: &'static str,
    pub count: i64,
    /// The first items, the nearest deadline first.
    pub items: Vec<Item>,
}

/// A case, a whistle or a task waiting.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The case's id (a whistle's in `whistles_to_report_in`, a task's in the task piles).
    pub id: String,
    /// The case it concerns; none for a task.
    pub case_id: Option<String>,
    /// The task, in the task piles.
    pub task_id: Option<String>,
    pub title: String,
    pub status: String,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub deadline_at: Option<NaiveDateTime>,
    pub overdue: bool,
}

impl Item {
    /// A case waiting (or a part of it), overdue when marked so or past its deadline at `at`.
    fn case(
        id: String,
        title: String,
        status: &str,
        deadline_at: Option<NaiveDateTime>,
        overdue_at: Option<NaiveDateTime>,
        at: NaiveDateTime,
    ) -> Item {
        let overdue = overdue_at.is_some() || deadline_at.is_some_and(|d| d < at);
        Item { case_id: Some(id.clone()), task_id: None, id, title, status: status.to_owned(), deadline_at, overdue }
    }
}

type Brief = (String, String, Status, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// The piles a kind of caller works: (kind, 中文).
#[rustfmt::skip]
pub const PILES: &[(&str, &str, &[Role])] = &[
    ("reports_to_file", "待立案上报", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("resident_requests", "待受理居民诉求", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("cases_to_dispatch", "待派遣", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("returned_cases", "被退回待重新派遣", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("extension_requests", "待审批延期申请", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("cases_to_verify", "待核查结案", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin, Role::CommunityAdmin, Role::GridWorker]),
    ("shelved_due_for_review", "待复核挂账", &[Role::SystemAdmin, Role::DistrictAdmin]),
    ("whistle_requests", "待决定吹哨申请", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("returned_parts", "协办被退回待增派或免除", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin]),
    ("cases_escalated", "提级待指挥", &[Role::SystemAdmin, Role::DistrictAdmin]),
    ("cases_handed_down", "下派待办", &[Role::CommunityAdmin]),
    ("cases_to_accept", "待签收", &[Role::DeptStaff]),
    ("cases_to_handle", "待处置", &[Role::DeptStaff]),
    ("assists_to_accept", "待签收协办", &[Role::DeptStaff]),
    ("assists_to_handle", "待反馈协办", &[Role::DeptStaff]),
    ("whistles_to_report_in", "待报到吹哨", &[Role::DeptStaff]),
    ("tasks_to_do", "待办任务", &[Role::DistrictAdmin, Role::StreetAdmin, Role::CommunityAdmin, Role::GridWorker, Role::DeptStaff]),
    ("tasks_to_verify", "待核验任务", &[Role::SystemAdmin, Role::DistrictAdmin, Role::StreetAdmin, Role::CommunityAdmin]),
];

/// The caller's to-do.
pub fn todo(conn: &mut DbConn, caller: &Caller) -> StoreResult<Todo> {
    let mut piles = Vec::new();
    for (kind, label, roles) in PILES {
        if !roles.contains(&caller.role) {
            continue;
        }
        let (count, items) = match *kind {
            "whistles_to_report_in" => whistles_waiting(conn, caller)?,
            "whistle_requests" => requests_waiting(conn, caller)?,
            "assists_to_accept" => parts_waiting(conn, caller, PartStatus::Dispatched)?,
            "assists_to_handle" => parts_waiting(conn, caller, PartStatus::Accepted)?,
            "returned_parts" => parts_waiting(conn, caller, PartStatus::Returned)?,
            "tasks_to_do" => tasks_waiting(conn, caller, Mine::Owned)?,
            "tasks_to_verify" => tasks_waiting(conn, caller, Mine::Assigned)?,
            _ => cases_waiting(conn, caller, kind)?,
        };
        piles.push(Pile { kind, label, count, items });
    }
    Ok(Todo { total: piles.iter().map(|p| p.count).sum(), piles })
}

/// The cases of a pile in the caller's reach: how many, and the first.
fn cases_waiting(conn: &mut DbConn, caller: &Caller, kind: &str) -> StoreResult<(i64, Vec<Item>)> {
    let query = || {
        let mut q = cases::table.into_boxed();
        q = if caller.role == Role::DeptStaff {
            q.filter(cases::department_id.eq(caller.scope_id.clone().unwrap_or_default()))
        } else {
            crate::access::within_reach!(q, caller.reach(), cases::district_id, cases::street_id, cases::community_id)
        };
        if caller.role == Role::GridWorker {
            let mine = assignments::table
                .filter(assignments::user_id.eq(caller.user_id.to_string()))
                .filter(crate::assignments::in_force(now()))
                .select(assignments::cell_id.nullable());
            q = q.filter(cases::cell_id.eq_any(mine));
        }
        let returned = case_events::table.filter(case_events::action.eq("return")).select(case_events::case_id);
        // a street's office commands no case escalated to its district: those leave its piles
        if caller.role == Role::StreetAdmin {
            q = q.filter(cases::level.ne(Level::District));
        }
        match kind {
            "cases_escalated" => {
                q.filter(cases::level.eq(Level::District)).filter(cases::status.eq_any(Status::RUNNING))
            }
            "cases_handed_down" => {
                q.filter(cases::level.eq(Level::Community)).filter(cases::status.eq_any(Status::RUNNING))
            }
            "reports_to_file" => {
                q.filter(cases::status.eq(Status::Reported)).filter(cases::source.ne(Source::ResidentRequest))
            }
            "resident_requests" => {
                q.filter(cases::status.eq(Status::Reported)).filter(cases::source.eq(Source::ResidentRequest))
            }
            "cases_to_dispatch" => q.filter(cases::status.eq(Status::Filed)),
            "returned_cases" => q.filter(cases::status.eq(Status::Filed)).filter(cases::id.eq_any(returned)),
            "extension_requests" => q
                .filter(cases::status.eq_any([Status::Dispatched, Status::Accepted]))
                .filter(cases::pending_extension.is_not_null()),
            "cases_to_verify" => q.filter(cases::status.eq(Status::Handled)),
            "shelved_due_for_review" => {
                q.filter(cases::status.eq(Status::Shelved)).filter(cases::shelved_review_at.le(now()))
            }
            "cases_to_accept" => q.filter(cases::status.eq(Status::Dispatched)),
            _ => q.filter(cases::status.eq(Status::Accepted)),
        }
    };
    let count: i64 = query().count().get_result(conn)?;
    let rows: Vec<Brief> = query()
        .order((cases::deadline_at.is_null().asc(), cases::deadline_at.asc(), cases::id.asc()))
        .limit(FIRST)
        .select((cases::id, cases::title, cases::status, cases::deadline_at, cases::overdue_at))
        .load(conn)?;
    let at = now();
    let items = rows
        .into_iter()
        .map(|(id, title, s, deadline_at, overdue_at)| Item::case(id, title, s.as_str(), deadline_at, overdue_at, at));
    Ok((count, items.collect()))
}

/// Assisting parts (协办) in `status`, on cases with their departments: a department's own parts
/// to accept or report, or the parts returned to an office in its reach.
fn parts_waiting(conn: &mut DbConn, caller: &Caller, status: PartStatus) -> StoreResult<(i64, Vec<Item>)> {
    let query = || {
        let q = case_parts::table
            .inner_join(cases::table)
            .filter(case_parts::status.eq(status))
            .filter(cases::status.eq_any(crate::cases::lifecycle::PARTS_WORKED))
            .into_boxed();
        if caller.role == Role::DeptStaff {
            return q.filter(case_parts::department_id.eq(caller.scope_id.clone().unwrap_or_default()));
        }
        crate::access::within_reach!(q, caller.reach(), cases::district_id, cases::street_id, cases::community_id)
    };
    let count: i64 = query().count().get_result(conn)?;
    let rows: Vec<(String, String, Option<NaiveDateTime>, Option<NaiveDateTime>)> = query()
        .order((case_parts::deadline_at.is_null().asc(), case_parts::deadline_at.asc(), cases::id.asc()))
        .limit(FIRST)
        .select((cases::id, cases::title, case_parts::deadline_at, case_parts::overdue_at))
        .load(conn)?;
    let at = now();
    let items = rows.into_iter().map(|(id, title, deadline_at, overdue_at)| {
        Item::case(id, title, status.as_str(), deadline_at, overdue_at, at)
    });
    Ok((count, items.collect()))
}

/// Open whistles the caller's department has not reported in to yet.
fn whistles_waiting(conn: &mut DbConn, caller: &Caller) -> StoreResult<(i64, Vec<Item>)> {
    let department = caller.scope_id.clone().unwrap_or_default();
    let query = || {
        whistle_departments::table
            .inner_join(whistles::table.inner_join(cases::table.on(cases::id.eq(whistles::case_id))))
            .filter(whistle_departments::department_id.eq(department.clone()))
            .filter(whistle_departments::reported_at.is_null())
            .filter(whistles::status.eq("open"))
    };
    let count: i64 = query().count().get_result(conn)?;
    let rows: Vec<(String, String, String, NaiveDateTime)> = query()
        .order((whistles::deadline_at.asc(), whistles::id.asc()))
        .limit(FIRST)
        .select((whistles::id, whistles::case_id, cases::title, whistles::deadline_at))
        .load(conn)?;
    let at = now();
    Ok((
        count,
        rows.into_iter()
            .map(|(id, case_id, title, deadline)| Item {
                id,
                case_id: Some(case_id),
                task_id: None,
                title,
                status: "summoned".into(),
                deadline_at: Some(deadline),
                overdue: deadline < at,
            })
            .collect(),
    ))
}

/// Communities' requests to blow the whistle the caller's street has still to decide.
fn requests_waiting(conn: &mut DbConn, caller: &Caller) -> StoreResult<(i64, Vec<Item>)> {
    use crate::supervision::whistle::requests::RequestStatus;
    let query = || {
        let q = whistle_requests::table
            .inner_join(cases::table.on(cases::id.eq(whistle_requests::case_id)))
            .filter(whistle_requests::status.eq(RequestStatus::Requested))
            .into_boxed();
        crate::access::within_reach!(
            q,
            caller.reach(),
            whistle_requests::district_id,
            whistle_requests::street_id,
            whistle_requests::community_id
        )
    };
    let count: i64 = query().count().get_result(conn)?;
    // the oldest first: the longest waiting
    let rows: Vec<(String, String, String)> = query()
        .order(whistle_requests::id.asc())
        .limit(FIRST)
        .select((whistle_requests::id, whistle_requests::case_id, cases::title))
        .load(conn)?;
    let items = rows.into_iter().map(|(id, case_id, title)| Item {
        id,
        case_id: Some(case_id),
        task_id: None,
        title,
        status: RequestStatus::Requested.as_str().to_owned(),
        deadline_at: None,
        overdue: false,
    });
    Ok((count, items.collect()))
}

/// The tasks the caller's units own still to do, or assigned and now submitted.
fn tasks_waiting(conn: &mut DbConn, caller: &Caller, mine: Mine) -> StoreResult<(i64, Vec<Item>)> {
    let (count, rows) = crate::tasks::on_desk(conn, caller, mine, FIRST)?;
    let at = now();
    Ok((
        count,
        rows.into_iter()
            .map(|t| Item {
                id: t.id.clone(),
                case_id: None,
                task_id: Some(t.id.clone()),
                overdue: crate::tasks::is_overdue(&t, at),
                title: t.title,
                status: t.status.as_str().to_owned(),
                deadline_at: Some(t.due_at),
            })
            .collect(),
    ))
}
