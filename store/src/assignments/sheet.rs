//! A street office's assignment sheet (网格编码, 人员, 职责, 楼栋, 开始日期 — or `cell_code, user,
//! duty, building, starts_at`), as Excel saves it (XLSX, or CSV in UTF-8 or GBK), applied whole or
//! not at all, with a dry run that says exactly what would happen.

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

/// The columns of a sheet, each with the headers it may go by: English as the API names them,
/// Chinese as street offices write them.
const COLUMNS: [(&str, &[&str]); 5] = [
    ("cell_code", &["cell_code", "网格编码", "网格代码", "网格编号"]),
    ("user", &["user", "人员", "用户名", "手机号", "人员（用户名或手机号）"]),
    ("duty", &["duty", "职责", "岗位"]),
    ("building", &["building", "楼栋"]),
    ("starts_at", &["starts_at", "开始日期", "开始时间", "任职日期"]),
];

/// A sheet as rows of text, each with the line (or spreadsheet row) it came from: an Excel
/// workbook's first sheet (XLSX, or XLS as older Excel saves it), or CSV in UTF-8 (with or
/// without the byte-order mark) or GBK/GB18030 (what Excel on Chinese Windows saves).
fn rows_of(body: &[u8]) -> StoreResult<Vec<(usize, Vec<String>)>> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0];
    if body.starts_with(ZIP) || body.starts_with(OLE) {
        return workbook_rows(body);
    }
    let text: std::borrow::Cow<str> = match std::str::from_utf8(body) {
        Ok(text) => text.trim_start_matches('\u{feff}').into(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or_else(|| StoreError::invalid("body", "the sheet must be CSV (UTF-8 or GBK) or XLSX"))?,
    };
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut check = Check::default();
    for record in reader.records() {
        match record {
            Ok(r) => rows.push((r.position().map_or(0, |p| p.line()) as usize, r.iter().map(str::to_owned).collect())),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                check.push(format!("lines[{line}]"), format!("cannot be read: {e}"));
            }
        }
    }
    check.done()?;
    Ok(rows)
}

/// The first sheet of a workbook as text: numbers as written (a 14-digit grid code or a phone
/// number Excel keeps as a number loses nothing), dates as dates.
fn workbook_rows(body: &[u8]) -> StoreResult<Vec<(usize, Vec<String>)>> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(body))
        .map_err(|e| StoreError::invalid("body", format!("the workbook cannot be read: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| StoreError::invalid("body", "the workbook has no sheet"))?
        .map_err(|e| StoreError::invalid("body", format!("the workbook cannot be read: {e}")))?;
    let first = range.start().map_or(0, |(row, _)| row as usize);
    let text = |cell: &Data| match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string(),
            None => d.to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    };
    Ok(range.rows().enumerate().map(|(i, row)| (first + i + 1, row.iter().map(text).collect())).collect())
}

/// Reads a sheet whose first row names the columns — `cell_code, user, duty, building,
/// starts_at` or 网格编码, 人员, 职责, 楼栋, 开始日期, in any order; building and starts_at may
/// be left out — naming each problem by line and column.
pub fn read(body: &[u8]) -> StoreResult<Vec<SheetRow>> {
    let mut rows = rows_of(body)?.into_iter().filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((_, headers)) = rows.next() else {
        return Err(StoreError::invalid("lines", "the sheet has no rows"));
    };
    let mut at_column = [None; COLUMNS.len()];
    for (i, (name, names)) in COLUMNS.iter().enumerate() {
        let found: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| names.iter().any(|n| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(n)))
            .map(|(j, _)| j)
            .collect();
        if found.len() > 1 {
            return Err(StoreError::invalid("header", format!("the column {name} appears twice")));
        }
        at_column[i] = found.first().copied();
    }
    let [Some(cell_code), Some(user), Some(duty_col), building, starts_at] = at_column else {
        return Err(StoreError::invalid(
            "header",
            "must name the columns 网格编码, 人员, 职责 (or cell_code, user, duty); 楼栋 and 开始日期 may follow",
        ));
    };
    let mut out = Vec::new();
    let mut check = Check::default();
    for (line, record) in rows {
        let get =
            |i: Option<usize>| i.and_then(|i| record.get(i)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
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
            out.push(SheetRow { line, cell_code, user, duty, building: get(building), starts_at: start });
        }
    }
    if out.is_empty() && check.0.is_empty() {
        return Err(StoreError::invalid("lines", "the sheet has no rows"));
    }
    check.done()?;
    Ok(out)
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
            let duty = Duty::read(&row.duty);
            if duty.is_none() {
                problems.push(FieldProblem::new(
                    at("duty"),
                    format!("{} is not a duty: use {}", row.duty, Duty::written()),
                ));
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
