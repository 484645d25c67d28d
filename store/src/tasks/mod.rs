//! 督办任务 — tasks: what an office assigns a unit (a district, street, community, grid,
//! department or person) to do by a date, the one primitive campaigns, meetings and offices use.
//! A task is decomposed down the grid into one child per unit under its owner (`decompose`), its
//! owner reports progress against a target (`progress`), submits it, and the unit that assigned
//! it verifies it or returns it with a reason; what may happen when is the table `flow::FLOW`,
//! who may assign what to whom `unit::ASSIGNS`, and the overdue sweep marks late tasks once.
//!
//! Who sees a task: the units it is owned by and assigned from, and the admins whose reach holds
//! its owner (a district sees every task of its streets, communities and grids).

mod act;
pub mod flow;
pub mod overdue;
pub mod unit;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

pub use act::{Made, Progress, act, decompose, progress};
pub use flow::{FLOW, TaskAction, TaskStatus};
pub use unit::Unit;

use crate::access::{Caller, Place, Reach, Role, within_reach};
use crate::db::{DbConn, clock};
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About};
use crate::page::{Page, Paged};
use crate::regions::department;
use crate::schema::{assignments, campaign_districts, campaigns, task_events, task_photos, tasks};
use crate::time::now;

crate::types::text_enum! {
    /// Where a task comes from.
    pub enum TaskKind {
        /// 日常督办: an office's own assignment.
        Routine = "routine",
        /// 专项行动: part of a campaign.
        Campaign = "campaign",
        /// 会议决定: a decision of a meeting (会商日, 联席会议).
        Meeting = "meeting",
        /// 吹哨报到: a whistle's plan.
        Whistle = "whistle",
    }
}

impl TaskKind {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            TaskKind::Routine => "日常督办",
            TaskKind::Campaign => "专项行动",
            TaskKind::Meeting => "会议决定",
            TaskKind::Whistle => "吹哨报到",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = tasks, treat_none_as_null = true)]
pub struct Task {
    pub id: String,
    pub parent_id: Option<String>,
    /// The campaign (专项行动) it is part of.
    pub campaign_id: Option<String>,
    pub title: String,
    pub description: String,
    pub kind: TaskKind,
    pub owner_type: Unit,
    pub owner_id: String,
    /// The unit that assigned it, which verifies it.
    pub assigner_type: Unit,
    pub assigner_id: String,
    /// The person who assigned it (none for the command line).
    pub assigned_by: Option<String>,
    /// Where its owner lies.
    pub district_id: String,
    pub street_id: Option<String>,
    pub community_id: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub due_at: NaiveDateTime,
    /// How much is to be done (households visited, sites inspected), if it is counted.
    pub target_quantity: Option<i64>,
    /// How much has been reported done, by its owner and by the owners of every task under it.
    pub quantity_done: i64,
    pub status: TaskStatus,
    /// When the sweep found it past its due date unfinished (kept once it is done late).
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub overdue_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub submitted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub verified_at: Option<NaiveDateTime>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
    /// The sync clock's stamp of its last change, and of its creation (phones pull by them).
    #[serde(skip)]
    pub sync_ms: i64,
    #[serde(skip)]
    pub created_ms: i64,
}

impl Task {
    pub fn place(&self) -> Place {
        Place {
            district: Some(self.district_id.clone()),
            street: self.street_id.clone(),
            community: self.community_id.clone(),
        }
    }
}

/// How a task's children stand: the parent's progress rolled up.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Rollup {
    /// Children not cancelled.
    pub total: i64,
    pub verified: i64,
    pub submitted: i64,
    /// Accepted, under way or returned: being worked on.
    pub working: i64,
    /// Assigned and not yet accepted.
    pub waiting: i64,
    pub overdue: i64,
    /// Verified ÷ total, in percent to one decimal; none without children.
    pub completion: Option<f64>,
}

/// A task as its reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    #[serde(flatten)]
    pub task: Task,
    pub kind_label: &'static str,
    pub status_label: &'static str,
    pub owner_name: String,
    pub assigner_name: String,
    /// Past its due date and not submitted (or marked overdue by the sweep).
    pub overdue: bool,
    pub children: Rollup,
    /// What the caller may do with it now (`flow::FLOW`, `decompose`, `progress`).
    pub allowed_actions: Vec<&'static str>,
}

/// One entry of a task's timeline: a change of state or a progress report.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = task_events)]
pub struct TaskEvent {
    pub id: String,
    #[serde(skip)]
    pub task_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_id: Option<String>,
    pub note: Option<String>,
    pub quantity: Option<i64>,
    #[serde(serialize_with = "crate::time::json_text")]
    pub attachments: String,
    /// When it was recorded here.
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub sync_ms: i64,
    /// When a phone made it, offline (a progress report pushed later).
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub made_at: Option<NaiveDateTime>,
}

/// A task with its timeline and its children.
#[derive(Debug, Clone, Serialize)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub view: TaskView,
    pub events: Vec<TaskEvent>,
    pub child_tasks: Vec<TaskView>,
}

pub struct NewTask {
    pub title: String,
    pub description: String,
    /// `campaign` for a task of a campaign, `routine` otherwise, when not said.
    pub kind: Option<TaskKind>,
    pub owner: (Unit, String),
    pub due_at: NaiveDateTime,
    pub target_quantity: Option<i64>,
    pub parent_id: Option<String>,
    pub campaign_id: Option<String>,
}

/// The furthest a due date may lie ahead.
pub const LONGEST: Duration = Duration::days(2 * 366);

/// Assigns a task: an admin to a unit their role assigns to (`unit::ASSIGNS`) inside their
/// reach; under a parent, the parent's owner to a unit under it.
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewTask) -> StoreResult<TaskDetail> {
    let (owner_type, owner_id) = new.owner.clone();
    let may = unit::ASSIGNS.iter().find(|(r, _)| *r == caller.role).map(|(_, units)| *units).unwrap_or_default();
    if !may.contains(&owner_type) {
        return Err(StoreError::Forbidden(format!(
            "a {} may not assign tasks to a {}",
            caller.role.as_str(),
            owner_type.as_str()
        )));
    }
    crate::db::write(conn, |conn| {
        let (place, _) = unit::find(conn, owner_type, &owner_id).map_err(|_| {
            StoreError::invalid("owner.id", format!("no {} has the id {owner_id}", owner_type.as_str()))
        })?;
        if !caller.reach().covers(&place) {
            return Err(StoreError::Forbidden(format!("the {} lies outside your area", owner_type.as_str())));
        }
        let assigner = match &new.parent_id {
            Some(parent_id) => {
                let parent = get(conn, parent_id)
                    .map_err(|_| StoreError::invalid("parent_id", format!("no task has the id {parent_id}")))?;
                if !unit::acts_for(conn, caller, parent.owner_type, &parent.owner_id)? {
                    return Err(StoreError::Forbidden("only the owner of a task assigns tasks under it".into()));
                }
                check_child(&parent, &place, new.due_at)?;
                (parent.owner_type, parent.owner_id)
            }
            // an admin assigns for their unit; a system admin (the city) as themselves
            None => Unit::of_caller(caller).unwrap_or((Unit::User, caller.user_id.to_string())),
        };
        if let Some(campaign_id) = &new.campaign_id {
            check_campaign(conn, campaign_id, &place)?;
        }
        let task = insert(conn, caller, &new, assigner, &place)?;
        detail(conn, caller, task)
    })
}

/// A task of a campaign: one of its districts holds the owner, and it is planned or running.
fn check_campaign(conn: &mut DbConn, campaign_id: &str, place: &Place) -> StoreResult<()> {
    let status: Option<String> = campaigns::table.find(campaign_id).select(campaigns::status).first(conn).optional()?;
    let Some(status) = status else {
        return Err(StoreError::invalid("campaign_id", format!("no campaign has the id {campaign_id}")));
    };
    let district = place.district.clone().unwrap_or_default();
    let covers = campaign_districts::table.find((campaign_id, &district)).count().get_result::<i64>(conn)? > 0;
    if !covers {
        return Err(StoreError::invalid("campaign_id", "the campaign does not run where the owner lies"));
    }
    if !matches!(status.as_str(), "draft" | "active") {
        return Err(StoreError::Conflict { field: "campaign_id", detail: format!("the campaign is {status}") });
    }
    Ok(())
}

/// A child must lie under its parent's owner and be due by the parent's date.
fn check_child(parent: &Task, place: &Place, due_at: NaiveDateTime) -> StoreResult<()> {
    if !Reach::of_place(parent.place()).covers(place) {
        return Err(StoreError::invalid("owner", "must lie under the owner of the parent task"));
    }
    if due_at > parent.due_at {
        return Err(StoreError::invalid("due_at", "must not be after the parent task's due date"));
    }
    if !flow::OPEN.contains(&parent.status) {
        return Err(StoreError::Conflict {
            field: "parent_id",
            detail: format!("the parent task is {}", parent.status),
        });
    }
    Ok(())
}

/// A task a whistle's plan gives a department it summoned, assigned by the street that blew it
/// (吹哨报到: the street summons, the departments report in and do their part) — the whistle has
/// checked who may. Otherwise as `create`.
pub(crate) fn assign_for_whistle(
    conn: &mut DbConn,
    caller: &Caller,
    new: NewTask,
    street_id: &str,
) -> StoreResult<Task> {
    let (place, _) = unit::find(conn, new.owner.0, &new.owner.1)?;
    insert(conn, caller, &new, (Unit::Street, street_id.to_owned()), &place)
}

/// Writes a new task, its first event, and tells its owner (a department by its webhook too).
fn insert(
    conn: &mut DbConn,
    caller: &Caller,
    new: &NewTask,
    assigner: (Unit, String),
    place: &Place,
) -> StoreResult<Task> {
    let t = now();
    if new.due_at <= t || new.due_at > t + LONGEST {
        return Err(StoreError::invalid("due_at", "must be in the future, at most two years ahead"));
    }
    let (owner_type, owner_id) = new.owner.clone();
    let task = Task {
        id: uuid::Uuid::now_v7().to_string(),
        parent_id: new.parent_id.clone(),
        campaign_id: new.campaign_id.clone(),
        title: new.title.clone(),
        description: new.description.clone(),
        kind: new.kind.unwrap_or(if new.campaign_id.is_some() { TaskKind::Campaign } else { TaskKind::Routine }),
        owner_type,
        owner_id,
        assigner_type: assigner.0,
        assigner_id: assigner.1,
        assigned_by: caller.actor_id().map(Into::into),
        district_id: place.district.clone().unwrap_or_default(),
        street_id: place.street.clone(),
        community_id: place.community.clone(),
        due_at: new.due_at,
        target_quantity: new.target_quantity,
        quantity_done: 0,
        status: TaskStatus::Assigned,
        overdue_at: None,
        submitted_at: None,
        verified_at: None,
        version: 1,
        created_at: t,
        updated_at: t,
        sync_ms: 0,
        created_ms: 0,
    };
    let stamp = clock::tick(conn)?;
    let task = Task { sync_ms: stamp, created_ms: stamp, ..task };
    diesel::insert_into(tasks::table).values(&task).execute(conn)?;
    record(conn, caller, &task, "assign", None, TaskStatus::Assigned, None, None, &[])?;
    let due = notify::wechat::time_field(task.due_at);
    tell_owner(conn, &task, "task.assigned", format!("新任务「{}」，请于{due}前完成", task.title))?;
    if task.owner_type == Unit::Department {
        let d = department::get(conn, &task.owner_id)?;
        notify::enqueue(conn, &d, "task.assigned", payload(&task))?;
    }
    Ok(task)
}

/// What webhooks say about a task.
pub(crate) fn payload(task: &Task) -> serde_json::Value {
    json!({
        "task_id": task.id,
        "parent_id": task.parent_id,
        "campaign_id": task.campaign_id,
        "title": task.title,
        "description": task.description,
        "kind": task.kind,
        "status": task.status,
        "due_at": crate::time::rfc3339(&task.due_at),
        "target_quantity": task.target_quantity,
        "quantity_done": task.quantity_done,
    })
}

fn tell_owner(conn: &mut DbConn, task: &Task, kind: &str, message: String) -> StoreResult<()> {
    tell(conn, task, (task.owner_type, &task.owner_id), kind, message)
}

fn tell_assigner(conn: &mut DbConn, task: &Task, kind: &str, message: String) -> StoreResult<()> {
    tell(conn, task, (task.assigner_type, &task.assigner_id), kind, message)
}

/// Tells a unit (each grid worker of a grid) something about the task.
fn tell(conn: &mut DbConn, task: &Task, (u, id): (Unit, &str), kind: &str, message: String) -> StoreResult<()> {
    for (u, id) in unit::recipients(conn, u, id)? {
        notify::notify(conn, unit::recipient(u, &id), kind, About::task(&task.id), message.clone())?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record(
    conn: &mut DbConn,
    caller: &Caller,
    task: &Task,
    action: &str,
    from: Option<TaskStatus>,
    to: TaskStatus,
    note: Option<&str>,
    quantity: Option<i64>,
    attachments: &[String],
) -> StoreResult<()> {
    let e = event(caller, task, action, from, to, note, quantity, attachments);
    insert_event(conn, &e)
}

/// An event of the task, by the caller, now.
#[allow(clippy::too_many_arguments)]
fn event(
    caller: &Caller,
    task: &Task,
    action: &str,
    from: Option<TaskStatus>,
    to: TaskStatus,
    note: Option<&str>,
    quantity: Option<i64>,
    attachments: &[String],
) -> TaskEvent {
    TaskEvent {
        id: uuid::Uuid::now_v7().to_string(),
        task_id: task.id.clone(),
        action: action.into(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.as_str().into(),
        actor_id: caller.actor_id().map(Into::into),
        note: note.map(Into::into),
        quantity,
        attachments: json!(attachments).to_string(),
        created_at: now(),
        sync_ms: 0,
        made_at: None,
    }
}

/// Writes an event, stamped for phones' pulls, and names its photos (attachments that are the
/// SHA-256 of uploaded bytes), so that their bytes are kept and shown with the task.
fn insert_event(conn: &mut DbConn, e: &TaskEvent) -> StoreResult<()> {
    let e = TaskEvent { sync_ms: clock::tick(conn)?, ..e.clone() };
    diesel::insert_into(task_events::table).values(&e).execute(conn)?;
    let named: Vec<String> = serde_json::from_str(&e.attachments).unwrap_or_default();
    let mut photos: Vec<String> =
        named.iter().map(|a| a.to_ascii_lowercase()).filter(|a| crate::input::is_sha256(a)).collect();
    photos.sort();
    photos.dedup();
    for sha256 in photos {
        diesel::insert_into(task_photos::table)
            .values((task_photos::event_id.eq(&e.id), task_photos::sha256.eq(sha256)))
            .execute(conn)?;
    }
    Ok(())
}

/// Stamps tasks as changed, for phones' pulls.
fn touch(conn: &mut DbConn, ids: &[&str]) -> StoreResult<()> {
    let stamp = clock::tick(conn)?;
    diesel::update(tasks::table.filter(tasks::id.eq_any(ids))).set(tasks::sync_ms.eq(stamp)).execute(conn)?;
    Ok(())
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Task> {
    tasks::table
        .find(id)
        .select(Task::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("task", id))
}

/// Whether the caller sees the task: it acts for its owner or its assigner, or it is an admin
/// whose reach holds the owner.
fn visible(conn: &mut DbConn, caller: &Caller, task: &Task) -> StoreResult<bool> {
    if caller.role.is_admin() && caller.reach().covers(&task.place()) {
        return Ok(true);
    }
    Ok(unit::acts_for(conn, caller, task.owner_type, &task.owner_id)?
        || unit::acts_for(conn, caller, task.assigner_type, &task.assigner_id)?)
}

/// A task the caller sees (not found otherwise, as if it did not exist).
pub(crate) fn find_task(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Task> {
    let task = get(conn, id)?;
    if !visible(conn, caller, &task)? {
        return Err(StoreError::not_found("task", id));
    }
    Ok(task)
}

pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<TaskDetail> {
    let task = find_task(conn, caller, id)?;
    detail(conn, caller, task)
}

fn detail(conn: &mut DbConn, caller: &Caller, task: Task) -> StoreResult<TaskDetail> {
    let events = task_events::table
        .filter(task_events::task_id.eq(&task.id))
        .order(task_events::id.asc())
        .select(TaskEvent::as_select())
        .load(conn)?;
    let children: Vec<Task> = tasks::table
        .filter(tasks::parent_id.eq(&task.id))
        .order(tasks::id.asc())
        .select(Task::as_select())
        .load(conn)?;
    let child_tasks = children.into_iter().map(|c| view(conn, caller, c)).collect::<StoreResult<_>>()?;
    Ok(TaskDetail { view: view(conn, caller, task)?, events, child_tasks })
}

fn view(conn: &mut DbConn, caller: &Caller, task: Task) -> StoreResult<TaskView> {
    let name = |conn: &mut DbConn, u: Unit, id: &str| {
        unit::find(conn, u, id).map(|(_, n)| n).unwrap_or_else(|_| id.to_owned())
    };
    let owner_name = name(conn, task.owner_type, &task.owner_id);
    let assigner_name = name(conn, task.assigner_type, &task.assigner_id);
    let children = rollup(conn, &task.id)?;
    let allowed_actions = flow::allowed(conn, caller, &task, &children)?;
    Ok(TaskView {
        kind_label: task.kind.label(),
        status_label: task.status.label(),
        overdue: is_overdue(&task, now()),
        owner_name,
        assigner_name,
        children,
        allowed_actions,
        task,
    })
}

/// Whether a task is late at `at`: marked by the sweep, or open past its due date.
pub fn is_overdue(task: &Task, at: NaiveDateTime) -> bool {
    task.overdue_at.is_some() || (flow::OPEN.contains(&task.status) && task.due_at < at)
}

fn rollup(conn: &mut DbConn, id: &str) -> StoreResult<Rollup> {
    let rows: Vec<(TaskStatus, NaiveDateTime, Option<NaiveDateTime>)> = tasks::table
        .filter(tasks::parent_id.eq(id))
        .select((tasks::status, tasks::due_at, tasks::overdue_at))
        .load(conn)?;
    let at = now();
    let mut r = Rollup::default();
    for (status, due_at, overdue_at) in rows {
        if status == TaskStatus::Cancelled {
            continue;
        }
        r.total += 1;
        match status {
            TaskStatus::Verified => r.verified += 1,
            TaskStatus::Submitted => r.submitted += 1,
            TaskStatus::Assigned => r.waiting += 1,
            _ => r.working += 1,
        }
        if overdue_at.is_some() || (flow::OPEN.contains(&status) && due_at < at) {
            r.overdue += 1;
        }
    }
    r.completion = (r.total > 0).then(|| (r.verified as f64 * 1000.0 / r.total as f64).round() / 10.0);
    Ok(r)
}

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub owner: Option<(Unit, String)>,
    pub assigner: Option<(Unit, String)>,
    pub status: Option<TaskStatus>,
    pub kind: Option<TaskKind>,
    pub parent_id: Option<String>,
    pub campaign_id: Option<String>,
    pub overdue: Option<bool>,
    /// `owned`: the tasks the caller's units own; `assigned`: those they assigned.
    pub mine: Option<Mine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mine {
    Owned,
    Assigned,
}

/// The tasks the caller sees, newest first.
pub fn list(conn: &mut DbConn, caller: &Caller, filter: &TaskFilter, page: &Page) -> StoreResult<Paged<TaskView>> {
    let units = units_of(conn, caller)?;
    let mut q = tasks::table.select(Task::as_select()).order(tasks::id.desc()).into_boxed();
    let owned = units_filter(&units, Mine::Owned);
    let assigned = units_filter(&units, Mine::Assigned);
    q = match filter.mine {
        Some(Mine::Owned) => q.filter(owned),
        Some(Mine::Assigned) => q.filter(assigned),
        None if caller.role.is_admin() => {
            within_reach!(q, caller.reach(), tasks::district_id, tasks::street_id.assume_not_null(), tasks::community_id.assume_not_null(), or owned.or(assigned))
        }
        None => q.filter(owned.or(assigned)),
    };
    if let Some((u, id)) = &filter.owner {
        q = q.filter(tasks::owner_type.eq(*u)).filter(tasks::owner_id.eq(id.clone()));
    }
    if let Some((u, id)) = &filter.assigner {
        q = q.filter(tasks::assigner_type.eq(*u)).filter(tasks::assigner_id.eq(id.clone()));
    }
    if let Some(s) = filter.status {
        q = q.filter(tasks::status.eq(s));
    }
    if let Some(k) = filter.kind {
        q = q.filter(tasks::kind.eq(k));
    }
    if let Some(p) = &filter.parent_id {
        q = q.filter(tasks::parent_id.eq(p.clone()));
    }
    if let Some(c) = &filter.campaign_id {
        q = q.filter(tasks::campaign_id.eq(c.clone()));
    }
    let at = now();
    match filter.overdue {
        Some(true) => {
            q = q.filter(tasks::overdue_at.is_not_null().or(tasks::status.eq_any(flow::OPEN).and(tasks::due_at.lt(at))))
        }
        Some(false) => {
            q = q.filter(tasks::overdue_at.is_null().and(tasks::status.ne_all(flow::OPEN).or(tasks::due_at.ge(at))))
        }
        None => {}
    }
    if let Some(after) = &page.after {
        q = q.filter(tasks::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |t: &Task| &t.id);
    let items = paged.items.into_iter().map(|t| view(conn, caller, t)).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged { items, next_after: paged.next_after })
}

/// The tasks waiting on the caller's desk: those its units own still to do (`Owned`), or those
/// they assigned now submitted for verification (`Assigned`) — how many, and the first `first`
/// by due date.
pub fn on_desk(conn: &mut DbConn, caller: &Caller, mine: Mine, first: i64) -> StoreResult<(i64, Vec<Task>)> {
    let units = units_of(conn, caller)?;
    let query = || {
        let q = tasks::table.filter(units_filter(&units, mine)).into_boxed();
        match mine {
            Mine::Owned => q.filter(tasks::status.eq_any(flow::OPEN)),
            Mine::Assigned => q.filter(tasks::status.eq(TaskStatus::Submitted)),
        }
    };
    let count: i64 = query().count().get_result(conn)?;
    let rows =
        query().order((tasks::due_at.asc(), tasks::id.asc())).limit(first).select(Task::as_select()).load(conn)?;
    Ok((count, rows))
}

/// The units the caller acts for: its scope's unit, its grids (a grid worker's in force; a
/// community admin's through the community) and itself.
fn units_of(conn: &mut DbConn, caller: &Caller) -> StoreResult<Vec<(Unit, String)>> {
    let mut units = vec![(Unit::User, caller.user_id.to_string())];
    units.extend(Unit::of_caller(caller));
    if caller.role == Role::GridWorker {
        let cells: Vec<String> = assignments::table
            .filter(assignments::user_id.eq(caller.user_id.to_string()))
            .filter(crate::assignments::in_force(now()))
            .select(assignments::cell_id)
            .load(conn)?;
        units.extend(cells.into_iter().map(|c| (Unit::Cell, c)));
    }
    Ok(units)
}

type Condition = Box<dyn BoxableExpression<tasks::table, crate::db::MultiBackend, SqlType = diesel::sql_types::Bool>>;

fn units_filter(units: &[(Unit, String)], mine: Mine) -> Condition {
    let mut cond: Condition = Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
    for (u, id) in units {
        cond = match mine {
            Mine::Owned => Box::new(cond.or(tasks::owner_type.eq(*u).and(tasks::owner_id.eq(id.clone())))),
            Mine::Assigned => Box::new(cond.or(tasks::assigner_type.eq(*u).and(tasks::assigner_id.eq(id.clone())))),
        };
    }
    cond
}
