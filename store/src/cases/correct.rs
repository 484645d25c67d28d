//! Correcting what a report says — its title, description, address, priority, and before it is
//! filed its category. The reporter may while it waits to be filed; the street office and the
//! community while it is open. A patch is checked with the report's own limits and words,
//! whether it comes from the API or from a phone.

use serde_json::json;

use super::category;
use super::event::{self, NewEvent};
use super::intake::{ADDRESS_MAX, DESCRIPTION_MAX, TITLE_MAX};
use super::read::detail;
use super::{Case, CaseView, Policy, Priority, Status, find_case, save};
use crate::access::{Caller, Role, audit};
use crate::clocks::calendar;
use crate::db::DbConn;
use crate::error::expect_version;
use crate::error::{StoreError, StoreResult};
use crate::input::Check;
use crate::time::now;

/// Changes to what a report says, as they arrived; `check` gives the typed patch.
#[derive(Debug, Clone, Default)]
pub struct PatchDraft {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `Some(None)` removes the address.
    pub address: Option<Option<String>>,
    pub priority: Option<String>,
    pub category_code: Option<String>,
}

/// A checked correction.
#[derive(Debug, Clone, Default)]
pub struct CasePatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub address: Option<Option<String>>,
    pub priority: Option<Priority>,
    /// Only before the case is filed.
    pub category_code: Option<String>,
}

impl PatchDraft {
    pub fn check(self) -> StoreResult<CasePatch> {
        self.check_with(Check::default())
    }

    /// Checks the patch, adding its problems to those `check` holds already.
    pub fn check_with(self, mut check: Check) -> StoreResult<CasePatch> {
        let title = self.title.map(|t| check.text("title", &t, TITLE_MAX, true));
        let description = self.description.map(|d| check.text("description", &d, DESCRIPTION_MAX, false));
        let address = self.address.map(|a| a.map(|a| check.text("address", &a, ADDRESS_MAX, false)));
        let priority = self.priority.and_then(|p| {
            Priority::parse(&p).or_else(|| {
                check.push("priority", format!("must be one of {}", Priority::names()));
                None
            })
        });
        if let Some(code) = &self.category_code
            && let Err(e) = category::parse_code(code)
        {
            check.push("category_code", e);
        }
        check.done()?;
        Ok(CasePatch { title, description, address, priority, category_code: self.category_code })
    }
}

/// Whether the caller is of those who correct a report: the street office and the community of
/// its area, or its reporter while it waits to be filed.
fn corrector(caller: &Caller, case: &Case) -> bool {
    let office =
        (caller.role.is_office() || caller.role == Role::CommunityAdmin) && caller.reach().covers(&case.place());
    office || (case.reporter_id == caller.user_id && case.status == Status::Reported)
}

/// Whether the caller may correct what the report says now (it must still be open).
pub fn may_correct(caller: &Caller, case: &Case) -> bool {
    corrector(caller, case) && Status::OPEN.contains(&case.status)
}

/// Corrects what a report says (see the module). Sending the same words again changes nothing.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    patch: CasePatch,
    expected_version: Option<i64>,
    policy: &Policy,
) -> StoreResult<CaseView> {
    crate::db::write(conn, |conn| {
        let old = find_case(conn, caller, id)?;
        let state = old.status;
        if !corrector(caller, &old) {
            return Err(StoreError::Forbidden(
                "only the street office or community, or the reporter before it is filed, may correct a case".into(),
            ));
        }
        expect_version("case", id, old.version, expected_version)?;
        if !Status::OPEN.contains(&state) {
            return Err(StoreError::Conflict { field: "status", detail: format!("a {state} case is not corrected") });
        }
        let cal = calendar::load(conn, &policy.hours)?;
        let mut new = Case { version: old.version + 1, updated_at: now(), ..old.clone() };
        if let Some(code) = patch.category_code.filter(|c| *c != old.category_code) {
            if state != Status::Reported {
                return Err(StoreError::Conflict {
                    field: "category_code",
                    detail: "the category changes only before the case is filed".into(),
                });
            }
            let category = category::get(conn, &code)
                .ok()
                .filter(|c| c.active)
                .ok_or_else(|| StoreError::invalid("category_code", format!("{code} is not an active category")))?;
            new.category_code = category.code.clone();
            let started = old.step_started_at.unwrap_or(old.received_at);
            new.start_step(Status::Reported, &category, started, &cal);
            // what it is filed as decides the campaigns it belongs to
            super::campaign::relink(conn, &new, &category)?;
        }
        new.title = patch.title.unwrap_or(new.title);
        new.description = patch.description.unwrap_or(new.description);
        new.address = patch.address.unwrap_or(new.address);
        new.priority = patch.priority.unwrap_or(new.priority);
        // an urgent case counts natural time: its running step is counted again on that clock
        let natural = super::campaign::natural_for(conn, &new.id)?;
        new.recount(&category::get(conn, &new.category_code)?, natural, &cal);
        let same = (&new.title, &new.description, &new.address, &new.priority, &new.category_code)
            == (&old.title, &old.description, &old.address, &old.priority, &old.category_code);
        if same {
            // nothing to correct (a phone sending its record again): nothing changes
            return detail(conn, caller, old, &cal, policy);
        }
        save(conn, old.version, &new)?;
        let changes = audit::diff(&[
            ("title", json!(old.title), json!(new.title)),
            ("description", json!(old.description), json!(new.description)),
            ("address", json!(old.address), json!(new.address)),
            ("priority", json!(old.priority), json!(new.priority)),
            ("category_code", json!(old.category_code), json!(new.category_code)),
        ]);
        event::record(conn, caller, NewEvent::on(id, "correct", state).data(json!({"changes": changes})))?;
        detail(conn, caller, new, &cal, policy)
    })
}
