//! The closed loop as one table: (states, action, roles) → state. The store applies it, the API
//! answers `allowed_actions` from it, and `docs/case-lifecycle.md` is rendered from it (a test
//! keeps the document in step).

use serde::Serialize;

use super::category::Step;
use crate::access::Role;

crate::types::text_enum! {
    /// Where a case stands in the closed loop.
    pub enum Status {
        /// 上报: reported, waiting to be filed.
        Reported = "reported",
        /// 立案
        Filed = "filed",
        /// 不予立案
        Rejected = "rejected",
        /// 派遣: sent to a department.
        Dispatched = "dispatched",
        /// 签收: the department took it on.
        Accepted = "accepted",
        /// 处置反馈: the department reported it handled.
        Handled = "handled",
        /// 结案
        Closed = "closed",
        /// 缓办 (挂起): set aside for now; resumes where it was, its clock stopped meanwhile.
        Suspended = "suspended",
        /// 挂账: listed as not resolvable for now (planning, funding or ownership), approved by the
        /// district, kept out of the on-time figures and reviewed periodically.
        Shelved = "shelved",
        /// 作废
        Void = "void",
    }
}

impl Status {
    /// The states of a case someone still has to act on.
    pub const OPEN: [Status; 7] = [
        Status::Reported,
        Status::Filed,
        Status::Dispatched,
        Status::Accepted,
        Status::Handled,
        Status::Suspended,
        Status::Shelved,
    ];
    /// The open states whose step's clock runs (a suspended case's stands still).
    pub const RUNNING: [Status; 5] =
        [Status::Reported, Status::Filed, Status::Dispatched, Status::Accepted, Status::Handled];

    /// What people call the state (中文).
    pub fn label(self) -> &'static str {
        match self {
            Status::Reported => "待立案",
            Status::Filed => "已立案",
            Status::Rejected => "不予立案",
            Status::Dispatched => "已派遣",
            Status::Accepted => "已签收",
            Status::Handled => "已处置",
            Status::Closed => "已结案",
            Status::Suspended => "缓办",
            Status::Shelved => "挂账",
            Status::Void => "已作废",
        }
    }

    /// The step whose deadline runs in this state.
    pub fn step(self) -> Option<Step> {
        match self {
            Status::Reported => Some(Step::File),
            Status::Filed => Some(Step::Dispatch),
            Status::Dispatched => Some(Step::Accept),
            Status::Accepted => Some(Step::Handle),
            Status::Handled => Some(Step::Verify),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    File,
    Reject,
    Dispatch,
    SelfHandle,
    Accept,
    Return,
    Handle,
    VerifyPass,
    VerifyFail,
    Suspend,
    Resume,
    Shelve,
    ReviewShelved,
    Unshelve,
    RequestExtension,
    GrantExtension,
    DenyExtension,
    Void,
    Evaluate,
    Reopen,
    Merge,
    Reply,
    Answer,
    Remark,
    Redo,
    Revisit,
    Escalate,
    Delegate,
    CoDispatch,
    WaivePart,
}

/// What a resident who follows the case sees of an event: the event and its note, the event
/// alone (who acted, named by unit, and when), or nothing (staff only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Note,
    Event,
    Hidden,
}

impl Face {
    /// The face of an event by its action: the table's, the report itself, nothing else.
    pub fn of(action: &str) -> Face {
        match TRANSITIONS.iter().find(|t| t.name == action) {
            Some(t) => t.resident,
            None if action == "report" => Face::Note,
            None => Face::Hidden,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Face::Note => "event and note",
            Face::Event => "event",
            Face::Hidden => "—",
        }
    }
}

/// Where an action leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    To(Status),
    /// The state does not change (extensions, evaluation).
    Stay,
    /// Back to the state the case was suspended from.
    Back,
}

pub struct Transition {
    pub action: Action,
    pub name: &'static str,
    /// 中文: what offices call it.
    pub label: &'static str,
    pub from: &'static [Status],
    pub to: Next,
    pub roles: &'static [Role],
    /// Whether the action needs a note (a reason, what was done).
    pub note: bool,
    /// What the resident who reported the case sees of it.
    pub resident: Face,
    /// What else the action needs, for the documentation (the store checks it).
    pub needs: &'static str,
}

use Role::*;
use Status::*;

/// The street office and those above it.
const OFFICE: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin];
/// Those who act in the grid: the office, the community, the grid worker on site.
const GRID: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridWorker];
const DEPARTMENT: &[Role] = &[DeptStaff];
/// Who commands a case at some level (see `LEVELS`): the offices, and a community for the
/// cases handed down to it.
const COMMANDERS: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin, CommunityAdmin];
/// The district: it approves what leaves the ordinary loop (挂账).
const DISTRICT: &[Role] = &[SystemAdmin, DistrictAdmin];
const WORKING: &[Status] = &[Filed, Dispatched, Accepted];
const WITH_DEPARTMENT: &[Status] = &[Dispatched, Accepted];
const NOT_FINISHED: &[Status] = &[Reported, Filed, Dispatched, Accepted, Handled, Suspended, Shelved];
/// Who answers a resident: the offices, the community, the department that has the case.
const ANSWERS: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin, CommunityAdmin, DeptStaff];
/// Who settles a resident's request on the spot: the community and the offices above it.
const LOCAL: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin, CommunityAdmin];
/// Everyone who works cases (not residents, not volunteers).
const STAFF: &[Role] = &[SystemAdmin, DistrictAdmin, StreetAdmin, CommunityAdmin, GridWorker, DeptStaff];
/// While a level commands the case: before it is closed, voided or rejected (a shelved case is
/// the district's, by its approval).
const COMMANDED: &[Status] = &[Reported, Filed, Dispatched, Accepted, Handled, Suspended];
const REPLIED: &[Status] = &[Reported, Filed, Dispatched, Accepted, Handled, Suspended, Shelved, Closed];

#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    Transition { action: Action::File, name: "file", label: "立案", from: &[Reported], to: Next::To(Filed), roles: COMMANDERS, note: false, resident: Face::Event, needs: "" },
    Transition { action: Action::Reject, name: "reject", label: "不予立案", from: &[Reported], to: Next::To(Rejected), roles: COMMANDERS, note: true, resident: Face::Note, needs: "the reason" },
    Transition { action: Action::Dispatch, name: "dispatch", label: "派遣", from: &[Filed], to: Next::To(Dispatched), roles: COMMANDERS, note: false, resident: Face::Event, needs: "department_id, or a routing rule / the category's default department" },
    Transition { action: Action::SelfHandle, name: "self_handle", label: "自处理", from: &[Reported, Filed], to: Next::To(Closed), roles: GRID, note: true, resident: Face::Note, needs: "attachments where photos were taken; from reported (随手办, fixed on the spot) only in a category marked on_the_spot, with a photo before and one after; counted as 就地解决" },
    Transition { action: Action::Accept, name: "accept", label: "签收", from: &[Dispatched], to: Next::To(Accepted), roles: DEPARTMENT, note: false, resident: Face::Event, needs: "the case is dispatched to the caller's department (an assisting department accepts its part: see PARTS)" },
    Transition { action: Action::Return, name: "return", label: "退回", from: &[Dispatched], to: Next::To(Filed), roles: DEPARTMENT, note: true, resident: Face::Hidden, needs: "counted as a mis-dispatch (an assisting department returns its part)" },
    Transition { action: Action::Handle, name: "handle", label: "处置反馈", from: &[Accepted], to: Next::To(Handled), roles: DEPARTMENT, note: true, resident: Face::Hidden, needs: "attachments where photos were taken; the lead only once every assisting part is handled or waived (an assisting department reports its part)" },
    Transition { action: Action::CoDispatch, name: "co_dispatch", label: "增派协办", from: WITH_DEPARTMENT, to: Next::Stay, roles: COMMANDERS, note: false, resident: Face::Hidden, needs: "co_departments: assisting departments (协办) besides the lead; a returned part is dispatched again this way (dispatch names them too)" },
    Transition { action: Action::WaivePart, name: "waive_part", label: "免除协办", from: WITH_DEPARTMENT, to: Next::Stay, roles: COMMANDERS, note: true, resident: Face::Hidden, needs: "department_id: the assisting department whose part is no longer needed (also a returned part)" },
    Transition { action: Action::VerifyPass, name: "verify_pass", label: "核查结案", from: &[Handled], to: Next::To(Closed), roles: GRID, note: false, resident: Face::Note, needs: "" },
    Transition { action: Action::VerifyFail, name: "verify_fail", label: "返工", from: &[Handled], to: Next::To(Accepted), roles: GRID, note: true, resident: Face::Hidden, needs: "counted as rework" },
    Transition { action: Action::Suspend, name: "suspend", label: "缓办", from: WORKING, to: Next::To(Suspended), roles: OFFICE, note: true, resident: Face::Event, needs: "" },
    Transition { action: Action::Resume, name: "resume", label: "恢复", from: &[Suspended], to: Next::Back, roles: OFFICE, note: false, resident: Face::Event, needs: "the deadline moves on by the time suspended" },
    Transition { action: Action::Shelve, name: "shelve", label: "挂账", from: &[Filed, Dispatched], to: Next::To(Shelved), roles: DISTRICT, note: true, resident: Face::Event, needs: "the reason (planning, funding, ownership); no deadline, out of the on-time figures; due for review every shelved_review_days" },
    Transition { action: Action::ReviewShelved, name: "review_shelved", label: "挂账复核", from: &[Shelved], to: Next::Stay, roles: DISTRICT, note: true, resident: Face::Hidden, needs: "what the review found; the next review moves on" },
    Transition { action: Action::Unshelve, name: "unshelve", label: "解除挂账", from: &[Shelved], to: Next::To(Filed), roles: DISTRICT, note: true, resident: Face::Event, needs: "back to the street to dispatch, with a fresh deadline" },
    Transition { action: Action::RequestExtension, name: "request_extension", label: "申请延期", from: WITH_DEPARTMENT, to: Next::Stay, roles: DEPARTMENT, note: false, resident: Face::Hidden, needs: "extend_by (30m, 4h, 3d); none pending" },
    Transition { action: Action::GrantExtension, name: "grant_extension", label: "批准延期", from: WITH_DEPARTMENT, to: Next::Stay, roles: OFFICE, note: false, resident: Face::Hidden, needs: "a pending request; moves the deadline" },
    Transition { action: Action::DenyExtension, name: "deny_extension", label: "驳回延期", from: WITH_DEPARTMENT, to: Next::Stay, roles: OFFICE, note: false, resident: Face::Hidden, needs: "a pending request" },
    Transition { action: Action::Void, name: "void", label: "作废", from: &[Reported, Filed, Rejected, Dispatched, Accepted, Handled, Suspended, Shelved], to: Next::To(Void), roles: OFFICE, note: true, resident: Face::Event, needs: "" },
    Transition { action: Action::Evaluate, name: "evaluate", label: "评价", from: &[Closed], to: Next::Stay, roles: &[Resident], note: false, resident: Face::Note, needs: "satisfaction 1–5; a resident request, by its reporter, once" },
    Transition { action: Action::Reopen, name: "reopen", label: "重新立案", from: &[Closed], to: Next::To(Filed), roles: OFFICE, note: true, resident: Face::Event, needs: "within the reopen window after closing" },
    Transition { action: Action::Merge, name: "merge", label: "合并", from: NOT_FINISHED, to: Next::To(Closed), roles: OFFICE, note: false, resident: Face::Event, needs: "into: the original, open case (POST /cases/{id}/merge)" },
    Transition { action: Action::Reply, name: "reply", label: "答复", from: REPLIED, to: Next::Stay, roles: ANSWERS, note: true, resident: Face::Note, needs: "a resident request; the note is the reply its residents read (a department: its own case)" },
    Transition { action: Action::Answer, name: "answer", label: "答复办结", from: &[Reported, Filed], to: Next::To(Closed), roles: LOCAL, note: true, resident: Face::Note, needs: "a resident request settled without dispatch (a consultation); the note is the reply; counted as 就地解决" },
    Transition { action: Action::Remark, name: "remark", label: "备注", from: NOT_FINISHED, to: Next::Stay, roles: STAFF, note: true, resident: Face::Hidden, needs: "an internal note, staff only (a department: its own case)" },
    Transition { action: Action::Revisit, name: "revisit", label: "回访", from: &[Closed], to: Next::Stay, roles: LOCAL, note: true, resident: Face::Hidden, needs: "satisfied: true or false, and what the visit found; once per closing; not satisfied reopens it once for a second handling (重办)" },
    Transition { action: Action::Escalate, name: "escalate", label: "提级", from: COMMANDED, to: Next::Stay, roles: &[CommunityAdmin, StreetAdmin], note: true, resident: Face::Hidden, needs: "the case at the caller's own level; it goes one level up (community → street → district), to that level's to-do" },
    Transition { action: Action::Delegate, name: "delegate", label: "下派", from: COMMANDED, to: Next::Stay, roles: &[SystemAdmin, DistrictAdmin, StreetAdmin], note: true, resident: Face::Hidden, needs: "to: street or community, one level below the case's; by that level's office or one above" },
    Transition { action: Action::Redo, name: "redo", label: "重办", from: &[Closed], to: Next::To(Filed), roles: &[], note: false, resident: Face::Event, needs: "taken by no one: a resident's rating of 1–2 (不满意) reopens their request for a second handling, once" },
];

crate::types::text_enum! {
    /// The level whose office commands a case (两级指挥、三级联动).
    pub enum Level {
        Community = "community",
        Street = "street",
        District = "district",
    }
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Community => "社区",
            Level::Street => "街道",
            Level::District => "区",
        }
    }

    /// The level above, where `escalate` sends a case.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Community => Some(Level::Street),
            Level::Street => Some(Level::District),
            Level::District => None,
        }
    }

    /// The level below, where `delegate` hands a case.
    pub fn down(self) -> Option<Level> {
        match self {
            Level::Community => None,
            Level::Street => Some(Level::Community),
            Level::District => Some(Level::Street),
        }
    }

    /// The level of an office's role, if it commands any.
    pub fn of(role: Role) -> Option<Level> {
        LEVELS.iter().find(|(_, r, _)| *r == role).map(|(l, _, _)| *l)
    }

    /// Whether `role` commands a case at this level: its own level's office, or an office
    /// above (which supervises); a system admin always.
    pub fn commanded_by(self, role: Role) -> bool {
        role == SystemAdmin || Level::of(role).is_some_and(|own| own >= self)
    }
}

/// Which office commands a case at each level — files, rejects and dispatches it (an office
/// above may too) — and whose to-do it stands in. A community escalates to its street, a street
/// to its district (`escalate`); a level hands a case down (`delegate`). The one home of the
/// rule, rendered into docs/case-lifecycle.md.
#[rustfmt::skip]
pub const LEVELS: &[(Level, Role, &str)] = &[
    (Level::Community, CommunityAdmin, "problems the community settles with its own means, handed down by the street"),
    (Level::Street, StreetAdmin, "every report by default: the street office files and dispatches"),
    (Level::District, DistrictAdmin, "what a street cannot command alone, escalated to the district (区级指挥)"),
];

/// The actions of command, taken by the office of the case's level (or one above).
pub const COMMAND: &[Action] = &[Action::File, Action::Reject, Action::Dispatch, Action::CoDispatch, Action::WaivePart];

crate::types::text_enum! {
    /// Where an assisting department's part of a case stands (协办).
    pub enum PartStatus {
        /// 待签收
        Dispatched = "dispatched",
        /// 已签收, being done
        Accepted = "accepted",
        /// 已反馈: the part is done
        Handled = "handled",
        /// 已退回: back with the office, which dispatches it again or waives it
        Returned = "returned",
        /// 已免除: the office no longer needs it
        Waived = "waived",
    }
}

impl PartStatus {
    /// The parts still to come in: each holds the lead's `handle`.
    pub const WAITING: [PartStatus; 3] = [PartStatus::Dispatched, PartStatus::Accepted, PartStatus::Returned];

    pub fn label(self) -> &'static str {
        match self {
            PartStatus::Dispatched => "待签收",
            PartStatus::Accepted => "协办中",
            PartStatus::Handled => "已反馈",
            PartStatus::Returned => "已退回",
            PartStatus::Waived => "已免除",
        }
    }

    /// The step whose deadline runs (on the case's clock, by the category's limits).
    pub fn step(self) -> Option<Step> {
        match self {
            PartStatus::Dispatched => Some(Step::Accept),
            PartStatus::Accepted => Some(Step::Handle),
            _ => None,
        }
    }
}

/// A step of an assisting part: the case's action that takes it, the event on the case's timeline,
/// the part's states it is taken from (none: a new part), where it leads, and by whom.
pub struct PartStep {
    pub action: Action,
    pub event: &'static str,
    pub from: &'static [PartStatus],
    pub to: PartStatus,
    pub by: &'static str,
}

/// 主办/协办: a dispatch names the lead department (the case's) and may name assisting ones; each
/// works its part with the case's own actions while the case is with the lead (dispatched or
/// accepted). The one home of the rule, rendered into docs/case-lifecycle.md.
#[rustfmt::skip]
pub const PARTS: &[PartStep] = &[
    PartStep { action: Action::CoDispatch, event: "co_dispatch", from: &[PartStatus::Returned, PartStatus::Handled, PartStatus::Waived], to: PartStatus::Dispatched, by: "the office commanding the case (`dispatch` or `co_dispatch` with `co_departments`); a new part, or one no longer open dispatched again" },
    PartStep { action: Action::Accept, event: "assist_accept", from: &[PartStatus::Dispatched], to: PartStatus::Accepted, by: "the assisting department, by the accept step's deadline" },
    PartStep { action: Action::Return, event: "assist_return", from: &[PartStatus::Dispatched], to: PartStatus::Returned, by: "the assisting department, with why; back to the office like a return, to dispatch again or waive" },
    PartStep { action: Action::Handle, event: "assist_handle", from: &[PartStatus::Accepted], to: PartStatus::Handled, by: "the assisting department, with what it did, by the handle step's deadline (协办按期率); the lead is told" },
    PartStep { action: Action::WaivePart, event: "waive_part", from: &[PartStatus::Dispatched, PartStatus::Accepted, PartStatus::Returned], to: PartStatus::Waived, by: "the office, with why" },
];

/// The case's states in which assisting parts are worked.
pub const PARTS_WORKED: &[Status] = &[Dispatched, Accepted];

/// The case's actions an assisting department takes on its own part.
pub const PART_ACTIONS: [Action; 3] = [Action::Accept, Action::Return, Action::Handle];

impl PartStep {
    /// The step `action` takes on a part in `state` (none: a new part), if it takes one.
    pub fn of(action: Action, state: Option<PartStatus>) -> Option<&'static PartStep> {
        PARTS.iter().find(|p| {
            p.action == action
                && state.is_none_or(|s| p.from.contains(&s))
                && (state.is_some() || p.action == Action::CoDispatch)
        })
    }
}

/// The parts' steps as Markdown, for `docs/case-lifecycle.md`.
pub fn parts_markdown() -> String {
    let mut out = String::from("| action | on the timeline | part from | part to | by |\n|---|---|---|---|---|\n");
    for p in PARTS {
        let from: Vec<String> = p.from.iter().map(|s| format!("{} ({})", s.as_str(), s.label())).collect();
        let from =
            if p.action == Action::CoDispatch { format!("(none), {}", from.join(", ")) } else { from.join(", ") };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} ({}) | {} |\n",
            p.action.as_str(),
            p.event,
            from,
            p.to.as_str(),
            p.to.label(),
            p.by
        ));
    }
    out
}

impl Action {
    pub fn transition(self) -> &'static Transition {
        TRANSITIONS.iter().find(|t| t.action == self).expect("every action is in the table")
    }

    pub fn as_str(self) -> &'static str {
        self.transition().name
    }

    pub fn parse(s: &str) -> Option<Action> {
        TRANSITIONS.iter().find(|t| t.name == s).map(|t| t.action)
    }

    /// Whether `role` may ever take this action.
    pub fn allows(self, role: Role) -> bool {
        self.transition().roles.contains(&role)
    }
}

/// The table as Markdown, for `docs/case-lifecycle.md`.
/// The levels as Markdown, for `docs/case-lifecycle.md`.
pub fn levels_markdown() -> String {
    let mut out = String::from("| level | 中文 | commanded by | what stands there |\n|---|---|---|---|\n");
    for (level, role, what) in LEVELS {
        out.push_str(&format!(
            "| `{}` | {} | {} (or an office above) | {what} |\n",
            level.as_str(),
            level.label(),
            role.as_str()
        ));
    }
    out
}

pub fn markdown() -> String {
    let mut out = String::from(
        "| action | 中文 | from | to | roles | note | resident sees | also needs |\n|---|---|---|---|---|---|---|---|\n",
    );
    for t in TRANSITIONS {
        let from: Vec<&str> = t.from.iter().map(|s| s.as_str()).collect();
        let to = match t.to {
            Next::To(s) => s.as_str(),
            Next::Stay => "(unchanged)",
            Next::Back => "(the state it was suspended from)",
        };
        let roles: Vec<&str> = t.roles.iter().map(|r| r.as_str()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            t.name,
            t.label,
            from.join(", "),
            to,
            roles.join(", "),
            if t.note { "required" } else { "" },
            t.resident.describe(),
            t.needs
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_once_and_names_round_trip() {
        for t in TRANSITIONS {
            assert_eq!(TRANSITIONS.iter().filter(|u| u.action == t.action).count(), 1, "{}", t.name);
            assert_eq!(Action::parse(t.name), Some(t.action));
        }
        assert_eq!(Action::parse("close"), None);
    }

    #[test]
    fn no_way_out_of_void_and_only_reopen_evaluate_or_revisit_after_closing() {
        assert!(TRANSITIONS.iter().all(|t| !t.from.contains(&Void)));
        let after_close: Vec<&str> = TRANSITIONS.iter().filter(|t| t.from.contains(&Closed)).map(|t| t.name).collect();
        assert_eq!(after_close, ["evaluate", "reopen", "reply", "revisit", "redo"]);
        let moving: Vec<&str> =
            TRANSITIONS.iter().filter(|t| t.from.contains(&Closed) && t.to != Next::Stay).map(|t| t.name).collect();
        assert_eq!(moving, ["reopen", "redo"], "a closed case moves only when it is reopened or redone");
    }

    #[test]
    fn the_document_shows_the_table() {
        let doc = include_str!("../../../docs/case-lifecycle.md");
        assert!(
            doc.contains(&markdown()),
            "docs/case-lifecycle.md is out of step with the table; paste this in:\n{}",
            markdown()
        );
        assert!(doc.contains(&levels_markdown()), "docs/case-lifecycle.md: paste this in:\n{}", levels_markdown());
        assert!(doc.contains(&parts_markdown()), "docs/case-lifecycle.md: paste this in:\n{}", parts_markdown());
    }

    #[test]
    fn each_level_has_one_office_and_a_higher_level_commands_a_lower_one() {
        assert_eq!(LEVELS.iter().map(|l| l.0).collect::<Vec<_>>(), Level::ALL);
        assert!(Level::Community.commanded_by(StreetAdmin) && !Level::District.commanded_by(StreetAdmin));
        assert!(Level::Street.commanded_by(DistrictAdmin) && !Level::Street.commanded_by(CommunityAdmin));
        assert!(Level::District.commanded_by(SystemAdmin) && !Level::Community.commanded_by(GridWorker));
    }
}
