//! 绩效评价 — the figures: for each unit (district, street, community, governance grid,
//! department, grid worker) in the caller's reach, over a period of CST days, the counts of what
//! happened to the cases filed in it (`cases::tally`), of whistles and patrols, and the rates
//! built from them (`rates`); `scheme` scores and ranks them. One grouped sum over the tallies
//! answers a whole district's month.

pub mod rates;
pub mod scheme;
mod units;

pub use units::{place_of, units};

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use serde::Serialize;

use crate::access::{Caller, Place, Reach, Role};
use crate::cases::tally::{COUNTS, day_bounds};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{
    assignments, case_tallies, cases, cells, communities, patrols, streets, tasks, whistle_departments, whistles,
};
use rates::{OTHER_COUNTS, RATES, STEP_TIMES};

crate::types::text_enum! {
    /// What the figures are of.
    pub enum UnitKind {
        District = "district",
        Street = "street",
        Community = "community",
        /// A governance grid (网格).
        Cell = "cell",
        Department = "department",
        /// A grid worker (网格员).
        Worker = "worker",
    }
}

impl UnitKind {
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::District => "区",
            UnitKind::Street => "街道",
            UnitKind::Community => "社区",
            UnitKind::Cell => "网格",
            UnitKind::Department => "部门",
            UnitKind::Worker => "网格员",
        }
    }

    /// Whether a role may read figures of this kind of unit (within its reach).
    pub fn readable_by(self, role: Role) -> bool {
        use UnitKind::*;
        match role {
            Role::SystemAdmin | Role::DistrictAdmin => true,
            Role::StreetAdmin => !matches!(self, District),
            Role::CommunityAdmin => matches!(self, Community | Cell | Worker),
            Role::GridWorker => self == Worker,
            Role::DeptStaff => self == Department,
            _ => false,
        }
    }

    /// 403 for a role that may not read figures of this kind of unit.
    pub fn require_readable(self, role: Role) -> StoreResult<()> {
        if self.readable_by(role) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(format!(
                "a {} does not read the figures of each {}",
                role.as_str(),
                self.as_str()
            )))
        }
    }
}

/// A period of whole CST days, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A calendar month, `YYYY-MM`.
    pub fn month(text: &str) -> Option<Period> {
        let from = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
        if text.len() != 7 {
            return None;
        }
        let next = from.checked_add_months(chrono::Months::new(1))?;
        Some(Period { from, to: next.pred_opt()? })
    }

    /// This month, China Standard Time: `YYYY-MM`.
    pub fn this_month() -> String {
        crate::cases::tally::day(crate::time::now())[..7].to_owned()
    }

    /// The last `days` CST days, today included.
    pub fn last_days(days: i64) -> Period {
        let to = (crate::time::now() + chrono::Duration::hours(8)).date();
        Period { from: to - chrono::Duration::days(days - 1), to }
    }

    /// The month before this period's first.
    pub fn previous_month(&self) -> Period {
        let from = self.from.checked_sub_months(chrono::Months::new(1)).unwrap_or(self.from);
        Period { from, to: self.from.pred_opt().unwrap_or(self.from) }
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }

    /// The first and last day as stored (`YYYY-MM-DD`).
    pub(crate) fn text(&self) -> (String, String) {
        (self.from.format("%Y-%m-%d").to_string(), self.to.format("%Y-%m-%d").to_string())
    }
}

/// Counts by name (the tallies' and `rates::OTHER_COUNTS`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts(pub BTreeMap<&'static str, i64>);

impl Counts {
    pub fn get(&self, name: &str) -> i64 {
        self.0.get(name).copied().unwrap_or(0)
    }

    fn add(&mut self, name: &'static str, n: i64) {
        *self.0.entry(name).or_default() += n;
    }
}

/// The figures of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub unit: UnitKind,
    pub id: String,
    pub name: String,
    pub code: Option<String>,
    pub counts: Counts,
    /// Each rate of `rates::RATES`, unrounded; `null` where its denominator is 0.
    pub rates: BTreeMap<&'static str, Option<f64>>,
    /// Mean minutes per step, each counted on its case's clock (`null` where no step was taken).
    pub mean_minutes: BTreeMap<&'static str, Option<f64>>,
}

impl Figures {
    fn new(unit: UnitKind, u: UnitRef, counts: Counts) -> Self {
        let rates = RATES.iter().map(|r| (r.name, r.of(&counts))).collect();
        let mean_minutes = STEP_TIMES
            .iter()
            .map(|(step, minutes, n)| {
                let n = counts.get(n);
                (*step, (n > 0).then(|| counts.get(minutes) as f64 / n as f64))
            })
            .collect();
        let counts = Counts(counts.0.into_iter().filter(|(k, _)| !k.ends_with("_minutes")).collect());
        Figures { unit, id: u.id, name: u.name, code: u.code, counts, rates, mean_minutes }
    }
}

impl Figures {
    /// The closed loop as a funnel, case by case: (stage, cases that reached it). A case fixed on
    /// the spot (自处理) passes 派遣 and 处置 without a department.
    pub fn funnel(&self) -> [(&'static str, i64); 5] {
        let c = &self.counts;
        let spot = c.get("self_handled");
        [
            ("上报", c.get("reported")),
            ("立案", c.get("filed")),
            ("派遣或自处理", c.get("dispatched_cases") + spot),
            ("处置", c.get("handled_cases") + spot),
            ("结案", c.get("closed")),
        ]
    }
}

/// What the figures are asked for.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    pub unit: UnitKind,
    /// One unit, or every unit of the kind in reach.
    pub id: Option<&'a str>,
    /// Only units within this place, and only what happened there (a ranking's district, a
    /// digest's street or community).
    pub within: Place,
    pub period: Period,
    /// A 大类 (`SJ05`) or 小类 (`SJ0501`).
    pub category: Option<&'a str>,
}

/// A unit as the figures name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: String,
    pub name: String,
    pub code: Option<String>,
}

/// The sums of the tallies' counts, in `SUMMED`'s order.
const SUMMED: [&str; 33] = [
    "reported",
    "filed",
    "due_to_close",
    "closed",
    "closed_on_time",
    "self_handled",
    "evaluated",
    "satisfied",
    "overdue",
    "dispatched_cases",
    "handled_cases",
    "dispatched",
    "accepted",
    "accepted_on_time",
    "handled",
    "handled_on_time",
    "returned",
    "reworked",
    "file_steps",
    "file_minutes",
    "dispatch_steps",
    "dispatch_minutes",
    "accept_minutes",
    "handle_minutes",
    "verify_steps",
    "verify_minutes",
    "redone",
    "enforced",
    "fined",
    "detained",
    "fines_yuan",
    "escalated",
    "delegated",
];

type B = BigInt;
type Sums = (B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B, B);
type SumsRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

fn sums_sql() -> String {
    SUMMED.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)")).collect::<Vec<_>>().join(", ")
}

fn row_counts(row: SumsRow) -> Counts {
    // as long as SUMMED, or this does not compile
    let values: [i64; SUMMED.len()] = [
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13, row.14,
        row.15, row.16, row.17, row.18, row.19, row.20, row.21, row.22, row.23, row.24, row.25, row.26, row.27, row.28,
        row.29, row.30, row.31, row.32,
    ];
    Counts(SUMMED.iter().copied().zip(values).collect())
}

/// The tally column a kind of unit groups by.
fn column(unit: UnitKind) -> &'static str {
    match unit {
        UnitKind::District => "district_id",
        UnitKind::Street => "street_id",
        UnitKind::Community => "community_id",
        UnitKind::Cell => "cell_id",
        UnitKind::Department => "department_id",
        UnitKind::Worker => "reporter_id",
    }
}

/// The figures asked for, one entry per unit in the caller's reach (units with nothing to count
/// included, with zero counts), in the order of their codes.
pub fn figures(conn: &mut DbConn, caller: &Caller, ask: &Ask) -> StoreResult<Vec<Figures>> {
    ask.unit.require_readable(caller.role)?;
    let units = units(conn, caller, ask)?;
    if let Some(id) = ask.id
        && units.is_empty()
    {
        return Err(StoreError::not_found(ask.unit.as_str(), id));
    }
    let mut counts: HashMap<String, Counts> = units.iter().map(|u| (u.id.clone(), Counts::default())).collect();
    for (key, sums) in tally_sums(conn, caller, ask, &units)? {
        if let Some(c) = key.and_then(|k| counts.get_mut(&k)) {
            for (name, n) in sums.0 {
                c.add(name, n);
            }
        }
    }
    for (key, name, n) in whistle_counts(conn, caller, ask)? {
        if let Some(c) = counts.get_mut(&key) {
            c.add(name, n);
        }
    }
    if ask.unit == UnitKind::Department {
        let (start, end) = day_bounds(ask.period.from, ask.period.to);
        for (key, name, n) in crate::cases::parts::counts(conn, start, end)? {
            if let Some(c) = counts.get_mut(&key) {
                c.add(name, n);
            }
        }
    }
    for (key, name, n) in milestone_counts(conn, ask)? {
        if let Some(c) = counts.get_mut(&key) {
            c.add(name, n);
        }
    }
    for (key, cells, patrolled) in patrol_counts(conn, ask, &units)? {
        if let Some(c) = counts.get_mut(&key) {
            c.add("cells", cells);
            c.add("cells_patrolled", patrolled);
        }
    }
    Ok(units
        .into_iter()
        .map(|u| {
            let mut c = counts.remove(&u.id).unwrap_or_default();
            for name in COUNTS.iter().map(|c| c.name).chain(OTHER_COUNTS.iter().map(|c| c.0)) {
                c.0.entry(name).or_default();
            }
            Figures::new(ask.unit, u, c)
        })
        .collect())
}

/// The tallies summed per unit: one grouped read over the period's rows in reach.
fn tally_sums(
    conn: &mut DbConn,
    caller: &Caller,
    ask: &Ask,
    units: &[UnitRef],
) -> StoreResult<Vec<(Option<String>, Counts)>> {
    let key = column(ask.unit);
    let (from, to) = ask.period.text();
    let mut q = case_tallies::table
        .group_by(sql::<Nullable<Text>>(key))
        .select((sql::<Nullable<Text>>(key), sql::<Sums>(&sums_sql())))
        .filter(case_tallies::day.ge(from))
        .filter(case_tallies::day.le(to))
        .into_boxed();
    q = match caller.reach() {
        Reach::Everywhere => q,
        Reach::District { district } => q.filter(case_tallies::district_id.eq(district.clone())),
        Reach::Street { street, .. } => q.filter(case_tallies::street_id.eq(street.clone())),
        Reach::Community { community, .. } => q.filter(case_tallies::community_id.eq(community.clone())),
        Reach::Nothing => return Ok(Vec::new()),
    };
    if caller.role == Role::DeptStaff {
        q = q.filter(case_tallies::department_id.eq(caller.scope_id.clone().unwrap_or_default()));
    }
    if let Some(d) = &ask.within.district {
        q = q.filter(case_tallies::district_id.eq(d.clone()));
    }
    if let Some(s) = &ask.within.street {
        q = q.filter(case_tallies::street_id.eq(s.clone()));
    }
    if let Some(c) = &ask.within.community {
        q = q.filter(case_tallies::community_id.eq(c.clone()));
    }
    if let Some(c) = ask.category {
        q = q.filter(case_tallies::category_code.eq(c.to_owned()).or(case_tallies::major_code.eq(c.to_owned())));
    }
    // one unit, or a few of many (a street's workers): only their rows
    if ask.id.is_some() || matches!(ask.unit, UnitKind::Worker | UnitKind::Cell) {
        let ids: Vec<String> = units.iter().map(|u| u.id.clone()).collect();
        q = match ask.unit {
            UnitKind::District => q.filter(case_tallies::district_id.eq_any(ids)),
            UnitKind::Street => q.filter(case_tallies::street_id.eq_any(ids)),
            UnitKind::Community => q.filter(case_tallies::community_id.eq_any(ids)),
            UnitKind::Cell => q.filter(case_tallies::cell_id.eq_any(ids)),
            UnitKind::Department => q.filter(case_tallies::department_id.eq_any(ids)),
            UnitKind::Worker => q.filter(case_tallies::reporter_id.eq_any(ids)),
        };
    }
    let rows: Vec<(Option<String>, SumsRow)> = q.load(conn)?;
    Ok(rows.into_iter().map(|(k, s)| (k, row_counts(s))).collect())
}

/// Whistles blown in the period: per unit, departments summoned, reported in, on site.
fn whistle_counts(conn: &mut DbConn, caller: &Caller, ask: &Ask) -> StoreResult<Vec<(String, &'static str, i64)>> {
    let (start, end) = day_bounds(ask.period.from, ask.period.to);
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        Option<chrono::NaiveDateTime>,
        String,
        Option<chrono::NaiveDateTime>,
        Option<i32>,
    );
    let rows: Vec<Row> = whistle_departments::table
        .inner_join(whistles::table.inner_join(cases::table.on(cases::id.eq(whistles::case_id))))
        .filter(whistles::created_at.ge(start))
        .filter(whistles::created_at.lt(end))
        .select((
            whistles::district_id,
            whistles::street_id,
            cases::community_id,
            cases::cell_id,
            whistle_departments::department_id,
            whistle_departments::reported_at,
            whistle_departments::state,
            whistle_departments::overdue_at,
            whistle_departments::rating,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (district, street, community, cell, department, reported_at, state, overdue_at, rating) in rows {
        let place =
            Place { district: Some(district.clone()), street: Some(street.clone()), community: community.clone() };
        let mine = caller.reach().covers(&place)
            && (caller.role != Role::DeptStaff || caller.scope_id.as_deref() == Some(&department));
        let within = Reach::of_place(ask.within.clone());
        if !mine || (ask.within.district.is_some() && !within.covers(&place)) {
            continue;
        }
        let key = match ask.unit {
            UnitKind::District => Some(district),
            UnitKind::Street => Some(street),
            UnitKind::Community => community,
            UnitKind::Cell => cell,
            UnitKind::Department => Some(department),
            UnitKind::Worker => None,
        };
        let Some(key) = key else { continue };
        out.push((key.clone(), "whistle_summoned", 1));
        if reported_at.is_some() {
            out.push((key.clone(), "whistle_reported_in", 1));
        }
        if reported_at.is_some() && overdue_at.is_none() && state == "on_site" {
            out.push((key.clone(), "whistle_on_site", 1));
        }
        if let Some(r) = rating {
            out.push((key.clone(), "whistle_rated", 1));
            out.push((key.clone(), "whistle_rating_points", i64::from(r - 1)));
            out.push((key, "whistle_rating_full", 4));
        }
    }
    Ok(out)
}

/// Per department: the milestones of meetings' decisions (tasks of kind `meeting` it owns) due in
/// the period, and how many of them were verified by their due date.
fn milestone_counts(conn: &mut DbConn, ask: &Ask) -> StoreResult<Vec<(String, &'static str, i64)>> {
    if ask.unit != UnitKind::Department {
        return Ok(Vec::new());
    }
    let (start, end) = day_bounds(ask.period.from, ask.period.to);
    let rows: Vec<(String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>)> = tasks::table
        .filter(tasks::kind.eq(crate::tasks::TaskKind::Meeting))
        .filter(tasks::owner_type.eq(crate::tasks::Unit::Department))
        .filter(tasks::status.ne(crate::tasks::TaskStatus::Cancelled))
        .filter(tasks::due_at.ge(start))
        .filter(tasks::due_at.lt(end))
        .select((tasks::owner_id, tasks::due_at, tasks::verified_at))
        .load(conn)?;
    let mut out = Vec::new();
    for (department, due_at, verified_at) in rows {
        if verified_at.is_some_and(|v| v <= due_at) {
            out.push((department.clone(), "milestones_on_time", 1));
        }
        out.push((department, "milestones_due", 1));
    }
    Ok(out)
}

/// Per unit: its active governance grids, and how many of them had a patrol started in the period.
fn patrol_counts(conn: &mut DbConn, ask: &Ask, units: &[UnitRef]) -> StoreResult<Vec<(String, i64, i64)>> {
    if ask.unit == UnitKind::Department || units.is_empty() {
        return Ok(Vec::new());
    }
    let (start, end) = day_bounds(ask.period.from, ask.period.to);
    let (start_ms, end_ms) = (start.and_utc().timestamp_millis(), end.and_utc().timestamp_millis());
    let ids: HashSet<&str> = units.iter().map(|u| u.id.as_str()).collect();
    if ask.unit == UnitKind::Worker {
        let workers: Vec<&str> = ids.iter().copied().collect();
        let assigned: Vec<(String, String)> = assignments::table
            .filter(assignments::user_id.eq_any(&workers))
            .filter(assignments::ends_at.is_null())
            .select((assignments::user_id, assignments::cell_id))
            .distinct()
            .load(conn)?;
        let walked: HashSet<(String, String)> = patrols::table
            .filter(patrols::user_id.eq_any(&workers))
            .filter(patrols::started_at.ge(start_ms))
            .filter(patrols::started_at.lt(end_ms))
            .select((patrols::user_id, patrols::cell_id))
            .distinct()
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let mut per: HashMap<String, (i64, i64)> = HashMap::new();
        for pair in assigned {
            let e = per.entry(pair.0.clone()).or_default();
            e.0 += 1;
            e.1 += i64::from(walked.contains(&pair));
        }
        return Ok(per.into_iter().map(|(k, (a, b))| (k, a, b)).collect());
    }
    // every active governance grid with its community, street and district
    let mut q = cells::table
        .inner_join(communities::table.inner_join(streets::table))
        .filter(cells::retired_at.is_null())
        .filter(cells::layer.eq("governance"))
        .select((cells::id, cells::community_id, communities::street_id, streets::district_id))
        .into_boxed();
    q = match ask.unit {
        UnitKind::District => {
            q.filter(streets::district_id.eq_any(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
        }
        UnitKind::Street => {
            q.filter(communities::street_id.eq_any(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
        }
        UnitKind::Community => {
            q.filter(cells::community_id.eq_any(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
        }
        _ => q.filter(cells::id.eq_any(ids.iter().map(|s| s.to_string()).collect::<Vec<_>>())),
    };
    let grids: Vec<(String, String, String, String)> = q.load(conn)?;
    let grid_ids: Vec<&str> = grids.iter().map(|g| g.0.as_str()).collect();
    let mut walked: HashSet<String> = HashSet::new();
    for chunk in grid_ids.chunks(1000) {
        walked.extend(
            patrols::table
                .filter(patrols::cell_id.eq_any(chunk))
                .filter(patrols::started_at.ge(start_ms))
                .filter(patrols::started_at.lt(end_ms))
                .select(patrols::cell_id)
                .distinct()
                .load::<String>(conn)?,
        );
    }
    let mut per: HashMap<String, (i64, i64)> = HashMap::new();
    for (cell, community, street, district) in grids {
        let key = match ask.unit {
            UnitKind::District => district,
            UnitKind::Street => street,
            UnitKind::Community => community,
            _ => cell.clone(),
        };
        let e = per.entry(key).or_default();
        e.0 += 1;
        e.1 += i64::from(walked.contains(&cell));
    }
    Ok(per.into_iter().map(|(k, (a, b))| (k, a, b)).collect())
}
