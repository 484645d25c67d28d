//! 议题 — agenda items: a problem a street or community cannot solve alone, raised for a
//! consultation day or a joint meeting, with what it needs from the district (planning,
//! approval, funding, enforcement) and the cases and whistles behind it. What may happen to an
//! item is the table `FLOW`; an item with a decision follows its milestones by itself (`follow`):
//! under way once a milestone is taken on, resolved when every milestone is verified.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::access::{Caller, Place, Role};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::schema::{agenda_classes, agenda_events, agenda_items, decisions, milestones, tasks};
use crate::tasks::{TaskStatus, Unit};
use crate::time::now;

crate::types::text_enum! {
    /// Where an agenda item stands.
    pub enum ItemStatus {
        Proposed = "proposed",
        Screened = "screened",
        OnAgenda = "on_agenda",
        Decided = "decided",
        InProgress = "in_progress",
        Resolved = "resolved",
        Continuing = "continuing",
        Declined = "declined",
    }
}

impl ItemStatus {
    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Proposed => "已提出",
            ItemStatus::Screened => "已筛选",
            ItemStatus::OnAgenda => "已列入议程",
            ItemStatus::Decided => "已形成决定",
            ItemStatus::InProgress => "推进中",
            ItemStatus::Resolved => "已解决",
            ItemStatus::Continuing => "持续推进",
            ItemStatus::Declined => "未采纳",
        }
    }
}

use ItemStatus::*;

/// An action on an item. The district's and the street's offices take those `BY_HAND`;
/// `on_agenda` and `decided` come from the meeting (`POST /meetings/{id}/agenda`, `…/decisions`),
/// `in_progress` and `resolved` from the milestones.
pub struct ItemAction {
    pub name: &'static str,
    pub label: &'static str,
    pub from: &'static [ItemStatus],
    pub to: ItemStatus,
    /// Whether a note (why) is required.
    pub note: bool,
    pub what: &'static str,
}

const fn a(
    name: &'static str,
    label: &'static str,
    from: &'static [ItemStatus],
    to: ItemStatus,
    note: bool,
    what: &'static str,
) -> ItemAction {
    ItemAction { name, label, from, to, note, what }
}

/// What may happen to an item: the one home of the rule, rendered into docs/consultation-day.md.
#[rustfmt::skip]
pub const FLOW: &[ItemAction] = &[
    a("screen", "筛选", &[Proposed], Screened, false, "The office finds it belongs on an agenda."),
    a("put_on_agenda", "列入议程", &[Proposed, Screened, Continuing], OnAgenda, false, "A meeting takes it up (`POST /api/v1/meetings/{id}/agenda`)."),
    a("decide", "形成决定", &[OnAgenda], Decided, false, "The meeting decides it, with milestones (`POST /api/v1/meetings/{id}/decisions`)."),
    a("start", "开始推进", &[Decided], InProgress, false, "By itself, once a milestone's department takes it on."),
    a("resolve", "解决", &[Decided, InProgress], Resolved, false, "By itself, when every milestone is verified."),
    a("carry", "持续推进", &[OnAgenda, Decided, InProgress], Continuing, true, "The office carries it to the next meeting, saying why; it comes up there again with its history."),
    a("decline", "不予采纳", &[Proposed, Screened, OnAgenda], Declined, true, "The office finds it is not for the meeting (the street can solve it, it is not a problem), saying why."),
];

/// The actions an office takes itself.
pub const BY_HAND: &[&str] = &["screen", "carry", "decline"];

/// The classes every district has: (code, 中文). A district may add its own.
pub const CLASSES: &[(&str, &str)] = &[
    ("wuwei_sibi", "五违四必"),
    ("public_facilities", "公共设施"),
    ("construction", "建设施工"),
    ("environment", "脏乱差环境治理"),
];

/// What an item may need of the district: (code, 中文).
pub const NEEDS: &[(&str, &str)] = &[
    ("planning", "规划"),
    ("approval", "审批"),
    ("funding", "资金"),
    ("enforcement", "执法"),
    ("coordination", "协调"),
    ("policy", "政策"),
];

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = agenda_items, treat_none_as_null = true)]
pub struct AgendaItem {
    pub id: String,
    pub district_id: String,
    pub street_id: String,
    pub community_id: Option<String>,
    pub title: String,
    pub description: String,
    pub class: String,
    pub raised_by_type: String,
    pub raised_by_id: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub needs: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub case_ids: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub whistle_ids: String,
    pub proposed_lead_department_id: Option<String>,
    /// Why gridhub proposed it, when it came from the candidates.
    pub proposed_because: Option<String>,
    pub status: ItemStatus,
    pub version: i64,
    #[serde(skip)]
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

impl AgendaItem {
    pub fn place(&self) -> Place {
        Place {
            district: Some(self.district_id.clone()),
            street: Some(self.street_id.clone()),
            community: self.community_id.clone(),
        }
    }
}

/// An entry of an item's history.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = agenda_events)]
pub struct AgendaEvent {
    pub id: String,
    #[serde(skip)]
    pub item_id: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub meeting_id: Option<String>,
    pub actor_id: Option<String>,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    #[serde(flatten)]
    pub item: AgendaItem,
    pub status_label: &'static str,
    pub class_name: String,
    pub raised_by_name: String,
    pub allowed_actions: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    #[serde(flatten)]
    pub view: ItemView,
    /// Every meeting and decision it went through, and each change.
    pub history: Vec<AgendaEvent>,
}

pub struct NewItem {
    pub title: String,
    pub description: String,
    pub class: String,
    pub raised_by: (Unit, String),
    pub needs: Vec<String>,
    pub case_ids: Vec<String>,
    pub whistle_ids: Vec<String>,
    pub proposed_lead_department_id: Option<String>,
    pub proposed_because: Option<String>,
}

/// The classes of a district: the four every district has, then its own.
pub fn classes(conn: &mut DbConn, district_id: Option<&str>) -> StoreResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = CLASSES.iter().map(|(c, n)| ((*c).to_owned(), (*n).to_owned())).collect();
    if let Some(d) = district_id {
        let own: Vec<(String, String)> = agenda_classes::table
            .filter(agenda_classes::district_id.eq(d))
            .order(agenda_classes::created_at.asc())
            .select((agenda_classes::code, agenda_classes::name))
            .load(conn)?;
        out.extend(own);
    }
    Ok(out)
}

/// A district admin adds a class of its own (`[a-z_]{2,40}`).
pub fn add_class(conn: &mut DbConn, caller: &Caller, code: &str, name: &str) -> StoreResult<Vec<(String, String)>> {
    let Some(district) = caller.reach().district().map(str::to_owned).filter(|_| caller.role == Role::DistrictAdmin)
    else {
        return Err(StoreError::Forbidden("a district's admin adds the district's classes".into()));
    };
    if code.len() < 2 || code.len() > 40 || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(StoreError::invalid("code", "must be 2 to 40 lowercase letters or _"));
    }
    crate::db::write(conn, |conn| {
        if classes(conn, Some(&district))?.iter().any(|(c, _)| c == code) {
            return Err(StoreError::Conflict { field: "code", detail: format!("the class {code} exists") });
        }
        diesel::insert_into(agenda_classes::table)
            .values((
                agenda_classes::district_id.eq(&district),
                agenda_classes::code.eq(code),
                agenda_classes::name.eq(name),
                agenda_classes::created_at.eq(now()),
            ))
            .execute(conn)?;
        classes(conn, Some(&district))
    })
}

/// Whether the caller raises items for this unit: its own street or community, or (a street's or
/// district's office) any under it.
fn may_raise(caller: &Caller, place: &Place) -> bool {
    matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin | Role::CommunityAdmin)
        && caller.reach().covers(place)
}

/// Whether the caller screens, carries and declines the items of this street: its street office,
/// its district's office, a system admin.
pub(crate) fn runs(caller: &Caller, place: &Place) -> bool {
    matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin) && caller.reach().covers(place)
}

/// Raises an item (`proposed`): a street or community, by its office or an office above.
pub fn raise(conn: &mut DbConn, caller: &Caller, new: NewItem) -> StoreResult<ItemDetail> {
    let (unit, unit_id) = new.raised_by.clone();
    if !matches!(unit, Unit::Street | Unit::Community) {
        return Err(StoreError::invalid("raised_by.type", "must be street or community"));
    }
    crate::db::write(conn, |conn| {
        let (place, _) = crate::tasks::unit::find(conn, unit, &unit_id)
            .map_err(|_| StoreError::invalid("raised_by.id", format!("no {} has the id {unit_id}", unit.as_str())))?;
        if !may_raise(caller, &place) {
            return Err(StoreError::Forbidden(format!("the {} lies outside your area", unit.as_str())));
        }
        let district = place.district.clone().unwrap_or_default();
        let mut problems = Vec::new();
        if !classes(conn, Some(&district))?.iter().any(|(c, _)| *c == new.class) {
            let known: Vec<String> = classes(conn, Some(&district))?.into_iter().map(|c| c.0).collect();
            problems.push(FieldProblem::new("class", format!("must be one of {}", known.join(", "))));
        }
        for (i, n) in new.needs.iter().enumerate() {
            if !NEEDS.iter().any(|(c, _)| c == n) {
                let known: Vec<&str> = NEEDS.iter().map(|n| n.0).collect();
                problems.push(FieldProblem::new(format!("needs[{i}]"), format!("must be one of {}", known.join(", "))));
            }
        }
        for (i, id) in new.case_ids.iter().enumerate() {
            let case = crate::cases::find_case(conn, caller, id);
            if !case.is_ok_and(|c| c.street_id.as_deref() == place.street.as_deref()) {
                problems.push(FieldProblem::new(
                    format!("case_ids[{i}]"),
                    format!("no case of the street has the id {id}"),
                ));
            }
        }
        for (i, id) in new.whistle_ids.iter().enumerate() {
            let street: Option<String> = crate::schema::whistles::table
                .find(id)
                .select(crate::schema::whistles::street_id)
                .first(conn)
                .optional()?;
            if street.as_deref() != place.street.as_deref() {
                problems.push(FieldProblem::new(
                    format!("whistle_ids[{i}]"),
                    format!("no whistle of the street has the id {id}"),
                ));
            }
        }
        if let Some(d) = &new.proposed_lead_department_id
            && !crate::regions::department::get(conn, d).is_ok_and(|d| d.district_id == district)
        {
            problems.push(FieldProblem::new("proposed_lead_department_id", "must be a department of the district"));
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let t = now();
        let item = AgendaItem {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: district,
            street_id: place.street.clone().unwrap_or_default(),
            community_id: place.community.clone(),
            title: new.title.clone(),
            description: new.description.clone(),
            class: new.class.clone(),
            raised_by_type: unit.as_str().to_owned(),
            raised_by_id: unit_id.clone(),
            needs: json!(new.needs).to_string(),
            case_ids: json!(new.case_ids).to_string(),
            whistle_ids: json!(new.whistle_ids).to_string(),
            proposed_lead_department_id: new.proposed_lead_department_id.clone(),
            proposed_because: new.proposed_because.clone(),
            status: Proposed,
            version: 1,
            created_by: caller.actor_id().map(Into::into),
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(agenda_items::table).values(&item).execute(conn)?;
        record(conn, caller, &item, "raise", None, Proposed, None, None)?;
        detail(conn, caller, item)
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    conn: &mut DbConn,
    caller: &Caller,
    item: &AgendaItem,
    action: &str,
    from: Option<ItemStatus>,
    to: ItemStatus,
    meeting_id: Option<&str>,
    note: Option<&str>,
) -> StoreResult<()> {
    let e = AgendaEvent {
        id: uuid::Uuid::now_v7().to_string(),
        item_id: item.id.clone(),
        action: action.into(),
        from_status: from.map(|s| s.as_str().to_owned()),
        to_status: to.as_str().into(),
        meeting_id: meeting_id.map(Into::into),
        actor_id: caller.actor_id().map(Into::into),
        note: note.map(Into::into),
        created_at: now(),
    };
    diesel::insert_into(agenda_events::table).values(&e).execute(conn)?;
    Ok(())
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<AgendaItem> {
    agenda_items::table
        .find(id)
        .select(AgendaItem::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("agenda item", id))
}

/// Who sees an item: the offices whose area holds it; a department it is proposed to lead.
fn visible(caller: &Caller, item: &AgendaItem) -> bool {
    match caller.role {
        Role::DeptStaff => item.proposed_lead_department_id.as_deref() == caller.scope_id.as_deref(),
        r if r.is_admin() => caller.reach().covers(&item.place()) || caller.reach().sees(&item.place()),
        _ => false,
    }
}

pub(crate) fn find_item(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<AgendaItem> {
    let item = get(conn, id)?;
    let item = follow(conn, item)?;
    if !visible(caller, &item) {
        return Err(StoreError::not_found("agenda item", id));
    }
    Ok(item)
}

pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<ItemDetail> {
    let item = find_item(conn, caller, id)?;
    detail(conn, caller, item)
}

/// An item with a decision, brought up to date with its milestones: under way once one is taken
/// on, resolved when all are verified (a carried or declined item stays as it is).
pub(crate) fn follow(conn: &mut DbConn, item: AgendaItem) -> StoreResult<AgendaItem> {
    if !matches!(item.status, Decided | InProgress) {
        return Ok(item);
    }
    let states: Vec<TaskStatus> = milestones::table
        .inner_join(decisions::table)
        .inner_join(tasks::table)
        .filter(decisions::item_id.eq(&item.id))
        .select(tasks::status)
        .load(conn)?;
    let live: Vec<TaskStatus> = states.into_iter().filter(|s| *s != TaskStatus::Cancelled).collect();
    let to = if !live.is_empty() && live.iter().all(|s| *s == TaskStatus::Verified) {
        Resolved
    } else if live.iter().any(|s| *s != TaskStatus::Assigned) {
        InProgress
    } else {
        item.status
    };
    if to == item.status {
        return Ok(item);
    }
    crate::db::write(conn, |conn| {
        let moved = AgendaItem { status: to, version: item.version + 1, updated_at: now(), ..item.clone() };
        diesel::update(agenda_items::table.find(&moved.id)).set(&moved).execute(conn)?;
        let action = if to == Resolved { "resolve" } else { "start" };
        record(conn, &Caller::system(), &moved, action, Some(item.status), to, None, None)?;
        Ok(moved)
    })
}

fn detail(conn: &mut DbConn, caller: &Caller, item: AgendaItem) -> StoreResult<ItemDetail> {
    let history = agenda_events::table
        .filter(agenda_events::item_id.eq(&item.id))
        .order(agenda_events::id.asc())
        .select(AgendaEvent::as_select())
        .load(conn)?;
    Ok(ItemDetail { view: view(conn, caller, item)?, history })
}

pub(crate) fn view(conn: &mut DbConn, caller: &Caller, item: AgendaItem) -> StoreResult<ItemView> {
    let class_name = classes(conn, Some(&item.district_id))?
        .into_iter()
        .find(|(c, _)| *c == item.class)
        .map(|c| c.1)
        .unwrap_or_else(|| item.class.clone());
    let unit = Unit::parse(&item.raised_by_type).unwrap_or(Unit::Street);
    let raised_by_name = crate::tasks::unit::find(conn, unit, &item.raised_by_id).map(|f| f.1).unwrap_or_default();
    let allowed_actions = if runs(caller, &item.place()) {
        FLOW.iter().filter(|a| BY_HAND.contains(&a.name) && a.from.contains(&item.status)).map(|a| a.name).collect()
    } else {
        Vec::new()
    };
    Ok(ItemView { status_label: item.status.label(), class_name, raised_by_name, allowed_actions, item })
}

/// Items the caller sees, newest first, by street, status, class.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    street_id: Option<&str>,
    status: Option<ItemStatus>,
    class: Option<&str>,
    page: &Page,
) -> StoreResult<Paged<ItemView>> {
    let mut q = agenda_items::table.select(AgendaItem::as_select()).order(agenda_items::id.desc()).into_boxed();
    q = match caller.role {
        Role::DeptStaff => {
            q.filter(agenda_items::proposed_lead_department_id.eq(caller.scope_id.clone().unwrap_or_default()))
        }
        r if r.is_admin() => crate::access::within_reach!(
            q,
            caller.reach(),
            agenda_items::district_id,
            agenda_items::street_id,
            agenda_items::community_id
        ),
        _ => return Ok(Paged { items: Vec::new(), next_after: None }),
    };
    if let Some(s) = street_id {
        q = q.filter(agenda_items::street_id.eq(s.to_owned()));
    }
    if let Some(s) = status {
        q = q.filter(agenda_items::status.eq(s));
    }
    if let Some(c) = class {
        q = q.filter(agenda_items::class.eq(c.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(agenda_items::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |i: &AgendaItem| &i.id);
    let mut items = Vec::new();
    for i in paged.items {
        let i = follow(conn, i)?;
        items.push(view(conn, caller, i)?);
    }
    Ok(Paged { items, next_after: paged.next_after })
}

/// Moves an item by hand (`screen`, `carry`, `decline`; see `FLOW`).
pub fn act(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: &str,
    note: Option<String>,
    expected_version: Option<i64>,
) -> StoreResult<ItemDetail> {
    let Some(&ItemAction { name, from, to, note: needs_note, .. }) =
        FLOW.iter().find(|a| a.name == action && BY_HAND.contains(&a.name))
    else {
        return Err(StoreError::invalid("action", format!("must be one of {}", BY_HAND.join(", "))));
    };
    let note = note.filter(|n| !n.trim().is_empty());
    if needs_note && note.is_none() {
        return Err(StoreError::invalid("note", format!("is required to {name} an item: say why")));
    }
    crate::db::write(conn, |conn| {
        let old = find_item(conn, caller, id)?;
        if !runs(caller, &old.place()) {
            return Err(StoreError::Forbidden("the street's or the district's office moves an agenda item".into()));
        }
        if expected_version.is_some_and(|v| v != old.version) {
            return Err(StoreError::VersionMismatch { entity: "agenda item", id: old.id, current: old.version });
        }
        if !from.contains(&old.status) {
            let allowed = FLOW
                .iter()
                .filter(|a| BY_HAND.contains(&a.name) && a.from.contains(&old.status))
                .map(|a| a.name)
                .collect();
            return Err(StoreError::NotAllowedNow { detail: format!("the item is {}", old.status), allowed });
        }
        let item = AgendaItem { status: to, version: old.version + 1, updated_at: now(), ..old.clone() };
        diesel::update(agenda_items::table.find(&item.id)).set(&item).execute(conn)?;
        record(conn, caller, &item, name, Some(old.status), to, None, note.as_deref())?;
        detail(conn, caller, item)
    })
}

/// Puts an item into a state by the meeting's hand (`put_on_agenda`, `decide`).
pub(crate) fn moved_by_meeting(
    conn: &mut DbConn,
    caller: &Caller,
    item: &AgendaItem,
    action: &str,
    meeting_id: &str,
    note: Option<&str>,
) -> StoreResult<AgendaItem> {
    let &ItemAction { name, from, to, .. } = FLOW.iter().find(|a| a.name == action).expect("in the table");
    if !from.contains(&item.status) {
        return Err(StoreError::Conflict {
            field: "agenda_item_ids",
            detail: format!("the item {} is {}: it cannot be {}", item.id, item.status, name),
        });
    }
    let moved = AgendaItem { status: to, version: item.version + 1, updated_at: now(), ..item.clone() };
    diesel::update(agenda_items::table.find(&moved.id)).set(&moved).execute(conn)?;
    record(conn, caller, &moved, name, Some(item.status), to, Some(meeting_id), note)?;
    Ok(moved)
}

/// The flow as a Markdown table, for docs/consultation-day.md.
pub fn markdown() -> String {
    let mut out = String::from("| action | 中文 | from | to | note | what |\n|---|---|---|---|---|---|\n");
    for a in FLOW {
        let from: Vec<&str> = a.from.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            a.name,
            a.label,
            from.join(", "),
            a.to.as_str(),
            if a.note { "required" } else { "" },
            a.what
        ));
    }
    out
}
