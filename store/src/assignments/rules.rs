//! The rules of assignment, each refusal explained: who may assign whom (a street admin in the
//! street, a community admin in the community but not grid leaders, a district admin across the
//! district), one grid leader per cell, one duty per person per cell, the full-time worker's
//! limit, and the person being of the cell's street — or moved there by a district admin.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::{Assignment, Duty, Rules};
use crate::access::{Caller, Place, Role, ScopeLevel, audit};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::grid::{Cell, Layer};
use crate::people::user::{self, User};
use crate::schema::{assignments, users};
use crate::time::now;

/// Whether `caller` may change assignments of a cell at `place` for `duty`.
pub(super) fn require_assign(caller: &Caller, place: &Place, duty: Duty) -> StoreResult<()> {
    let allowed = match caller.role {
        Role::SystemAdmin => true,
        Role::DistrictAdmin | Role::StreetAdmin => caller.reach().covers(place),
        Role::CommunityAdmin => caller.reach().covers(place) && duty != Duty::GridLeader,
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

/// Checks the rules for `user` taking `duty` in `cell` from `starts`; moves the person to the
/// cell's community when a district admin assigns someone from elsewhere. `ignore` is an
/// assignment being moved (it does not count against the person).
#[allow(clippy::too_many_arguments)]
pub(super) fn check_rules(
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
    if cell.layer == Layer::Unit {
        // people answer for governance grids; unit grids only locate and count
        let detail =
            format!("{} is a unit grid (单元网格); assign people to the governance grid it lies in", cell.code);
        why.push(FieldProblem::new("cell_id", detail));
    }
    if person.disabled {
        why.push(FieldProblem::new("user_id", format!("{} is disabled", person.display_name)));
    }
    let others: Vec<Assignment> =
        active_in_cell(conn, &cell.id, starts)?.into_iter().filter(|a| Some(a.id.as_str()) != ignore).collect();
    if duty == Duty::GridLeader
        && let Some(leader) = others.iter().find(|a| a.duty == Duty::GridLeader)
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
            .filter(assignments::duty.eq(Duty::FullTimeWorker))
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
        let movable = person.role.scope_level() == Some(ScopeLevel::Community);
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
    crate::people::refresh_token::revoke_user(conn, &person.id)?;
    audit::record(
        conn,
        caller,
        "user.move",
        ("user", &person.id),
        to,
        json!({"scope_id": {"from": person.scope_id, "to": community}}),
    )
}

fn active_in_cell(conn: &mut DbConn, cell_id: &str, from: NaiveDateTime) -> StoreResult<Vec<Assignment>> {
    Ok(assignments::table
        .filter(assignments::cell_id.eq(cell_id))
        .filter(assignments::ends_at.is_null().or(assignments::ends_at.gt(from)))
        .select(Assignment::as_select())
        .load(conn)?)
}
