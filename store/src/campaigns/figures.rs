//! How a campaign went: the share of its communities with no case of the watched categories
//! (零发案, the fireworks ban's 98.7%), its cases per day with the key dates marked, what its
//! enforcement did, its tasks verified against those due by unit, how many of its grids were
//! patrolled, its notices signed for, and each target against what was achieved.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::{Campaign, METRICS, districts_of, find_campaign};
use crate::access::Caller;
use crate::cases::outcome::Outcome;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{
    campaign_cases, campaign_notice_receipts, campaign_notices, case_events, cases, cells, communities, patrols,
    streets, tasks,
};
use crate::tasks::{TaskStatus, Unit, unit};
use crate::time::{local_date, now};

#[derive(Debug, Clone, Serialize)]
pub struct CampaignFigures {
    pub campaign_id: String,
    pub name: String,
    /// The days counted: from the start to the end, or to today while it runs (local dates).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub communities: Communities,
    pub cases: i64,
    pub per_day: Vec<Day>,
    pub enforcement: Enforcement,
    pub tasks: TaskFigures,
    pub patrols: Patrols,
    pub notices: Notices,
    pub targets: Vec<TargetResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Communities {
    pub total: i64,
    /// With no case of the watched categories in the period.
    pub zero_case: i64,
    /// zero_case ÷ total, in percent to one decimal.
    pub zero_case_share: Option<f64>,
    /// The communities with cases, most first: (id, name, cases).
    pub with_cases: Vec<CommunityCases>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommunityCases {
    pub community_id: String,
    pub name: String,
    pub cases: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub cases: i64,
    /// The key date's name (除夕), if it is one.
    pub key_date: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Enforcement {
    /// Handlings that recorded an outcome.
    pub cases: i64,
    pub persons: i64,
    pub amount_yuan: f64,
    /// Handlings by kind of outcome (`fined`: 84).
    pub by_kind: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TaskFigures {
    /// Tasks due by now (or verified already), not cancelled.
    pub due: i64,
    pub verified: i64,
    /// verified ÷ due, in percent to one decimal.
    pub completion: Option<f64>,
    pub by_unit: Vec<UnitTasks>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitTasks {
    pub owner_type: Unit,
    pub owner_id: String,
    pub owner_name: String,
    pub tasks: i64,
    pub due: i64,
    pub verified: i64,
    pub overdue: i64,
    pub completion: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Patrols {
    /// Governance grids of the campaign's districts.
    pub grids: i64,
    /// Patrolled at least once in the period.
    pub patrolled: i64,
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notices {
    pub notices: i64,
    /// Member departments to sign, over all notices.
    pub receipts: i64,
    pub signed: i64,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub metric: String,
    pub label: &'static str,
    pub value: f64,
    pub actual: Option<f64>,
    pub met: Option<bool>,
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The figures of a campaign the caller sees.
pub fn of(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<CampaignFigures> {
    let c = find_campaign(conn, caller, id)?;
    let at = now();
    let end = c.ends_at.min(at).max(c.starts_at);
    let (from, to) = (local_date(c.starts_at), local_date(end));
    let districts = districts_of(conn, &c.id)?;

    let all_communities: Vec<(String, String)> = communities::table
        .inner_join(streets::table)
        .filter(streets::district_id.eq_any(&districts))
        .order(communities::code.asc())
        .select((communities::id, communities::name))
        .load(conn)?;
    let linked: Vec<(Option<String>, NaiveDateTime, String)> = campaign_cases::table
        .inner_join(cases::table)
        .filter(campaign_cases::campaign_id.eq(&c.id))
        .select((cases::community_id, cases::received_at, cases::id))
        .load(conn)?;
    let mut per_community: HashMap<&str, i64> = HashMap::new();
    let mut per_date: HashMap<NaiveDate, i64> = HashMap::new();
    for (community, received, _) in &linked {
        if let Some(community) = community {
            *per_community.entry(community.as_str()).or_default() += 1;
        }
        *per_date.entry(local_date(*received)).or_default() += 1;
    }
    let mut with_cases: Vec<CommunityCases> = all_communities
        .iter()
        .filter_map(|(id, name)| {
            per_community.get(id.as_str()).map(|n| CommunityCases {
                community_id: id.clone(),
                name: name.clone(),
                cases: *n,
            })
        })
        .collect();
    with_cases.sort_by(|a, b| b.cases.cmp(&a.cases).then(a.community_id.cmp(&b.community_id)));
    let total = all_communities.len() as i64;
    let zero_case = total - with_cases.len() as i64;
    let communities = Communities { total, zero_case, zero_case_share: share(zero_case, total), with_cases };

    let key_dates: HashMap<NaiveDate, String> = c.key_dates().into_iter().map(|k| (k.date, k.name)).collect();
    let mut per_day = Vec::new();
    let mut day = from;
    while day <= to {
        per_day.push(Day {
            date: day,
            cases: per_date.get(&day).copied().unwrap_or(0),
            key_date: key_dates.get(&day).cloned(),
        });
        day = day.succ_opt().expect("a day after");
    }

    let case_ids: Vec<&str> = linked.iter().map(|l| l.2.as_str()).collect();
    let enforcement = enforcement(conn, &case_ids)?;
    let tasks = task_figures(conn, &c, at)?;
    let patrols = patrol_figures(conn, &districts, &c, end)?;
    let notices = notice_figures(conn, &c.id)?;
    let cases_total = linked.len() as i64;
    let targets = c
        .targets()
        .into_iter()
        .map(|t| {
            let label = METRICS.iter().find(|m| m.0 == t.metric).map_or("", |m| m.1);
            let (actual, met) = match t.metric.as_str() {
                "zero_case_share" => (communities.zero_case_share, None),
                "task_completion" => (tasks.completion, None),
                "patrol_coverage" => (patrols.coverage, None),
                "notice_receipt_rate" => (notices.rate, None),
                "max_cases" => (Some(cases_total as f64), Some(cases_total as f64 <= t.value)),
                _ => (None, None),
            };
            let met = met.or(actual.map(|a| a >= t.value));
            TargetResult { metric: t.metric, label, value: t.value, actual, met }
        })
        .collect();
    Ok(CampaignFigures {
        campaign_id: c.id.clone(),
        name: c.name.clone(),
        from,
        to,
        communities,
        cases: cases_total,
        per_day,
        enforcement,
        tasks,
        patrols,
        notices,
        targets,
    })
}

/// The outcomes recorded by the handlings of the linked cases.
fn enforcement(conn: &mut DbConn, case_ids: &[&str]) -> StoreResult<Enforcement> {
    let mut e = Enforcement::default();
    for chunk in case_ids.chunks(500) {
        let data: Vec<String> = case_events::table
            .filter(case_events::case_id.eq_any(chunk))
            .filter(case_events::action.eq("handle"))
            .select(case_events::data)
            .load(conn)?;
        for d in data {
            let Some(o) = serde_json::from_str::<Value>(&d)
                .ok()
                .and_then(|v| v.get("outcome").cloned())
                .and_then(|o| serde_json::from_value::<Outcome>(o).ok())
            else {
                continue;
            };
            e.cases += 1;
            e.persons += o.persons;
            e.amount_yuan += o.amount_yuan.unwrap_or(0.0);
            *e.by_kind.entry(o.kind.as_str().to_owned()).or_default() += 1;
        }
    }
    Ok(e)
}

/// Its tasks by owning unit: verified against those due by now.
fn task_figures(conn: &mut DbConn, c: &Campaign, at: NaiveDateTime) -> StoreResult<TaskFigures> {
    let rows: Vec<(Unit, String, TaskStatus, NaiveDateTime, Option<NaiveDateTime>)> = tasks::table
        .filter(tasks::campaign_id.eq(&c.id))
        .filter(tasks::status.ne(TaskStatus::Cancelled))
        .select((tasks::owner_type, tasks::owner_id, tasks::status, tasks::due_at, tasks::overdue_at))
        .load(conn)?;
    let mut by: BTreeMap<(Unit, String), (i64, i64, i64, i64)> = BTreeMap::new();
    for (u, id, status, due_at, overdue_at) in rows {
        let e = by.entry((u, id)).or_default();
        let verified = status == TaskStatus::Verified;
        e.0 += 1;
        e.1 += i64::from(verified || due_at <= at);
        e.2 += i64::from(verified);
        e.3 += i64::from(overdue_at.is_some() || (!verified && status != TaskStatus::Submitted && due_at < at));
    }
    let mut f = TaskFigures::default();
    for ((u, id), (n, due, verified, overdue)) in by {
        let owner_name = unit::find(conn, u, &id).map(|(_, name)| name).unwrap_or_else(|_| id.clone());
        f.due += due;
        f.verified += verified;
        f.by_unit.push(UnitTasks {
            owner_type: u,
            owner_id: id,
            owner_name,
            tasks: n,
            due,
            verified,
            overdue,
            completion: share(verified, due),
        });
    }
    f.completion = share(f.verified, f.due);
    Ok(f)
}

/// The governance grids of its districts patrolled at least once in its period.
fn patrol_figures(conn: &mut DbConn, districts: &[String], c: &Campaign, end: NaiveDateTime) -> StoreResult<Patrols> {
    let in_districts = communities::table
        .inner_join(streets::table)
        .filter(streets::district_id.eq_any(districts.to_vec()))
        .select(communities::id);
    let grids: Vec<String> = cells::table
        .filter(cells::layer.eq("governance"))
        .filter(cells::retired_at.is_null())
        .filter(cells::community_id.eq_any(in_districts))
        .select(cells::id)
        .load(conn)?;
    let ms = |t: NaiveDateTime| t.and_utc().timestamp_millis();
    let walked: HashSet<String> = patrols::table
        .filter(patrols::started_at.between(ms(c.starts_at), ms(end)))
        .select(patrols::cell_id)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let patrolled = grids.iter().filter(|g| walked.contains(*g)).count() as i64;
    let total = grids.len() as i64;
    Ok(Patrols { grids: total, patrolled, coverage: share(patrolled, total) })
}

fn notice_figures(conn: &mut DbConn, campaign_id: &str) -> StoreResult<Notices> {
    let notices: i64 =
        campaign_notices::table.filter(campaign_notices::campaign_id.eq(campaign_id)).count().get_result(conn)?;
    let of = campaign_notices::table.filter(campaign_notices::campaign_id.eq(campaign_id)).select(campaign_notices::id);
    let receipts: Vec<Option<NaiveDateTime>> = campaign_notice_receipts::table
        .filter(campaign_notice_receipts::notice_id.eq_any(of))
        .select(campaign_notice_receipts::signed_at)
        .load(conn)?;
    let signed = receipts.iter().filter(|r| r.is_some()).count() as i64;
    let total = receipts.len() as i64;
    Ok(Notices { notices, receipts: total, signed, rate: share(signed, total) })
}
