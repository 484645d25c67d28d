//! What a phone did to cases while offline, arriving by sync. Nothing it sends is lost:
//! - an action (`handle`, `verify_pass`, …) or a note is recorded with the phone's own id and
//!   time; a legal action is applied as if taken online, one that is not (the case moved on, the
//!   worker may not) is kept on the timeline as `rejected` with the reason, which the phone pulls;
//! - an edit of a report is applied where the worker may still change it; where the case has
//!   moved on, the phone's words become a supplementary note (补充说明) on the timeline, with the
//!   phone's time and author, and the phone pulls the server's record and the note back.
//!
//! Sending the same event again changes nothing.

use chrono::{Duration, NaiveDateTime};
use serde_json::json;

use super::correct::{self, CasePatch};
use super::event::{self, NewEvent};
use super::{Act, Action, Case, Policy, find_case, transition};
use crate::access::{Caller, audit};
use crate::db::{DbConn, clock};
use crate::error::{StoreError, StoreResult};
use crate::schema::cases;
use crate::time::now;

/// An event a phone made: a `note`, or an action of the closed loop.
#[derive(Debug, Clone)]
pub struct PhoneEvent {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub note: Option<String>,
    /// WGS-84.
    pub at_point: Option<(f64, f64)>,
    /// When the phone says it happened.
    pub made_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Rejected(String),
    /// Sent before: nothing done.
    Known,
    /// An edit of a case that moved on, kept as a supplementary note.
    Noted,
}

/// How far in the future a phone's clock may be.
const SKEW: Duration = Duration::minutes(5);

/// When something a phone did happened: the phone's time, unless it is in the future (beyond a
/// small skew) or before the case was reported, when the server's time stands. The phone's own
/// claim is kept in the event's data either way (`phone_time`).
fn occurred(case: &Case, phone: Option<NaiveDateTime>, t: NaiveDateTime) -> Option<NaiveDateTime> {
    phone.filter(|p| *p <= t + SKEW && *p >= case.reported_at).map(|p| p.min(t))
}

/// Applies a phone's event. A case the caller cannot see answers `NotFound` (the sync quarantines
/// the record); a database failure is an error that fails the whole push.
pub fn act(conn: &mut DbConn, caller: &Caller, e: &PhoneEvent, policy: &Policy) -> StoreResult<Outcome> {
    crate::db::write(conn, |conn| {
        if !event::existing(conn, &[e.id.as_str()])?.is_empty() {
            return Ok(Outcome::Known);
        }
        let case = find_case(conn, caller, &e.case_id)?;
        let at = occurred(&case, e.made_at, now());
        let phone_time = json!({"phone_time": e.made_at.as_ref().map(crate::time::rfc3339)});
        let refused = match (e.action.as_str(), Action::parse(&e.action)) {
            ("note", _) => None,
            (_, None) => Some(format!("{:?} is not an action a phone takes", e.action)),
            (_, Some(action)) => {
                let act = Act {
                    note: e.note.clone(),
                    at_point: e.at_point,
                    event_id: Some(e.id.clone()),
                    occurred_at: at,
                    ..Act::new(action)
                };
                match transition(conn, caller, &case.id, act, policy) {
                    Ok(_) => return Ok(Outcome::Applied),
                    // not found here means the case went out of reach meanwhile: the push decides
                    Err(err) if err.is_refusal() && !matches!(err, StoreError::NotFound { .. }) => {
                        Some(err.to_string())
                    }
                    Err(other) => return Err(other),
                }
            }
        };
        let mut new = NewEvent::on(&case.id, &e.action, case.status).note(e.note.as_deref()).data(phone_time);
        new.at_point = e.at_point;
        new.occurred_at = at;
        new.id = Some(&e.id);
        let made = event::record(conn, caller, new)?;
        event::set_result(conn, &made.id, refused.as_deref())?;
        Ok(match refused {
            None => Outcome::Applied,
            Some(why) => Outcome::Rejected(why),
        })
    })
}

/// A phone's version of a report it pushes again: the checked fields, and when it was edited.
#[derive(Debug, Clone)]
pub struct PhoneEdit {
    pub patch: CasePatch,
    pub edited_at: Option<NaiveDateTime>,
}

/// Applies a phone's edit of a report (see the module): where the caller may still correct it,
/// as a correction; where not, as a supplementary note with the phone's words. The same words
/// again change nothing.
pub fn edit(conn: &mut DbConn, caller: &Caller, id: &str, e: PhoneEdit, policy: &Policy) -> StoreResult<Outcome> {
    crate::db::write(conn, |conn| {
        let case = find_case(conn, caller, id)?;
        let p = &e.patch;
        let mut changes = Vec::new();
        if let Some(title) = p.title.as_ref().filter(|t| **t != case.title) {
            changes.push(("title", json!(case.title), json!(title), format!("标题：{title}")));
        }
        if let Some(d) = p.description.as_ref().filter(|d| **d != case.description) {
            changes.push(("description", json!(case.description), json!(d), format!("描述：{d}")));
        }
        if let Some(a) = p.address.as_ref().filter(|a| **a != case.address) {
            let shown = a.clone().unwrap_or_else(|| "（删除）".into());
            changes.push(("address", json!(case.address), json!(a), format!("地址：{shown}")));
        }
        if let Some(priority) = p.priority.filter(|p| *p != case.priority) {
            changes.push((
                "priority",
                json!(case.priority),
                json!(priority),
                format!("紧急程度：{}", priority.label()),
            ));
        }
        if changes.is_empty() {
            return Ok(Outcome::Known);
        }
        if correct::may_correct(caller, &case) {
            correct::update(conn, caller, id, e.patch, None, policy)?;
            return Ok(Outcome::Applied);
        }
        let words: Vec<String> = changes.iter().map(|c| c.3.clone()).collect();
        let note = format!(
            "补充说明（{}离线修改时案件已{}，原内容未改）：{}",
            caller.role.label(),
            case.status.label(),
            words.join("；")
        );
        let diff: Vec<(&str, serde_json::Value, serde_json::Value)> =
            changes.iter().map(|(f, a, b, _)| (*f, a.clone(), b.clone())).collect();
        let data = json!({
            "changes": audit::diff(&diff),
            "phone_time": e.edited_at.as_ref().map(crate::time::rfc3339),
        });
        let mut new = NewEvent::on(&case.id, "supplement", case.status).note(Some(&note)).data(data);
        new.occurred_at = occurred(&case, e.edited_at, now());
        event::record(conn, caller, new)?;
        // the phone pulls the server's words back, and the note with them
        use diesel::prelude::*;
        diesel::update(cases::table.find(id)).set(cases::sync_ms.eq(clock::tick(conn)?)).execute(conn)?;
        Ok(Outcome::Noted)
    })
}
