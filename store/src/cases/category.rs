//! 事件/部件分类 — the category catalogue: 部件 (components, `BJ`), 事件 (events, `SJ`) and the
//! social-governance work of a grid office (`ZL`), each a 大类 (`SJ05`) with 小类 (`SJ0501`).
//! Every category carries its default department, its filing and closing criteria, the time
//! limit of each step of a case, and how near and how recent a duplicate is. The catalogue
//! ships as `data/categories.csv`, is seeded at start (missing codes only) and edited by admins.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Caller, Place, Role, audit};
pub use crate::clocks::{Clock, Limit};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::expect_version;
use crate::error::{StoreError, StoreResult};
use crate::schema::categories;
use crate::time::now;

const SHIPPED: &str = include_str!("../../data/categories.csv");

/// What a category is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 部件: a thing in the street (a manhole cover, a street lamp).
    Component,
    /// 事件: something happening (illegal advertising, waste burning).
    Event,
    /// 社会治理: disputes, public-order and safety hazards, people to look after, requests.
    Governance,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Component => "component",
            Kind::Event => "event",
            Kind::Governance => "governance",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Component, Kind::Event, Kind::Governance].into_iter().find(|k| k.as_str() == s)
    }

    fn of_prefix(prefix: &str) -> Option<Kind> {
        match prefix {
            "BJ" => Some(Kind::Component),
            "SJ" => Some(Kind::Event),
            "ZL" => Some(Kind::Governance),
            _ => None,
        }
    }
}

/// A category code: `BJ`, `SJ` or `ZL`, then the 大类 (2 digits), then for a 小类 2 more.
/// Returns the kind and the parent (the 大类 of a 小类).
pub fn parse_code(code: &str) -> Result<(Kind, Option<&str>), String> {
    let bad = || format!("{code:?} is not a category code: BJ, SJ or ZL, then 2 digits (大类) or 4 (小类)");
    let kind = code.get(..2).and_then(Kind::of_prefix).ok_or_else(bad)?;
    let digits = &code[2..];
    if !(digits.len() == 2 || digits.len() == 4) || !digits.bytes().all(|b| b.is_ascii_digit()) || &digits[..2] == "00"
    {
        return Err(bad());
    }
    Ok((kind, (digits.len() == 4).then(|| &code[..4])))
}

/// A step of a case, each with its own time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 立案: a report waits to be filed or rejected.
    File,
    /// 派遣: a filed case waits to be dispatched.
    Dispatch,
    /// 签收: a dispatched case waits for the department to accept it.
    Accept,
    /// 处置: the department handles it.
    Handle,
    /// 核查: the handling waits to be verified on site.
    Verify,
}

impl Step {
    pub const ALL: [Step; 5] = [Step::File, Step::Dispatch, Step::Accept, Step::Handle, Step::Verify];

    /// What offices call the step (中文).
    pub fn label(self) -> &'static str {
        match self {
            Step::File => "立案",
            Step::Dispatch => "派遣",
            Step::Accept => "签收",
            Step::Handle => "处置",
            Step::Verify => "核查",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::File => "file",
            Step::Dispatch => "dispatch",
            Step::Accept => "accept",
            Step::Handle => "handle",
            Step::Verify => "verify",
        }
    }
}

/// The time limit of every step, stored as JSON text (`{"file":"1h",…}`).
pub type TimeLimits = BTreeMap<Step, String>;

/// Checks a set of limits, naming each bad one under `field` (`time_limits.handle`).
pub fn check_limits(field: &str, limits: &TimeLimits) -> Result<(), StoreError> {
    let problems: Vec<_> = limits
        .iter()
        .filter_map(|(step, text)| {
            Limit::parse(text).err().map(|e| crate::error::FieldProblem::new(format!("{field}.{}", step.as_str()), e))
        })
        .collect();
    if problems.is_empty() { Ok(()) } else { Err(StoreError::Invalid(problems)) }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = categories, treat_none_as_null = true)]
pub struct Category {
    pub code: String,
    pub parent_code: Option<String>,
    pub kind: String,
    pub name: String,
    /// The code of the department a case of this category goes to when no routing rule says
    /// otherwise, resolved in the district of the case.
    pub default_department: Option<String>,
    /// 立案标准
    pub filing_criteria: String,
    /// 结案标准
    pub closing_criteria: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub time_limits: String,
    pub duplicate_radius_m: f64,
    pub duplicate_window_hours: i32,
    pub active: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
    #[serde(skip)]
    pub sync_ms: i64,
    /// The 大类 (`01`) or 小类 (`0101`) code of GB/T 30428.2 for 部件 and 事件; none for the
    /// social-governance categories, which the standard does not cover.
    pub standard_code: Option<String>,
    /// What its time limits count: `natural` time for what cannot wait (fire, gas, fireworks,
    /// people in danger), `working` time otherwise.
    pub clock: Clock,
    /// Whether a grid worker may fix it on the spot and close it from the report (随手办).
    pub on_the_spot: bool,
}

impl Category {
    /// The limit of `step`.
    pub fn limit(&self, step: Step) -> Option<Limit> {
        let limits: TimeLimits = serde_json::from_str(&self.time_limits).ok()?;
        limits.get(&step).and_then(|t| Limit::parse(t).ok())
    }
}

/// What a new category says; empty fields of a 小类 are taken from its 大类.
#[derive(Debug, Clone, Default)]
pub struct NewCategory {
    pub code: String,
    pub name: String,
    pub default_department: Option<String>,
    pub filing_criteria: Option<String>,
    pub closing_criteria: Option<String>,
    pub time_limits: TimeLimits,
    pub duplicate_radius_m: Option<f64>,
    pub duplicate_window_hours: Option<i32>,
    pub standard_code: Option<String>,
    pub clock: Option<Clock>,
    pub on_the_spot: Option<bool>,
}

pub const DEFAULT_DUPLICATE_RADIUS_M: f64 = 50.0;
pub const DEFAULT_DUPLICATE_WINDOW_HOURS: i32 = 72;

/// The row of a new category, with what it does not say taken from its parent.
fn row_of(new: &NewCategory, kind: Kind, parent: Option<&Category>) -> StoreResult<Category> {
    let mut limits: TimeLimits =
        parent.map(|p| serde_json::from_str(&p.time_limits).unwrap_or_default()).unwrap_or_default();
    limits.extend(new.time_limits.clone());
    check_limits("time_limits", &limits)?;
    if let Some(missing) = Step::ALL.iter().find(|s| !limits.contains_key(s)) {
        return Err(StoreError::invalid(format!("time_limits.{}", missing.as_str()), "is required for a 大类"));
    }
    let t = now();
    Ok(Category {
        code: new.code.clone(),
        parent_code: parent.map(|p| p.code.clone()),
        kind: kind.as_str().to_owned(),
        name: new.name.clone(),
        default_department: new
            .default_department
            .clone()
            .or_else(|| parent.and_then(|p| p.default_department.clone())),
        filing_criteria: new
            .filing_criteria
            .clone()
            .or_else(|| parent.map(|p| p.filing_criteria.clone()))
            .unwrap_or_default(),
        closing_criteria: new
            .closing_criteria
            .clone()
            .or_else(|| parent.map(|p| p.closing_criteria.clone()))
            .unwrap_or_default(),
        time_limits: json!(limits).to_string(),
        duplicate_radius_m: new
            .duplicate_radius_m
            .or(parent.map(|p| p.duplicate_radius_m))
            .unwrap_or(DEFAULT_DUPLICATE_RADIUS_M),
        duplicate_window_hours: new
            .duplicate_window_hours
            .or(parent.map(|p| p.duplicate_window_hours))
            .unwrap_or(DEFAULT_DUPLICATE_WINDOW_HOURS),
        active: true,
        version: 1,
        created_at: t,
        updated_at: t,
        sync_ms: 0,
        standard_code: new.standard_code.clone(),
        clock: new.clock.or(parent.map(|p| p.clock)).unwrap_or(Clock::Working),
        on_the_spot: new.on_the_spot.or(parent.map(|p| p.on_the_spot)).unwrap_or(false),
    })
}

/// The shipped catalogue, parents before children.
pub fn shipped() -> Vec<NewCategory> {
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    SHIPPED
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            assert_eq!(f.len(), 14, "data/categories.csv: {line}");
            let time_limits = Step::ALL
                .iter()
                .zip(&f[3..8])
                .filter(|(_, t)| !t.is_empty())
                .map(|(s, t)| (*s, (*t).to_owned()))
                .collect();
            NewCategory {
                code: f[0].to_owned(),
                name: f[1].to_owned(),
                default_department: nonempty(f[2]),
                filing_criteria: nonempty(f[8]),
                closing_criteria: nonempty(f[9]),
                standard_code: nonempty(f[10]),
                clock: nonempty(f[12])
                    .map(|c| Clock::parse(&c).expect("data/categories.csv: clock is working or natural")),
                on_the_spot: nonempty(f[13]).map(|v| v == "true"),
                time_limits,
                ..NewCategory::default()
            }
        })
        .collect()
}

/// Adds the shipped categories the database does not have yet, and the national code to
/// shipped ones that lack it (a database made before the catalogue carried it); returns how
/// many were added.
pub fn seed(conn: &mut DbConn) -> StoreResult<usize> {
    crate::db::write(conn, |conn| {
        let have: Vec<String> = categories::table.select(categories::code).load(conn)?;
        let shipped = shipped();
        let uncoded: Vec<String> = categories::table
            .filter(categories::standard_code.is_null())
            .filter(categories::kind.ne(Kind::Governance.as_str()))
            .select(categories::code)
            .load(conn)?;
        for new in shipped.iter().filter(|n| n.standard_code.is_some() && uncoded.contains(&n.code)) {
            diesel::update(categories::table.find(&new.code))
                .set(categories::standard_code.eq(&new.standard_code))
                .execute(conn)?;
        }
        if have.len() >= shipped.len() {
            return Ok(0);
        }
        let mut added = 0;
        for new in shipped {
            if have.contains(&new.code) {
                continue;
            }
            let (kind, parent) = parse_code(&new.code).map_err(StoreError::Config)?;
            let parent = parent.map(|p| get(conn, p)).transpose()?;
            let row = Category { sync_ms: clock::tick(conn)?, ..row_of(&new, kind, parent.as_ref())? };
            diesel::insert_into(categories::table).values(row).execute(conn)?;
            added += 1;
        }
        Ok(added)
    })
}

pub fn get(conn: &mut DbConn, code: &str) -> StoreResult<Category> {
    categories::table
        .find(code)
        .select(Category::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("category", code))
}

#[derive(Debug, Clone, Default)]
pub struct CategoryFilter {
    pub kind: Option<Kind>,
    pub parent_code: Option<String>,
    pub include_inactive: bool,
}

/// The catalogue (a few hundred rows), ordered by code. Everyone who files cases reads it.
pub fn list(conn: &mut DbConn, filter: &CategoryFilter) -> StoreResult<Vec<Category>> {
    let mut q = categories::table.select(Category::as_select()).order(categories::code.asc()).into_boxed();
    if let Some(kind) = filter.kind {
        q = q.filter(categories::kind.eq(kind.as_str()));
    }
    if let Some(parent) = &filter.parent_code {
        q = q.filter(categories::parent_code.eq(parent.clone()));
    }
    if !filter.include_inactive {
        q = q.filter(categories::active.eq(true));
    }
    Ok(q.load(conn)?)
}

/// The catalogue is shared by every district: system admins change it.
fn require_catalogue_admin(caller: &Caller) -> StoreResult<()> {
    if caller.role == Role::SystemAdmin {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "a {} may not change the category catalogue (system admins do; districts route categories with routing rules)",
            caller.role.as_str()
        )))
    }
}

/// Adds a category (a local 小类 under a shipped 大类, or a new 大类).
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewCategory) -> StoreResult<Category> {
    require_catalogue_admin(caller)?;
    let (kind, parent) = parse_code(&new.code).map_err(|e| StoreError::invalid("code", e))?;
    crate::db::write(conn, |conn| {
        let parent = match parent {
            Some(p) => Some(get(conn, p).map_err(|_| {
                StoreError::invalid("code", format!("its 大类 {p} is not in the catalogue; add that first"))
            })?),
            None => None,
        };
        if get(conn, &new.code).is_ok() {
            return Err(StoreError::Conflict { field: "code", detail: format!("{} is in the catalogue", new.code) });
        }
        let row = Category { sync_ms: clock::tick(conn)?, ..row_of(&new, kind, parent.as_ref())? };
        diesel::insert_into(categories::table).values(&row).execute(conn)?;
        audit::record(
            conn,
            caller,
            "category.create",
            ("category", &row.code),
            &Place::default(),
            json!({"name": row.name, "time_limits": row.time_limits}),
        )?;
        Ok(row)
    })
}

#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    pub name: Option<String>,
    pub default_department: Option<Option<String>>,
    pub filing_criteria: Option<String>,
    pub closing_criteria: Option<String>,
    /// Merged into the limits the category has.
    pub time_limits: Option<TimeLimits>,
    pub duplicate_radius_m: Option<f64>,
    pub duplicate_window_hours: Option<i32>,
    pub active: Option<bool>,
    pub clock: Option<Clock>,
    pub on_the_spot: Option<bool>,
}

pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    code: &str,
    patch: CategoryPatch,
    expected_version: Option<i64>,
) -> StoreResult<Category> {
    require_catalogue_admin(caller)?;
    crate::db::write(conn, |conn| {
        let old = get(conn, code)?;
        expect_version("category", code, old.version, expected_version)?;
        let mut new =
            Category { version: old.version + 1, updated_at: now(), sync_ms: clock::tick(conn)?, ..old.clone() };
        if let Some(limits) = patch.time_limits {
            check_limits("time_limits", &limits)?;
            let mut merged: TimeLimits = serde_json::from_str(&old.time_limits).unwrap_or_default();
            merged.extend(limits);
            new.time_limits = json!(merged).to_string();
        }
        new.name = patch.name.unwrap_or(new.name);
        new.default_department = patch.default_department.unwrap_or(new.default_department);
        new.filing_criteria = patch.filing_criteria.unwrap_or(new.filing_criteria);
        new.closing_criteria = patch.closing_criteria.unwrap_or(new.closing_criteria);
        new.duplicate_radius_m = patch.duplicate_radius_m.unwrap_or(new.duplicate_radius_m);
        new.duplicate_window_hours = patch.duplicate_window_hours.unwrap_or(new.duplicate_window_hours);
        new.active = patch.active.unwrap_or(new.active);
        new.clock = patch.clock.unwrap_or(new.clock);
        new.on_the_spot = patch.on_the_spot.unwrap_or(new.on_the_spot);
        diesel::update(categories::table.find(code)).set(&new).execute(conn)?;
        audit::record(
            conn,
            caller,
            "category.update",
            ("category", code),
            &Place::default(),
            audit::diff(&[
                ("name", json!(old.name), json!(new.name)),
                ("default_department", json!(old.default_department), json!(new.default_department)),
                ("time_limits", json!(old.time_limits), json!(new.time_limits)),
                ("active", json!(old.active), json!(new.active)),
                ("clock", json!(old.clock), json!(new.clock)),
                ("on_the_spot", json!(old.on_the_spot), json!(new.on_the_spot)),
            ]),
        )?;
        Ok(new)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_their_kind_and_parent() {
        assert_eq!(parse_code("SJ0501").unwrap(), (Kind::Event, Some("SJ05")));
        assert_eq!(parse_code("BJ01").unwrap(), (Kind::Component, None));
        assert_eq!(parse_code("ZL0303").unwrap(), (Kind::Governance, Some("ZL03")));
        for bad in ["SJ", "SJ5", "SJ050", "XX0101", "SJ00", "sj0501", "SJ05a1", "SJ050101"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_shipped_catalogue_is_whole() {
        let all = shipped();
        let mut seen = std::collections::HashSet::new();
        for c in &all {
            let (_, parent) = parse_code(&c.code).unwrap_or_else(|e| panic!("{e}"));
            match parent {
                Some(p) => assert!(seen.contains(p), "{} comes before its 大类 {p}", c.code),
                None => assert_eq!(c.time_limits.len(), 5, "{} has every limit", c.code),
            }
            assert!(seen.insert(c.code.as_str()), "{} twice", c.code);
            check_limits("t", &c.time_limits).unwrap();
        }
        for major in ["BJ01", "BJ06", "SJ01", "SJ06", "ZL01", "ZL05"] {
            assert!(seen.contains(major), "{major}");
        }
        assert!(all.iter().any(|c| c.name.contains("烟花爆竹")), "illegal fireworks");
        assert!(all.iter().any(|c| c.name.contains("火灾")), "fire");
    }
}
