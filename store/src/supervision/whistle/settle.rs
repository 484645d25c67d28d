//! How a whistle goes on after the departments report in: its plan (a task for each summoned
//! department, kind `whistle`, assigned by the street), its closing by the street office with
//! the result, and the street's rating of each department's response (1–5) once it is closed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::{Whistle, WhistleStatus, WhistleView, get, view, visible};
use crate::access::Caller;
use crate::cases::event::NewEvent;
use crate::cases::{self as case};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::schema::{whistle_departments, whistle_plans, whistles};
use crate::tasks::{NewTask, TaskKind, Unit};
use crate::time::now;

/// The whistle, for its street's office (and the offices above) to act on.
fn for_office(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Whistle> {
    let w = get(conn, id)?;
    if !visible(conn, caller, &w)? {
        return Err(StoreError::not_found("whistle", id));
    }
    let place = crate::access::Place::street(&w.district_id, &w.street_id);
    if !caller.role.is_office() || !caller.reach().covers(&place) {
        return Err(StoreError::Forbidden("the street office that blew the whistle does this".into()));
    }
    Ok(w)
}

fn require_open(w: &Whistle) -> StoreResult<()> {
    if w.status != WhistleStatus::Open {
        return Err(StoreError::NotAllowedNow { detail: "the whistle is closed".into(), allowed: vec![] });
    }
    Ok(())
}

/// A part of a plan: what a summoned department is to do, by when.
pub struct PlanItem {
    pub department_id: String,
    pub task: String,
    pub due_at: NaiveDateTime,
}

/// Gives summoned departments their tasks (kind `whistle`), supervised like any task.
pub fn plan(conn: &mut DbConn, caller: &Caller, id: &str, items: Vec<PlanItem>) -> StoreResult<WhistleView> {
    crate::db::write(conn, |conn| {
        let w = for_office(conn, caller, id)?;
        require_open(&w)?;
        let mut problems = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let summoned =
                whistle_departments::table.find((&w.id, &item.department_id)).count().get_result::<i64>(conn)? > 0;
            if !summoned {
                problems.push(FieldProblem::new(
                    format!("items[{i}].department_id"),
                    "must be a department the whistle summoned",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let c = case::get(conn, &w.case_id)?;
        for (i, item) in items.into_iter().enumerate() {
            let new = NewTask {
                title: item.task.clone(),
                description: format!("吹哨报到「{}」的分工", c.title),
                kind: Some(TaskKind::Whistle),
                owner: (Unit::Department, item.department_id.clone()),
                due_at: item.due_at,
                target_quantity: None,
                parent_id: None,
                campaign_id: None,
            };
            let task = crate::tasks::assign_for_whistle(conn, caller, new, &w.street_id).map_err(|e| match e {
                StoreError::Invalid(p) if p.iter().any(|p| p.field == "due_at") => {
                    StoreError::invalid(format!("items[{i}].due_at"), "must be in the future, at most two years ahead")
                }
                e => e,
            })?;
            diesel::insert_into(whistle_plans::table)
                .values((whistle_plans::whistle_id.eq(&w.id), whistle_plans::task_id.eq(&task.id)))
                .execute(conn)?;
        }
        let data = json!({"whistle_id": w.id});
        case::event::record(conn, caller, NewEvent::on(&c.id, "whistle_plan", c.status).data(data))?;
        view(conn, w)
    })
}

/// The street office closes the whistle with what came of it (the problem solved, or handed on).
pub fn close(conn: &mut DbConn, caller: &Caller, id: &str, result: String) -> StoreResult<WhistleView> {
    crate::db::write(conn, |conn| {
        let w = for_office(conn, caller, id)?;
        let w = view(conn, w)?.whistle;
        require_open(&w)?;
        let t = now();
        diesel::update(whistles::table.find(&w.id))
            .set((
                whistles::status.eq(WhistleStatus::Closed),
                whistles::closed_at.eq(t),
                whistles::result.eq(&result),
                whistles::closed_by.eq(caller.actor_id()),
            ))
            .execute(conn)?;
        let c = case::get(conn, &w.case_id)?;
        let data = json!({"whistle_id": w.id});
        case::event::record(
            conn,
            caller,
            NewEvent::on(&c.id, "whistle_close", c.status).note(Some(&result)).data(data),
        )?;
        let w = get(conn, id)?;
        view(conn, w)
    })
}

/// The street rates a department's response once the whistle is closed, once.
pub fn rate(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    department_id: &str,
    rating: i32,
    note: Option<String>,
) -> StoreResult<WhistleView> {
    crate::db::write(conn, |conn| {
        let w = for_office(conn, caller, id)?;
        let w = view(conn, w)?.whistle;
        if w.status != WhistleStatus::Closed {
            return Err(StoreError::NotAllowedNow {
                detail: "the whistle is open: its departments are rated when it closes".into(),
                allowed: vec![],
            });
        }
        let rated: Option<Option<i32>> = whistle_departments::table
            .find((&w.id, department_id))
            .select(whistle_departments::rating)
            .first(conn)
            .optional()?;
        match rated {
            None => return Err(StoreError::invalid("department_id", "must be a department the whistle summoned")),
            Some(Some(_)) => {
                return Err(StoreError::Conflict {
                    field: "department_id",
                    detail: "the department's response has been rated".into(),
                });
            }
            Some(None) => {}
        }
        diesel::update(whistle_departments::table.find((&w.id, department_id)))
            .set((
                whistle_departments::rating.eq(rating),
                whistle_departments::rating_note.eq(&note),
                whistle_departments::rated_at.eq(now()),
            ))
            .execute(conn)?;
        view(conn, w)
    })
}
