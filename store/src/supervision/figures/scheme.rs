//! The assessment scheme (考核方案) and rankings: a district weights the rates for each kind of
//! unit it ranks; a unit's score is the weighted mean of its rates (`1 − rate` for a rate where
//! less is better) over the rates it has, times 100. Schemes are versioned by the month they take
//! effect: a month is always scored with the scheme in force then, so a new scheme never rewrites
//! a month already scored.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::rates::{Better, Rate};
use super::{Ask, Figures, Period, UnitKind, figures};
use crate::access::{Caller, Place, audit};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::schema::assessment_schemes;
use crate::time::now;

/// Per kind of unit ranked, the weight of each rate.
pub type Weights = BTreeMap<UnitKind, BTreeMap<String, f64>>;

/// The kinds of unit a district ranks.
pub const RANKED: [UnitKind; 4] = [UnitKind::Department, UnitKind::Street, UnitKind::Community, UnitKind::Worker];

/// Where the default weights come from.
pub const DEFAULT_SOURCE: &str = "gridhub 默认方案：指标取自 GB/T 30428.4《数字化城市管理信息系统 第4部分：绩效评价》的区域、部门、岗位评价（结案率、按期结案率、按期处置率、返工率等），权重为 gridhub 的默认取值，偏重按期结案与群众满意；各区应按本地考核办法调整";

/// The weights gridhub ships (see `DEFAULT_SOURCE`).
#[rustfmt::skip]
pub const DEFAULTS: &[(UnitKind, &[(&str, f64)])] = &[
    (UnitKind::Department, &[("timely_acceptance_rate", 15.0), ("on_time_handling_rate", 25.0), ("rework_rate", 15.0), ("return_rate", 10.0), ("satisfaction_rate", 15.0), ("report_in_rate", 5.0), ("on_site_rate", 5.0), ("response_rating_rate", 5.0), ("assist_on_time_rate", 5.0)]),
    (UnitKind::Street, &[("on_time_closure_rate", 30.0), ("closure_rate", 20.0), ("on_the_spot_rate", 10.0), ("satisfaction_rate", 20.0), ("patrol_coverage", 10.0), ("valid_report_rate", 10.0)]),
    (UnitKind::Community, &[("on_time_closure_rate", 30.0), ("closure_rate", 20.0), ("on_the_spot_rate", 15.0), ("satisfaction_rate", 20.0), ("patrol_coverage", 15.0)]),
    (UnitKind::Worker, &[("patrol_coverage", 40.0), ("valid_report_rate", 30.0), ("on_the_spot_rate", 30.0)]),
];

pub fn default_weights() -> Weights {
    DEFAULTS.iter().map(|(unit, w)| (*unit, w.iter().map(|(r, v)| ((*r).to_owned(), *v)).collect())).collect()
}

/// The default weights as Markdown, for `docs/figures.md`.
pub fn defaults_markdown() -> String {
    let mut out = String::from("| unit | weights |\n|---|---|\n");
    for (unit, weights) in DEFAULTS {
        let w: Vec<String> =
            weights.iter().map(|(rate, w)| format!("{} {w}", Rate::find(rate).map_or(*rate, |r| r.label))).collect();
        out.push_str(&format!("| {} | {} |\n", unit.as_str(), w.join(", ")));
    }
    out
}

/// A scheme as stored, or the default when a district has none.
#[derive(Debug, Clone, Serialize)]
pub struct Scheme {
    /// `None` for the default.
    pub id: Option<String>,
    pub district_id: String,
    /// The first month it scores (`YYYY-MM`).
    pub effective_from: Option<String>,
    pub weights: Weights,
    pub note: Option<String>,
    pub source: String,
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize_opt")]
    pub created_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = assessment_schemes)]
struct Row {
    id: String,
    district_id: String,
    effective_from: String,
    weights: String,
    note: Option<String>,
    created_by: Option<String>,
    created_at: NaiveDateTime,
}

impl Row {
    fn scheme(self) -> Scheme {
        let mut weights = default_weights();
        weights.extend(serde_json::from_str::<Weights>(&self.weights).unwrap_or_default());
        Scheme {
            id: Some(self.id),
            district_id: self.district_id,
            effective_from: Some(self.effective_from),
            weights,
            note: self.note,
            source: "区考核方案".into(),
            created_by: self.created_by,
            created_at: Some(self.created_at),
        }
    }
}

/// The scheme in force in `month` (`YYYY-MM`): the latest version that took effect by then.
pub fn in_force(conn: &mut DbConn, district_id: &str, month: &str) -> StoreResult<Scheme> {
    let row = assessment_schemes::table
        .filter(assessment_schemes::district_id.eq(district_id))
        .filter(assessment_schemes::effective_from.le(month))
        .order((
            assessment_schemes::effective_from.desc(),
            assessment_schemes::created_at.desc(),
            assessment_schemes::id.desc(),
        ))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Row::scheme).unwrap_or_else(|| Scheme {
        id: None,
        district_id: district_id.to_owned(),
        effective_from: None,
        weights: default_weights(),
        note: None,
        source: DEFAULT_SOURCE.into(),
        created_by: None,
        created_at: None,
    }))
}

/// Every version of a district's scheme, newest first.
pub fn versions(conn: &mut DbConn, district_id: &str) -> StoreResult<Vec<Scheme>> {
    Ok(assessment_schemes::table
        .filter(assessment_schemes::district_id.eq(district_id))
        .order((assessment_schemes::effective_from.desc(), assessment_schemes::created_at.desc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::scheme)
        .collect())
}

/// A new version of a district's scheme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewScheme {
    /// `YYYY-MM`, this month or later (default: this month, China Standard Time).
    pub effective_from: Option<String>,
    pub weights: BTreeMap<String, BTreeMap<String, f64>>,
    pub note: Option<String>,
}

/// Sets a new version of the scheme; kinds of unit it does not weight keep the defaults.
pub fn set(conn: &mut DbConn, caller: &Caller, district_id: &str, new: NewScheme) -> StoreResult<Scheme> {
    caller.require_region_admin(Some(district_id))?;
    let this_month = Period::this_month();
    let mut problems = Vec::new();
    let month = new.effective_from.clone().unwrap_or_else(|| this_month.clone());
    if Period::month(&month).is_none() {
        problems.push(FieldProblem::new("effective_from", "must be a month, YYYY-MM"));
    } else if month < this_month {
        problems.push(FieldProblem::new(
            "effective_from",
            format!("must be {this_month} or later: a month already begun under a scheme is scored by it"),
        ));
    }
    let mut weights = Weights::new();
    if new.weights.is_empty() {
        problems.push(FieldProblem::new("weights", "must weight the rates of at least one kind of unit"));
    }
    for (unit, rates) in &new.weights {
        let Some(kind) = UnitKind::parse(unit).filter(|k| RANKED.contains(k)) else {
            problems.push(FieldProblem::new(
                format!("weights.{unit}"),
                "is not ranked: department, street, community or worker",
            ));
            continue;
        };
        for (rate, w) in rates {
            if Rate::find(rate).is_none() {
                problems.push(FieldProblem::new(format!("weights.{unit}.{rate}"), "is not a rate of the figures"));
            } else if !(w.is_finite() && (0.0..=100.0).contains(w)) {
                problems.push(FieldProblem::new(format!("weights.{unit}.{rate}"), "must be a weight from 0 to 100"));
            }
        }
        if !rates.values().any(|w| *w > 0.0) {
            problems.push(FieldProblem::new(format!("weights.{unit}"), "must give at least one rate a weight above 0"));
        }
        weights.insert(kind, rates.clone());
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems));
    }
    crate::db::write(conn, |conn| {
        crate::regions::district::get(conn, district_id)?;
        let row = Row {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: district_id.to_owned(),
            effective_from: month.clone(),
            weights: json!(weights).to_string(),
            note: new.note.clone(),
            created_by: caller.actor_id().map(str::to_owned),
            created_at: now(),
        };
        diesel::insert_into(assessment_schemes::table).values(&row).execute(conn)?;
        let place = Place { district: Some(district_id.to_owned()), street: None, community: None };
        audit::record(
            conn,
            caller,
            "assessment_scheme.set",
            ("district", district_id),
            &place,
            json!({"effective_from": month, "weights": weights}),
        )?;
        Ok(row.scheme())
    })
}

/// A unit's place in a ranking.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    /// 1 for the best; equal scores share a rank; `None` for a unit with nothing to score.
    pub rank: Option<usize>,
    /// 0–100.
    pub score: Option<f64>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ranking {
    pub unit: UnitKind,
    pub district_id: String,
    pub month: String,
    pub scheme: Scheme,
    pub items: Vec<Ranked>,
}

/// The score of figures under weights: the weighted mean of the rates present, times 100.
pub fn score(figures: &Figures, weights: &BTreeMap<String, f64>) -> Option<f64> {
    let (mut sum, mut total) = (0.0, 0.0);
    for (rate, w) in weights {
        let (Some(r), Some(Some(v))) = (Rate::find(rate), figures.rates.get(rate.as_str())) else { continue };
        let v = if r.better == Better::Lower { 1.0 - v } else { *v };
        sum += w * v;
        total += w;
    }
    (total > 0.0).then(|| 100.0 * sum / total)
}

/// Ranks the units of a kind in a district over a month, under the scheme in force then.
pub fn rankings(
    conn: &mut DbConn,
    caller: &Caller,
    unit: UnitKind,
    district_id: &str,
    month: &str,
) -> StoreResult<Ranking> {
    if !RANKED.contains(&unit) {
        return Err(StoreError::invalid("unit", "must be department, street, community or worker"));
    }
    let period = Period::month(month).ok_or_else(|| StoreError::invalid("month", "must be a month, YYYY-MM"))?;
    if !caller.reach().sees(&Place { district: Some(district_id.to_owned()), street: None, community: None }) {
        return Err(StoreError::not_found("district", district_id));
    }
    let within = Place { district: Some(district_id.to_owned()), street: None, community: None };
    let ask = Ask { unit, id: None, within, period, category: None };
    let all = figures(conn, caller, &ask)?;
    let scheme = in_force(conn, district_id, month)?;
    let weights = scheme.weights.get(&unit).cloned().unwrap_or_default();
    let mut items: Vec<Ranked> =
        all.into_iter().map(|f| Ranked { rank: None, score: score(&f, &weights), figures: f }).collect();
    items.sort_by(|a, b| {
        b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)).then_with(|| a.figures.code.cmp(&b.figures.code))
    });
    let mut last: Option<(f64, usize)> = None;
    for (i, item) in items.iter_mut().enumerate() {
        if let Some(s) = item.score {
            let rank = match last {
                Some((prev, rank)) if (prev - s).abs() < 1e-9 => rank,
                _ => i + 1,
            };
            item.rank = Some(rank);
            last = Some((s, rank));
        }
    }
    Ok(Ranking { unit, district_id: district_id.to_owned(), month: month.to_owned(), scheme, items })
}
