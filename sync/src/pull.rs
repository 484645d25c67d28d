//! Pull: everything in the caller's scope that changed since `last_pulled_at` (everything on a
//! first sync), as `{table: {created, updated, deleted}}` plus the `timestamp` to send next
//! time. Records that entered the scope since (a new assignment) come as `created`, records that
//! left it (reassigned away) as `deleted`, as do deleted and retired records. A client whose
//! schema was migrated gets whole tables (or tables with new columns) again, per `migration`.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use gridhub_store::cases::{Case, Policy};
use gridhub_store::category::Category;
use gridhub_store::clocks::calendar;
use gridhub_store::db::clock;
use gridhub_store::grid::Cell;
use gridhub_store::phones::patrol::Patrol;
use gridhub_store::schema::{
    attachments, blobs, case_events, cases, categories, cells, patrols, scope_changes, tombstones,
};
use gridhub_store::{Caller, DbConn, StoreError, StoreResult, now};
use serde_json::{Value, json};

use crate::schema;
use crate::scope::Scope;

/// What a client sent: its last pull, its schema, its migration since then.
#[derive(Debug, Clone, Default)]
pub struct PullRequest {
    pub last_pulled_at: Option<i64>,
    pub schema_version: i64,
    pub migration: Option<Migration>,
}

/// WatermelonDB's `migration`: the tables and columns added since schema version `from`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Migration {
    pub from: i64,
    #[serde(default)]
    pub tables: Vec<String>,
    #[serde(default)]
    pub columns: Vec<MigratedColumns>,
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MigratedColumns {
    pub table: String,
    #[serde(default)]
    pub columns: Vec<String>,
}

/// One table's changes, as the protocol carries them.
#[derive(Default)]
struct Changes {
    created: Vec<Value>,
    updated: Vec<Value>,
    deleted: Vec<String>,
}

impl Changes {
    fn json(self) -> Value {
        json!({"created": self.created, "updated": self.updated, "deleted": self.deleted})
    }
}

fn ms(t: &NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

/// Pulls for `caller`: the clock first, then the records (see `gridhub_store::clock` for why
/// nothing committed is ever skipped), in one read transaction.
pub fn pull(conn: &mut DbConn, caller: &Caller, req: &PullRequest, policy: &Policy) -> StoreResult<Value> {
    if req.schema_version < 1 {
        return Err(StoreError::invalid("schema_version", "must be 1 or more"));
    }
    conn.transaction(|conn| {
        let timestamp = clock::read(conn)?;
        let scope = Scope::of(conn, caller)?;
        // tables to send whole: new in the client's migration, or with new columns
        let whole: HashSet<&str> = req
            .migration
            .iter()
            .flat_map(|m| m.tables.iter().map(String::as_str).chain(m.columns.iter().map(|c| c.table.as_str())))
            .collect();
        let since = |table: &str| if whole.contains(table) { None } else { req.last_pulled_at };
        let cal = calendar::load(conn, &policy.hours)?;

        // cells: the scope now, what joined it and what left it since
        let cell_ids = scope.cell_ids(conn)?;
        let (gained, lost) = match (since("cells"), &scope) {
            (Some(t), Scope::Cells(_)) => (
                changed_scope(conn, caller, "gained", t)?,
                changed_scope(conn, caller, "lost", t)?.into_iter().filter(|c| !cell_ids.contains(c)).collect(),
            ),
            _ => (HashSet::new(), HashSet::new()),
        };
        let mut out: BTreeMap<&str, Changes> = schema::tables().map(|t| (t, Changes::default())).collect();
        let rows: Vec<Cell> = cells::table.filter(cells::id.eq_any(&cell_ids)).select(Cell::as_select()).load(conn)?;
        let t_cells = since("cells");
        for c in rows {
            let changes = out.get_mut("cells").expect("a table");
            if c.retired_at.is_some() {
                if t_cells.is_some_and(|t| c.sync_ms > t) {
                    changes.deleted.push(c.id);
                }
                continue;
            }
            let record = json!({
                "id": c.id, "code": c.code, "name": c.name, "community_id": c.community_id,
                "boundary": c.boundary, "duty": scope.duty(&c.id), "households": c.households,
            });
            match t_cells {
                None => changes.created.push(record),
                Some(_) if gained.contains(&c.id) => changes.created.push(record),
                Some(t) if c.sync_ms > t => changes.updated.push(record),
                _ => {}
            }
        }
        out.get_mut("cells").expect("a table").deleted.extend(lost.iter().cloned());

        // categories: the catalogue; retired ones are deleted
        let t_cat = since("categories");
        let mut q = categories::table.select(Category::as_select()).into_boxed();
        if let Some(t) = t_cat {
            q = q.filter(categories::sync_ms.gt(t));
        }
        for c in q.load(conn)? {
            let changes = out.get_mut("categories").expect("a table");
            if !c.active {
                if t_cat.is_some() {
                    changes.deleted.push(c.code);
                }
                continue;
            }
            let record =
                json!({"id": c.code, "code": c.code, "name": c.name, "parent_code": c.parent_code, "kind": c.kind});
            if t_cat.is_none() { changes.created.push(record) } else { changes.updated.push(record) }
        }

        // cases, their events and photos: those in scope; all of those that joined with a cell
        let case_ids = scope.case_ids(conn, caller)?;
        let joined: HashSet<String> = if gained.is_empty() {
            HashSet::new()
        } else {
            let g: Vec<&String> = gained.iter().collect();
            cases::table.filter(cases::cell_id.eq_any(g)).select(cases::id).load::<String>(conn)?.into_iter().collect()
        };
        let left: Vec<String> = if lost.is_empty() {
            Vec::new()
        } else {
            let l: Vec<&String> = lost.iter().collect();
            cases::table
                .filter(cases::cell_id.eq_any(l))
                .select(cases::id)
                .load::<String>(conn)?
                .into_iter()
                .filter(|id| !case_ids.contains(id))
                .collect()
        };
        let t_cases = since("cases");
        let mut q = cases::table.filter(cases::id.eq_any(&case_ids)).select(Case::as_select()).into_boxed();
        if let Some(t) = t_cases {
            q = q.filter(cases::sync_ms.gt(t).or(cases::id.eq_any(joined.iter().cloned().collect::<Vec<_>>())));
        }
        let rows: Vec<Case> = q.load(conn)?;
        let born = first_stamps(conn, &rows)?;
        let at = now();
        for c in rows {
            let record = json!({
                "id": c.id, "category_code": c.category_code, "title": c.title, "description": c.description,
                "lng": c.lng, "lat": c.lat, "crs": "wgs84", "address": c.address, "priority": c.priority,
                "reported_at": ms(&c.reported_at), "cell_id": c.cell_id, "status": c.status,
                "deadline_at": c.deadline_at.as_ref().map(ms), "light": c.light(&cal, at), "updated_at": ms(&c.updated_at),
            });
            let theirs = c.reporter_id != caller.user_id;
            let new = t_cases.is_none_or(|t| joined.contains(&c.id) || (theirs && born.get(&c.id).is_some_and(|b| *b > t)));
            let changes = out.get_mut("cases").expect("a table");
            if new { changes.created.push(record) } else { changes.updated.push(record) }
        }
        out.get_mut("cases").expect("a table").deleted.extend(left.iter().cloned());

        let t_events = since("case_events");
        let mut q = case_events::table
            .filter(case_events::case_id.eq_any(&case_ids))
            .select((
                case_events::id,
                case_events::case_id,
                case_events::action,
                case_events::note,
                case_events::lng,
                case_events::lat,
                case_events::at,
                case_events::result,
                case_events::reason,
                case_events::actor_id,
            ))
            .into_boxed();
        if let Some(t) = t_events {
            q = q.filter(
                case_events::sync_ms.gt(t).or(case_events::case_id.eq_any(joined.iter().cloned().collect::<Vec<_>>())),
            );
        }
        type EventRow = (
            String,
            String,
            String,
            Option<String>,
            Option<f64>,
            Option<f64>,
            NaiveDateTime,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        for (id, case_id, action, note, lng, lat, at, result, reason, actor) in q.load::<EventRow>(conn)? {
            let record = json!({
                "id": id, "case_id": case_id, "action": action, "note": note, "lng": lng, "lat": lat,
                "created_at": ms(&at), "result": result, "reason": reason,
            });
            let changes = out.get_mut("case_events").expect("a table");
            // the caller's phone made it (phone events carry their result): it has it
            let mine = t_events.is_some() && result.is_some() && actor.as_deref() == Some(caller.user_id.as_str());
            if mine { changes.updated.push(record) } else { changes.created.push(record) }
        }
        if !left.is_empty() {
            let gone: Vec<String> =
                case_events::table.filter(case_events::case_id.eq_any(&left)).select(case_events::id).load(conn)?;
            out.get_mut("case_events").expect("a table").deleted.extend(gone);
        }

        let t_att = since("attachments");
        let mut q = attachments::table
            .filter(attachments::case_id.eq_any(&case_ids))
            .left_join(blobs::table.on(blobs::sha256.eq(attachments::sha256)))
            .select((
                attachments::id,
                attachments::case_id,
                attachments::sha256,
                attachments::mime,
                attachments::size,
                attachments::created_ms,
                attachments::user_id,
                blobs::sha256.nullable(),
            ))
            .into_boxed();
        if let Some(t) = t_att {
            q = q.filter(
                attachments::sync_ms.gt(t).or(attachments::case_id.eq_any(joined.iter().cloned().collect::<Vec<_>>())),
            );
        }
        for (id, case_id, sha256, mime, size, created_ms, owner, blob) in
            q.load::<(String, String, String, String, i64, i64, String, Option<String>)>(conn)?
        {
            let record = json!({"id": id, "case_id": case_id, "sha256": sha256, "mime": mime, "size": size, "uploaded": blob.is_some()});
            let changes = out.get_mut("attachments").expect("a table");
            let theirs = owner != caller.user_id;
            if t_att.is_none_or(|t| (theirs && created_ms > t) || joined.contains(&case_id)) {
                changes.created.push(record)
            } else {
                changes.updated.push(record)
            }
        }
        if !left.is_empty() {
            let gone: Vec<String> =
                attachments::table.filter(attachments::case_id.eq_any(&left)).select(attachments::id).load(conn)?;
            out.get_mut("attachments").expect("a table").deleted.extend(gone);
        }

        // the caller's own patrols, and those they deleted on another device
        let t_pat = since("patrols");
        let mut q =
            patrols::table.filter(patrols::user_id.eq(&caller.user_id)).select(Patrol::as_select()).into_boxed();
        if let Some(t) = t_pat {
            q = q.filter(patrols::sync_ms.gt(t));
        }
        for p in q.load(conn)? {
            let record = json!({
                "id": p.id, "cell_id": p.cell_id, "started_at": p.started_at, "ended_at": p.ended_at,
                "distance_m": p.distance_m, "track": p.track, "note": p.note,
            });
            let changes = out.get_mut("patrols").expect("a table");
            // the caller's own: on an incremental pull the device that made them has them
            if t_pat.is_none() { changes.created.push(record) } else { changes.updated.push(record) }
        }
        if let Some(t) = t_pat {
            let gone: Vec<String> = tombstones::table
                .filter(tombstones::table_name.eq("patrols"))
                .filter(tombstones::user_id.eq(&caller.user_id))
                .filter(tombstones::sync_ms.gt(t))
                .select(tombstones::record_id)
                .load(conn)?;
            out.get_mut("patrols").expect("a table").deleted.extend(gone);
        }

        // tables that only gained columns are on the phone already: their records are updates
        if req.last_pulled_at.is_some()
            && let Some(m) = &req.migration
        {
            for c in &m.columns {
                if let Some(changes) = out.get_mut(c.table.as_str())
                    && !m.tables.contains(&c.table)
                {
                    let created = std::mem::take(&mut changes.created);
                    changes.updated.extend(created);
                }
            }
        }
        let changes: serde_json::Map<String, Value> = out.into_iter().map(|(t, c)| (t.to_owned(), c.json())).collect();
        Ok(json!({"changes": changes, "timestamp": timestamp.max(1)}))
    })
}

/// The cells the caller gained (or lost) since `t`, by the stamps of their scope changes.
fn changed_scope(conn: &mut DbConn, caller: &Caller, change: &str, t: i64) -> StoreResult<HashSet<String>> {
    Ok(scope_changes::table
        .filter(scope_changes::user_id.eq(&caller.user_id))
        .filter(scope_changes::change.eq(change))
        .filter(scope_changes::sync_ms.gt(t))
        .select(scope_changes::cell_id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// When each case was first stamped: the stamp of its `report` event.
fn first_stamps(conn: &mut DbConn, rows: &[Case]) -> StoreResult<std::collections::HashMap<String, i64>> {
    let ids: Vec<&str> = rows.iter().map(|c| c.id.as_str()).collect();
    Ok(case_events::table
        .filter(case_events::case_id.eq_any(ids))
        .filter(case_events::action.eq("report"))
        .select((case_events::case_id, case_events::sync_ms))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}
