//! What a phone did to cases while offline, arriving by sync. Nothing it sends is lost:
//! - an action (`handle`, `verify_pass`, …) or a note is recorded with the phone's own id and
//!   time; a legal action is applied as if taken online, one that is not (the case moved on, the
//!   worker may not) is kept on the timeline as `rejected` with the reason, which the phone pulls;
//! - an edit of a report is applied, field by field, where the worker may still change it; where
//!   the case has moved on (or the field is the office's: a move, a category once filed), the
//!   phone's words become a supplementary note (补充说明) on the timeline, with the phone's time
//!   and author, and the phone pulls the server's record and the note back.
//!
//! Sending the same event again changes nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::correct::{self, CasePatch};
use super::event::{self, NewEvent};
use super::{Act, Action, Case, Policy, Status, find_case, transition};
use crate::access::{Caller, audit};
use crate::db::{DbConn, clock};
use crate::error::{StoreError, StoreResult};
use crate::schema::{case_events, cases};
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

/// A phone's version of a report it pushes again: the checked fields, where it puts the report,
/// and when it was edited.
#[derive(Debug, Clone)]
pub struct PhoneEdit {
    pub patch: CasePatch,
    /// WGS-84.
    pub point: Option<(f64, f64)>,
    pub edited_at: Option<NaiveDateTime>,
}

/// How far a phone may put a report from where the server has it before that is a change (the
/// phone's float and a coordinate system's round trip move it by far less).
const MOVED_M: f64 = 1.0;

/// Applies a phone's edit of a report (see the module), field by field: what the caller may still
/// correct, as a correction; the rest — and a move of the report, which places it anew and is the
/// office's to make — as a supplementary note with the phone's words. The same words again
/// change nothing.
pub fn edit(conn: &mut DbConn, caller: &Caller, id: &str, e: PhoneEdit, policy: &Policy) -> StoreResult<Outcome> {
    crate::db::write(conn, |conn| {
        let case = find_case(conn, caller, id)?;
        let may = correct::may_correct(caller, &case);
        let p = e.patch;
        let mut applied = CasePatch::default();
        // (field, server's value, phone's value, the words of the note)
        let mut noted: Vec<(&str, Value, Value, String)> = Vec::new();
        if let Some(title) = p.title.filter(|t| *t != case.title) {
            if may {
                applied.title = Some(title);
            } else {
                noted.push(("title", json!(case.title), json!(title), format!("标题：{title}")));
            }
        }
        if let Some(d) = p.description.filter(|d| *d != case.description) {
            if may {
                applied.description = Some(d);
            } else {
                noted.push(("description", json!(case.description), json!(d), format!("描述：{d}")));
            }
        }
        if let Some(a) = p.address.filter(|a| *a != case.address) {
            if may {
                applied.address = Some(a);
            } else {
                let shown = a.clone().unwrap_or_else(|| "（删除）".into());
                noted.push(("address", json!(case.address), json!(a), format!("地址：{shown}")));
            }
        }
        if let Some(priority) = p.priority.filter(|p| *p != case.priority) {
            if may {
                applied.priority = Some(priority);
            } else {
                let words = format!("紧急程度：{}", priority.label());
                noted.push(("priority", json!(case.priority), json!(priority), words));
            }
        }
        if let Some(code) = p.category_code.filter(|c| *c != case.category_code) {
            if may && case.status == Status::Reported {
                applied.category_code = Some(code);
            } else {
                let words = format!("类别：{code}");
                noted.push(("category_code", json!(case.category_code), json!(code), words));
            }
        }
        if let Some((lng, lat)) = e.point {
            let moved = gridhub_geo::measure::distance_m((lng, lat), (case.lng, case.lat));
            if moved > MOVED_M {
                let words = format!("位置：{lng:.6},{lat:.6}（距原位置{moved:.0}米）");
                noted.push(("point", json!([case.lng, case.lat]), json!([lng, lat]), words));
            }
        }
        let mut outcome = Outcome::Known;
        let any_applied = applied.title.is_some()
            || applied.description.is_some()
            || applied.address.is_some()
            || applied.priority.is_some()
            || applied.category_code.is_some();
        if any_applied {
            correct::update(conn, caller, id, applied, None, policy)?;
            outcome = Outcome::Applied;
        }
        if noted.is_empty() {
            return Ok(outcome);
        }
        let words: Vec<&str> = noted.iter().map(|c| c.3.as_str()).collect();
        let why = if may {
            "这些内容由街道、社区核定".to_owned()
        } else {
            format!("案件已{}", case.status.label())
        };
        let note = format!("补充说明（{}离线修改，{why}，原内容未改）：{}", caller.role.label(), words.join("；"));
        if supplemented(conn, &case.id, caller, &note)? {
            return Ok(outcome);
        }
        let diff: Vec<(&str, Value, Value)> = noted.into_iter().map(|(f, a, b, _)| (f, a, b)).collect();
        let data = json!({
            "changes": audit::diff(&diff),
            "phone_time": e.edited_at.as_ref().map(crate::time::rfc3339),
        });
        let mut new = NewEvent::on(&case.id, "supplement", case.status).note(Some(&note)).data(data);
        new.occurred_at = occurred(&case, e.edited_at, now());
        event::record(conn, caller, new)?;
        // the phone pulls the server's words back, and the note with them
        diesel::update(cases::table.find(id)).set(cases::sync_ms.eq(clock::tick(conn)?)).execute(conn)?;
        Ok(Outcome::Noted)
    })
}

/// Whether `caller` already left this supplementary note on the case (a phone sending the same
/// words again, after a conflict or a lost answer).
fn supplemented(conn: &mut DbConn, case_id: &str, caller: &Caller, note: &str) -> StoreResult<bool> {
    let found: i64 = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::action.eq("supplement"))
        .filter(case_events::actor_id.eq(&caller.user_id))
        .filter(case_events::note.eq(note))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
