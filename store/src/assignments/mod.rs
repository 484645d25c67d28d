//! 设岗定责 — assignments: a person holds a duty in a cell for a time range. The street office
//! assigns, ends and moves them, one at a time or as a batch applied atomically; history is
//! never deleted. The rules live here, each refusal explained:
//! - at most one grid leader (网格长) per cell at a time;
//! - a person holds at most one assignment per cell at a time;
//! - a full-time worker (专职网格员) holds at most `max_full_time_cells` cells;
//! - the person is of the cell's street (district-wide staff: of its district) — or, when a
//!   district admin assigns them, is moved to the cell's community;
//! - a street admin assigns within the street, a community admin within the community (but not
//!   grid leaders), a district admin across the district.
//!
//! Every change bumps the cell's version, writes an audit row, and records in `scope_changes`
//! which cells the person gained or lost and when, for their phone's next sync.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::assignments;
use crate::types::{CellId, UserId};

mod apply;
mod history;
mod rules;
pub mod sheet;
mod staffing;

pub use apply::apply;
pub use history::{cells_of, of_cell, of_user, people_of};
pub use sheet::{SheetRow, import_sheet};
pub use staffing::{CellStaff, Staffing, WorkerLoad, staffing, staffing_of};

crate::types::text_enum! {
    /// The duties a person can hold in a cell.
    pub enum Duty {
        /// 网格长
        GridLeader = "grid_leader",
        /// 专职网格员
        FullTimeWorker = "full_time_worker",
        /// 兼职网格员
        PartTimeWorker = "part_time_worker",
        /// 网格警长
        PoliceLiaison = "police_liaison",
        /// 楼栋长
        BuildingSteward = "building_steward",
        /// 志愿者
        Volunteer = "volunteer",
        /// 在职党员
        PartyMember = "party_member",
    }
}

impl Duty {
    /// What people call the duty (中文), as assignment sheets write it.
    pub fn label(self) -> &'static str {
        match self {
            Duty::GridLeader => "网格长",
            Duty::FullTimeWorker => "专职网格员",
            Duty::PartTimeWorker => "兼职网格员",
            Duty::PoliceLiaison => "网格警长",
            Duty::BuildingSteward => "楼栋长",
            Duty::Volunteer => "志愿者",
            Duty::PartyMember => "在职党员",
        }
    }

    /// A duty as a sheet may write it: `grid_leader`, 网格长, or another name offices use.
    pub fn read(text: &str) -> Option<Self> {
        let text = text.trim();
        let other = match text {
            "网格员" | "专职网格管理员" => Some(Duty::FullTimeWorker),
            "兼职网格管理员" => Some(Duty::PartTimeWorker),
            "社区民警" | "网格民警" => Some(Duty::PoliceLiaison),
            "楼长" | "单元长" => Some(Duty::BuildingSteward),
            "党员" => Some(Duty::PartyMember),
            _ => None,
        };
        Duty::parse(text).or_else(|| Duty::ALL.into_iter().find(|d| d.label() == text)).or(other)
    }

    /// The duties as a sheet may write them: `网格长 (grid_leader), …`.
    pub fn written() -> String {
        Duty::ALL.iter().map(|d| format!("{} ({})", d.label(), d.as_str())).collect::<Vec<_>>().join(", ")
    }

    /// Duties residents may hold (a building steward or volunteer needs no office).
    pub(crate) fn open_to_anyone(self) -> bool {
        matches!(self, Duty::BuildingSteward | Duty::Volunteer | Duty::PartyMember)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = assignments)]
pub struct Assignment {
    pub id: String,
    pub cell_id: CellId,
    pub user_id: UserId,
    pub duty: Duty,
    pub building: Option<String>,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub ends_at: Option<NaiveDateTime>,
    pub end_reason: Option<String>,
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

impl Assignment {
    /// Whether the assignment holds at `t`: from its start (in) to its end (out).
    pub fn active_at(&self, t: NaiveDateTime) -> bool {
        self.starts_at <= t && self.ends_at.is_none_or(|e| e > t)
    }
}

/// An assignment with the names a person reads: who, and which cell.
#[derive(Debug, Clone, Serialize)]
pub struct AssignmentView {
    #[serde(flatten)]
    pub assignment: Assignment,
    pub user_name: String,
    pub cell_code: String,
    pub cell_name: String,
}

/// The limits that are settings.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub max_full_time_cells: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Self { max_full_time_cells: 3 }
    }
}

/// One change of a batch.
#[derive(Debug, Clone)]
pub enum Change {
    Assign {
        cell_id: CellId,
        user_id: UserId,
        duty: Duty,
        building: Option<String>,
        starts_at: Option<NaiveDateTime>,
        note: Option<String>,
    },
    End {
        assignment_id: String,
        ends_at: Option<NaiveDateTime>,
        reason: String,
    },
    Move {
        assignment_id: String,
        to_cell_id: CellId,
    },
}

/// What a batch did.
#[derive(Debug, Serialize)]
pub struct Applied {
    pub assignments: Vec<Assignment>,
    /// The touched cells' new versions.
    pub versions: BTreeMap<CellId, i64>,
}

/// Assignments in force at `t`: started at or before it and not ended by it (half-open, as
/// `Assignment::active_at`).
#[diesel::dsl::auto_type(no_type_alias)]
pub fn in_force(t: NaiveDateTime) -> _ {
    assignments::starts_at.le(t).and(assignments::ends_at.is_null().or(assignments::ends_at.gt(t)))
}

pub(crate) fn get(conn: &mut DbConn, id: &str) -> StoreResult<Assignment> {
    assignments::table
        .find(id)
        .select(Assignment::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("assignment", id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::now;

    #[test]
    fn duties_round_trip() {
        for d in Duty::ALL {
            assert_eq!(Duty::parse(d.as_str()), Some(d));
        }
        assert!(Duty::Volunteer.open_to_anyone() && !Duty::GridLeader.open_to_anyone());
    }

    #[test]
    fn active_ranges_are_half_open() {
        let t = now();
        let a = Assignment {
            id: "a".into(),
            cell_id: "c".into(),
            user_id: "u".into(),
            duty: Duty::Volunteer,
            building: None,
            note: None,
            starts_at: t,
            ends_at: Some(t + chrono::Duration::hours(1)),
            end_reason: None,
            created_by: None,
            created_at: t,
            updated_at: t,
        };
        assert!(a.active_at(t));
        assert!(!a.active_at(t + chrono::Duration::hours(1)));
        assert!(!a.active_at(t - chrono::Duration::seconds(1)));
    }
}
