//! What a phone did to cases while offline, arriving by sync: actions recorded as events with
//! the phone's own id. A legal action is applied as if taken online; one that is not (the case
//! moved on, the worker may not) is kept on the timeline as `rejected` with the reason, which the
//! phone receives on its next pull. Sending the same event again changes nothing.

use serde_json::json;

use super::{Act, Action, Policy, event, find_case, transition};
use crate::access::Caller;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};

/// An event a phone made: a patrol `note`, or an action of the closed loop (`handle`,
/// `verify_pass`, `verify_fail`, …).
#[derive(Debug, Clone)]
pub struct PhoneEvent {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub note: Option<String>,
    /// WGS-84.
    pub at_point: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Rejected(String),
    /// Sent before: nothing done.
    Known,
}

/// Applies a phone's event. A case the caller cannot see answers `NotFound` (the sync quarantines
/// the record); a database failure is an error that fails the whole push.
pub fn act(conn: &mut DbConn, caller: &Caller, e: &PhoneEvent, policy: &Policy) -> StoreResult<Outcome> {
    crate::db::write(conn, |conn| {
        if event::exists(conn, &e.id)? {
            return Ok(Outcome::Known);
        }
        let case = find_case(conn, caller, &e.case_id)?;
        let state = case.status;
        if e.action == "note" {
            let made = event::record(
                conn,
                caller,
                &case.id,
                "note",
                Some(state),
                state,
                e.note.as_deref(),
                &[],
                e.at_point,
                json!({}),
            )?;
            event::adopt(conn, &made.id, &e.id, None)?;
            return Ok(Outcome::Applied);
        }
        let refused = match Action::parse(&e.action) {
            None => format!("{:?} is not an action a phone takes", e.action),
            Some(action) => {
                let act = Act {
                    note: e.note.clone(),
                    at_point: e.at_point,
                    event_id: Some(e.id.clone()),
                    ..Act::new(action)
                };
                match transition(conn, caller, &case.id, act, policy) {
                    Ok(_) => return Ok(Outcome::Applied),
                    // not found here means the case went out of reach meanwhile: the push decides
                    Err(e) if e.is_refusal() && !matches!(e, StoreError::NotFound { .. }) => e.to_string(),
                    Err(other) => return Err(other),
                }
            }
        };
        let made = event::record(
            conn,
            caller,
            &case.id,
            &e.action,
            Some(state),
            state,
            e.note.as_deref(),
            &[],
            e.at_point,
            json!({}),
        )?;
        event::adopt(conn, &made.id, &e.id, Some(&refused))?;
        Ok(Outcome::Rejected(refused))
    })
}
