//! A street office's assignment sheet (`cell_code,user,duty,building,starts_at`), applied whole
//! or not at all, with a dry run that says exactly what would happen.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Applied, Change, Duty, Rules, apply};
use crate::access::{Caller, place};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::grid::cell;
use crate::input::Check;
use crate::regions::street;
use crate::schema::users;
use crate::types::UserId;

/// One row of an assignment sheet, as a street office keeps it: `cell_code,user,duty,building,starts_at`.
#[derive(Debug, Clone)]
pub struct SheetRow {
    /// The line of the file, for naming problems.
    pub line: usize,
    pub cell_code: String,
    /// A username or a phone number.
    pub user: String,
    /// As written; checked with the rest.
    pub duty: String,
    pub building: Option<String>,
    pub starts_at: Option<NaiveDateTime>,
}

/// Whether the caller may import a sheet for the street: its street office (and those above).
/// Asked by `import_sheet` before the sheet is read.
fn may_import(conn: &mut DbConn, caller: &Caller, street_id: &str) -> StoreResult<()> {
    let street = street::find(conn, caller, street_id)?;
    caller.require_grid_admin(&street.place())
}

/// A sheet's `starts_at`: an RFC 3339 time, or a date (midnight in China, where sheets are kept).
fn sheet_time(value: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Some(t.naive_utc());
    }
    let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)? - chrono::Duration::hours(8))
}

/// Reads a sheet with the header `cell_code,user,duty,building,starts_at` (any order; building
/// and starts_at may be left out), naming each problem by line and column.
pub fn read(body: &[u8]) -> StoreResult<Vec<SheetRow>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| StoreError::invalid("body", "the sheet must be UTF-8 text (save the CSV as UTF-8)"))?;
    let text = text.trim_start_matches('\u{feff}'); // the mark spreadsheets put at the start of UTF-8 files
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| StoreError::invalid("header", format!("cannot be read: {e}")))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(cell_code), Some(user), Some(duty_col)) = (column("cell_code"), column("user"), column("duty")) else {
        return Err(StoreError::invalid("header", "must name the columns cell_code,user,duty,building,starts_at"));
    };
    let (building, starts_at) = (column("building"), column("starts_at"));
    let mut rows = Vec::new();
    let mut check = Check::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                check.push(format!("lines[{line}]"), format!("cannot be read: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line()) as usize;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_owned).filter(|v| !v.is_empty());
        let at = |f: &str| format!("lines[{line}].{f}");
        let (code, who) = (get(Some(cell_code)), get(Some(user)));
        if code.is_none() {
            check.push(at("cell_code"), "is empty");
        }
        if who.is_none() {
            check.push(at("user"), "is empty: a username or a phone number");
        }
        let duty = get(Some(duty_col));
        if duty.is_none() {
            check.push(at("duty"), "is empty");
        }
        let start = match get(starts_at) {
            None => None,
            Some(t) => match sheet_time(&t) {
                Some(t) => Some(t),
                None => {
                    check.push(at("starts_at"), "must be a date (2026-03-01) or an RFC 3339 time");
                    None
                }
            },
        };
        if let (Some(cell_code), Some(user), Some(duty)) = (code, who, duty) {
            let user = user.trim_start_matches("+86").trim().to_owned();
            rows.push(SheetRow { line, cell_code, user, duty, building: get(building), starts_at: start });
        }
    }
    if rows.is_empty() && check.0.is_empty() {
        return Err(StoreError::invalid("lines", "the sheet has no rows"));
    }
    check.done()?;
    Ok(rows)
}

/// Applies an assignment sheet (the CSV as sent) to a street's cells, all or nothing, once the
/// caller is known to be allowed — before the sheet is read; with `dry_run` everything is
/// checked and applied in a transaction that is then rolled back, so the answer says exactly
/// what would happen. Problems are named by line: `lines[3].user`.
pub fn import_sheet(
    conn: &mut DbConn,
    caller: &Caller,
    rules: &Rules,
    street_id: &str,
    sheet: &[u8],
    dry_run: bool,
) -> StoreResult<Applied> {
    may_import(conn, caller, street_id)?;
    let rows = read(sheet)?;
    enum Stop {
        Failed(StoreError),
        DryRun(Applied),
    }
    impl From<diesel::result::Error> for Stop {
        fn from(e: diesel::result::Error) -> Self {
            Stop::Failed(e.into())
        }
    }
    let result = crate::db::write(conn, |conn| {
        let street = street::find(conn, caller, street_id).map_err(Stop::Failed)?;
        let mut by_code = BTreeMap::new();
        for c in place::communities_of_street(conn, &street.id).map_err(Stop::Failed)? {
            for cell in cell::of_community(conn, caller, &c).map_err(Stop::Failed)?.1 {
                by_code.insert(cell.code.clone(), cell.id);
            }
        }
        let mut problems = Vec::new();
        let mut changes = Vec::new();
        let mut lines = Vec::new();
        for row in &rows {
            let at = |f: &str| format!("lines[{}].{f}", row.line);
            let cell_id = by_code.get(row.cell_code.as_str()).cloned();
            if cell_id.is_none() {
                problems.push(FieldProblem::new(
                    at("cell_code"),
                    format!(
                        "no active grid (网格) of {} has the code {}; people answer for governance grids, not unit grids",
                        street.name, row.cell_code
                    ),
                ));
            }
            let found: Vec<UserId> = users::table
                .filter(users::username.eq(&row.user).or(users::phone.eq(&row.user)))
                .select(users::id)
                .load(conn)?;
            let user_id = match found.as_slice() {
                [one] => Some(one.clone()),
                [] => {
                    problems
                        .push(FieldProblem::new(at("user"), format!("no user has the username or phone {}", row.user)));
                    None
                }
                _ => {
                    problems.push(FieldProblem::new(
                        at("user"),
                        format!("several users have the phone {}; use the username", row.user),
                    ));
                    None
                }
            };
            let duty = Duty::parse(&row.duty);
            if duty.is_none() {
                problems.push(FieldProblem::new(at("duty"), format!("must be one of {}", Duty::names())));
            }
            if let (Some(cell_id), Some(user_id), Some(duty)) = (cell_id, user_id, duty) {
                lines.push(row.line);
                changes.push(Change::Assign {
                    cell_id,
                    user_id,
                    duty,
                    building: row.building.clone(),
                    starts_at: row.starts_at,
                    note: None,
                });
            }
        }
        if !problems.is_empty() {
            return Err(Stop::Failed(StoreError::Invalid(problems)));
        }
        match apply(conn, caller, rules, changes, None) {
            Ok(applied) if dry_run => Err(Stop::DryRun(applied)),
            Ok(applied) => Ok(applied),
            Err(StoreError::Invalid(ps)) => {
                // items[i].field → lines[line of item i].field
                let renamed = ps
                    .into_iter()
                    .map(|p| {
                        let rest = p.field.trim_start_matches("items[");
                        let (index, field) = rest.split_once(']').unwrap_or(("0", ""));
                        let line = index.parse::<usize>().ok().and_then(|i| lines.get(i)).copied().unwrap_or(0);
                        FieldProblem::new(format!("lines[{line}]{field}"), p.detail)
                    })
                    .collect();
                Err(Stop::Failed(StoreError::Invalid(renamed)))
            }
            Err(e) => Err(Stop::Failed(e)),
        }
    });
    match result {
        Ok(applied) | Err(Stop::DryRun(applied)) => Ok(applied),
        Err(Stop::Failed(e)) => Err(e),
    }
}
