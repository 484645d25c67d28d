//! 巡查 as the office sees it: the patrols grid workers recorded on their phones — who walked
//! which grid when, for how long, how far, and the track as a line on the map — and patrol plans
//! (巡防计划) that say how often grids must be walked around key dates, by whom (a joint patrol
//! 联合巡防 names people of several departments), compared with what was walked.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{Caller, Role, place, within_reach};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::schema::{cells, communities, patrol_plans, patrols, streets, users};
use crate::time::{local_date, now};

/// A patrol as the office reads it.
#[derive(Debug, Clone, Serialize)]
pub struct PatrolView {
    pub id: String,
    pub user_id: String,
    pub user_name: String,
    pub cell_id: String,
    pub cell_name: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub ended_at: Option<NaiveDateTime>,
    /// How long it lasted, seconds; none while it runs.
    pub duration_s: Option<i64>,
    pub distance_m: f64,
    pub note: String,
    /// The track as a GeoJSON LineString (WGS-84, [lng, lat]); none when the phone sent none.
    pub track: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct PatrolFilter {
    pub cell_id: Option<String>,
    pub user_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

fn moment(ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc()).unwrap_or_default()
}

fn ms(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

/// The patrols the caller sees, latest first: an office's in its area, anyone else's their own.
pub fn list(conn: &mut DbConn, caller: &Caller, f: &PatrolFilter, page: &Page) -> StoreResult<Paged<PatrolView>> {
    let mut q = patrols::table
        .inner_join(cells::table.on(cells::id.eq(patrols::cell_id)))
        .inner_join(communities::table.on(communities::id.eq(cells::community_id)))
        .inner_join(streets::table.on(streets::id.eq(communities::street_id)))
        .inner_join(users::table.on(users::id.eq(patrols::user_id)))
        .into_boxed();
    if caller.role.is_admin() {
        q = within_reach!(q, caller.reach(), streets::district_id, streets::id, communities::id);
    } else {
        q = q.filter(patrols::user_id.eq(caller.user_id.to_string()));
    }
    if let Some(c) = &f.cell_id {
        q = q.filter(patrols::cell_id.eq(c.clone()));
    }
    if let Some(u) = &f.user_id {
        q = q.filter(patrols::user_id.eq(u.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(patrols::started_at.ge(ms(t)));
    }
    if let Some(t) = f.to {
        q = q.filter(patrols::started_at.lt(ms(t)));
    }
    if let Some(after) = &page.after {
        q = q.filter(patrols::id.lt(after.clone()));
    }
    type Row = (String, String, String, i64, Option<i64>, f64, String, String, String, String);
    let rows: Vec<Row> = q
        .order(patrols::id.desc())
        .limit(page.fetch())
        .select((
            patrols::id,
            patrols::user_id,
            patrols::cell_id,
            patrols::started_at,
            patrols::ended_at,
            patrols::distance_m,
            patrols::track,
            patrols::note,
            users::display_name,
            cells::name,
        ))
        .load(conn)?;
    let views: Vec<PatrolView> = rows
        .into_iter()
        .map(|(id, user_id, cell_id, started, ended, distance_m, track, note, user_name, cell_name)| PatrolView {
            id,
            user_id,
            user_name,
            cell_id,
            cell_name,
            started_at: moment(started),
            ended_at: ended.map(moment),
            duration_s: ended.map(|e| (e - started).max(0) / 1000),
            distance_m,
            note,
            track: line_of(&track),
        })
        .collect();
    Ok(Paged::from_rows(views, page, |p: &PatrolView| &p.id))
}

/// An encoded polyline (Google's format, precision 5, latitude first) as a GeoJSON LineString;
/// none for an empty or broken one.
pub fn line_of(encoded: &str) -> Option<Value> {
    let mut coords = Vec::new();
    let (mut lat, mut lng) = (0_i64, 0_i64);
    let mut bytes = encoded.bytes().peekable();
    while bytes.peek().is_some() {
        let mut next = || -> Option<i64> {
            let (mut result, mut shift) = (0_i64, 0);
            loop {
                let b = i64::from(bytes.next()?) - 63;
                if !(0..64).contains(&b) || shift > 60 {
                    return None;
                }
                result |= (b & 0x1f) << shift;
                shift += 5;
                if b < 0x20 {
                    break;
                }
            }
            Some(if result & 1 == 1 { !(result >> 1) } else { result >> 1 })
        };
        lat += next()?;
        lng += next()?;
        coords.push(json!([lng as f64 / 1e5, lat as f64 / 1e5]));
    }
    (coords.len() >= 2).then(|| json!({"type": "LineString", "coordinates": coords}))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = patrol_plans)]
pub struct Plan {
    pub id: String,
    pub district_id: String,
    pub name: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub cells: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub members: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub ends_at: NaiveDateTime,
    pub times_per_day: i32,
    #[serde(skip)]
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

pub struct NewPlan {
    pub name: String,
    pub cells: Vec<String>,
    pub members: Vec<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub times_per_day: i32,
}

/// The most grids and people a plan names.
pub const MAX_CELLS: usize = 500;
pub const MAX_MEMBERS: usize = 100;

/// Makes a patrol plan: a street or district office, for grids of its area, with people who
/// patrol them (grid workers, department staff for a joint patrol).
pub fn create_plan(conn: &mut DbConn, caller: &Caller, new: NewPlan) -> StoreResult<Plan> {
    if !caller.role.is_office() {
        return Err(StoreError::Forbidden(format!("a {} may not plan patrols", caller.role.as_str())));
    }
    crate::db::write(conn, |conn| {
        let mut problems = Vec::new();
        let mut district = None;
        for (i, id) in new.cells.iter().enumerate() {
            match place::of_cell(conn, id) {
                Ok(p) if caller.reach().covers(&p) => district = district.or(p.district),
                _ => problems
                    .push(FieldProblem::new(format!("cells[{i}]"), format!("no grid of your area has the id {id}"))),
            }
        }
        for (i, id) in new.members.iter().enumerate() {
            let role: Option<String> = users::table.find(id).select(users::role).first(conn).optional()?;
            if !role.is_some_and(|r| {
                matches!(
                    Role::parse(&r),
                    Some(Role::GridWorker | Role::Volunteer | Role::DeptStaff | Role::CommunityAdmin)
                )
            }) {
                problems.push(FieldProblem::new(
                    format!("members[{i}]"),
                    format!("no grid worker, volunteer or department staff has the id {id}"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let plan = Plan {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: district.unwrap_or_default(),
            name: new.name,
            cells: json!(new.cells).to_string(),
            members: json!(new.members).to_string(),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            times_per_day: new.times_per_day,
            created_by: caller.actor_id().map(Into::into),
            created_at: now(),
        };
        diesel::insert_into(patrol_plans::table).values(&plan).execute(conn)?;
        Ok(plan)
    })
}

/// How a grid of a plan was walked.
#[derive(Debug, Clone, Serialize)]
pub struct CellCoverage {
    pub cell_id: String,
    pub cell_name: String,
    /// Patrols by the plan's people (anyone's, when it names none) in its period.
    pub patrols: i64,
    /// Days of the period, and those with the planned number of patrols or more.
    pub days: i64,
    pub days_met: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    #[serde(flatten)]
    pub plan: Plan,
    /// Grid-days planned, and met.
    pub planned: i64,
    pub met: i64,
    /// met ÷ planned, in percent to one decimal.
    pub coverage: Option<f64>,
    pub cells: Vec<CellCoverage>,
}

/// The plan against what was walked: for each grid and each day of the period (to today while
/// it runs, China Standard Time), whether it was patrolled `times_per_day` times.
pub fn coverage(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Coverage> {
    let plan: Plan = patrol_plans::table
        .find(id)
        .select(Plan::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("patrol plan", id))?;
    let sees = caller.role == Role::SystemAdmin || caller.reach().district() == Some(plan.district_id.as_str());
    if !sees || !caller.role.is_admin() {
        return Err(StoreError::not_found("patrol plan", id));
    }
    let grid_ids: Vec<String> = serde_json::from_str(&plan.cells).unwrap_or_default();
    let members: HashSet<String> =
        serde_json::from_str::<Vec<String>>(&plan.members).unwrap_or_default().into_iter().collect();
    let end = plan.ends_at.min(now()).max(plan.starts_at);
    let (first, last) = (local_date(plan.starts_at), local_date(end));
    let days = (last - first).num_days() + 1;
    let walks: Vec<(String, String, i64)> = patrols::table
        .filter(patrols::cell_id.eq_any(&grid_ids))
        .filter(patrols::started_at.between(ms(plan.starts_at), ms(end)))
        .select((patrols::cell_id, patrols::user_id, patrols::started_at))
        .load(conn)?;
    let mut per: HashMap<(&str, NaiveDate), i64> = HashMap::new();
    let mut total: HashMap<&str, i64> = HashMap::new();
    for (cell, user, started) in &walks {
        if !members.is_empty() && !members.contains(user) {
            continue;
        }
        *per.entry((cell.as_str(), local_date(moment(*started)))).or_default() += 1;
        *total.entry(cell.as_str()).or_default() += 1;
    }
    let names: HashMap<String, String> = cells::table
        .filter(cells::id.eq_any(&grid_ids))
        .select((cells::id, cells::name))
        .load(conn)?
        .into_iter()
        .collect();
    let want = i64::from(plan.times_per_day);
    let cells: Vec<CellCoverage> = grid_ids
        .iter()
        .map(|c| {
            let days_met = (0..days)
                .filter(|d| per.get(&(c.as_str(), first + Duration::days(*d))).copied().unwrap_or(0) >= want)
                .count() as i64;
            CellCoverage {
                cell_id: c.clone(),
                cell_name: names.get(c).cloned().unwrap_or_default(),
                patrols: total.get(c.as_str()).copied().unwrap_or(0),
                days,
                days_met,
            }
        })
        .collect();
    let planned = days * cells.len() as i64;
    let met: i64 = cells.iter().map(|c| c.days_met).sum();
    let coverage = (planned > 0).then(|| (met as f64 * 1000.0 / planned as f64).round() / 10.0);
    Ok(Coverage { plan, planned, met, coverage, cells })
}

/// Patrols per grid over the last `days` days, for the map.
pub fn per_cell(conn: &mut DbConn, ids: &[String], days: i64) -> StoreResult<HashMap<String, i64>> {
    let since = ms(now() - Duration::days(days));
    let rows: Vec<String> = patrols::table
        .filter(patrols::cell_id.eq_any(ids))
        .filter(patrols::started_at.ge(since))
        .select(patrols::cell_id)
        .load(conn)?;
    let mut n = HashMap::new();
    for c in rows {
        *n.entry(c).or_insert(0) += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_track_reads_as_a_line() {
        // Google's example: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)
        let line = line_of("_p~iF~ps|U_ulLnnqC_mqNvxq`@").unwrap();
        assert_eq!(
            line,
            json!({"type": "LineString", "coordinates": [[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]]})
        );
        assert_eq!(line_of(""), None);
        assert_eq!(line_of("_p~iF"), None, "half a point is no line");
        assert_eq!(line_of("\u{1}\u{2}"), None);
    }
}
