//! The working calendar: which days are worked (Monday to Friday, except the public holidays,
//! plus the make-up workdays — 调休 — that turn a weekend day into a workday) and the working
//! hours of a day, in China Standard Time (UTC+8 all year: Asia/Shanghai has no daylight saving).
//! Time limits of cases are counted on it. The exceptions are data: shipped for 2025 and 2026 in
//! `data/calendar.csv`, seeded at start, replaced a year at a time by admins.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Limit;
use crate::access::{Caller, Place, Role, audit};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::schema::calendar_days;
use crate::time::now;

const SHIPPED: &str = include_str!("../../data/calendar.csv");

/// China Standard Time.
const UTC_OFFSET: Duration = Duration::hours(8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A public holiday (or a day off of one), though it may fall on a weekday.
    Holiday,
    /// A make-up workday (调休), though it may fall on a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s {
            "holiday" => Some(DayKind::Holiday),
            "workday" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One exception to the Monday–Friday week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The working periods of a day, local time: `09:00-12:00,13:30-17:30` by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours(Vec<(NaiveTime, NaiveTime)>);

impl WorkingHours {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a list of working periods like 09:00-12:00,13:30-17:30");
        let mut periods = Vec::new();
        for part in text.split(',') {
            let (a, b) = part.trim().split_once('-').ok_or_else(bad)?;
            let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").map_err(|_| bad())?;
            let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").map_err(|_| bad())?;
            if b <= a || periods.last().is_some_and(|(_, end)| a < *end) {
                return Err(format!("{text:?}: periods must run forward and not overlap"));
            }
            periods.push((a, b));
        }
        Ok(Self(periods))
    }

    fn minutes_per_day(&self) -> i64 {
        self.0.iter().map(|(a, b)| (*b - *a).num_minutes()).sum()
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        Self::parse("09:00-12:00,13:30-17:30").expect("the default hours parse")
    }
}

/// Workdays and working hours: counts working time between two moments and adds it to one.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    exceptions: HashMap<NaiveDate, DayKind>,
    hours: WorkingHours,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>, hours: WorkingHours) -> Self {
        Self { exceptions: days.into_iter().collect(), hours }
    }

    pub fn is_workday(&self, date: NaiveDate) -> bool {
        match self.exceptions.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The working periods of a local date, as UTC moments.
    fn periods(&self, date: NaiveDate) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let worked = self.is_workday(date);
        self.hours
            .0
            .iter()
            .filter(move |_| worked)
            .map(move |(a, b)| (date.and_time(*a) - UTC_OFFSET, date.and_time(*b) - UTC_OFFSET))
    }

    /// The moment `minutes` of working time after `start` (UTC).
    pub fn add_minutes(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        let mut left = Duration::minutes(minutes.max(0));
        let mut date = (start + UTC_OFFSET).date();
        // bounded: a year of limits at most, and a calendar has workdays
        for _ in 0..(366 * 3) {
            for (a, b) in self.periods(date) {
                let from = a.max(start);
                if from >= b {
                    continue;
                }
                if left <= b - from {
                    return from + left;
                }
                left -= b - from;
            }
            date = date.succ_opt().expect("a date after this one");
        }
        start + left
    }

    /// The moment `minutes` of working time before `end` (UTC).
    pub fn sub_minutes(&self, end: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        let mut left = Duration::minutes(minutes.max(0));
        let mut date = (end + UTC_OFFSET).date();
        for _ in 0..(366 * 3) {
            let periods: Vec<_> = self.periods(date).collect();
            for (a, b) in periods.into_iter().rev() {
                let to = b.min(end);
                if to <= a {
                    continue;
                }
                if left <= to - a {
                    return to - left;
                }
                left -= to - a;
            }
            date = date.pred_opt().expect("a date before this one");
        }
        end - left
    }

    /// The deadline of a step of `limit` started at `start`: minutes and hours are working
    /// time; a working day is a day's working hours (so 3d from Tuesday 10:00 is Friday 10:00).
    pub fn deadline(&self, start: NaiveDateTime, limit: Limit) -> NaiveDateTime {
        let n = i64::from(limit.amount);
        let minutes = match limit.unit {
            'm' => n,
            'h' => n * 60,
            _ => n * self.hours.minutes_per_day(),
        };
        self.add_minutes(start, minutes)
    }

    /// Working minutes between two moments (0 when `to` is not after `from`).
    pub fn working_minutes(&self, from: NaiveDateTime, to: NaiveDateTime) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = Duration::zero();
        let mut date = (from + UTC_OFFSET).date();
        let last = (to + UTC_OFFSET).date();
        while date <= last {
            for (a, b) in self.periods(date) {
                let (s, e) = (a.max(from), b.min(to));
                if e > s {
                    total += e - s;
                }
            }
            date = date.succ_opt().expect("a date after this one");
        }
        total.num_minutes()
    }
}

/// The shipped exceptions.
fn shipped() -> Vec<Day> {
    SHIPPED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Day {
                date: NaiveDate::parse_from_str(f[0], "%Y-%m-%d").expect("data/calendar.csv: dates"),
                kind: DayKind::parse(f[1]).expect("data/calendar.csv: kinds"),
                name: f[2].to_owned(),
            }
        })
        .collect()
}

/// Adds the shipped years the database has no days of; returns how many days were added.
pub fn seed(conn: &mut DbConn) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let have: Vec<String> = calendar_days::table.select(calendar_days::date).load(conn)?;
        let years: Vec<&str> = have.iter().map(|d| &d[..4]).collect();
        let missing: Vec<Day> =
            shipped().into_iter().filter(|d| !years.contains(&d.date.year().to_string().as_str())).collect();
        for d in &missing {
            insert(conn, d)?;
        }
        Ok(missing.len())
    })
}

fn insert(conn: &mut DbConn, d: &Day) -> StoreResult<()> {
    diesel::insert_into(calendar_days::table)
        .values((
            calendar_days::date.eq(d.date.format("%Y-%m-%d").to_string()),
            calendar_days::kind.eq(d.kind.as_str()),
            calendar_days::name.eq(&d.name),
            calendar_days::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn rows(conn: &mut DbConn, year: Option<i32>) -> StoreResult<Vec<Day>> {
    let mut q =
        calendar_days::table.select((calendar_days::date, calendar_days::kind, calendar_days::name)).into_boxed();
    if let Some(y) = year {
        q = q.filter(calendar_days::date.like(format!("{y:04}-%")));
    }
    let rows: Vec<(String, String, String)> = q.order(calendar_days::date.asc()).load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(date, kind, name)| {
            Some(Day { date: NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?, kind: DayKind::parse(&kind)?, name })
        })
        .collect())
}

/// The calendar the deadlines are counted on.
pub fn load(conn: &mut DbConn, hours: &WorkingHours) -> StoreResult<Calendar> {
    Ok(Calendar::new(rows(conn, None)?.into_iter().map(|d| (d.date, d.kind)), hours.clone()))
}

/// The exceptions of one year.
pub fn year(conn: &mut DbConn, year: i32) -> StoreResult<Vec<Day>> {
    rows(conn, Some(year))
}

/// Replaces the exceptions of `year` (system and district admins: the calendar is national).
pub fn put_year(conn: &mut DbConn, caller: &Caller, year: i32, days: Vec<Day>) -> StoreResult<Vec<Day>> {
    if !matches!(caller.role, Role::SystemAdmin | Role::DistrictAdmin) {
        return Err(StoreError::Forbidden(format!("a {} may not change the working calendar", caller.role.as_str())));
    }
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, d) in days.iter().enumerate() {
        if d.date.year() != year {
            problems.push(FieldProblem::new(format!("days[{i}].date"), format!("is not in {year}")));
        } else if !seen.insert(d.date) {
            problems.push(FieldProblem::new(format!("days[{i}].date"), "is listed twice"));
        }
        if d.name.trim().is_empty() || d.name.chars().count() > 50 {
            problems.push(FieldProblem::new(format!("days[{i}].name"), "must be 1 to 50 characters"));
        }
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems));
    }
    crate::db::write(conn, |conn| {
        let old = rows(conn, Some(year))?;
        diesel::delete(calendar_days::table.filter(calendar_days::date.like(format!("{year:04}-%")))).execute(conn)?;
        for d in &days {
            insert(conn, d)?;
        }
        audit::record(
            conn,
            caller,
            "calendar.put",
            ("calendar", &year.to_string()),
            &Place::default(),
            json!({"from": old.len(), "to": days.len()}),
        )?;
        rows(conn, Some(year))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        // local China time, stored as UTC
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap() - UTC_OFFSET
    }

    fn shipped_calendar() -> Calendar {
        Calendar::new(shipped().into_iter().map(|d| (d.date, d.kind)), WorkingHours::default())
    }

    #[test]
    fn hours_within_a_day_skip_lunch() {
        let cal = shipped_calendar();
        // Thursday 2025-03-13, 11:00 + 2 working hours: one before lunch, one after
        assert_eq!(cal.deadline(at("2025-03-13 11:00"), Limit::parse("2h").unwrap()), at("2025-03-13 14:30"));
        // starting at lunch counts from 13:30
        assert_eq!(cal.deadline(at("2025-03-13 12:10"), Limit::parse("30m").unwrap()), at("2025-03-13 14:00"));
        assert_eq!(cal.working_minutes(at("2025-03-13 08:00"), at("2025-03-13 20:00")), 420);
    }

    #[test]
    fn a_deadline_crosses_the_weekend() {
        let cal = shipped_calendar();
        // Friday 2025-03-14 16:30 + 4h: one hour on Friday, three on Monday morning
        assert_eq!(cal.deadline(at("2025-03-14 16:30"), Limit::parse("4h").unwrap()), at("2025-03-17 12:00"));
        // 3 working days from Thursday 10:00 is the next Tuesday 10:00
        assert_eq!(cal.deadline(at("2025-03-13 10:00"), Limit::parse("3d").unwrap()), at("2025-03-18 10:00"));
        assert_eq!(cal.working_minutes(at("2025-03-14 17:00"), at("2025-03-17 09:30")), 60);
    }

    #[test]
    fn a_deadline_crosses_a_holiday() {
        let cal = shipped_calendar();
        // Wednesday 2025-04-30 17:00 + 1d: 30 minutes that day, then the Labour Day holiday
        // (1–5 May) — the rest on Tuesday 6 May
        assert!(!cal.is_workday(NaiveDate::from_ymd_opt(2025, 5, 2).unwrap()), "a holiday on a Friday");
        assert_eq!(cal.deadline(at("2025-04-30 17:00"), Limit::parse("1d").unwrap()), at("2025-05-06 17:00"));
        // National Day 2026: 1–7 October off; from Wednesday 30 September the next workday is the 8th
        assert_eq!(cal.deadline(at("2026-09-30 17:00"), Limit::parse("1h").unwrap()), at("2026-10-08 09:30"));
    }

    #[test]
    fn a_make_up_workday_counts() {
        let cal = shipped_calendar();
        // Sunday 2025-04-27 is a make-up workday (劳动节调休)
        assert!(cal.is_workday(NaiveDate::from_ymd_opt(2025, 4, 27).unwrap()));
        // Saturday 2025-04-26 10:00 + 2h: nothing on Saturday, Sunday morning counts
        assert_eq!(cal.deadline(at("2025-04-26 10:00"), Limit::parse("2h").unwrap()), at("2025-04-27 11:00"));
        // Saturday 2025-02-08 is one too (春节调休); the Saturday before it is not
        assert!(cal.is_workday(NaiveDate::from_ymd_opt(2025, 2, 8).unwrap()));
        assert!(!cal.is_workday(NaiveDate::from_ymd_opt(2025, 2, 15).unwrap()));
    }

    #[test]
    fn subtracting_undoes_adding() {
        let cal = shipped_calendar();
        for (start, minutes) in [("2025-03-14 16:30", 240), ("2025-04-30 17:00", 420), ("2025-04-26 10:00", 120)] {
            let end = cal.add_minutes(at(start), minutes);
            assert_eq!(cal.working_minutes(cal.sub_minutes(end, minutes), end), minutes, "{start} + {minutes}");
        }
        assert_eq!(cal.sub_minutes(at("2025-03-17 09:30"), 60), at("2025-03-14 17:00"));
    }

    #[test]
    fn working_hours_parse() {
        assert_eq!(WorkingHours::default().minutes_per_day(), 420);
        assert_eq!(WorkingHours::parse("08:30-17:00").unwrap().minutes_per_day(), 510);
        for bad in ["", "9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00"] {
            assert!(WorkingHours::parse(bad).is_err(), "{bad}");
        }
    }
}
