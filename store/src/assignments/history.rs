//! Who held which duty where and when: a cell's people or a person's cells at any moment
//! (history is never deleted), and the cells a user holds now.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Assignment, AssignmentView, Duty, in_force};
use crate::access::Caller;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::grid::cell;
use crate::people::user;
use crate::schema::{assignments, cells, users};
use crate::time::now;

/// The assignments with the names a screen shows, in two queries whatever their number.
fn views(conn: &mut DbConn, rows: Vec<Assignment>) -> StoreResult<Vec<AssignmentView>> {
    let user_ids: Vec<&str> = rows.iter().map(|a| a.user_id.as_str()).collect();
    let cell_ids: Vec<&str> = rows.iter().map(|a| a.cell_id.as_str()).collect();
    let names: HashMap<String, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::display_name))
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
    Ok(rows
        .into_iter()
        .map(|a| {
            let user_name = names.get(a.user_id.as_str()).cloned().unwrap_or_default();
            let (cell_code, cell_name) = cell_names.get(a.cell_id.as_str()).cloned().unwrap_or_default();
            AssignmentView { assignment: a, user_name, cell_code, cell_name }
        })
        .collect())
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

/// Who answers for a cell now — its grid leader and its full- and part-time workers, each once:
/// who hears of its cases to verify, who walks it.
pub fn people_of(conn: &mut DbConn, cell_id: &str) -> StoreResult<Vec<String>> {
    Ok(assignments::table
        .filter(assignments::cell_id.eq(cell_id))
        .filter(in_force(now()))
        .filter(assignments::duty.eq_any([Duty::GridLeader, Duty::FullTimeWorker, Duty::PartTimeWorker]))
        .select(assignments::user_id)
        .distinct()
        .order(assignments::user_id)
        .load(conn)?)
}
