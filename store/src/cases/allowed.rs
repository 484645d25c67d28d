//! What may be done with a case now, beyond its state and the caller's role (the lifecycle
//! table): the department's own case, a resident's own request evaluated once, the reopen
//! window, a pending extension. `transition` refuses by it; `read` answers `allowed_actions`.

use super::lifecycle::{COMMAND, Level, PART_ACTIONS, TRANSITIONS};
use super::{Action, Case, Policy, Source, Status, is_reporter};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::time::now;

/// Why `action` cannot be taken on `case` by `caller` now, beyond its state and the role.
pub(super) fn blocked(
    conn: &mut DbConn,
    caller: &Caller,
    case: &Case,
    action: Action,
    policy: &Policy,
) -> StoreResult<Option<String>> {
    let dept_action = matches!(action, Action::Accept | Action::Return | Action::Handle | Action::RequestExtension)
        || (caller.role == Role::DeptStaff && matches!(action, Action::Reply | Action::Remark));
    Ok(match action {
        _ if dept_action && case.department_id != caller.scope_id && !assists_on(conn, caller, case, action)? => {
            Some("the case is dispatched to another department".into())
        }
        Action::Handle => parts_not_in(conn, case)?,
        Action::Evaluate if case.source != Source::ResidentRequest => {
            Some("only resident requests are evaluated".into())
        }
        Action::Reply | Action::Answer if case.source != Source::ResidentRequest => {
            Some("only resident requests are answered; note what was done with remark".into())
        }
        Action::Reply | Action::Answer | Action::Reject
            if case.source == Source::ResidentRequest && matches!(case.status, Status::Reported | Status::Filed) =>
        {
            first_responder(conn, caller, case)?
        }
        Action::Evaluate if case.satisfaction.is_some() => Some("the case has been evaluated".into()),
        Action::Evaluate if case.closed_at.is_some_and(|t| t + policy.evaluation_window < now()) => Some(format!(
            "it was closed more than {} days ago; it counts as not evaluated",
            policy.evaluation_window.num_days()
        )),
        Action::Evaluate | Action::Reopen | Action::Revisit if case.merged_into.is_some() => {
            Some("this duplicate was merged; act on the original".into())
        }
        Action::Evaluate if !is_reporter(conn, &case.id, &caller.user_id)? => {
            Some("only the residents who reported it evaluate it".into())
        }
        Action::Reopen if case.closed_at.is_some_and(|t| t + policy.reopen_window < now()) => {
            Some(format!("it was closed more than {} days ago; file a new case", policy.reopen_window.num_days()))
        }
        Action::Revisit if revisited(conn, case)? => Some("the case has been revisited since it closed".into()),
        _ if COMMAND.contains(&action) && !case.level.commanded_by(caller.role) => {
            Some(format!("the case is at the {} level: its office commands it", case.level))
        }
        Action::Escalate if Level::of(caller.role) != Some(case.level) => {
            Some(format!("the case is at the {} level: that level's office escalates it", case.level))
        }
        Action::Delegate if case.level.down().is_none() => Some("the case is at the community level already".into()),
        Action::Delegate if !case.level.commanded_by(caller.role) => {
            Some(format!("the case is at the {} level: its office or one above hands it down", case.level))
        }
        Action::SelfHandle
            if case.status == Status::Reported && !super::category::get(conn, &case.category_code)?.on_the_spot =>
        {
            Some("this category is not fixed on the spot; the street office files it first".into())
        }
        Action::WaivePart if super::parts::waiting(conn, &case.id)?.is_empty() => {
            Some("no assisting department's part is still to come in".into())
        }
        Action::GrantExtension | Action::DenyExtension if case.pending_extension.is_none() => {
            Some("no extension is pending".into())
        }
        Action::RequestExtension if case.pending_extension.is_some() => Some("an extension is pending already".into()),
        _ => None,
    })
}

/// Whether the caller's department assists on the case (协办) and the action is one an assisting
/// department takes on the case itself (reply, remark; its part's own steps are `parts::allowed`).
fn assists_on(conn: &mut DbConn, caller: &Caller, case: &Case, action: Action) -> StoreResult<bool> {
    Ok(matches!(action, Action::Reply | Action::Remark) && super::parts::mine(conn, caller, &case.id)?.is_some())
}

/// Why the lead may not report the case handled yet: assisting parts still to come in.
fn parts_not_in(conn: &mut DbConn, case: &Case) -> StoreResult<Option<String>> {
    let waiting = super::parts::waiting(conn, &case.id)?;
    Ok((!waiting.is_empty()).then(|| {
        format!(
            "the assisting departments' parts are not all in ({}): each reports its part, or the office waives it",
            waiting.join("、")
        )
    }))
}

/// Whether the office revisited the case since it (last) closed.
fn revisited(conn: &mut DbConn, case: &Case) -> StoreResult<bool> {
    use crate::schema::case_events;
    use diesel::prelude::*;
    let Some(closed_at) = case.closed_at else { return Ok(false) };
    let n: i64 = case_events::table
        .filter(case_events::case_id.eq(&case.id))
        .filter(case_events::action.eq("revisit"))
        .filter(case_events::at.ge(closed_at))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// 首问负责: whoever first takes up a resident request — accepts it (`file`) or answers it
/// (`reply`) — owns it until it is answered or dispatched; another unit at their level or below may
/// not answer, reply to or reject it meanwhile (the offices above may, supervising). Why not, if
/// the caller is such a unit.
fn first_responder(conn: &mut DbConn, caller: &Caller, case: &Case) -> StoreResult<Option<String>> {
    use diesel::prelude::*;

    use crate::schema::{case_events, users};
    let first: Option<(String, Option<String>)> = case_events::table
        .inner_join(users::table.on(users::id.nullable().eq(case_events::actor_id)))
        .filter(case_events::case_id.eq(case.id.as_str()))
        .filter(case_events::action.eq_any(["file", "reply"]))
        .order((case_events::occurred_at.asc(), case_events::id.asc()))
        .select((users::role, users::scope_id))
        .first(conn)
        .optional()?;
    let Some((role, scope)) = first else { return Ok(None) };
    let Some(owner) = Role::parse(&role) else { return Ok(None) };
    let same_unit = caller.role == owner && caller.scope_id == scope;
    if same_unit || caller.role.rank() < owner.rank() {
        return Ok(None);
    }
    Ok(Some(format!("the {} that took it up first answers it or dispatches it (首问负责)", owner.as_str())))
}

/// The actions the caller may take on the case now.
pub(crate) fn allowed(
    conn: &mut DbConn,
    caller: &Caller,
    case: &Case,
    policy: &Policy,
) -> StoreResult<Vec<&'static str>> {
    let state = case.status;
    let mut out = Vec::new();
    // an assisting department's part answers for its accept, return and handle
    let part = if case.department_id != caller.scope_id { super::parts::mine(conn, caller, &case.id)? } else { None };
    for t in TRANSITIONS {
        if let Some(part) = &part
            && PART_ACTIONS.contains(&t.action)
        {
            if super::parts::allowed(case, part).contains(&t.action) {
                out.push(t.name);
            }
            continue;
        }
        if t.from.contains(&state)
            && t.roles.contains(&caller.role)
            && blocked(conn, caller, case, t.action, policy)?.is_none()
        {
            out.push(t.name);
        }
    }
    Ok(out)
}
