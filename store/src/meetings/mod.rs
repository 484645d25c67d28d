//! 基层会商日 and 联席会议 — meetings that turn stuck problems into decisions with owners and
//! dates. A street and its communities raise agenda items (`agenda`; gridhub proposes candidates
//! from cases and whistles that are stuck: `candidates`); a meeting — the district's monthly
//! consultation day in one street, by the district's rotation, or a joint, special or analysis
//! meeting — takes them up; each decision leaves with milestones, each a task (kind `meeting`)
//! owned by a department and supervised like any other (`decisions`), shown as the timetable
//! and division of work; the report and the minutes say what came of it. States of a meeting:
//! scheduled → held → minutes_published.

pub mod agenda;
pub mod candidates;
pub mod decisions;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Caller, Place, Role};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::schema::{agenda_items, consultation_rotations, meeting_items, meetings, streets};
use crate::time::now;
use agenda::{AgendaItem, ItemStatus, ItemView};

crate::types::text_enum! {
    /// What kind of meeting.
    pub enum MeetingKind {
        /// 基层会商日: the district's leaders and departments in one street, monthly.
        ConsultationDay = "consultation_day",
        /// 联席会议.
        Joint = "joint",
        /// 专题会议.
        Special = "special",
        /// 月度分析会.
        Analysis = "analysis",
    }
}

impl MeetingKind {
    pub fn label(self) -> &'static str {
        match self {
            MeetingKind::ConsultationDay => "基层会商日",
            MeetingKind::Joint => "联席会议",
            MeetingKind::Special => "专题会议",
            MeetingKind::Analysis => "月度分析会",
        }
    }
}

crate::types::text_enum! {
    pub enum MeetingStatus {
        Scheduled = "scheduled",
        Held = "held",
        MinutesPublished = "minutes_published",
    }
}

impl MeetingStatus {
    pub fn label(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "待召开",
            MeetingStatus::Held => "已召开",
            MeetingStatus::MinutesPublished => "纪要已发布",
        }
    }
}

/// The moves of a meeting: (action, 中文, from, to).
pub const MOVES: &[(&str, &str, MeetingStatus, MeetingStatus)] = &[
    ("hold", "召开", MeetingStatus::Scheduled, MeetingStatus::Held),
    ("publish_minutes", "发布纪要", MeetingStatus::Held, MeetingStatus::MinutesPublished),
];

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = meetings, treat_none_as_null = true)]
pub struct Meeting {
    pub id: String,
    pub kind: MeetingKind,
    pub district_id: String,
    pub street_id: Option<String>,
    pub title: String,
    /// Who chairs it (区领导, 街道党工委书记).
    pub host: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    pub place: String,
    /// The departments that attend (ids), as JSON.
    #[serde(rename = "attendee_department_ids", serialize_with = "crate::time::json_text")]
    pub departments: String,
    /// The people who attend (names and posts), as JSON.
    #[serde(rename = "attendee_people", serialize_with = "crate::time::json_text")]
    pub people: String,
    pub status: MeetingStatus,
    /// What the meeting concluded overall, set when its minutes are published.
    pub summary: Option<String>,
    pub version: i64,
    #[serde(skip)]
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

impl Meeting {
    pub fn place_of(&self) -> Place {
        Place { district: Some(self.district_id.clone()), street: self.street_id.clone(), community: None }
    }

    pub fn department_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.departments).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub kind_label: &'static str,
    pub status_label: &'static str,
    pub street_name: Option<String>,
    /// The agenda, in order.
    pub agenda: Vec<ItemView>,
    pub allowed_actions: Vec<&'static str>,
}

pub struct NewMeeting {
    pub kind: MeetingKind,
    pub district_id: String,
    pub street_id: Option<String>,
    pub title: Option<String>,
    pub host: String,
    pub starts_at: NaiveDateTime,
    pub place: String,
    pub departments: Vec<String>,
    pub people: Vec<String>,
}

/// Whether the caller runs meetings of this district (and street): the district's office, a
/// system admin; a street's office its own street's joint, special and analysis meetings.
fn runs(caller: &Caller, m: &Meeting) -> bool {
    match caller.role {
        Role::SystemAdmin => true,
        Role::DistrictAdmin => caller.scope_id.as_deref() == Some(m.district_id.as_str()),
        Role::StreetAdmin => {
            m.kind != MeetingKind::ConsultationDay && m.street_id.is_some() && caller.scope_id == m.street_id
        }
        _ => false,
    }
}

/// Schedules a meeting.
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewMeeting) -> StoreResult<MeetingView> {
    crate::db::write(conn, |conn| {
        let mut problems = Vec::new();
        let district = crate::access::place::of_district(conn, &new.district_id);
        if district.is_err() {
            problems.push(FieldProblem::new("district_id", format!("no district has the id {}", new.district_id)));
        }
        let street_name = match &new.street_id {
            Some(s) => {
                let found: Option<(String, String)> =
                    streets::table.find(s).select((streets::district_id, streets::name)).first(conn).optional()?;
                match found {
                    Some((d, name)) if d == new.district_id => Some(name),
                    _ => {
                        problems.push(FieldProblem::new("street_id", "must be a street of the district"));
                        None
                    }
                }
            }
            None if new.kind == MeetingKind::ConsultationDay => {
                problems.push(FieldProblem::new("street_id", "a consultation day is held in a street: say which"));
                None
            }
            None => None,
        };
        for (i, d) in new.departments.iter().enumerate() {
            if !crate::regions::department::get(conn, d).is_ok_and(|d| d.district_id == new.district_id) {
                problems.push(FieldProblem::new(
                    format!("attendees.departments[{i}]"),
                    "must be a department of the district",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let t = now();
        let title = new.title.clone().unwrap_or_else(|| {
            let day = crate::time::local_date(new.starts_at);
            format!("{}{}（{}）", street_name.clone().unwrap_or_default(), new.kind.label(), day.format("%Y年%-m月"))
        });
        let m = Meeting {
            id: uuid::Uuid::now_v7().to_string(),
            kind: new.kind,
            district_id: new.district_id.clone(),
            street_id: new.street_id.clone(),
            title,
            host: new.host.clone(),
            starts_at: new.starts_at,
            place: new.place.clone(),
            departments: json!(new.departments).to_string(),
            people: json!(new.people).to_string(),
            status: MeetingStatus::Scheduled,
            summary: None,
            version: 1,
            created_by: caller.actor_id().map(Into::into),
            created_at: t,
            updated_at: t,
        };
        if !runs(caller, &m) {
            return Err(StoreError::Forbidden(
                "a district's office schedules its meetings; a street's office its own joint, special and analysis meetings".into(),
            ));
        }
        diesel::insert_into(meetings::table).values(&m).execute(conn)?;
        view(conn, caller, m)
    })
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Meeting> {
    meetings::table
        .find(id)
        .select(Meeting::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("meeting", id))
}

/// Who sees a meeting: the offices whose area holds it (a street's office its district's
/// meetings in its street, and district-wide ones), the departments that attend.
fn visible(caller: &Caller, m: &Meeting) -> bool {
    match caller.role {
        Role::DeptStaff => caller.scope_id.as_ref().is_some_and(|d| m.department_ids().contains(d)),
        r if r.is_admin() => caller.reach().covers(&m.place_of()) || caller.reach().sees(&m.place_of()),
        _ => false,
    }
}

pub(crate) fn find_meeting(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Meeting> {
    let m = get(conn, id)?;
    if !visible(caller, &m) {
        return Err(StoreError::not_found("meeting", id));
    }
    Ok(m)
}

pub(crate) fn require_runner(caller: &Caller, m: &Meeting) -> StoreResult<()> {
    if runs(caller, m) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("only the office that runs the meeting may do this".into()))
    }
}

pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<MeetingView> {
    let m = find_meeting(conn, caller, id)?;
    view(conn, caller, m)
}

/// The items on a meeting's agenda, in order, each brought up to date with its milestones.
pub(crate) fn agenda_of(conn: &mut DbConn, meeting_id: &str) -> StoreResult<Vec<AgendaItem>> {
    let rows: Vec<AgendaItem> = meeting_items::table
        .inner_join(agenda_items::table)
        .filter(meeting_items::meeting_id.eq(meeting_id))
        .order(meeting_items::position.asc())
        .select(AgendaItem::as_select())
        .load(conn)?;
    rows.into_iter().map(|i| agenda::follow(conn, i)).collect()
}

fn view(conn: &mut DbConn, caller: &Caller, meeting: Meeting) -> StoreResult<MeetingView> {
    let street_name = match &meeting.street_id {
        Some(s) => streets::table.find(s).select(streets::name).first(conn).optional()?,
        None => None,
    };
    let mut agenda = Vec::new();
    for item in agenda_of(conn, &meeting.id)? {
        agenda.push(agenda::view(conn, caller, item)?);
    }
    let allowed_actions = if runs(caller, &meeting) {
        MOVES.iter().filter(|m| m.2 == meeting.status).map(|m| m.0).collect()
    } else {
        vec![]
    };
    Ok(MeetingView {
        kind_label: meeting.kind.label(),
        status_label: meeting.status.label(),
        street_name,
        agenda,
        allowed_actions,
        meeting,
    })
}

/// The meetings the caller sees, newest first, by kind, street, status.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    kind: Option<MeetingKind>,
    street_id: Option<&str>,
    status: Option<MeetingStatus>,
    page: &Page,
) -> StoreResult<Paged<MeetingView>> {
    let mut q = meetings::table.select(Meeting::as_select()).order(meetings::id.desc()).into_boxed();
    match caller.role {
        Role::SystemAdmin => {}
        Role::DeptStaff => {
            let scope = caller.scope_id.clone().unwrap_or_default();
            q = q.filter(meetings::departments.like(format!("%\"{scope}\"%")));
        }
        r if r.is_admin() => {
            q = q.filter(meetings::district_id.eq(caller.reach().district().unwrap_or_default().to_owned()));
            if let Some(street) = caller.place().street {
                q = q.filter(meetings::street_id.eq(street).or(meetings::street_id.is_null()));
            }
        }
        _ => return Ok(Paged { items: Vec::new(), next_after: None }),
    }
    if let Some(k) = kind {
        q = q.filter(meetings::kind.eq(k));
    }
    if let Some(s) = street_id {
        q = q.filter(meetings::street_id.eq(s.to_owned()));
    }
    if let Some(s) = status {
        q = q.filter(meetings::status.eq(s));
    }
    if let Some(after) = &page.after {
        q = q.filter(meetings::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |m: &Meeting| &m.id);
    let items = paged.items.into_iter().map(|m| view(conn, caller, m)).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged { items, next_after: paged.next_after })
}

/// Puts items on a meeting's agenda, after those already on it — and with them every item of
/// the street carried from an earlier meeting (`continuing`), which comes up again.
pub fn set_agenda(conn: &mut DbConn, caller: &Caller, id: &str, item_ids: &[String]) -> StoreResult<MeetingView> {
    crate::db::write(conn, |conn| {
        let m = find_meeting(conn, caller, id)?;
        require_runner(caller, &m)?;
        if m.status == MeetingStatus::MinutesPublished {
            return Err(StoreError::NotAllowedNow { detail: "the minutes are published".into(), allowed: vec![] });
        }
        let mut items = Vec::new();
        let mut problems = Vec::new();
        for (i, item_id) in item_ids.iter().enumerate() {
            match agenda::get(conn, item_id) {
                Ok(item)
                    if item.district_id == m.district_id
                        && m.street_id.as_ref().is_none_or(|s| *s == item.street_id) =>
                {
                    items.push(item)
                }
                _ => problems.push(FieldProblem::new(
                    format!("agenda_item_ids[{i}]"),
                    format!(
                        "no agenda item of the meeting's {} has the id {item_id}",
                        if m.street_id.is_some() { "street" } else { "district" }
                    ),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let mut carried = agenda_items::table
            .filter(agenda_items::district_id.eq(&m.district_id))
            .filter(agenda_items::status.eq(ItemStatus::Continuing))
            .select(AgendaItem::as_select())
            .into_boxed();
        if let Some(s) = &m.street_id {
            carried = carried.filter(agenda_items::street_id.eq(s.clone()));
        }
        for item in carried.order(agenda_items::id.asc()).load::<AgendaItem>(conn)? {
            if !items.iter().any(|i| i.id == item.id) {
                items.push(item);
            }
        }
        let on: Vec<String> = meeting_items::table
            .filter(meeting_items::meeting_id.eq(&m.id))
            .select(meeting_items::item_id)
            .load(conn)?;
        let mut position = on.len() as i32;
        for item in items.into_iter().filter(|i| !on.contains(&i.id)) {
            agenda::moved_by_meeting(conn, caller, &item, "put_on_agenda", &m.id, None)?;
            position += 1;
            diesel::insert_into(meeting_items::table)
                .values((
                    meeting_items::meeting_id.eq(&m.id),
                    meeting_items::item_id.eq(&item.id),
                    meeting_items::position.eq(position),
                ))
                .execute(conn)?;
        }
        view(conn, caller, m)
    })
}

/// Moves a meeting: `hold`, `publish_minutes` (with the meeting's overall conclusion).
pub fn act(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: &str,
    note: Option<String>,
) -> StoreResult<MeetingView> {
    let Some(&(_, _, from, to)) = MOVES.iter().find(|m| m.0 == action) else {
        let names: Vec<&str> = MOVES.iter().map(|m| m.0).collect();
        return Err(StoreError::invalid("action", format!("must be one of {}", names.join(", "))));
    };
    crate::db::write(conn, |conn| {
        let old = find_meeting(conn, caller, id)?;
        require_runner(caller, &old)?;
        if old.status != from {
            let allowed = MOVES.iter().filter(|m| m.2 == old.status).map(|m| m.0).collect();
            return Err(StoreError::NotAllowedNow { detail: format!("the meeting is {}", old.status), allowed });
        }
        let mut m = Meeting { status: to, version: old.version + 1, updated_at: now(), ..old };
        if to == MeetingStatus::MinutesPublished {
            m.summary = note.filter(|n| !n.trim().is_empty()).or(m.summary);
        }
        diesel::update(meetings::table.find(&m.id)).set(&m).execute(conn)?;
        view(conn, caller, m)
    })
}

/// A month of a district's consultation-day rotation: which street hosts it, and its meeting.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Turn {
    pub month: String,
    pub street_id: String,
    pub meeting_id: Option<String>,
}

/// A month the district sets: which street, and when and where.
pub struct NewTurn {
    pub month: String,
    pub street_id: String,
    pub starts_at: Option<NaiveDateTime>,
    pub place: Option<String>,
    pub host: Option<String>,
}

/// The district's rotation, by month.
pub fn rotation(conn: &mut DbConn, caller: &Caller, district_id: &str) -> StoreResult<Vec<Turn>> {
    if !caller.reach().sees(&Place::district(district_id)) && !caller.reach().covers(&Place::district(district_id)) {
        return Err(StoreError::not_found("district", district_id));
    }
    crate::access::place::of_district(conn, district_id)?;
    Ok(consultation_rotations::table
        .filter(consultation_rotations::district_id.eq(district_id))
        .order(consultation_rotations::month.asc())
        .select((consultation_rotations::month, consultation_rotations::street_id, consultation_rotations::meeting_id))
        .load(conn)?)
}

/// Sets the district's rotation for the months given, and schedules each month's consultation
/// day in its street (on the given day, or the 15th at 09:00 China time), once: a month already
/// scheduled keeps its meeting unless its street changes and the meeting has not been held.
pub fn set_rotation(
    conn: &mut DbConn,
    caller: &Caller,
    district_id: &str,
    turns: Vec<NewTurn>,
) -> StoreResult<Vec<Turn>> {
    if !(caller.role == Role::SystemAdmin
        || (caller.role == Role::DistrictAdmin && caller.scope_id.as_deref() == Some(district_id)))
    {
        return Err(StoreError::Forbidden("a district's office sets its consultation-day rotation".into()));
    }
    crate::db::write(conn, |conn| {
        crate::access::place::of_district(conn, district_id)?;
        let mut problems = Vec::new();
        for (i, t) in turns.iter().enumerate() {
            if NaiveDate::parse_from_str(&format!("{}-01", t.month), "%Y-%m-%d").is_err() || t.month.len() != 7 {
                problems.push(FieldProblem::new(format!("months[{i}].month"), "must be a month, YYYY-MM"));
            }
            let d: Option<String> =
                streets::table.find(&t.street_id).select(streets::district_id).first(conn).optional()?;
            if d.as_deref() != Some(district_id) {
                problems.push(FieldProblem::new(format!("months[{i}].street_id"), "must be a street of the district"));
            }
            if turns[..i].iter().any(|o| o.month == t.month) {
                problems.push(FieldProblem::new(format!("months[{i}].month"), "is given twice"));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        for t in turns {
            let before: Option<Turn> = consultation_rotations::table
                .find((district_id, &t.month))
                .select((
                    consultation_rotations::month,
                    consultation_rotations::street_id,
                    consultation_rotations::meeting_id,
                ))
                .first(conn)
                .optional()?;
            let mut meeting_id = before.as_ref().and_then(|b| b.meeting_id.clone());
            if let (Some(b), Some(mid)) = (&before, &meeting_id)
                && b.street_id != t.street_id
            {
                let m = get(conn, mid)?;
                if m.status != MeetingStatus::Scheduled {
                    return Err(StoreError::Conflict {
                        field: "months",
                        detail: format!("the consultation day of {} has been held", t.month),
                    });
                }
                diesel::update(meetings::table.find(mid)).set(meetings::street_id.eq(&t.street_id)).execute(conn)?;
            }
            if meeting_id.is_none() {
                let day = NaiveDate::parse_from_str(&format!("{}-15", t.month), "%Y-%m-%d").expect("checked");
                let starts_at =
                    t.starts_at.unwrap_or_else(|| crate::time::from_local(day.and_hms_opt(9, 0, 0).expect("a time")));
                let new = NewMeeting {
                    kind: MeetingKind::ConsultationDay,
                    district_id: district_id.to_owned(),
                    street_id: Some(t.street_id.clone()),
                    title: None,
                    host: t.host.clone().unwrap_or_else(|| "区委区政府领导".into()),
                    starts_at,
                    place: t.place.clone().unwrap_or_else(|| "街道会议室".into()),
                    departments: vec![],
                    people: vec![],
                };
                meeting_id = Some(create(conn, caller, new)?.meeting.id);
            }
            diesel::delete(consultation_rotations::table.find((district_id, &t.month))).execute(conn)?;
            diesel::insert_into(consultation_rotations::table)
                .values((
                    consultation_rotations::district_id.eq(district_id),
                    consultation_rotations::month.eq(&t.month),
                    consultation_rotations::street_id.eq(&t.street_id),
                    consultation_rotations::meeting_id.eq(&meeting_id),
                ))
                .execute(conn)?;
        }
        rotation(conn, caller, district_id)
    })
}

/// The rules of the consultation day as Markdown, for docs/consultation-day.md: the item's flow,
/// the meeting's moves, the classes and needs, and what gridhub proposes.
pub fn markdown() -> String {
    let mut out = String::from("### An agenda item's flow\n\n");
    out.push_str(&agenda::markdown());
    out.push_str("\n### A meeting's moves\n\n| action | 中文 | from | to |\n|---|---|---|---|\n");
    for (name, label, from, to) in MOVES {
        out.push_str(&format!("| `{name}` | {label} | `{}` | `{}` |\n", from.as_str(), to.as_str()));
    }
    out.push_str("\n### Classes every district has, and what an item may need\n\n| class | 中文 |\n|---|---|\n");
    for (code, name) in agenda::CLASSES {
        out.push_str(&format!("| `{code}` | {name} |\n"));
    }
    out.push_str("\n| need | 中文 |\n|---|---|\n");
    for (code, name) in agenda::NEEDS {
        out.push_str(&format!("| `{code}` | {name} |\n"));
    }
    out.push_str("\n### What gridhub proposes (`GET /api/v1/agenda-items/candidates`)\n\n| reason | 中文 | when |\n|---|---|---|\n");
    for (reason, label, what) in candidates::RULES {
        out.push_str(&format!("| `{reason}` | {label} | {what} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_rendered_rules_are_in_the_docs() {
        let docs = include_str!("../../../docs/consultation-day.md");
        let rules = super::markdown();
        assert!(docs.contains(&rules), "docs/consultation-day.md is out of date; paste this in:\n{rules}\n");
    }
}
