//! 专项行动 — campaigns: a district's (or several districts') drive against one kind of problem
//! for a period — the fireworks ban around the Spring Festival is the model — led by one
//! department with member departments each with its duty, key dates, the categories it watches
//! and its targets. While it is active, a case of a watched category filed in its districts is
//! linked to it (and counts natural time if the campaign says so: `cases::campaign`); its notices reach every
//! member department, which signs for them (`notices`); its tasks are ordinary tasks that name
//! it; its figures (`figures`) say how it went. States: draft → active → closed → reviewed.

pub mod figures;
pub mod notices;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{FieldProblem, StoreError, StoreResult};
use crate::page::{Page, Paged};
use crate::regions::department;
use crate::schema::{campaign_cases, campaign_districts, campaign_members, campaigns, departments, districts};
use crate::time::now;

crate::types::text_enum! {
    /// Where a campaign stands.
    pub enum CampaignStatus {
        Draft = "draft",
        Active = "active",
        Closed = "closed",
        Reviewed = "reviewed",
    }
}

impl CampaignStatus {
    pub fn label(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "筹备中",
            CampaignStatus::Active => "进行中",
            CampaignStatus::Closed => "已结束",
            CampaignStatus::Reviewed => "已总结",
        }
    }
}

/// The moves of a campaign: (action, 中文, from, to). The office that runs it takes them.
pub const MOVES: &[(&str, &str, CampaignStatus, CampaignStatus)] = &[
    ("activate", "启动", CampaignStatus::Draft, CampaignStatus::Active),
    ("close", "结束", CampaignStatus::Active, CampaignStatus::Closed),
    ("review", "总结", CampaignStatus::Closed, CampaignStatus::Reviewed),
];

/// What a campaign's targets may measure, each as its figures compute it: (metric, 中文).
pub const METRICS: &[(&str, &str)] = &[
    ("zero_case_share", "零发案社区占比(%)"),
    ("task_completion", "任务完成率(%)"),
    ("patrol_coverage", "巡查覆盖率(%)"),
    ("notice_receipt_rate", "通知签收率(%)"),
    ("max_cases", "案件总数上限"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyDate {
    pub date: NaiveDate,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub metric: String,
    pub value: f64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = campaigns, treat_none_as_null = true)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub description: String,
    pub lead_department_id: String,
    pub status: CampaignStatus,
    #[serde(serialize_with = "crate::time::serialize")]
    pub starts_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub ends_at: NaiveDateTime,
    /// Whether the watched categories count natural time while it runs.
    pub natural_time: bool,
    #[serde(serialize_with = "crate::time::json_text")]
    pub key_dates: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub watched_categories: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub targets: String,
    /// What the review (总结) found.
    pub review: Option<String>,
    #[serde(skip)]
    pub created_by: Option<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub updated_at: NaiveDateTime,
}

impl Campaign {
    pub fn key_dates(&self) -> Vec<KeyDate> {
        serde_json::from_str(&self.key_dates).unwrap_or_default()
    }

    pub fn watched(&self) -> Vec<String> {
        serde_json::from_str(&self.watched_categories).unwrap_or_default()
    }

    pub fn targets(&self) -> Vec<Target> {
        serde_json::from_str(&self.targets).unwrap_or_default()
    }
}

/// A member department and its duty.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = campaign_members)]
pub struct Member {
    #[serde(skip)]
    pub campaign_id: String,
    pub department_id: String,
    /// `lead` or `member`.
    pub role: String,
    pub duty: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    #[serde(flatten)]
    pub member: Member,
    pub department_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    #[serde(flatten)]
    pub campaign: Campaign,
    pub status_label: &'static str,
    pub district_ids: Vec<String>,
    pub members: Vec<MemberView>,
    /// Cases linked to it so far.
    pub cases: i64,
    /// What the caller may do now (`activate`, `close`, `review`).
    pub allowed_actions: Vec<&'static str>,
}

pub struct NewMember {
    pub department_id: String,
    pub role: String,
    pub duty: String,
}

pub struct NewCampaign {
    pub name: String,
    pub description: String,
    pub district_ids: Vec<String>,
    pub lead_department_id: String,
    pub members: Vec<NewMember>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub natural_time: bool,
    pub key_dates: Vec<KeyDate>,
    pub watched_categories: Vec<String>,
    pub targets: Vec<Target>,
}

/// Whether the caller runs campaigns of these districts: a system admin, or the admin of the one
/// district it spans.
fn runs(caller: &Caller, district_ids: &[String]) -> bool {
    match caller.role {
        Role::SystemAdmin => true,
        Role::DistrictAdmin => district_ids.len() == 1 && caller.scope_id.as_ref() == district_ids.first(),
        _ => false,
    }
}

/// Plans a campaign (in `draft`): a district admin for its district, a system admin for several.
pub fn create(conn: &mut DbConn, caller: &Caller, new: NewCampaign) -> StoreResult<CampaignView> {
    if !runs(caller, &new.district_ids) {
        return Err(StoreError::Forbidden(
            "a campaign is run by its district's admin, or by a system admin for several districts".into(),
        ));
    }
    crate::db::write(conn, |conn| {
        let mut problems = Vec::new();
        for (i, id) in new.district_ids.iter().enumerate() {
            if districts::table.find(id).count().get_result::<i64>(conn)? == 0 {
                problems.push(FieldProblem::new(format!("district_ids[{i}]"), format!("no district has the id {id}")));
            }
        }
        let of_districts = |conn: &mut DbConn, id: &str| -> StoreResult<bool> {
            Ok(department::get(conn, id).is_ok_and(|d| new.district_ids.contains(&d.district_id)))
        };
        if !of_districts(conn, &new.lead_department_id)? {
            problems.push(FieldProblem::new("lead_department_id", "must be a department of the campaign's districts"));
        }
        for (i, m) in new.members.iter().enumerate() {
            if !of_districts(conn, &m.department_id)? {
                problems.push(FieldProblem::new(
                    format!("members[{i}].department_id"),
                    "must be a department of the campaign's districts",
                ));
            }
        }
        for (i, code) in new.watched_categories.iter().enumerate() {
            if crate::cases::category::get(conn, code).is_err() {
                problems.push(FieldProblem::new(
                    format!("watched_categories[{i}]"),
                    format!("no category has the code {code}"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let t = now();
        let c = Campaign {
            id: uuid::Uuid::now_v7().to_string(),
            name: new.name.clone(),
            description: new.description.clone(),
            lead_department_id: new.lead_department_id.clone(),
            status: CampaignStatus::Draft,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            natural_time: new.natural_time,
            key_dates: json!(new.key_dates).to_string(),
            watched_categories: json!(new.watched_categories).to_string(),
            targets: json!(new.targets).to_string(),
            review: None,
            created_by: caller.actor_id().map(Into::into),
            version: 1,
            created_at: t,
            updated_at: t,
        };
        diesel::insert_into(campaigns::table).values(&c).execute(conn)?;
        for d in &new.district_ids {
            diesel::insert_into(campaign_districts::table)
                .values((campaign_districts::campaign_id.eq(&c.id), campaign_districts::district_id.eq(d)))
                .execute(conn)?;
        }
        let mut members: Vec<Member> = new
            .members
            .iter()
            .map(|m| Member {
                campaign_id: c.id.clone(),
                department_id: m.department_id.clone(),
                role: m.role.clone(),
                duty: m.duty.clone(),
            })
            .collect();
        if !members.iter().any(|m| m.department_id == c.lead_department_id) {
            let duty = "牵头".to_owned();
            members.push(Member {
                campaign_id: c.id.clone(),
                department_id: c.lead_department_id.clone(),
                role: "lead".into(),
                duty,
            });
        }
        for m in members.iter_mut().filter(|m| m.department_id == c.lead_department_id) {
            m.role = "lead".into();
        }
        crate::db::per_backend!(conn, c => diesel::insert_into(campaign_members::table).values(&members).execute(c))?;
        view(conn, caller, c)
    })
}

fn get(conn: &mut DbConn, id: &str) -> StoreResult<Campaign> {
    campaigns::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("campaign", id))
}

fn districts_of(conn: &mut DbConn, id: &str) -> StoreResult<Vec<String>> {
    Ok(campaign_districts::table
        .filter(campaign_districts::campaign_id.eq(id))
        .order(campaign_districts::district_id.asc())
        .select(campaign_districts::district_id)
        .load(conn)?)
}

/// Whether the caller sees the campaign: who runs it, the offices of its districts, the staff of
/// its member departments.
fn visible(conn: &mut DbConn, caller: &Caller, c: &Campaign) -> StoreResult<bool> {
    if caller.role == Role::DeptStaff {
        let scope = caller.scope_id.clone().unwrap_or_default();
        let member = campaign_members::table.find((&c.id, &scope)).count().get_result::<i64>(conn)? > 0;
        return Ok(member);
    }
    if caller.role == Role::SystemAdmin {
        return Ok(true);
    }
    let district = caller.reach().district().map(str::to_owned);
    Ok(caller.role.is_admin() && district.is_some_and(|d| districts_of(conn, &c.id).is_ok_and(|all| all.contains(&d))))
}

/// A campaign the caller sees (not found otherwise).
pub(crate) fn find_campaign(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<Campaign> {
    let c = get(conn, id)?;
    if !visible(conn, caller, &c)? {
        return Err(StoreError::not_found("campaign", id));
    }
    Ok(c)
}

pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<CampaignView> {
    let c = find_campaign(conn, caller, id)?;
    view(conn, caller, c)
}

/// Whether the caller runs this campaign (takes its moves, publishes its notices).
pub(crate) fn require_runner(conn: &mut DbConn, caller: &Caller, c: &Campaign) -> StoreResult<()> {
    if runs(caller, &districts_of(conn, &c.id)?) {
        Ok(())
    } else {
        Err(StoreError::Forbidden("only the office that runs the campaign may do this".into()))
    }
}

fn view(conn: &mut DbConn, caller: &Caller, campaign: Campaign) -> StoreResult<CampaignView> {
    let district_ids = districts_of(conn, &campaign.id)?;
    let rows: Vec<(Member, String)> = campaign_members::table
        .inner_join(departments::table)
        .filter(campaign_members::campaign_id.eq(&campaign.id))
        .order((campaign_members::role.desc(), departments::code.asc()))
        .select((Member::as_select(), departments::name))
        .load(conn)?;
    let members = rows.into_iter().map(|(member, department_name)| MemberView { member, department_name }).collect();
    let cases = campaign_cases::table.filter(campaign_cases::campaign_id.eq(&campaign.id)).count().get_result(conn)?;
    let allowed_actions = if runs(caller, &district_ids) {
        MOVES.iter().filter(|m| m.2 == campaign.status).map(|m| m.0).collect()
    } else {
        Vec::new()
    };
    Ok(CampaignView { status_label: campaign.status.label(), campaign, district_ids, members, cases, allowed_actions })
}

/// The campaigns the caller sees, newest first.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    status: Option<CampaignStatus>,
    page: &Page,
) -> StoreResult<Paged<CampaignView>> {
    let mut q = campaigns::table.select(Campaign::as_select()).order(campaigns::id.desc()).into_boxed();
    match caller.role {
        Role::SystemAdmin => {}
        Role::DeptStaff => {
            let mine = campaign_members::table
                .filter(campaign_members::department_id.eq(caller.scope_id.clone().unwrap_or_default()))
                .select(campaign_members::campaign_id);
            q = q.filter(campaigns::id.eq_any(mine));
        }
        r if r.is_admin() => {
            let of = campaign_districts::table
                .filter(campaign_districts::district_id.eq(caller.reach().district().unwrap_or_default().to_owned()))
                .select(campaign_districts::campaign_id);
            q = q.filter(campaigns::id.eq_any(of));
        }
        _ => return Ok(Paged { items: Vec::new(), next_after: None }),
    }
    if let Some(s) = status {
        q = q.filter(campaigns::status.eq(s));
    }
    if let Some(after) = &page.after {
        q = q.filter(campaigns::id.lt(after.clone()));
    }
    let rows = q.limit(page.fetch()).load(conn)?;
    let paged = Paged::from_rows(rows, page, |c: &Campaign| &c.id);
    let items = paged.items.into_iter().map(|c| view(conn, caller, c)).collect::<StoreResult<Vec<_>>>()?;
    Ok(Paged { items, next_after: paged.next_after })
}

/// Moves a campaign: `activate` (from then on cases of its watched categories are linked to
/// it), `close`, `review` (with what the review found).
pub fn act(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: &str,
    note: Option<String>,
) -> StoreResult<CampaignView> {
    let Some(&(name, _, from, to)) = MOVES.iter().find(|m| m.0 == action) else {
        let names: Vec<&str> = MOVES.iter().map(|m| m.0).collect();
        return Err(StoreError::invalid("action", format!("must be one of {}", names.join(", "))));
    };
    if name == "review" && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(StoreError::invalid("note", "is required to review a campaign: what it achieved, what is left"));
    }
    crate::db::write(conn, |conn| {
        let old = find_campaign(conn, caller, id)?;
        require_runner(conn, caller, &old)?;
        if old.status != from {
            let allowed = MOVES.iter().filter(|m| m.2 == old.status).map(|m| m.0).collect();
            return Err(StoreError::NotAllowedNow { detail: format!("the campaign is {}", old.status), allowed });
        }
        let mut c = Campaign { status: to, version: old.version + 1, updated_at: now(), ..old };
        if name == "review" {
            c.review = note.clone();
        }
        diesel::update(campaigns::table.find(&c.id)).set(&c).execute(conn)?;
        view(conn, caller, c)
    })
}
