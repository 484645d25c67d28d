//! 民情研判 — the monthly analysis a community (or a street) holds: what its meeting discusses,
//! assembled from the month's cases — the top categories with their month-on-month change,
//! hotspots (one unit grid, one category, three times or more), cases long overdue or suspended,
//! people who report again and again, satisfaction, whistles, staffing gaps, patrol coverage —
//! and the minutes of its meetings, so that next month's digest shows what was decided.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::dsl::{count_star, sql};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::figures::{Ask, Figures, Period, UnitKind, figures};
use crate::access::{Caller, Place, Role, audit, place};
use crate::cases::Status;
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::grid::{Cell, cell};
use crate::regions::street;
use crate::schema::{case_events, case_tallies, cases, categories, digest_minutes, users};
use crate::time::now;

/// How many times one category in one unit grid makes a hotspot.
pub const HOTSPOT: i64 = 3;
/// How long overdue or suspended a case must be to come up at the meeting.
pub const LONG_DAYS: i64 = 30;
/// How many requests of one resident in the month make a repeat reporter.
pub const REPEAT: i64 = 2;

/// Whose digest: a community's or a street's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Community,
    Street,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryTrend {
    pub code: String,
    pub name: String,
    pub count: i64,
    pub previous: i64,
    /// `count − previous`.
    pub change: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hotspot {
    pub unit_cell_id: String,
    pub unit_code: Option<String>,
    pub category_code: String,
    pub category_name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongOpen {
    pub case_id: String,
    pub title: String,
    pub status: Status,
    /// `overdue` or `suspended`.
    pub why: &'static str,
    #[serde(serialize_with = "crate::time::serialize")]
    pub since: NaiveDateTime,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reporter {
    pub user_id: String,
    pub name: String,
    pub role: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// What was decided.
    pub what: String,
    /// Who carries it out.
    pub owner: Option<String>,
    /// By when (`YYYY-MM-DD`).
    pub due: Option<NaiveDate>,
}

/// The minutes of a meeting (会议纪要).
#[derive(Debug, Clone, Serialize)]
pub struct Minutes {
    pub id: String,
    pub month: String,
    pub attendees: Vec<String>,
    pub findings: String,
    pub decisions: Vec<Decision>,
    pub recorded_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub level: Level,
    pub id: String,
    pub name: String,
    pub month: String,
    /// The month's figures of the community or street.
    pub figures: Figures,
    pub top_categories: Vec<CategoryTrend>,
    pub hotspots: Vec<Hotspot>,
    pub long_open: Vec<LongOpen>,
    pub repeat_reporters: Vec<Reporter>,
    /// Governance grids lacking a grid leader or a worker (codes).
    pub cells_without_grid_leader: Vec<String>,
    pub cells_without_worker: Vec<String>,
    /// Governance grids nobody patrolled in the month (codes).
    pub unpatrolled_cells: Vec<String>,
    /// The daily counts of the month: (day, filed, closed, became overdue).
    pub daily: Vec<(String, i64, i64, i64)>,
    /// What last month's meeting decided, and this month's minutes so far.
    pub previous_minutes: Vec<Minutes>,
    pub minutes: Vec<Minutes>,
}

/// The place a digest is of, checked against the caller: its name and its active grids.
fn subject(conn: &mut DbConn, caller: &Caller, level: Level, id: &str) -> StoreResult<(String, Place, Vec<Cell>)> {
    if !matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin | Role::CommunityAdmin) {
        return Err(StoreError::Forbidden(format!("a {} does not hold the monthly analysis", caller.role.as_str())));
    }
    let (name, place, cells) = match level {
        Level::Community => {
            let (c, cells) = cell::of_community(conn, caller, id)?;
            (c.name.clone(), place::of_community(conn, &c.id)?, cells)
        }
        Level::Street => {
            let s = street::find(conn, caller, id)?;
            let mut all = Vec::new();
            for c in place::communities_of_street(conn, &s.id)? {
                all.extend(cell::of_community(conn, caller, &c)?.1);
            }
            (s.name.clone(), s.place(), all)
        }
    };
    if !caller.reach().covers(&place) {
        return Err(StoreError::not_found(if level == Level::Street { "street" } else { "community" }, id));
    }
    Ok((name, place, cells))
}

/// The digest of a month (`YYYY-MM`).
pub fn digest(conn: &mut DbConn, caller: &Caller, level: Level, id: &str, month: &str) -> StoreResult<Digest> {
    let period = Period::month(month).ok_or_else(|| StoreError::invalid("month", "must be a month, YYYY-MM"))?;
    let (name, place, grids) = subject(conn, caller, level, id)?;
    let unit = if level == Level::Street { UnitKind::Street } else { UnitKind::Community };
    let ask = Ask { unit, id: Some(id), within: place.clone(), period, category: None };
    let figures = figures(conn, caller, &ask)?.pop().ok_or_else(|| StoreError::not_found(unit.as_str(), id))?;
    let per_cell = super::figures::figures(conn, caller, &Ask { unit: UnitKind::Cell, id: None, ..ask.clone() })?;
    let staffing = crate::assignments::staffing_of(conn, &grids)?;
    let previous = period.previous_month();
    let previous_month = previous.from.format("%Y-%m").to_string();
    Ok(Digest {
        level,
        id: id.to_owned(),
        name,
        month: month.to_owned(),
        top_categories: top_categories(conn, &place, period)?,
        hotspots: hotspots(conn, &place, period)?,
        long_open: long_open(conn, &place)?,
        repeat_reporters: repeat_reporters(conn, &place, period)?,
        cells_without_grid_leader: staffing.cells_without_grid_leader,
        cells_without_worker: staffing.cells_without_worker,
        unpatrolled_cells: per_cell
            .iter()
            .filter(|f| f.counts.get("cells_patrolled") == 0)
            .filter_map(|f| f.code.clone())
            .collect(),
        daily: daily(conn, &place, period)?,
        previous_minutes: minutes_of(conn, level, id, &previous_month)?,
        minutes: minutes_of(conn, level, id, month)?,
        figures,
    })
}

/// The tallies' main rows of a place (one per case), grouped and selected (diesel groups before
/// it boxes).
macro_rules! main_rows_of {
    ($place:expr, $group:expr, $select:expr) => {{
        let mut q =
            case_tallies::table.group_by($group).select($select).filter(case_tallies::main.eq(true)).into_boxed();
        if let Some(s) = &$place.street {
            q = q.filter(case_tallies::street_id.eq(s.clone()));
        }
        if let Some(c) = &$place.community {
            q = q.filter(case_tallies::community_id.eq(c.clone()));
        }
        q
    }};
}

fn category_names(conn: &mut DbConn, codes: Vec<String>) -> StoreResult<HashMap<String, String>> {
    Ok(categories::table
        .filter(categories::code.eq_any(codes))
        .select((categories::code, categories::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// The ten 小类 reported most in the month (or the month before), each with both counts.
fn top_categories(conn: &mut DbConn, place: &Place, period: Period) -> StoreResult<Vec<CategoryTrend>> {
    let per_category = |conn: &mut DbConn, p: Period| -> StoreResult<BTreeMap<String, i64>> {
        let (from, to) = p.text();
        Ok(main_rows_of!(place, case_tallies::category_code, (case_tallies::category_code, count_star()))
            .filter(case_tallies::day.ge(from))
            .filter(case_tallies::day.le(to))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect())
    };
    let now_counts = per_category(conn, period)?;
    let before = per_category(conn, period.previous_month())?;
    // last month's too: a problem that went away is news as well
    let codes: std::collections::BTreeSet<String> = now_counts.keys().chain(before.keys()).cloned().collect();
    let names = category_names(conn, codes.iter().cloned().collect())?;
    let mut out: Vec<CategoryTrend> = codes
        .into_iter()
        .map(|code| {
            let count = now_counts.get(&code).copied().unwrap_or(0);
            let previous = before.get(&code).copied().unwrap_or(0);
            CategoryTrend {
                name: names.get(&code).cloned().unwrap_or_default(),
                code,
                count,
                previous,
                change: count - previous,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.previous.cmp(&a.previous)).then_with(|| a.code.cmp(&b.code)));
    out.truncate(10);
    Ok(out)
}

/// Unit grids where one category came up `HOTSPOT` times or more in the month.
pub(crate) fn hotspots(conn: &mut DbConn, place: &Place, period: Period) -> StoreResult<Vec<Hotspot>> {
    let (from, to) = period.text();
    let rows: Vec<(Option<String>, String, i64)> = main_rows_of!(
        place,
        (case_tallies::unit_cell_id, case_tallies::category_code),
        (case_tallies::unit_cell_id, case_tallies::category_code, count_star())
    )
    .filter(case_tallies::day.ge(from))
    .filter(case_tallies::day.le(to))
    .filter(case_tallies::unit_cell_id.is_not_null())
    .load(conn)?;
    let rows: Vec<(String, String, i64)> =
        rows.into_iter().filter(|r| r.2 >= HOTSPOT).filter_map(|(u, c, n)| Some((u?, c, n))).collect();
    let names = category_names(conn, rows.iter().map(|r| r.1.clone()).collect())?;
    let units: HashMap<String, String> = crate::schema::cells::table
        .filter(crate::schema::cells::id.eq_any(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()))
        .select((crate::schema::cells::id, crate::schema::cells::code))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut out: Vec<Hotspot> = rows
        .into_iter()
        .map(|(unit_cell_id, category_code, count)| Hotspot {
            unit_code: units.get(&unit_cell_id).cloned(),
            category_name: names.get(&category_code).cloned().unwrap_or_default(),
            unit_cell_id,
            category_code,
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.unit_code.cmp(&b.unit_code)));
    Ok(out)
}

/// Open cases overdue for over `LONG_DAYS` days, and suspended cases set aside that long.
fn long_open(conn: &mut DbConn, place: &Place) -> StoreResult<Vec<LongOpen>> {
    let at = now();
    let long_ago = at - Duration::days(LONG_DAYS);
    let in_place = || {
        let mut q = cases::table.into_boxed();
        if let Some(s) = &place.street {
            q = q.filter(cases::street_id.eq(s.clone()));
        }
        if let Some(c) = &place.community {
            q = q.filter(cases::community_id.eq(c.clone()));
        }
        q
    };
    let overdue: Vec<(String, String, Status, Option<NaiveDateTime>)> = in_place()
        .filter(cases::status.eq_any(Status::RUNNING))
        .filter(cases::deadline_at.lt(long_ago))
        .select((cases::id, cases::title, cases::status, cases::deadline_at))
        .order(cases::deadline_at.asc())
        .limit(50)
        .load(conn)?;
    let mut out: Vec<LongOpen> = overdue
        .into_iter()
        .filter_map(|(case_id, title, status, since)| {
            let since = since?;
            Some(LongOpen { case_id, title, status, why: "overdue", days: (at - since).num_days(), since })
        })
        .collect();
    let suspended: Vec<(String, String)> =
        in_place().filter(cases::status.eq(Status::Suspended)).select((cases::id, cases::title)).load(conn)?;
    for (case_id, title) in suspended {
        let since: Option<NaiveDateTime> = case_events::table
            .filter(case_events::case_id.eq(&case_id))
            .filter(case_events::action.eq("suspend"))
            .select(case_events::occurred_at)
            .order(case_events::occurred_at.desc())
            .first(conn)
            .optional()?;
        if let Some(since) = since.filter(|s| *s < long_ago) {
            out.push(LongOpen {
                case_id,
                title,
                status: Status::Suspended,
                why: "suspended",
                days: (at - since).num_days(),
                since,
            });
        }
    }
    Ok(out)
}

/// Residents whose requests came `REPEAT` times or more in the month (重复反映), most first; a
/// grid worker reporting often is doing the job.
fn repeat_reporters(conn: &mut DbConn, place: &Place, period: Period) -> StoreResult<Vec<Reporter>> {
    let (from, to) = period.text();
    let rows: Vec<(String, i64)> =
        main_rows_of!(place, case_tallies::reporter_id, (case_tallies::reporter_id, count_star()))
            .filter(case_tallies::day.ge(from))
            .filter(case_tallies::day.le(to))
            .filter(case_tallies::source.eq(crate::cases::Source::ResidentRequest.as_str()))
            .load(conn)?;
    let rows: Vec<(String, i64)> = rows.into_iter().filter(|r| r.1 >= REPEAT).collect();
    let people: HashMap<String, (String, String)> = users::table
        .filter(users::id.eq_any(rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()))
        .select((users::id, users::display_name, users::role))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, role)| (id, (name, role)))
        .collect();
    let mut out: Vec<Reporter> = rows
        .into_iter()
        .map(|(user_id, count)| {
            let (name, role) = people.get(&user_id).cloned().unwrap_or_default();
            Reporter { user_id, name, role, count }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Per CST day of the period: cases filed, closed, and become overdue.
pub fn daily(conn: &mut DbConn, place: &Place, period: Period) -> StoreResult<Vec<(String, i64, i64, i64)>> {
    let (from, to) = period.text();
    let by = |conn: &mut DbConn, column: &'static str| -> StoreResult<HashMap<String, i64>> {
        type Day = diesel::sql_types::Nullable<diesel::sql_types::Text>;
        let mut q = main_rows_of!(place, sql::<Day>(column), (sql::<Day>(column), sql::<BigInt>("COUNT(*)")))
            .filter(
                sql::<diesel::sql_types::Bool>(&format!("{column} >= "))
                    .bind::<diesel::sql_types::Text, _>(from.clone()),
            )
            .filter(
                sql::<diesel::sql_types::Bool>(&format!("{column} <= ")).bind::<diesel::sql_types::Text, _>(to.clone()),
            );
        if column == "day" {
            q = q.filter(case_tallies::filed.gt(0));
        }
        let rows: Vec<(Option<String>, i64)> = q.load(conn)?;
        Ok(rows.into_iter().filter_map(|(d, n)| Some((d?, n))).collect())
    };
    let filed = by(conn, "day")?;
    let closed = by(conn, "closed_day")?;
    let overdue = by(conn, "overdue_day")?;
    // the days to come have nothing to show yet
    let today = Period::last_days(1).text().1;
    Ok(period
        .days()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .take_while(|d| *d <= today)
        .map(|d| {
            let get = |m: &HashMap<String, i64>| m.get(&d).copied().unwrap_or(0);
            (d.clone(), get(&filed), get(&closed), get(&overdue))
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = digest_minutes)]
struct MinutesRow {
    id: String,
    scope_type: String,
    scope_id: String,
    month: String,
    attendees: String,
    findings: String,
    decisions: String,
    recorded_by: Option<String>,
    created_at: NaiveDateTime,
}

impl MinutesRow {
    fn minutes(self) -> Minutes {
        Minutes {
            id: self.id,
            month: self.month,
            attendees: serde_json::from_str(&self.attendees).unwrap_or_default(),
            findings: self.findings,
            decisions: serde_json::from_str(&self.decisions).unwrap_or_default(),
            recorded_by: self.recorded_by,
            created_at: self.created_at,
        }
    }
}

fn level_text(level: Level) -> &'static str {
    match level {
        Level::Community => "community",
        Level::Street => "street",
    }
}

fn minutes_of(conn: &mut DbConn, level: Level, id: &str, month: &str) -> StoreResult<Vec<Minutes>> {
    Ok(digest_minutes::table
        .filter(digest_minutes::scope_type.eq(level_text(level)))
        .filter(digest_minutes::scope_id.eq(id))
        .filter(digest_minutes::month.eq(month))
        .order(digest_minutes::created_at.asc())
        .select(MinutesRow::as_select())
        .load(conn)?
        .into_iter()
        .map(MinutesRow::minutes)
        .collect())
}

/// What a meeting recorded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMinutes {
    #[serde(default)]
    pub attendees: Vec<String>,
    pub findings: String,
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

/// Records the minutes of a month's meeting (the community's admins or those above).
pub fn record_minutes(
    conn: &mut DbConn,
    caller: &Caller,
    level: Level,
    id: &str,
    month: &str,
    new: NewMinutes,
) -> StoreResult<Minutes> {
    let (_, place, _) = subject(conn, caller, level, id)?;
    if level == Level::Street && caller.role == Role::CommunityAdmin {
        return Err(StoreError::Forbidden("a community records its own meeting, not the street's".into()));
    }
    let mut problems = Vec::new();
    if Period::month(month).is_none() {
        problems.push(FieldProblem::new("month", "must be a month, YYYY-MM"));
    }
    if new.findings.chars().count() > 10_000 {
        problems.push(FieldProblem::new("findings", "must be at most 10000 characters"));
    }
    if new.decisions.len() > 100 || new.attendees.len() > 200 {
        problems.push(FieldProblem::new("decisions", "at most 100 decisions and 200 attendees"));
    }
    for (i, d) in new.decisions.iter().enumerate() {
        if d.what.chars().count() > 1000 || d.owner.as_ref().is_some_and(|o| o.chars().count() > 100) {
            problems.push(FieldProblem::new(format!("decisions[{i}]"), "what at most 1000 characters, owner 100"));
        }
    }
    if new.attendees.iter().any(|a| a.chars().count() > 100) {
        problems.push(FieldProblem::new("attendees", "each at most 100 characters"));
    }
    if new.findings.trim().is_empty() {
        problems.push(FieldProblem::new("findings", "is required: what the meeting found"));
    }
    for (i, d) in new.decisions.iter().enumerate() {
        if d.what.trim().is_empty() {
            problems.push(FieldProblem::new(format!("decisions[{i}].what"), "is required: what was decided"));
        }
    }
    for (i, a) in new.attendees.iter().enumerate() {
        if a.trim().is_empty() {
            problems.push(FieldProblem::new(format!("attendees[{i}]"), "must name someone"));
        }
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems));
    }
    crate::db::write(conn, |conn| {
        let row = MinutesRow {
            id: uuid::Uuid::now_v7().to_string(),
            scope_type: level_text(level).into(),
            scope_id: id.to_owned(),
            month: month.to_owned(),
            attendees: json!(new.attendees).to_string(),
            findings: new.findings.clone(),
            decisions: json!(new.decisions).to_string(),
            recorded_by: caller.actor_id().map(str::to_owned),
            created_at: now(),
        };
        diesel::insert_into(digest_minutes::table).values(&row).execute(conn)?;
        audit::record(conn, caller, "digest.minutes", (level_text(level), id), &place, json!({"month": month}))?;
        Ok(row.minutes())
    })
}
