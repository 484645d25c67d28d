//! Applying an action to a case: the checks in the order a caller needs them (can they see it →
//! 404, may their role ever do this → 403, is their version current → 412, does the case's
//! state allow it now → 409 with the allowed actions, is the input whole → 422), then the
//! change, its timeline event and its audit row in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::allowed::{allowed, blocked};
use super::category::{self, Limit};
use super::event::{self, NewEvent};
use super::lifecycle::Next;
use super::read::detail;
use super::routing::{self, Decision};
use super::{Action, Case, CaseView, Policy, Status, find_case, parts, save};
use crate::access::{Caller, audit};
use crate::clocks::calendar;
use crate::db::DbConn;
use crate::error::expect_version;
use crate::error::{StoreError, StoreResult};
use crate::notify::{self, About, Recipient};
use crate::regions::department;
use crate::schema::case_reporters;
use crate::time::now;
use crate::types::CaseId;

/// An action with what it comes with.
#[derive(Debug, Clone)]
pub struct Act {
    pub action: Action,
    pub note: Option<String>,
    pub attachments: Vec<String>,
    /// Dispatch: the department chosen by hand (else the routing rule's choice); waive_part: the
    /// assisting department whose part is waived.
    pub department_id: Option<String>,
    /// Dispatch, co_dispatch: the assisting departments (协办) besides the lead.
    pub co_departments: Vec<String>,
    /// Request or grant an extension: `4h`, `2d`.
    pub extend_by: Option<String>,
    /// Evaluate: 1 to 5.
    pub satisfaction: Option<i32>,
    /// Revisit: whether the problem was found solved.
    pub satisfied: Option<bool>,
    /// Delegate: the level it is handed down to.
    pub to: Option<super::Level>,
    /// Merge: the original case.
    pub into: Option<String>,
    /// Where the actor stood (WGS-84), when the phone said.
    pub at_point: Option<(f64, f64)>,
    pub expected_version: Option<i64>,
    /// The id a phone made for the event (offline actions arrive by sync).
    pub event_id: Option<String>,
    /// When it happened, when that was not now (an offline action, at the phone's time).
    pub occurred_at: Option<NaiveDateTime>,
    /// Handle: what the enforcement did.
    pub outcome: Option<super::outcome::Outcome>,
}

impl Act {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            note: None,
            attachments: Vec::new(),
            department_id: None,
            co_departments: Vec::new(),
            extend_by: None,
            satisfaction: None,
            satisfied: None,
            to: None,
            into: None,
            at_point: None,
            expected_version: None,
            event_id: None,
            occurred_at: None,
            outcome: None,
        }
    }
}

/// What an action needs besides the case being in the right state.
fn check_input(act: &Act) -> StoreResult<()> {
    if act.action.transition().note && act.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(StoreError::invalid("note", format!("is required to {}", act.action.as_str())));
    }
    if act.action == Action::RequestExtension && act.extend_by.is_none() {
        return Err(StoreError::invalid("extend_by", "is required: how much longer, as 4h or 2d"));
    }
    if let Some(text) = &act.extend_by {
        Limit::parse(text).map_err(|e| StoreError::invalid("extend_by", e))?;
    }
    if act.action == Action::Evaluate && !act.satisfaction.is_some_and(|s| (1..=5).contains(&s)) {
        return Err(StoreError::invalid("satisfaction", "is required: a whole number from 1 to 5"));
    }
    if act.action == Action::Revisit && act.satisfied.is_none() {
        return Err(StoreError::invalid("satisfied", "is required: true if the problem was found solved, else false"));
    }
    let assisting = matches!(act.action, Action::Dispatch | Action::CoDispatch);
    if act.action == Action::CoDispatch && act.co_departments.is_empty() {
        return Err(StoreError::invalid("co_departments", "is required: the assisting departments to add"));
    }
    if !assisting && !act.co_departments.is_empty() {
        return Err(StoreError::invalid("co_departments", "is given with dispatch or co_dispatch only"));
    }
    if act.action == Action::Merge && act.into.is_none() {
        return Err(StoreError::invalid("into", "is required: the id of the original case"));
    }
    Ok(())
}

/// Applies `act` to the case `id` (see the module for the order of the checks).
pub fn transition(conn: &mut DbConn, caller: &Caller, id: &str, act: Act, policy: &Policy) -> StoreResult<CaseView> {
    crate::db::write(conn, |conn| {
        let case = find_case(conn, caller, id)?;
        let action = act.action;
        if !action.allows(caller.role) {
            return Err(StoreError::Forbidden(format!(
                "a {} may not {} a case",
                caller.role.as_str(),
                action.as_str()
            )));
        }
        expect_version("case", id, case.version, act.expected_version)?;
        // an assisting department (协办) accepts, returns and reports its own part
        if super::lifecycle::PART_ACTIONS.contains(&action)
            && case.department_id != caller.scope_id
            && let Some(part) = parts::mine(conn, caller, &case.id)?
        {
            let category = category::get(conn, &case.category_code)?;
            let cal = calendar::load(conn, &policy.hours)?;
            let new = parts::act(conn, caller, &case, &part, &act, &category, &cal)?;
            return detail(conn, caller, new, &cal, policy);
        }
        let t = action.transition();
        let state = case.status;
        let why = if t.from.contains(&state) {
            blocked(conn, caller, &case, action, policy)?
        } else {
            Some(format!("{} is not taken on a {} case", action.as_str(), state.as_str()))
        };
        if let Some(why) = why {
            let allowed = allowed(conn, caller, &case, policy)?;
            return Err(StoreError::NotAllowedNow {
                detail: format!("{why}; allowed now: {}", allowed.join(", ")),
                allowed,
            });
        }
        check_input(&act)?;
        if action == Action::SelfHandle && state == Status::Reported && act.attachments.len() < 2 {
            return Err(StoreError::invalid("attachments", "a fix on the spot shows a photo before and one after"));
        }
        let category = category::get(conn, &case.category_code)?;
        let cal = calendar::load(conn, &policy.hours)?;
        let at = now();
        let to = match t.to {
            Next::To(s) => s,
            Next::Stay => state,
            Next::Back => case.suspended_from.unwrap_or(Status::Filed),
        };
        let mut new = Case { version: case.version + 1, updated_at: at, ..case.clone() };
        let mut data = json!({});
        match action {
            Action::Dispatch => {
                let d = choose_department(conn, caller, &case, &category, act.department_id.as_deref())?;
                new.department_id = Some(d.department_id.clone());
                new.routing_rule_id = d.rule_id.clone();
                new.assignee_id = None;
                new.start_step(to, &category, at, &cal);
                data = json!({"routing": d});
                parts::lead_takes_over(conn, &case, &d.department_id, at)?;
                if !act.co_departments.is_empty() {
                    let co = parts::dispatch(conn, &new, &d.department_id, &act.co_departments, &category, &cal, at)?;
                    data["co_departments"] = json!(co);
                }
            }
            Action::CoDispatch => {
                let lead = case.department_id.clone().unwrap_or_default();
                data = json!({"co_departments": parts::dispatch(conn, &case, &lead, &act.co_departments, &category, &cal, at)?});
            }
            Action::WaivePart => {
                let note = act.note.as_deref().unwrap_or_default().trim();
                data = parts::waive(conn, &case, act.department_id.as_deref(), note, at)?;
            }
            Action::Accept => {
                new.assignee_id = Some(caller.user_id.clone());
                new.start_step(to, &category, at, &cal);
            }
            Action::Return | Action::Reopen => {
                data = json!({"department_id": case.department_id});
                new.department_id = None;
                new.routing_rule_id = None;
                new.assignee_id = None;
                new.pending_extension = None;
                new.closed_at = None;
                new.start_step(to, &category, at, &cal);
            }
            Action::Suspend => {
                new.suspended_from = Some(state);
                new.status = to;
            }
            Action::Shelve | Action::ReviewShelved => {
                // a shelved case leaves the department's desk and the clock; the district sees it again
                if action == Action::Shelve {
                    data = json!({"department_id": case.department_id});
                    new.department_id = None;
                    new.assignee_id = None;
                    new.pending_extension = None;
                    new.start_step(to, &category, at, &cal);
                }
                new.shelved_review_at = Some(at + policy.shelved_review);
                data["next_review_at"] = json!(new.shelved_review_at.as_ref().map(crate::time::rfc3339));
            }
            Action::Resume => {
                // the step goes on with the time it had left when it was suspended, on its clock
                let since = event::last_suspended(conn, id)?.unwrap_or(at);
                let timer = case.timer(&cal);
                let used = case.step_started_at.map_or(0, |s| timer.minutes(s, since));
                let left = case.deadline_at.map(|d| timer.minutes(since, d));
                new.step_started_at = case.step_started_at.map(|_| timer.sub_minutes(at, used));
                new.deadline_at = left.map(|m| timer.add_minutes(at, m));
                new.suspended_from = None;
                new.status = to;
                parts::resume(conn, &case, &cal, since, at)?;
                data = json!({"suspended_secs": (at - since).num_seconds(), "minutes_left": left, "clock": case.clock});
            }
            Action::RequestExtension => {
                new.pending_extension = act.extend_by.clone();
                data = json!({"extend_by": act.extend_by});
            }
            Action::GrantExtension => {
                let text = act.extend_by.clone().or(case.pending_extension.clone()).unwrap_or_default();
                let limit = Limit::parse(&text).map_err(|e| StoreError::invalid("extend_by", e))?;
                new.deadline_at = case.deadline_at.map(|d| case.timer(&cal).deadline(d, limit));
                new.pending_extension = None;
                data = json!({"extend_by": text, "requested": case.pending_extension, "deadline_at": new.deadline_at.as_ref().map(crate::time::rfc3339)});
            }
            Action::DenyExtension => {
                new.pending_extension = None;
                data = json!({"requested": case.pending_extension});
            }
            Action::Evaluate => {
                new.satisfaction = act.satisfaction;
                data = json!({"satisfaction": act.satisfaction});
            }
            Action::Merge => {
                let original = merge_into(conn, caller, &case, act.into.as_deref().unwrap_or_default(), at)?;
                new.merged_into = Some(original.clone());
                new.start_step(to, &category, at, &cal);
                data = json!({"into": original});
            }
            Action::VerifyFail => {
                new.start_step(to, &category, at, &cal);
                data = json!({"rework": true});
            }
            Action::Revisit => data = json!({"satisfied": act.satisfied}),
            Action::Escalate | Action::Delegate => {
                let to = if action == Action::Escalate { case.level.up() } else { case.level.down() };
                let Some(to) = to else {
                    let detail = format!("the case is at the {} level: there is no level to move it to", case.level);
                    return Err(StoreError::NotAllowedNow { detail, allowed: vec![] });
                };
                if action == Action::Delegate && act.to.is_some_and(|t| t != to) {
                    return Err(StoreError::invalid(
                        "to",
                        format!("a case at the {} level is handed down one level, to the {}", case.level, to),
                    ));
                }
                new.level = to;
                data = json!({"from": case.level, "to": to});
            }
            // a reply or a remark changes nothing but the timeline: the step and its clock go on
            Action::Reply | Action::Remark => {}
            _ => {
                new.suspended_from = None;
                new.shelved_review_at = None;
                new.start_step(to, &category, at, &cal);
            }
        }
        if let Some(outcome) = &act.outcome {
            if action != Action::Handle {
                return Err(StoreError::invalid("outcome", "is recorded with handle"));
            }
            data["outcome"] = json!(outcome);
        }
        // the step this action ends, for the figures: whether by its deadline, and its time on the
        // case's clock
        if let Some(step) = state.step().filter(|_| to != state && action != Action::Suspend) {
            let done = act.occurred_at.unwrap_or(at);
            data["step"] = json!({
                "name": step.as_str(),
                "due": case.deadline_at.as_ref().map(crate::time::rfc3339),
                "on_time": case.deadline_at.is_none_or(|d| done <= d),
                "minutes": case.step_started_at.map_or(0, |s| case.timer(&cal).minutes(s, done)),
                "clock": case.clock,
            });
        }
        if to == Status::Closed && state != Status::Closed {
            new.closed_at = Some(at);
        }
        save(conn, case.version, &new)?;
        match action {
            Action::Void => parts::withdraw(conn, &case, "案件已作废", at)?,
            Action::Merge => parts::withdraw(conn, &case, "案件已合并", at)?,
            _ => {}
        }
        tell_department(conn, action, to, &case, &new)?;
        tell_who_acts_next(conn, &act, &case, &new)?;
        tell_new_level(conn, action, &case, &new)?;
        tell_reporters(conn, &act, &new)?;
        let mut e = NewEvent::new(id, t.name, Some(state), to).note(act.note.as_deref()).data(data.clone());
        e.attachments = &act.attachments;
        e.at_point = act.at_point;
        e.occurred_at = act.occurred_at;
        e.id = act.event_id.as_deref();
        let e = event::record(conn, caller, e)?;
        if act.event_id.is_some() {
            event::set_result(conn, &e.id, None)?;
        }
        audit::record(
            conn,
            caller,
            &format!("case.{}", t.name),
            ("case", id),
            &case.place(),
            json!({"from": state.as_str(), "to": to.as_str(), "data": data}),
        )?;
        // a resident not satisfied (1–2), or a revisit that found the problem unsolved, sends the
        // case back for a second handling, once
        let new = match (action, act.satisfaction, act.satisfied) {
            (Action::Evaluate, Some(s), _) if s <= 2 && !redone(conn, id)? => {
                let message = format!("居民对「{}」不满意（{s} 分），已重新立案，请重新派遣办理", new.title);
                redo(conn, caller, new, json!({"satisfaction": s}), message, &category, &cal)?
            }
            (Action::Revisit, _, Some(false)) if !redone(conn, id)? => {
                let message = format!("「{}」回访发现问题未解决，已重新立案，请重新派遣办理", new.title);
                redo(conn, caller, new, json!({"revisit": false}), message, &category, &cal)?
            }
            _ => new,
        };
        detail(conn, caller, new, &cal, policy)
    })
}

/// A dispatched or closed case is news for its department, and so is one shelved off its desk
/// (the department it had, `was`, hears why it is gone): a notification, and its webhook.
fn tell_department(conn: &mut DbConn, action: Action, to: Status, was: &Case, case: &Case) -> StoreResult<()> {
    let (kind, department, message) = match (action, to) {
        (Action::Dispatch, _) => ("case.dispatched", &case.department_id, format!("新派遣案件「{}」", case.title)),
        (Action::Shelve, _) => {
            ("case.shelved", &was.department_id, format!("案件「{}」已由区级挂账，不再由本部门办理", case.title))
        }
        (_, Status::Closed) if action != Action::Evaluate => {
            ("case.closed", &case.department_id, format!("案件「{}」已结案", case.title))
        }
        _ => return Ok(()),
    };
    let Some(id) = department else { return Ok(()) };
    let about = About::case(&case.id);
    notify::notify(conn, Recipient::Department(id), kind, about, message)?;
    let department = department::get(conn, id)?;
    notify::enqueue(conn, &department, kind, super::payload(case))
}

/// Whoever must act next hears of it (待办): the street office of a return, an extension asked
/// for, a handling to verify, a case back to dispatch; the community and the cell's grid workers
/// of a handling to verify too; the department of a rework and of its extension decided.
fn tell_who_acts_next(conn: &mut DbConn, act: &Act, was: &Case, case: &Case) -> StoreResult<()> {
    let title = &case.title;
    let note = act.note.as_deref().unwrap_or("").trim();
    let department_name = |conn: &mut DbConn, id: &Option<String>| -> StoreResult<String> {
        Ok(match id {
            Some(id) => department::get(conn, id)?.name,
            None => "部门".into(),
        })
    };
    let about = About::case(&case.id);
    let (kind, message) = match act.action {
        Action::Return => {
            let by = department_name(conn, &was.department_id)?;
            ("case.returned", format!("「{title}」被{by}退回，待重新派遣：{note}"))
        }
        Action::RequestExtension => {
            let by = department_name(conn, &case.department_id)?;
            let by_how_much =
                act.extend_by.as_deref().map(|l| crate::clocks::Limit::describe(l, case.clock)).unwrap_or_default();
            ("case.extension_requested", format!("{by}申请「{title}」延期{by_how_much}，待审批"))
        }
        Action::Handle => ("case.handled", format!("「{title}」已处置反馈，待核查结案")),
        Action::Reopen => ("case.reopened", format!("「{title}」已重新立案，待派遣：{note}")),
        Action::Unshelve => ("case.unshelved", format!("「{title}」已解除挂账，待派遣：{note}")),
        Action::VerifyFail | Action::GrantExtension | Action::DenyExtension => {
            let Some(department) = &case.department_id else { return Ok(()) };
            let (kind, message) = match act.action {
                Action::VerifyFail => ("case.rework", format!("「{title}」核查未通过，需返工：{note}")),
                Action::GrantExtension => ("case.extension_granted", format!("「{title}」的延期申请已批准")),
                _ => ("case.extension_denied", format!("「{title}」的延期申请被驳回，请按原期限办理")),
            };
            return notify::notify(conn, Recipient::Department(department), kind, about, message);
        }
        _ => return Ok(()),
    };
    if let Some(street) = &case.street_id {
        notify::notify(conn, Recipient::Street(street), kind, about, message.clone())?;
    }
    if act.action == Action::Handle {
        if let Some(community) = &case.community_id {
            notify::notify(conn, Recipient::Community(community), kind, about, message.clone())?;
        }
        if let Some(cell) = &case.cell_id {
            for user in crate::assignments::people_of(conn, cell)? {
                notify::notify(conn, Recipient::User(&user), kind, about, message.clone())?;
            }
        }
    }
    Ok(())
}

/// Whether the case was sent back for a second handling (重办) already.
fn redone(conn: &mut DbConn, id: &str) -> StoreResult<bool> {
    use crate::schema::case_events;
    let n: i64 = case_events::table
        .filter(case_events::case_id.eq(id))
        .filter(case_events::action.eq("redo"))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// A resident's rating of 1–2 (不满意), or an office's revisit that found the problem unsolved,
/// reopens the case for a second handling (重办): filed again with a fresh deadline, off the
/// department's desk, to be rated and revisited again when it closes again. The street office
/// is told (`message`) to dispatch it anew.
fn redo(
    conn: &mut DbConn,
    caller: &Caller,
    case: Case,
    why: serde_json::Value,
    message: String,
    category: &category::Category,
    cal: &crate::clocks::Calendar,
) -> StoreResult<Case> {
    let at = now();
    let mut new = Case { version: case.version + 1, updated_at: at, ..case.clone() };
    new.department_id = None;
    new.routing_rule_id = None;
    new.assignee_id = None;
    new.pending_extension = None;
    new.closed_at = None;
    new.satisfaction = None;
    new.start_step(Status::Filed, category, at, cal);
    save(conn, case.version, &new)?;
    let mut data = why;
    data["department_id"] = json!(case.department_id);
    event::record(
        conn,
        caller,
        NewEvent::new(&case.id, "redo", Some(Status::Closed), Status::Filed).data(data.clone()),
    )?;
    audit::record(conn, caller, "case.redo", ("case", &case.id), &case.place(), data)?;
    if let Some(street) = &case.street_id {
        let about = About::case(&case.id);
        notify::notify(conn, Recipient::Street(street), "case.redo", about, message)?;
    }
    Ok(new)
}

/// A case escalated or handed down is news for the office of its new level.
fn tell_new_level(conn: &mut DbConn, action: Action, was: &Case, case: &Case) -> StoreResult<()> {
    if !matches!(action, Action::Escalate | Action::Delegate) {
        return Ok(());
    }
    let (verb, kind) =
        if action == Action::Escalate { ("提级", "case.escalate") } else { ("下派", "case.delegate") };
    let message = format!("「{}」由{}{}至{}，请指挥处置", case.title, was.level.label(), verb, case.level.label());
    let about = About::case(&case.id);
    let recipient = match case.level {
        super::Level::District => case.district_id.as_deref().map(Recipient::District),
        super::Level::Street => case.street_id.as_deref().map(Recipient::Street),
        super::Level::Community => case.community_id.as_deref().map(Recipient::Community),
    };
    match recipient {
        Some(r) => notify::notify(conn, r, kind, about, message),
        None => Ok(()),
    }
}

/// A resident request's residents hear what they should: that it was accepted (受理) or not, each
/// reply, and its closing — in the app's notifications, in the words of the public timeline.
fn tell_reporters(conn: &mut DbConn, act: &Act, case: &Case) -> StoreResult<()> {
    if case.source != super::Source::ResidentRequest {
        return Ok(());
    }
    let title = &case.title;
    let note = act.note.as_deref().unwrap_or("").trim();
    let (kind, message, phrase) = match act.action {
        Action::File => ("case.received", format!("您反映的「{title}」已受理，正在办理"), "已受理"),
        Action::Reject => ("case.rejected", format!("您反映的「{title}」不予受理：{note}"), "不予受理"),
        Action::Reply => ("case.replied", format!("您反映的「{title}」有新答复：{note}"), "已答复"),
        Action::Answer => ("case.answered", format!("您反映的「{title}」已答复办结：{note}。欢迎评价"), "已办结"),
        Action::VerifyPass | Action::SelfHandle => {
            ("case.closed", format!("您反映的「{title}」已办结，欢迎评价"), "已办结")
        }
        _ => return Ok(()),
    };
    let about = About::case(&case.id);
    let reporters: Vec<String> = crate::schema::case_reporters::table
        .filter(crate::schema::case_reporters::case_id.eq(case.id.as_str()))
        .select(crate::schema::case_reporters::user_id)
        .load(conn)?;
    let page = format!("pages/case/detail?id={}", case.id);
    // the note only where the resident is meant to read it (the lifecycle's public face)
    let public = act.action.transition().resident == super::lifecycle::Face::Note;
    let said = if note.is_empty() || !public { "请在小程序中查看详情" } else { note };
    let time = notify::wechat::time_field(now());
    for user in &reporters {
        notify::notify(conn, Recipient::User(user), kind, about, message.clone())?;
        let fields = [("thing1", title.as_str()), ("phrase2", phrase), ("thing3", said), ("time4", time.as_str())];
        notify::wechat::enqueue(conn, user, notify::wechat::Template::CaseUpdate, &page, &fields)?;
    }
    Ok(())
}

/// The department a dispatch goes to: the one named (of the case's district; a street's own unit
/// only in its street), else
/// the routing rules' choice, else the category's default department.
fn choose_department(
    conn: &mut DbConn,
    caller: &Caller,
    case: &Case,
    category: &category::Category,
    named: Option<&str>,
) -> StoreResult<Decision> {
    if let Some(id) = named {
        department::find(conn, caller, id).map_err(|_| {
            StoreError::invalid("department_id", format!("no department of this case's district has the id {id}"))
        })?;
        let d = department::serving(conn, id, &case.place(), "department_id")?;
        return Ok(routing::decision(d, "explicit", None));
    }
    let chosen = match &case.district_id {
        Some(district) => routing::choose(conn, district, case.street_id.as_deref(), category)?,
        None => None,
    };
    chosen.ok_or_else(|| {
        StoreError::invalid(
            "department_id",
            format!("no routing rule or default department covers {} here; name the department", category.code),
        )
    })
}

/// Links the duplicate `dup` to its original `into`: the original gains the duplicate's
/// reporters (who follow it from now on) and an event on its timeline. Returns its id.
fn merge_into(conn: &mut DbConn, caller: &Caller, dup: &Case, into: &str, at: NaiveDateTime) -> StoreResult<CaseId> {
    let original = find_case(conn, caller, into)
        .map_err(|_| StoreError::invalid("into", format!("no case you can see has the id {into}")))?;
    if original.id == dup.id {
        return Err(StoreError::invalid("into", "a case is not merged into itself"));
    }
    let state = original.status;
    if !Status::OPEN.contains(&state) || original.merged_into.is_some() {
        return Err(StoreError::invalid("into", format!("the original must be open; it is {}", state.as_str())));
    }
    let reporters: Vec<String> =
        case_reporters::table.filter(case_reporters::case_id.eq(&dup.id)).select(case_reporters::user_id).load(conn)?;
    for user in &reporters {
        super::add_reporter(conn, &original.id, user, &dup.id, at)?;
    }
    save(conn, original.version, &Case { version: original.version + 1, updated_at: at, ..original.clone() })?;
    let data: Value = json!({"duplicate": dup.id, "reporters": reporters.len()});
    event::record(conn, caller, NewEvent::on(&original.id, "merged_in", state).data(data))?;
    Ok(original.id)
}
