//! What a report is, however it arrives — a body posted to the API or a record a grid worker's
//! phone pushed: one check from raw fields to a typed `Report`, with the same limits and the same
//! words in the same problems; and filing it (`file`), which places it, stamps it, starts its first
//! step and records its reporter and its `report` event. A create through the API is idempotent
//! by its key; a phone's report sent again finds the first one.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use gridhub_geo::{Crs, Placement};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::campaign::{self, Watching};
use super::category::{self, Category};
use super::event::{self, Event, NewEvent};
use super::read::view;
use super::{Case, CaseView, Policy, Priority, Source, Status, get};
use super::{photo, tally};
use crate::access::{Caller, Role};
use crate::clocks::{Calendar, Clock, calendar};
use crate::db::DbConn;
use crate::db::clock;
use crate::error::unique_as_conflict;
use crate::error::{StoreError, StoreResult};
use crate::grid::{Located, Placed};
use crate::input::Check;
use crate::schema::{case_reporters, cases, idempotency_keys};
use crate::time::now;
use crate::types::is_client_id;
use crate::types::{CaseId, CellId};

pub const TITLE_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;
pub const ADDRESS_MAX: usize = 200;

/// A report's fields as they arrived, before they are checked. Each way in fills it from its own
/// shape (the API from its body, sync from a phone's record); `check` decides what it is.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The id a phone made for the report; the server makes one when there is none.
    pub id: Option<String>,
    /// A field report when absent (what phones send).
    pub source: Option<String>,
    pub category_code: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub address: Option<String>,
    pub priority: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub crs: Option<String>,
    /// An RFC 3339 time, or ms since the epoch.
    pub reported_at: Option<Value>,
    pub attachments: Vec<String>,
}

/// A report that passed every check: what every report must say.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: Option<String>,
    pub source: Source,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub priority: Priority,
    /// WGS-84.
    pub lng: f64,
    pub lat: f64,
    /// The coordinate system the point came in.
    pub crs: Crs,
    pub reported_at: Option<NaiveDateTime>,
    pub attachments: Vec<String>,
}

impl Draft {
    /// Reads a phone's record: the report's fields by name, each of the wrong type named.
    pub fn from_record(record: &Map<String, Value>, check: &mut Check) -> Self {
        let text = |check: &mut Check, key: &str| match record.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                check.push(key, "must be text");
                None
            }
        };
        let number = |check: &mut Check, key: &str| match record.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => v.as_f64().or_else(|| {
                check.push(key, "must be a number");
                None
            }),
        };
        Draft {
            id: text(check, "id"),
            source: None,
            category_code: text(check, "category_code"),
            title: text(check, "title"),
            description: text(check, "description"),
            address: text(check, "address").filter(|a| !a.trim().is_empty()),
            priority: text(check, "priority").filter(|p| !p.is_empty()),
            lng: number(check, "lng"),
            lat: number(check, "lat"),
            crs: text(check, "crs").filter(|c| !c.is_empty()),
            reported_at: record.get("reported_at").filter(|v| !v.is_null()).cloned(),
            attachments: Vec::new(),
        }
    }

    /// Checks every field, naming each problem (all at once), and gives the typed report.
    pub fn check(self, mut check: Check) -> StoreResult<Report> {
        if let Some(id) = &self.id
            && !is_client_id(id)
        {
            check.push("id", "must be 1 to 64 letters, digits, _ . or -");
        }
        let source = match self.source.as_deref() {
            None => Some(Source::FieldReport),
            Some("whistle") => {
                check.push("source", "a whistle's case is made by blowing the whistle: POST /api/v1/whistles");
                None
            }
            Some(s) => Source::parse(s).or_else(|| {
                check.push("source", format!("must be one of {}", Source::names()));
                None
            }),
        };
        let category_code = self.category_code.unwrap_or_default();
        if category_code.is_empty() {
            check.push("category_code", "is required");
        } else if let Err(e) = category::parse_code(&category_code) {
            check.push("category_code", e);
        }
        let title = check.text("title", self.title.as_deref().unwrap_or(""), TITLE_MAX, true);
        let description = check.text("description", self.description.as_deref().unwrap_or(""), DESCRIPTION_MAX, false);
        let crs = check.crs(self.crs.as_deref());
        let (lng, lat) = match (self.lng, self.lat) {
            (Some(lng), Some(lat)) => check.point(lng, lat, crs),
            _ => {
                check.push(if self.lng.is_none() { "lng" } else { "lat" }, "is required: a report needs lng and lat");
                (0.0, 0.0)
            }
        };
        let address = self.address.as_deref().map(|a| check.text("address", a, ADDRESS_MAX, false));
        let priority = match self.priority.as_deref() {
            None => Some(Priority::Normal),
            Some(p) => Priority::parse(p).or_else(|| {
                check.push("priority", format!("must be one of {}", Priority::names()));
                None
            }),
        };
        let reported_at = self.reported_at.as_ref().and_then(|t| check.time("reported_at", t));
        let attachments = check.attachments(self.attachments);
        check.done()?;
        Ok(Report {
            id: self.id,
            source: source.expect("checked"),
            category_code,
            title,
            description,
            address,
            priority: priority.expect("checked"),
            lng,
            lat,
            crs,
            reported_at,
            attachments,
        })
    }
}

/// The sources a role may file from: residents their own requests, people in the grid what
/// they find, offices anything (hotline calls included).
/// Department staff file what they find only as field staff of a street's own unit (人员下沉),
/// in that street (`street_unit`: the caller stands in a street).
fn may_file(role: Role, source: Source, street_unit: bool) -> bool {
    match role {
        Role::Resident => source == Source::ResidentRequest,
        Role::GridWorker | Role::Volunteer | Role::CommunityAdmin => {
            matches!(source, Source::FieldReport | Source::Patrol)
        }
        Role::SystemAdmin | Role::DistrictAdmin | Role::StreetAdmin => true,
        Role::DeptStaff => street_unit && matches!(source, Source::FieldReport | Source::Patrol),
    }
}

/// A report to file, and where the grid index put it.
pub struct NewCase {
    pub report: Report,
    /// The governance grid the point lies in, or the nearest one (whose office answers for
    /// it), or none; and its unit grid.
    pub placement: Placed,
    /// `Idempotency-Key` and a hash of the request it came with.
    pub idempotency: Option<(String, String)>,
}

/// An open case of the same category near a new one, and how near.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub id: CaseId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub status: Status,
    pub distance_m: f64,
    #[serde(serialize_with = "crate::time::serialize")]
    pub received_at: NaiveDateTime,
}

pub struct Created {
    pub case: CaseView,
    pub possible_duplicates: Vec<Duplicate>,
    /// A retry of an earlier create: nothing was created.
    pub replayed: bool,
}

/// How far in the future a phone's clock may put a report (clocks drift).
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old a report may be when it arrives (a phone offline for weeks).
const OLDEST_REPORT: Duration = Duration::days(30);

/// Files a report through the API. A retried create (same `Idempotency-Key` from the same user)
/// returns the first case and creates nothing, also when the two arrive at once.
pub fn create(conn: &mut DbConn, caller: &Caller, new: &NewCase, policy: &Policy) -> StoreResult<Created> {
    match create_once(conn, caller, new, policy) {
        // the same key committed by a concurrent request between our look-up and our insert
        Err(StoreError::Conflict { field: "Idempotency-Key", .. }) => create_once(conn, caller, new, policy),
        other => other,
    }
}

fn create_once(conn: &mut DbConn, caller: &Caller, new: &NewCase, policy: &Policy) -> StoreResult<Created> {
    crate::db::write(conn, |conn| {
        let cal = calendar::load(conn, &policy.hours)?;
        if let Some((key, hash)) = &new.idempotency
            && let Some((first_hash, case_id)) = idempotency_keys::table
                .filter(idempotency_keys::user_id.eq(&caller.user_id))
                .filter(idempotency_keys::idem_key.eq(key))
                .select((idempotency_keys::request_hash, idempotency_keys::case_id))
                .first::<(String, String)>(conn)
                .optional()?
        {
            if &first_hash != hash {
                return Err(StoreError::invalid(
                    "Idempotency-Key",
                    "was used before for a different request; use a new key for a new report",
                ));
            }
            let case = get(conn, &case_id)?;
            return answer(conn, caller, case, &cal, true);
        }
        let (case, replayed) = file(conn, caller, new, &cal)?;
        if let Some((key, hash)) = &new.idempotency {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(&caller.user_id),
                    idempotency_keys::idem_key.eq(key),
                    idempotency_keys::request_hash.eq(hash),
                    idempotency_keys::case_id.eq(&case.id),
                    idempotency_keys::created_at.eq(case.received_at),
                ))
                .execute(conn)
                .map_err(unique_as_conflict("Idempotency-Key", "a concurrent request used this key".into()))?;
        }
        answer(conn, caller, case, &cal, replayed)
    })
}

/// The answer to a create: the case as the caller sees it, and its possible duplicates.
fn answer(conn: &mut DbConn, caller: &Caller, case: Case, cal: &Calendar, replayed: bool) -> StoreResult<Created> {
    let category = category::get(conn, &case.category_code)?;
    let possible_duplicates = duplicates(conn, caller, &case, &category)?;
    Ok(Created { case: view(conn, case, cal)?, possible_duplicates, replayed })
}

/// A report ready to store: the case and its `report` event.
#[derive(Debug, Clone)]
pub struct Filed {
    pub case: Case,
    pub event: Event,
    /// The active campaigns it belongs to (专项行动 watching its category there and then).
    pub campaigns: Vec<String>,
}

/// The rules of filing a report, with no database: who may file it, its category (looked up by
/// the caller: `None` when there is none of that code), its time, its place. Makes the case,
/// stamped `stamp` and received at `t`, with its first step started on `cal`.
pub fn prepare(
    caller: &Caller,
    new: &NewCase,
    category: Option<&Category>,
    stamp: i64,
    t: NaiveDateTime,
    cal: &Calendar,
    watching: &Watching,
) -> StoreResult<Filed> {
    let r = &new.report;
    let street_unit = caller.role == Role::DeptStaff && caller.place().street.is_some();
    if !may_file(caller.role, r.source, street_unit) {
        return Err(StoreError::Forbidden(format!("a {} may not file a case of source {}", caller.role, r.source)));
    }
    let category = category.filter(|c| c.active).ok_or_else(|| {
        StoreError::invalid("category_code", format!("{} is not an active category", r.category_code))
    })?;
    let reported_at = r.reported_at.unwrap_or(t);
    if reported_at > t + CLOCK_SKEW {
        return Err(StoreError::invalid("reported_at", "is in the future; check the phone's clock"));
    }
    if reported_at < t - OLDEST_REPORT {
        return Err(StoreError::invalid("reported_at", "is more than 30 days ago"));
    }
    let place = new.placement.answering().map_or_else(|| caller.place(), Located::place);
    // people of a community report in its cells; the street office and above anywhere
    let local = matches!(caller.role, Role::GridWorker | Role::Volunteer | Role::CommunityAdmin);
    let inside = matches!(new.placement.grid, Placement::Inside(_)) || new.placement.unit.is_some();
    if local && inside && place.community != caller.scope_id {
        return Err(StoreError::Forbidden(format!(
            "a {} reports in the cells of their own community; this point lies in another",
            caller.role
        )));
    }
    if street_unit && inside && place.street != caller.place().street {
        return Err(StoreError::Forbidden("a street's own unit reports in the cells of its street".into()));
    }
    let (cell_id, near_cell_id) = match &new.placement.grid {
        Placement::Inside(c) => (Some(c.id.clone()), None),
        Placement::Near { cell, .. } => (None, Some(cell.id.clone())),
        Placement::Outside => (None, None),
    };
    let mut case = Case {
        id: CaseId::new(r.id.clone().unwrap_or_else(|| uuid::Uuid::now_v7().to_string())),
        district_id: place.district,
        street_id: place.street,
        community_id: place.community,
        cell_id: cell_id.map(CellId::from),
        source: r.source,
        category_code: category.code.clone(),
        title: r.title.clone(),
        description: r.description.clone(),
        lng: r.lng,
        lat: r.lat,
        address: r.address.clone(),
        reporter_id: caller.user_id.clone(),
        priority: r.priority,
        attachments: json!(r.attachments).to_string(),
        reported_at,
        received_at: t,
        status: Status::Reported,
        step_started_at: None,
        deadline_at: None,
        suspended_from: None,
        department_id: None,
        assignee_id: None,
        routing_rule_id: None,
        pending_extension: None,
        satisfaction: None,
        merged_into: None,
        closed_at: None,
        version: 1,
        updated_at: t,
        overdue_at: None,
        sync_ms: stamp,
        created_ms: stamp,
        unit_cell_id: new.placement.unit.as_ref().map(|u| CellId::from(u.id.clone())),
        unit_code: new.placement.unit.as_ref().map(|u| u.code.clone()),
        shelved_review_at: None,
        clock: Clock::Working,
        level: super::Level::Street,
    };
    let (campaigns, natural) = watching.of(case.district_id.as_deref(), category, t);
    case.clock = Case::clock_of(category, r.priority, natural);
    case.start_step(Status::Reported, category, t, cal);
    let data = json!({
        "source": case.source,
        "cell_id": case.cell_id,
        "outside_grid": case.cell_id.is_none(),
        "near_cell_id": near_cell_id,
        "unit_code": case.unit_code,
    });
    let mut event = NewEvent::new(&case.id, "report", None, Status::Reported).data(data);
    event.attachments = &r.attachments;
    event.at_point = Some((case.lng, case.lat));
    event.occurred_at = Some(reported_at);
    let event = event.row(caller, stamp, t);
    Ok(Filed { case, event, campaigns })
}

/// Stores filed reports — the cases, their reporters, their `report` events — one statement
/// each, whatever their number, with what they count for and the street office told (`announce`).
/// Call it in a write transaction that holds their stamp.
pub fn store(conn: &mut DbConn, caller: &Caller, filed: &[Filed]) -> StoreResult<()> {
    announce(conn, &filed.iter().collect::<Vec<_>>())?;
    store_rows(conn, caller, filed)
}

/// What new reports count for in the figures, and the street office told it must file each
/// (待立案; a resident's request: 待受理). Needs no stamp: a push writes it in its transaction
/// before it takes the sync clock, out of the section pushes take one at a time; a report that
/// turns out to be there already keeps its first count.
pub fn announce(conn: &mut DbConn, filed: &[&Filed]) -> StoreResult<()> {
    let counted: Vec<(&Case, _)> = filed.iter().map(|f| (&f.case, f.event.moment())).collect();
    tally::insert(conn, &counted)?;
    crate::notify::notify_all(
        conn,
        filed.iter().filter_map(|f| {
            let c = &f.case;
            let message = match c.source {
                Source::ResidentRequest => format!("新居民诉求「{}」，待受理", c.title),
                _ => format!("新上报「{}」，待立案", c.title),
            };
            let about = crate::notify::About::case(&c.id);
            Some((crate::notify::Recipient::Street(c.street_id.as_deref()?), "case.reported", about, message))
        }),
    )
}

/// The stamped rows of filed reports — cases, reporters, `report` events, their photos — without
/// `announce` (a push has done it before taking the clock).
pub fn store_rows(conn: &mut DbConn, caller: &Caller, filed: &[Filed]) -> StoreResult<()> {
    let cases: Vec<&Case> = filed.iter().map(|f| &f.case).collect();
    let reporters: Vec<_> = cases
        .iter()
        .map(|c| {
            (
                case_reporters::case_id.eq(c.id.clone()),
                case_reporters::user_id.eq(c.reporter_id.clone()),
                case_reporters::via_case.eq(c.id.clone()),
                case_reporters::at.eq(c.received_at),
            )
        })
        .collect();
    for chunk in cases.chunks(200) {
        let rows: Vec<Case> = chunk.iter().map(|c| (*c).clone()).collect();
        crate::db::per_backend!(conn, c => diesel::insert_into(cases::table).values(&rows).execute(c))?;
    }
    for chunk in reporters.chunks(500) {
        crate::db::per_backend!(conn, c => diesel::insert_into(case_reporters::table).values(chunk).execute(c))?;
    }
    let links: Vec<(&str, &[String])> = filed
        .iter()
        .filter(|f| !f.campaigns.is_empty())
        .map(|f| (f.case.id.as_str(), f.campaigns.as_slice()))
        .collect();
    campaign::link(conn, &links, now())?;
    let events: Vec<Event> = filed.iter().map(|f| f.event.clone()).collect();
    event::insert_all(conn, &events)?;
    for e in &events {
        if e.attachments != "[]" {
            photo::link(conn, caller, &e.step())?;
        }
    }
    Ok(())
}

/// Files one report (the work of a create without its answer). A phone's report sent again (its
/// answer was lost) finds the first one: `(case, true)`. Call it in a write transaction.
pub fn file(conn: &mut DbConn, caller: &Caller, new: &NewCase, cal: &Calendar) -> StoreResult<(Case, bool)> {
    if let Some(id) = &new.report.id
        && let Some(case) = cases::table.find(id).select(Case::as_select()).first(conn).optional()?
    {
        if case.reporter_id != caller.user_id {
            return Err(StoreError::Conflict { field: "id", detail: format!("the id {id} is taken") });
        }
        return Ok((case, true));
    }
    let category = category::get(conn, &new.report.category_code).ok();
    let watching = Watching::load(conn)?;
    let filed = prepare(caller, new, category.as_ref(), clock::tick(conn)?, now(), cal, &watching)?;
    store(conn, caller, std::slice::from_ref(&filed))?;
    Ok((filed.case, false))
}

/// Open cases of the same category within the category's radius of `case`, received within
/// its time window before it; nearest first. Residents are not shown other people's titles.
fn duplicates(conn: &mut DbConn, caller: &Caller, case: &Case, category: &Category) -> StoreResult<Vec<Duplicate>> {
    let radius = category.duplicate_radius_m;
    let (mx, my) = gridhub_geo::measure::metres_per_degree(case.lat);
    let (dlng, dlat) = (radius / mx, radius / my);
    let since = case.received_at - Duration::hours(i64::from(category.duplicate_window_hours));
    let rows: Vec<Case> = cases::table
        .filter(cases::category_code.eq(&case.category_code))
        .filter(cases::lat.between(case.lat - dlat, case.lat + dlat))
        .filter(cases::lng.between(case.lng - dlng, case.lng + dlng))
        .filter(cases::status.eq_any(Status::OPEN))
        .filter(cases::merged_into.is_null())
        .filter(cases::received_at.ge(since))
        .filter(cases::id.ne(&case.id))
        .select(Case::as_select())
        .load(conn)?;
    let mut found: Vec<Duplicate> = rows
        .into_iter()
        .map(|c| {
            let d = gridhub_geo::measure::distance_m((c.lng, c.lat), (case.lng, case.lat));
            (c, d)
        })
        .filter(|(_, d)| *d <= radius)
        .map(|(c, d)| Duplicate {
            id: c.id,
            title: (caller.role != Role::Resident).then_some(c.title),
            status: c.status,
            distance_m: (d * 10.0).round() / 10.0,
            received_at: c.received_at,
        })
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    Ok(found)
}
