//! Applying changes of assignments — assign, end, move — one at a time or as a batch, in one
//! transaction: every touched cell's version moves on (compare-and-set against the versions a
//! client saw), every change leaves an audit row and a scope change for the person's phone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::rules::{check_rules, require_assign};
use super::{Applied, Assignment, Change, Duty, Rules, get};
use crate::access::{Caller, audit};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::grid::cell;
use crate::people::user;
use crate::schema::{assignments, cells, scope_changes};
use crate::time::now;
use crate::types::CellId;

fn record_scope(conn: &mut DbConn, user_id: &str, cell_id: &str, change: &str, at: NaiveDateTime) -> StoreResult<()> {
    diesel::insert_into(scope_changes::table)
        .values((
            scope_changes::id.eq(uuid::Uuid::now_v7().to_string()),
            scope_changes::user_id.eq(user_id),
            scope_changes::cell_id.eq(cell_id),
            scope_changes::change.eq(change),
            scope_changes::at.eq(at),
            scope_changes::sync_ms.eq(crate::db::clock::tick(conn)?),
        ))
        .execute(conn)?;
    Ok(())
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
    crate::db::write(conn, |conn| {
        // which cells each change touches, found before anything is written
        let mut touched: BTreeSet<CellId> = BTreeSet::new();
        let mut problems = Vec::new();
        for (i, change) in changes.iter().enumerate() {
            let cells: Vec<CellId> = match change {
                Change::Assign { cell_id, .. } => vec![cell_id.clone()],
                Change::End { assignment_id, .. } | Change::Move { assignment_id, .. } => {
                    match assignments::table
                        .find(assignment_id)
                        .select(assignments::cell_id)
                        .first::<CellId>(conn)
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
                if cell::find_in(conn, caller.reach(), &c).is_err() {
                    problems.push(FieldProblem::new(format!("items[{i}].cell_id"), format!("no cell has the id {c}")));
                } else {
                    touched.insert(c);
                }
            }
        }
        if let Some(expected) = expected {
            for c in &touched {
                let current: i64 = cells::table.find(c).select(cells::version).first(conn)?;
                match expected.get(c.as_str()) {
                    None => return Err(StoreError::VersionMismatch { entity: "cell", id: c.to_string(), current }),
                    Some(&v) => {
                        // compare-and-set now: a concurrent batch on this cell waits here, then fails
                        let bumped = diesel::update(cells::table.find(c).filter(cells::version.eq(v)))
                            .set(cells::version.eq(v + 1))
                            .execute(conn)?;
                        if bumped == 0 {
                            return Err(StoreError::VersionMismatch { entity: "cell", id: c.to_string(), current });
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
            match apply_one(conn, caller, rules, change) {
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

fn apply_one(conn: &mut DbConn, caller: &Caller, rules: &Rules, change: Change) -> StoreResult<Assignment> {
    let reach = caller.reach();
    let t = now();
    match change {
        Change::Assign { cell_id, user_id, duty, building, starts_at, note } => {
            let (cell, place) = cell::find_in(conn, reach, &cell_id)?;
            require_assign(caller, &place, duty)?;
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
                duty,
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
            require_assign(caller, &place, a.duty)?;
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
            let duty = old.duty;
            let (_, from_place) = cell::find_in(conn, reach, &old.cell_id)?;
            require_assign(caller, &from_place, duty)?;
            let (to_cell, to_place) = cell::find_in(conn, reach, &to_cell_id)?;
            require_assign(caller, &to_place, duty)?;
            let person = user::get(conn, &old.user_id)?;
            let why = check_rules(conn, caller, rules, &to_cell, &to_place, &person, duty, t, Some(&old.id))?;
            if !why.is_empty() {
                return Err(StoreError::Invalid(why));
            }
            let reason = format!("moved to cell {}", to_cell.code);
            apply_one(conn, caller, rules, Change::End { assignment_id: old.id.clone(), ends_at: Some(t), reason })?;
            let new = Change::Assign {
                cell_id: to_cell.id,
                user_id: old.user_id,
                duty,
                building: None,
                starts_at: Some(t),
                note: old.note,
            };
            apply_one(conn, caller, rules, new)
        }
    }
}
