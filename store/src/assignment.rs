//! 设岗定责 — assignments: a person holds a duty in a cell for a time range. The street office
//! assigns, ends and moves them, one at a time or as a batch applied atomically; history is
//! never deleted. The rules live here, each refusal explained:
//! - at most one grid leader (网格长) per cell at a time;
//! - a person holds at most one assignment per cell at a time;
//! - a full-time worker (专职网格员) holds at most `max_full_time_cells` cells;
//! - the person is of the cell's street (district-wide staff: of its district) — or, when a
//!   district admin assigns them, is moved to the cell's community;
//! - a street admin assigns within the street, a community admin within the community (but not
//!   grid leaders), a district admin across the district.
//!
//! Every change bumps the cell's version, writes an audit row, and records in `scope_changes`
//! which cells the person gained or lost and when, for their phone's next sync.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Place, Reach, ScopeLevel};
use crate::cell::{self, Cell};
use crate::schema::{assignments, cells, scope_changes, users};
use crate::user::{self, User};
use crate::{Caller, DbConn, FieldProblem, Role, StoreError, StoreResult, audit, community, now, street};

/// The duties a person can hold in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 网格长
    GridLeader,
    /// 专职网格员
    FullTimeWorker,
    /// 兼职网格员
    PartTimeWorker,
    /// 网格警长
    PoliceLiaison,
    /// 楼栋长
    BuildingSteward,
    /// 志愿者
    Volunteer,
    /// 在职党员
    PartyMember,
}

impl Duty {
    pub const ALL: [Duty; 7] = [
        Duty::GridLeader,
        Duty::FullTimeWorker,
        Duty::PartTimeWorker,
        Duty::PoliceLiaison,
        Duty::BuildingSteward,
        Duty::Volunteer,
        Duty::PartyMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Duty::GridLeader => "grid_leader",
            Duty::FullTimeWorker => "full_time_worker",
            Duty::PartTimeWorker => "part_time_worker",
            Duty::PoliceLiaison => "police_liaison",
            Duty::BuildingSteward => "building_steward",
            Duty::Volunteer => "volunteer",
            Duty::PartyMember => "party_member",
        }
    }

    pub fn parse(s: &str) -> Option<Duty> {
        Duty::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// Duties residents may hold (a building steward or volunteer needs no office).
    fn open_to_anyone(self) -> bool {
        matches!(self, Duty::BuildingSteward | Duty::Volunteer | Duty::PartyMember)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = assignments)]
pub struct Assignment {
    pub id: String,
    pub cell_id: String,
    pub user_id: String,
    pub duty: String,
    pub building: Option<String>,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub ends_at: Option<NaiveDateTime>,
    pub end_reason: Option<String>,
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

impl Assignment {
    /// Whether the assignment holds at `t`: from its start (in) to its end (out).
    pub fn active_at(&self, t: NaiveDateTime) -> bool {
        self.starts_at <= t && self.ends_at.is_none_or(|e| e > t)
    }
}

/// An assignment with the names a person reads: who, and which cell.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub user_name: String,
    pub cell_code: String,
    pub cell_name: String,
}

/// The limits that are settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub max_full_time_cells: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self { max_full_time_cells: 3 }
    }
}

/// One change of a batch.
#[derive(Debug, Clone)]
pub enum Change {
    Assign {
        cell_id: String,
        user_id: String,
        duty: Duty,
        building: Option<String>,
        starts_at: Option<NaiveDateTime>,
        note: Option<String>,
    },
    End {
        assignment_id: String,
        ends_at: Option<NaiveDateTime>,
        reason: String,
    },
    Move {
        assignment_id: String,
        to_cell_id: String,
    },
}

/// What a batch did.
#[derive(Debug, Serialize)]
pub struct Applied {
    pub assignments: Vec<Assignment>,
    /// The touched cells' new versions.
    pub versions: BTreeMap<String, i64>,
}

/// Whether `caller` may change assignments of a cell at `place` for `duty`.
fn require_assign(caller: &Caller, reach: &Reach, place: &Place, duty: Duty) -> StoreResult<()> {
    let allowed = match caller.role {
        Role::SystemAdmin => true,
        Role::DistrictAdmin | Role::StreetAdmin => reach.covers(place),
        Role::CommunityAdmin => reach.covers(place) && duty != Duty::GridLeader,
        _ => false,
    };
    if allowed {
        Ok(())
    } else if caller.role == Role::CommunityAdmin && duty == Duty::GridLeader {
        Err(StoreError::Forbidden("grid leaders are appointed by the street office".into()))
    } else {
        Err(StoreError::Forbidden(format!("a {} may not assign people to this cell", caller.role.as_str())))
    }
}

fn active_in_cell(conn: &mut DbConn, cell_id: &str, from: NaiveDateTime) -> StoreResult<Vec<Assignment>> {
    Ok(assignments::table
        .filter(assignments::cell_id.eq(cell_id))
        .filter(assignments::ends_at.is_null().or(assignments::ends_at.gt(from)))
        .select(Assignment::as_select())
        .load(conn)?)
}

fn record_scope(conn: &mut DbConn, user_id: &str, cell_id: &str, change: &str, at: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(scope_changes::table)
        .values((
            scope_changes::id.eq(uuid::Uuid::now_v7().to_string()),
            scope_changes::user_id.eq(user_id),
            scope_changes::cell_id.eq(cell_id),
            scope_changes::change.eq(change),
            scope_changes::at.eq(at),
            scope_changes::sync_ms.eq(crate::clock::tick(conn)?),
        ))
        .execute(conn)?;
    Ok(())
}

/// Checks the rules for `user` taking `duty` in `cell` from `starts`; moves the person to the
/// cell's community when a district admin assigns someone from elsewhere. `ignore` is an
/// assignment being moved (it does not count against the person).
#[allow(clippy::too_many_arguments)]
fn check_rules(
    conn: &mut DbConn,
    caller: &Caller,
    rules: &Rules,
    cell: &Cell,
    cell_place: &Place,
    person: &User,
    duty: Duty,
    starts: NaiveDateTime,
    ignore: Option<&str>,
) -> StoreResult<Vec<FieldProblem>> {
    let mut why = Vec::new();
    if cell.retired_at.is_some() {
        why.push(FieldProblem::new("cell_id", format!("cell {} is retired", cell.code)));
    }
    if person.disabled {
        why.push(FieldProblem::new("user_id", format!("{} is disabled", person.display_name)));
    }
    let others: Vec<Assignment> =
        active_in_cell(conn, &cell.id, starts)?.into_iter().filter(|a| Some(a.id.as_str()) != ignore).collect();
    if duty == Duty::GridLeader
        && let Some(leader) = others.iter().find(|a| a.duty == Duty::GridLeader.as_str())
    {
        let name = user::get(conn, &leader.user_id).map(|u| u.display_name).unwrap_or_default();
        why.push(FieldProblem::new(
            "duty",
            format!("cell {} already has a grid leader ({name}); end that assignment first", cell.code),
        ));
    }
    if others.iter().any(|a| a.user_id == person.id) {
        why.push(FieldProblem::new(
            "user_id",
            format!("{} already holds a duty in cell {}", person.display_name, cell.code),
        ));
    }
    if duty == Duty::FullTimeWorker {
        let held: i64 = assignments::table
            .filter(assignments::user_id.eq(&person.id))
            .filter(assignments::duty.eq(Duty::FullTimeWorker.as_str()))
            .filter(assignments::ends_at.is_null().or(assignments::ends_at.gt(starts)))
            .filter(assignments::id.ne(ignore.unwrap_or("")))
            .count()
            .get_result(conn)?;
        if held as usize >= rules.max_full_time_cells {
            why.push(FieldProblem::new(
                "user_id",
                format!(
                    "{} already holds {held} cells as a full-time worker; the limit is {}",
                    person.display_name, rules.max_full_time_cells
                ),
            ));
        }
    }
    let person_place = person.place(conn)?;
    let in_street = person_place.street.is_some() && person_place.street == cell_place.street;
    let district_wide = person_place.street.is_none()
        && person_place.district.is_some()
        && person_place.district == cell_place.district;
    let placeless = person_place.district.is_none();
    if !(in_street || district_wide || (placeless && duty.open_to_anyone())) {
        let movable = person.role().scope_level() == Some(ScopeLevel::Community);
        if matches!(caller.role, Role::DistrictAdmin | Role::SystemAdmin)
            && movable
            && person_place.district == cell_place.district
        {
            move_person(conn, caller, person, cell_place)?;
        } else if placeless {
            why.push(FieldProblem::new(
                "user_id",
                format!(
                    "{} has no place in the district; only volunteers, building stewards and party members may be",
                    person.display_name
                ),
            ));
        } else {
            why.push(FieldProblem::new(
                "user_id",
                format!("{} belongs to another street; a district admin can move them here", person.display_name),
            ));
        }
    }
    Ok(why)
}

/// A district admin assigning someone from another street moves them to the cell's community.
fn move_person(conn: &mut DbConn, caller: &Caller, person: &User, to: &Place) -> StoreResult<()> {
    let community = to.community.clone().expect("a cell's place has a community");
    diesel::update(users::table.find(&person.id))
        .set((
            users::scope_id.eq(&community),
            users::token_epoch.eq(users::token_epoch + 1),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now()),
        ))
        .execute(conn)?;
    crate::refresh_token::revoke_user(conn, &person.id)?;
    audit::record(
        conn,
        caller,
        "user.move",
        ("user", &person.id),
        to,
        json!({"scope_id": {"from": person.scope_id, "to": community}}),
    )
}

/// Applies `changes` in one transaction. With `expected` (cell id → version the client saw),
/// every touched cell must be listed and current, or nothing is applied (412); invalid changes
/// reject the whole batch (422, each named `items[i]`).
pub fn apply(
    conn: &mut DbConn,
    caller: &Caller,
    rules: &Rules,
    changes: Vec<Change>,
    expected: Option<&BTreeMap<String, i64>>,
) -> StoreResult<Applied> {
    crate::write(conn, |conn| {
        let reach = Reach::of(conn, caller)?;
        // which cells each change touches, found before anything is written
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let mut problems = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            let cells: Vec<String> = match change {
                Change::Assign { cell_id, .. } => vec![cell_id.clone()],
                Change::End { assignment_id, .. } | Change::Move { assignment_id, .. } => {
                    match assignments::table
                        .find(assignment_id)
                        .select(assignments::cell_id)
                        .first::<String>(conn)
                        .optional()?
                    {
                        Some(c) => match change {
                            Change::Move { to_cell_id, .. } => vec![c, to_cell_id.clone()],
                            _ => vec![c],
                        },
                        None => {
                            let detail = format!("no assignment has the id {assignment_id}");
                            problems.push(FieldProblem::new(format!("items[{i}].assignment_id"), detail));
                            continue;
                        }
                    }
                }
            };
            for c in cells {
                if cell::find_in(conn, &reach, &c).is_err() {
                    problems.push(FieldProblem::new(format!("items[{i}].cell_id"), format!("no cell has the id {c}")));
                } else {
                    touched.insert(c);
                }
            }
        }
        if let Some(expected) = expected {
            for c in &touched {
                let current: i64 = cells::table.find(c).select(cells::version).first(conn)?;
                match expected.get(c) {
                    None => return Err(StoreError::VersionMismatch { entity: "cell", id: c.clone(), current }),
                    Some(&v) => {
                        // compare-and-set now: a concurrent batch on this cell waits here, then fails
                        let bumped = diesel::update(cells::table.find(c).filter(cells::version.eq(v)))
                            .set(cells::version.eq(v + 1))
                            .execute(conn)?;
                        if bumped == 0 {
                            return Err(StoreError::VersionMismatch { entity: "cell", id: c.clone(), current });
                        }
                    }
                }
            }
        } else {
            for c in &touched {
                diesel::update(cells::table.find(c)).set(cells::version.eq(cells::version + 1)).execute(conn)?;
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let mut out = Vec::new();
        for (i, change) in changes.into_iter().enumerate() {
            match apply_one(conn, caller, &reach, rules, change) {
                Ok(a) => out.push(a),
                Err(StoreError::Invalid(reasons)) => problems.extend(
                    reasons.into_iter().map(|r| FieldProblem::new(format!("items[{i}].{}", r.field), r.detail)),
                ),
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let versions = touched
            .iter()
            .map(|c| cells::table.find(c).select(cells::version).first::<i64>(conn).map(|v| (c.clone(), v)))
            .collect::<Result<_, _>>()?;
        Ok(Applied { assignments: out, versions })
    })
}

fn apply_one(
    conn: &mut DbConn,
    caller: &Caller,
    reach: &Reach,
    rules: &Rules,
    change: Change,
) -> StoreResult<Assignment> {
    let t = now();
    match change {
        Change::Assign { cell_id, user_id, duty, building, starts_at, note } => {
            let (cell, place) = cell::find_in(conn, reach, &cell_id)?;
            require_assign(caller, reach, &place, duty)?;
            let Ok(person) = user::get(conn, &user_id) else {
                return Err(StoreError::invalid("user_id", format!("no user has the id {user_id}")));
            };
            if building.is_some() && duty != Duty::BuildingSteward {
                return Err(StoreError::invalid("building", "only a building steward has a building"));
            }
            let starts = starts_at.unwrap_or(t);
            let why = check_rules(conn, caller, rules, &cell, &place, &person, duty, starts, None)?;
            if !why.is_empty() {
                return Err(StoreError::Invalid(why));
            }
            let row = Assignment {
                id: uuid::Uuid::now_v7().to_string(),
                cell_id: cell.id.clone(),
                user_id: person.id.clone(),
                duty: duty.as_str().into(),
                building,
                note,
                starts_at: starts,
                ends_at: None,
                end_reason: None,
                created_by: caller.actor_id().map(str::to_owned),
                created_at: t,
                updated_at: t,
            };
            diesel::insert_into(assignments::table).values(&row).execute(conn)?;
            record_scope(conn, &person.id, &cell.id, "gained", starts)?;
            let changes = json!({"user_id": person.id, "duty": row.duty, "cell": cell.code, "starts_at": crate::time::rfc3339(&starts)});
            audit::record(conn, caller, "assignment.create", ("assignment", &row.id), &place, changes)?;
            Ok(row)
        }
        Change::End { assignment_id, ends_at, reason } => {
            let mut a = get(conn, &assignment_id)?;
            let (cell, place) = cell::find_in(conn, reach, &a.cell_id)?;
            require_assign(caller, reach, &place, Duty::parse(&a.duty).unwrap_or(Duty::Volunteer))?;
            if a.ends_at.is_some() {
                return Err(StoreError::invalid("assignment_id", "this assignment has already ended"));
            }
            let ends = ends_at.unwrap_or(t);
            if ends < a.starts_at {
                return Err(StoreError::invalid("ends_at", "cannot be before the assignment starts"));
            }
            (a.ends_at, a.end_reason, a.updated_at) = (Some(ends), Some(reason.clone()), t);
            diesel::update(assignments::table.find(&a.id))
                .set((
                    assignments::ends_at.eq(ends),
                    assignments::end_reason.eq(&reason),
                    assignments::updated_at.eq(t),
                ))
                .execute(conn)?;
            record_scope(conn, &a.user_id, &a.cell_id, "lost", ends)?;
            let changes = json!({"ends_at": crate::time::rfc3339(&ends), "reason": reason, "cell": cell.code});
            audit::record(conn, caller, "assignment.end", ("assignment", &a.id), &place, changes)?;
            Ok(a)
        }
        Change::Move { assignment_id, to_cell_id } => {
            let old = get(conn, &assignment_id)?;
            if old.ends_at.is_some() {
                return Err(StoreError::invalid("assignment_id", "this assignment has already ended"));
            }
            let duty = Duty::parse(&old.duty).unwrap_or(Duty::Volunteer);
            let (_, from_place) = cell::find_in(conn, reach, &old.cell_id)?;
            require_assign(caller, reach, &from_place, duty)?;
            let (to_cell, to_place) = cell::find_in(conn, reach, &to_cell_id)?;
            require_assign(caller, reach, &to_place, duty)?;
            let person = user::get(conn, &old.user_id)?;
            let why = check_rules(conn, caller, rules, &to_cell, &to_place, &person, duty, t, Some(&old.id))?;
            if !why.is_empty() {
                return Err(StoreError::Invalid(why));
            }
            let reason = format!("moved to cell {}", to_cell.code);
            apply_one(
                conn,
                caller,
                reach,
                rules,
                Change::End { assignment_id: old.id.clone(), ends_at: Some(t), reason },
            )?;
            let new = Change::Assign {
                cell_id: to_cell.id,
                user_id: old.user_id,
                duty,
                building: None,
                starts_at: Some(t),
                note: old.note,
            };
            apply_one(conn, caller, reach, rules, new)
        }
    }
}

/// Assignments in force at `t`: started at or before it and not ended by it (half-open, as
/// `Assignment::active_at`).
#[diesel::dsl::auto_type(no_type_alias)]
fn in_force(t: NaiveDateTime) -> _ {
    assignments::starts_at.le(t).and(assignments::ends_at.is_null().or(assignments::ends_at.gt(t)))
}

fn get(conn: &mut DbConn, id: &str) -> StoreResult<Assignment> {
    assignments::table
        .find(id)
        .select(Assignment::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("assignment", id))
}

fn views(conn: &mut DbConn, rows: Vec<Assignment>) -> StoreResult<Vec<AssignmentView>> {
    let mut out = Vec::with_capacity(rows.len());
    for a in rows {
        let user_name: String = users::table.find(&a.user_id).select(users::display_name).first(conn)?;
        let (cell_code, cell_name): (String, String) =
            cells::table.find(&a.cell_id).select((cells::code, cells::name)).first(conn)?;
        out.push(AssignmentView { assignment: a, user_name, cell_code, cell_name });
    }
    Ok(out)
}

/// Who held which duty in a cell at `at` (now when `None`).
pub fn of_cell(
    conn: &mut DbConn,
    caller: &Caller,
    cell_id: &str,
    at: Option<NaiveDateTime>,
) -> StoreResult<Vec<AssignmentView>> {
    let cell = cell::find(conn, caller, cell_id)?;
    let t = at.unwrap_or_else(now);
    let rows: Vec<Assignment> = assignments::table
        .filter(assignments::cell_id.eq(&cell.id))
        .filter(in_force(t))
        .order(assignments::starts_at.asc())
        .select(Assignment::as_select())
        .load(conn)?;
    views(conn, rows)
}

/// The duties a person held at `at` (now when `None`), for those who may see the person.
pub fn of_user(
    conn: &mut DbConn,
    caller: &Caller,
    user_id: &str,
    at: Option<NaiveDateTime>,
) -> StoreResult<Vec<AssignmentView>> {
    user::find(conn, caller, user_id)?;
    let t = at.unwrap_or_else(now);
    let rows: Vec<Assignment> = assignments::table
        .filter(assignments::user_id.eq(user_id))
        .filter(in_force(t))
        .order(assignments::starts_at.asc())
        .select(Assignment::as_select())
        .load(conn)?;
    views(conn, rows)
}

/// One cell's people, for the staffing report and the map.
#[derive(Debug, Clone, Serialize)]
pub struct CellStaff {
    pub cell_id: String,
    pub code: String,
    pub name: String,
    pub households: Option<i32>,
    pub grid_leader: Option<String>,
    pub workers: Vec<String>,
    pub police_liaison: Option<String>,
    pub building_stewards: usize,
    pub volunteers: usize,
    pub party_members: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkerLoad {
    pub user_id: String,
    pub name: String,
    pub cells: usize,
    pub households: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Staffing {
    pub cells: usize,
    pub households: i64,
    pub cells_without_grid_leader: Vec<String>,
    pub cells_without_worker: Vec<String>,
    pub per_cell: Vec<CellStaff>,
    pub per_worker: Vec<WorkerLoad>,
}

/// Staffing of the given active cells now.
pub fn staffing_of(conn: &mut DbConn, cells_in: &[Cell]) -> StoreResult<Staffing> {
    let t = now();
    let ids: Vec<&str> = cells_in.iter().map(|c| c.id.as_str()).collect();
    let rows: Vec<(Assignment, String)> = assignments::table
        .inner_join(users::table)
        .filter(assignments::cell_id.eq_any(&ids))
        .filter(in_force(t))
        .select((Assignment::as_select(), users::display_name))
        .load(conn)?;
    let mut per_cell = Vec::with_capacity(cells_in.len());
    let mut loads: BTreeMap<String, WorkerLoad> = BTreeMap::new();
    for c in cells_in {
        let here: Vec<&(Assignment, String)> = rows.iter().filter(|(a, _)| a.cell_id == c.id).collect();
        let named = |d: Duty| here.iter().find(|(a, _)| a.duty == d.as_str()).map(|(_, n)| n.clone());
        let count = |d: Duty| here.iter().filter(|(a, _)| a.duty == d.as_str()).count();
        let workers: Vec<&(Assignment, String)> = here
            .iter()
            .copied()
            .filter(|(a, _)| a.duty == Duty::FullTimeWorker.as_str() || a.duty == Duty::PartTimeWorker.as_str())
            .collect();
        for (a, n) in &workers {
            let load = loads.entry(a.user_id.clone()).or_insert_with(|| WorkerLoad {
                user_id: a.user_id.clone(),
                name: n.clone(),
                cells: 0,
                households: 0,
            });
            load.cells += 1;
            load.households += i64::from(c.households.unwrap_or(0));
        }
        per_cell.push(CellStaff {
            cell_id: c.id.clone(),
            code: c.code.clone(),
            name: c.name.clone(),
            households: c.households,
            grid_leader: named(Duty::GridLeader),
            workers: workers.iter().map(|(_, n)| n.clone()).collect(),
            police_liaison: named(Duty::PoliceLiaison),
            building_stewards: count(Duty::BuildingSteward),
            volunteers: count(Duty::Volunteer),
            party_members: count(Duty::PartyMember),
        });
    }
    Ok(Staffing {
        cells: per_cell.len(),
        households: cells_in.iter().map(|c| i64::from(c.households.unwrap_or(0))).sum(),
        cells_without_grid_leader: per_cell
            .iter()
            .filter(|c| c.grid_leader.is_none())
            .map(|c| c.code.clone())
            .collect(),
        cells_without_worker: per_cell.iter().filter(|c| c.workers.is_empty()).map(|c| c.code.clone()).collect(),
        per_cell,
        per_worker: loads.into_values().collect(),
    })
}

/// Staffing of a street's or a community's cells. It names people, so the area must lie inside
/// the caller's reach (seeing its name, as those below it do, is not enough): 404 otherwise.
pub fn staffing(
    conn: &mut DbConn,
    caller: &Caller,
    street_id: Option<&str>,
    community_id: Option<&str>,
) -> StoreResult<Staffing> {
    let reach = Reach::of(conn, caller)?;
    let cells_in: Vec<Cell> = match (street_id, community_id) {
        (_, Some(c)) => {
            let (community, cells) = cell::of_community(conn, caller, c)?;
            let s = street::get(conn, &community.street_id)?;
            if !reach.covers(&Place::community(&s.district_id, &s.id, &community.id)) {
                return Err(StoreError::not_found("community", c));
            }
            cells
        }
        (Some(s), None) => {
            let s = street::find(conn, caller, s)?;
            if !reach.covers(&s.place()) {
                return Err(StoreError::not_found("street", &s.id));
            }
            let mut all = Vec::new();
            for c in community::in_street(conn, &s.id)? {
                all.extend(cell::of_community(conn, caller, &c)?.1);
            }
            all
        }
        (None, None) => Vec::new(),
    };
    staffing_of(conn, &cells_in)
}

/// The cells a user holds a duty in now: (cell id, code, name, duty).
pub fn cells_of(conn: &mut DbConn, user_id: &str) -> StoreResult<Vec<(String, String, String, String)>> {
    let t = now();
    Ok(assignments::table
        .inner_join(cells::table)
        .filter(assignments::user_id.eq(user_id))
        .filter(in_force(t))
        .order(cells::code.asc())
        .select((cells::id, cells::code, cells::name, assignments::duty))
        .load(conn)?)
}

/// One row of an assignment sheet, as a street office keeps it: `cell_code,user,duty,building,starts_at`.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// The line of the file, for naming problems.
    pub line: usize,
    pub cell_code: String,
    /// A username or a phone number.
    pub user: String,
    /// As written; checked with the rest.
    pub duty: String,
    pub building: Option<String>,
    pub starts_at: Option<NaiveDateTime>,
}

/// Applies an assignment sheet to a street's cells, all or nothing; with `dry_run` everything is
/// checked and applied in a transaction that is then rolled back, so the answer says exactly
/// what would happen. Problems are named by line: `lines[3].user`.
pub fn import_sheet(
    conn: &mut DbConn,
    caller: &Caller,
    rules: &Rules,
    street_id: &str,
    rows: Vec<SheetRow>,
    dry_run: bool,
) -> StoreResult<Applied> {
    enum Stop {
        Failed(StoreError),
        DryRun(Applied),
    }
    impl From<diesel::result::Error> for Stop {
        fn from(e: diesel::result::Error) -> Self {
            Stop::Failed(e.into())
        }
    }
    let result = crate::write(conn, |conn| {
        let street = street::find(conn, caller, street_id).map_err(Stop::Failed)?;
        let mut by_code = BTreeMap::new();
        for c in community::in_street(conn, &street.id).map_err(Stop::Failed)? {
            for cell in cell::of_community(conn, caller, &c).map_err(Stop::Failed)?.1 {
                by_code.insert(cell.code.clone(), cell.id);
            }
        }
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        let mut lines = Vec::new();
        for row in &rows {
            let at = |f: &str| format!("lines[{}].{f}", row.line);
            let cell_id = by_code.get(row.cell_code.as_str()).cloned();
            if cell_id.is_none() {
                problems.push(FieldProblem::new(
                    at("cell_code"),
                    format!("no active cell of {} has the code {}", street.name, row.cell_code),
                ));
            }
            let found: Vec<String> = users::table
                .filter(users::username.eq(&row.user).or(users::phone.eq(&row.user)))
                .select(users::id)
                .load(conn)?;
            let user_id = match found.as_slice() {
                [one] => Some(one.clone()),
                [] => {
                    problems
                        .push(FieldProblem::new(at("user"), format!("no user has the username or phone {}", row.user)));
                    None
                }
                _ => {
                    problems.push(FieldProblem::new(
                        at("user"),
                        format!("several users have the phone {}; use the username", row.user),
                    ));
                    None
                }
            };
            let duty = Duty::parse(&row.duty);
            if duty.is_none() {
                problems.push(FieldProblem::new(
                    at("duty"),
                    format!("must be one of {}", Duty::ALL.map(Duty::as_str).join(", ")),
                ));
            }
            if let (Some(cell_id), Some(user_id), Some(duty)) = (cell_id, user_id, duty) {
                lines.push(row.line);
                changes.push(Change::Assign {
                    cell_id,
                    user_id,
                    duty,
                    building: row.building.clone(),
                    starts_at: row.starts_at,
                    note: None,
                });
            }
        }
        if !problems.is_empty() {
            return Err(Stop::Failed(StoreError::Invalid(problems)));
        }
        match apply(conn, caller, rules, changes, None) {
            Ok(applied) if dry_run => Err(Stop::DryRun(applied)),
            Ok(applied) => Ok(applied),
            Err(StoreError::Invalid(ps)) => {
                // items[i].field → lines[line of item i].field
                let renamed = ps
                    .into_iter()
                    .map(|p| {
                        let rest = p.field.trim_start_matches("items[");
                        let (index, field) = rest.split_once(']').unwrap_or(("0", ""));
                        let line = index.parse::<usize>().ok().and_then(|i| lines.get(i)).copied().unwrap_or(0);
                        FieldProblem::new(format!("lines[{line}]{field}"), p.detail)
                    })
                    .collect();
                Err(Stop::Failed(StoreError::Invalid(renamed)))
            }
            Err(e) => Err(Stop::Failed(e)),
        }
    });
    match result {
        Ok(applied) | Err(Stop::DryRun(applied)) => Ok(applied),
        Err(Stop::Failed(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duties_round_trip() {
        for d in Duty::ALL {
            assert_eq!(Duty::parse(d.as_str()), Some(d));
        }
        assert!(Duty::Volunteer.open_to_anyone() && !Duty::GridLeader.open_to_anyone());
    }

    #[test]
    fn active_ranges_are_half_open() {
        let t = now();
        let a = Assignment {
            id: "a".into(),
            cell_id: "c".into(),
            user_id: "u".into(),
            duty: "volunteer".into(),
            building: None,
            note: None,
            starts_at: t,
            ends_at: Some(t + chrono::Duration::hours(1)),
            end_reason: None,
            created_by: None,
            created_at: t,
            updated_at: t,
        };
        assert!(a.active_at(t));
        assert!(!a.active_at(t + chrono::Duration::hours(1)));
        assert!(!a.active_at(t - chrono::Duration::seconds(1)));
    }
}
