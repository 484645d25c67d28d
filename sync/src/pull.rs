//! Pull: everything in the caller's holding that changed since `last_pulled_at` (everything on a
//! first sync), as `{changes: {table: {created, updated, deleted}}, timestamp}` — written a page
//! at a time to `out` as it is read, never built whole in memory, so that the first sync of a
//! street office streams. Records that entered the holding since (a new assignment) come as
//! `created`, records that left it as `deleted`, as do deleted and retired records. A client
//! whose schema was migrated gets whole tables (or tables with new columns) again, per
//! `migration`. The answer is turbo-ready: a first pull has only `created` records.

use std::collections::HashSet;
use std::io::{self, Write};

use chrono::NaiveDateTime;
use gridhub_store::cases::Policy;
use gridhub_store::cases::photo::is_sha256;
use gridhub_store::clocks::{Calendar, calendar};
use gridhub_store::db::clock;
use gridhub_store::phones::feeds::{self, List, Pull};
use gridhub_store::phones::tasks as phone_tasks;
use gridhub_store::tasks::is_overdue;
use gridhub_store::{Caller, DbConn, StoreError, StoreResult, now};
use serde_json::{Value, json};

use crate::schema::{self, Name};

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

/// Records read from the database at a time.
const PAGE: i64 = 1000;

/// The holding of a pull: who it is for and since when, found before the answer starts (so a
/// refusal is an answer of its own, not a cut-off stream).
pub struct Prepared {
    pull: Pull,
    /// The same holding, whole (for migrated tables).
    whole: Pull,
    timestamp: i64,
    request: PullRequest,
}

/// Reads the sync clock, then what the caller holds: see `gridhub_store::db::clock` for why a
/// pull that reads the clock first never skips a change committed after.
pub fn prepare(conn: &mut DbConn, caller: &Caller, request: PullRequest) -> StoreResult<Prepared> {
    if request.schema_version < 1 {
        return Err(StoreError::invalid("schema_version", "must be 1 or more"));
    }
    let timestamp = clock::read(conn)?.max(1);
    let pull = Pull::new(conn, caller, request.last_pulled_at)?;
    let whole = Pull::new(conn, caller, None)?;
    Ok(Prepared { pull, whole, timestamp, request })
}

/// Writes the answer of a prepared pull to `out`; an error part-way (the database failing, the
/// client gone) stops it.
pub fn write(conn: &mut DbConn, p: &Prepared, policy: &Policy, out: &mut impl Write) -> Result<(), PullError> {
    let version = p.request.schema_version.min(schema::VERSION);
    let migration = p.request.migration.as_ref();
    // tables to send whole: new in the client's migration, or with new columns
    let new_tables: HashSet<&str> = migration.iter().flat_map(|m| m.tables.iter().map(String::as_str)).collect();
    let new_columns: HashSet<&str> =
        migration.iter().flat_map(|m| m.columns.iter().map(|c| c.table.as_str())).collect();
    let cal = calendar::load(conn, &policy.hours)?;
    out.write_all(b"{\"changes\":{")?;
    for (n, table) in schema::tables(version).enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        write!(out, "{}:", json!(table.key))?;
        let whole = new_tables.contains(table.key) || new_columns.contains(table.key);
        // tables that only gained columns are on the phone already: their records are updates
        let as_updated = whole && p.pull.since().is_some() && !new_tables.contains(table.key);
        let pull = if whole { &p.whole } else { &p.pull };
        // a client of an older schema gets the columns it has, no more
        let keep = (table.columns(version).count() < table.columns.len())
            .then(|| table.columns(version).map(|c| c.name).chain(["id"]).collect());
        let mut t = TableWriter { out: &mut *out, conn: &mut *conn, pull, cal: &cal, at: now(), keep };
        t.table(table.name, as_updated)?;
    }
    write!(out, "}},\"timestamp\":{}}}", p.timestamp)?;
    Ok(())
}

/// Why a pull's answer stopped.
#[derive(Debug)]
pub enum PullError {
    Store(StoreError),
    /// The client went away.
    Io(io::Error),
}

impl From<StoreError> for PullError {
    fn from(e: StoreError) -> Self {
        PullError::Store(e)
    }
}

impl From<io::Error> for PullError {
    fn from(e: io::Error) -> Self {
        PullError::Io(e)
    }
}

struct TableWriter<'a, W: Write> {
    out: &'a mut W,
    conn: &'a mut DbConn,
    pull: &'a Pull,
    cal: &'a Calendar,
    at: NaiveDateTime,
    /// The columns the client has, when it has not all of them.
    keep: Option<HashSet<&'static str>>,
}

fn ms(t: &NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

impl<W: Write> TableWriter<'_, W> {
    /// `{"created":[…],"updated":[…],"deleted":[…]}` of one table. A table sent whole because
    /// it gained columns is on the phone already: all its records come as updates.
    fn table(&mut self, name: Name, as_updated: bool) -> Result<(), PullError> {
        let lists = if as_updated { [None, Some(List::Created)] } else { [Some(List::Created), Some(List::Updated)] };
        for (key, list) in ["{\"created\":[", "],\"updated\":["].into_iter().zip(lists) {
            self.out.write_all(key.as_bytes())?;
            if let Some(list) = list {
                self.records(name, list, &mut true)?;
            }
        }
        self.out.write_all(b"],\"deleted\":[")?;
        self.deleted(name, &mut true)?;
        self.out.write_all(b"]}")?;
        Ok(())
    }

    fn put(&mut self, first: &mut bool, record: &Value) -> io::Result<()> {
        if !std::mem::take(first) {
            self.out.write_all(b",")?;
        }
        if let (Some(keep), Value::Object(fields)) = (&self.keep, record) {
            let mut fields = fields.clone();
            fields.retain(|k, _| keep.contains(k.as_str()));
            return serde_json::to_writer(&mut *self.out, &fields).map_err(io::Error::other);
        }
        serde_json::to_writer(&mut *self.out, record).map_err(io::Error::other)
    }

    /// Every page of a feed, each record as `to_json` makes it; the id of a row is `id_of`.
    fn pages<T>(
        &mut self,
        first: &mut bool,
        mut feed: impl FnMut(&mut DbConn, Option<&str>) -> StoreResult<Vec<T>>,
        id_of: impl Fn(&T) -> String,
        to_json: impl Fn(&Self, &T) -> Value,
    ) -> Result<(), PullError> {
        let mut after: Option<String> = None;
        loop {
            let rows = feed(self.conn, after.as_deref())?;
            for r in &rows {
                let record = to_json(self, r);
                self.put(first, &record)?;
            }
            if (rows.len() as i64) < PAGE {
                return Ok(());
            }
            after = rows.last().map(&id_of);
        }
    }

    fn records(&mut self, name: Name, list: List, first: &mut bool) -> Result<(), PullError> {
        let pull = self.pull;
        match name {
            Name::Cells => self.pages(
                first,
                |c, a| feeds::cells(c, pull, list, a, PAGE),
                |c| c.id.to_string(),
                |_, c| {
                    json!({
                        "id": c.id, "code": c.code, "name": c.name, "community_id": c.community_id,
                        "boundary": c.boundary, "duty": pull.duty(&c.id), "households": c.households,
                    })
                },
            ),
            Name::Categories => {
                for c in feeds::categories(self.conn, pull, list)? {
                    let record = json!({"id": c.code, "code": c.code, "name": c.name, "parent_code": c.parent_code, "kind": c.kind});
                    self.put(first, &record)?;
                }
                Ok(())
            }
            Name::Cases => self.pages(
                first,
                |c, a| feeds::cases(c, pull, list, a, PAGE),
                |c| c.id.to_string(),
                |w, c| {
                    json!({
                        "id": c.id, "category_code": c.category_code, "title": c.title, "description": c.description,
                        "lng": c.lng, "lat": c.lat, "crs": "wgs84", "address": c.address, "priority": c.priority,
                        "reported_at": ms(&c.reported_at), "cell_id": c.cell_id, "status": c.status,
                        "deadline_at": c.deadline_at.as_ref().map(ms), "light": c.light(w.cal, w.at),
                        "clock": c.clock, "updated_at": ms(&c.updated_at),
                    })
                },
            ),
            Name::CaseEvents => self.pages(
                first,
                |c, a| feeds::events(c, pull, list, a, PAGE),
                |e| e.id.clone(),
                |_, e| {
                    json!({
                        "id": e.id, "case_id": e.case_id, "action": e.action, "note": e.note, "lng": e.lng,
                        "lat": e.lat, "created_at": ms(&e.occurred_at), "result": e.result, "reason": e.reason,
                    })
                },
            ),
            Name::Patrols => self.pages(
                first,
                |c, a| feeds::patrols(c, pull, list, a, PAGE),
                |p| p.id.clone(),
                |_, p| {
                    json!({
                        "id": p.id, "cell_id": p.cell_id, "started_at": p.started_at, "ended_at": p.ended_at,
                        "distance_m": p.distance_m, "track": p.track, "note": p.note,
                    })
                },
            ),
            Name::Attachments => self.pages(
                first,
                |c, a| feeds::photos(c, pull, list, a, PAGE),
                |p| p.id.clone(),
                |_, p| {
                    json!({"id": p.id, "case_id": p.case_id, "sha256": p.sha256, "mime": p.mime, "size": p.size,
                           "uploaded": p.uploaded.is_some()})
                },
            ),
            Name::Tasks => self.pages(
                first,
                |c, a| phone_tasks::tasks(c, pull, list, a, PAGE),
                |t| t.id.clone(),
                |w, t| {
                    json!({
                        "id": t.id, "title": t.title, "description": t.description, "kind": t.kind,
                        "status": t.status, "owner_type": t.owner_type, "owner_id": t.owner_id,
                        "due_at": ms(&t.due_at), "target_quantity": t.target_quantity,
                        "quantity_done": t.quantity_done, "overdue": is_overdue(t, w.at),
                        "parent_id": t.parent_id, "campaign_id": t.campaign_id,
                    })
                },
            ),
            Name::TaskProgress => self.pages(
                first,
                |c, a| phone_tasks::progress(c, pull, list, a, PAGE),
                |p| p.id.clone(),
                |_, p| {
                    let named: Vec<String> = serde_json::from_str(&p.attachments).unwrap_or_default();
                    let photos: Vec<String> = named.into_iter().filter(|a| is_sha256(a)).collect();
                    json!({
                        "id": p.id, "task_id": p.task_id, "quantity": p.quantity, "note": p.note,
                        "photos": (!photos.is_empty()).then(|| json!(photos).to_string()),
                        "created_at": ms(p.made_at.as_ref().unwrap_or(&p.created_at)),
                    })
                },
            ),
        }
    }

    fn deleted(&mut self, name: Name, first: &mut bool) -> Result<(), PullError> {
        let pull = self.pull;
        let ids = |w: &mut Self, ids: Vec<String>, first: &mut bool| -> Result<(), PullError> {
            for id in ids {
                w.put(first, &json!(id))?;
            }
            Ok(())
        };
        match name {
            Name::Cells => {
                let gone = feeds::cells_gone(self.conn, pull)?;
                ids(self, gone, first)
            }
            Name::Categories => {
                let gone = feeds::categories_gone(self.conn, pull)?;
                ids(self, gone, first)
            }
            Name::Patrols => {
                let gone = feeds::patrols_gone(self.conn, pull)?;
                ids(self, gone, first)
            }
            Name::Tasks => {
                let gone = phone_tasks::tasks_gone(self.conn, pull)?;
                ids(self, gone, first)
            }
            Name::TaskProgress => {
                let gone = phone_tasks::progress_gone(self.conn, pull)?;
                ids(self, gone, first)
            }
            Name::Cases => {
                self.pages(first, |c, a| feeds::cases_gone(c, pull, a, PAGE), Clone::clone, |_, id| json!(id))
            }
            Name::CaseEvents => {
                self.pages(first, |c, a| feeds::events_gone(c, pull, a, PAGE), Clone::clone, |_, id| json!(id))
            }
            Name::Attachments => {
                self.pages(first, |c, a| feeds::photos_gone(c, pull, a, PAGE), Clone::clone, |_, id| json!(id))
            }
        }
    }
}
