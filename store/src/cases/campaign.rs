//! Which campaigns (专项行动) a new case belongs to: an active campaign watching its category,
//! in its district, within its period — read once for a batch of reports, linked when they are
//! stored, again when its category is corrected — and whether one of them counts natural time. The case's side of a campaign; the
//! campaign itself lives in `crate::campaigns`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::category::Category;
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::schema::{campaign_cases, campaign_districts, campaigns};

/// An active campaign as intake reads it to link new cases.
#[derive(Debug, Clone)]
struct Watcher {
    id: String,
    districts: Vec<String>,
    categories: Vec<String>,
    natural: bool,
    from: NaiveDateTime,
    to: NaiveDateTime,
}

/// The active campaigns, read once for a batch of new cases.
#[derive(Debug, Clone, Default)]
pub struct Watching(Vec<Watcher>);

impl Watching {
    pub fn load(conn: &mut DbConn) -> StoreResult<Watching> {
        type Row = (String, String, bool, NaiveDateTime, NaiveDateTime);
        let active: Vec<Row> = campaigns::table
            .filter(campaigns::status.eq("active"))
            .select((
                campaigns::id,
                campaigns::watched_categories,
                campaigns::natural_time,
                campaigns::starts_at,
                campaigns::ends_at,
            ))
            .load(conn)?;
        let mut all = Vec::new();
        for (id, watched, natural, from, to) in active {
            let districts = campaign_districts::table
                .filter(campaign_districts::campaign_id.eq(&id))
                .select(campaign_districts::district_id)
                .load(conn)?;
            let categories = serde_json::from_str(&watched).unwrap_or_default();
            all.push(Watcher { id, districts, categories, natural, from, to });
        }
        Ok(Watching(all))
    }

    /// The campaigns a case of `category` in `district` received at `t` belongs to, and whether
    /// one of them counts natural time. A watched 大类 takes in its 小类.
    pub fn of(&self, district: Option<&str>, category: &Category, t: NaiveDateTime) -> (Vec<String>, bool) {
        let Some(district) = district else { return (Vec::new(), false) };
        let mut ids = Vec::new();
        let mut natural = false;
        for w in &self.0 {
            let watches = w.categories.iter().any(|c| *c == category.code || Some(c) == category.parent_code.as_ref());
            if watches && w.districts.iter().any(|d| d == district) && w.from <= t && t <= w.to {
                ids.push(w.id.clone());
                natural |= w.natural;
            }
        }
        (ids, natural)
    }
}

/// Links filed cases to their campaigns.
pub(super) fn link(conn: &mut DbConn, links: &[(&str, &[String])], at: NaiveDateTime) -> StoreResult<()> {
    let rows: Vec<_> = links
        .iter()
        .flat_map(|(case, campaigns)| {
            campaigns.iter().map(move |c| {
                (
                    campaign_cases::campaign_id.eq(c.clone()),
                    campaign_cases::case_id.eq(case.to_string()),
                    campaign_cases::linked_at.eq(at),
                )
            })
        })
        .collect();
    for chunk in rows.chunks(300) {
        crate::db::per_backend!(conn, c => diesel::insert_into(campaign_cases::table).values(chunk).execute(c))?;
    }
    Ok(())
}

/// Whether a campaign the case is linked to counts natural time.
pub(super) fn natural_for(conn: &mut DbConn, case_id: &str) -> StoreResult<bool> {
    let n: i64 = campaign_cases::table
        .inner_join(campaigns::table.on(campaigns::id.eq(campaign_cases::campaign_id)))
        .filter(campaign_cases::case_id.eq(case_id))
        .filter(campaigns::natural_time.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Links a case whose category was corrected to the campaigns that watch its new category, as
/// if it had been filed so (and unlinks it from those that watched only the old one).
pub(super) fn relink(conn: &mut DbConn, case: &super::Case, category: &Category) -> StoreResult<()> {
    diesel::delete(campaign_cases::table.filter(campaign_cases::case_id.eq(case.id.as_str()))).execute(conn)?;
    let (ids, _) = Watching::load(conn)?.of(case.district_id.as_deref(), category, case.received_at);
    link(conn, &[(case.id.as_str(), ids.as_slice())], crate::time::now())
}
