//! What a phone pulls, as feeds the sync protocol reads: for each of the phone's tables, the rows
//! of a holding (a grid worker's assigned cells, an admin's area) that a pull sends as created,
//! as updated, or as deleted since a stamp of the sync clock — typed rows, a page at a time in
//! the order of their ids, so that a pull of a whole street streams instead of being built in
//! memory. The scope is said in SQL (joins, the holding's few cells), never as a list of every
//! case id. The sync layer writes no SQL; every statement it needs is here. Whose pull it is,
//! and what they hold, is `holding.rs`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::access::Reach;
use crate::cases::{Case, category::Category};
use crate::db::DbConn;
use crate::error::StoreResult;
use crate::grid::{Cell, Layer};
use crate::phones::holding::Holding;
pub use crate::phones::holding::Pull;
use crate::phones::patrol::Patrol;
use crate::schema::{
    attachments, blobs, case_events, case_reporters, cases, categories, cells, communities, patrols, streets,
    tombstones,
};

/// Which list of a table a row goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Created,
    Updated,
}

/// A page: rows after `after`, at most `limit`.
fn after(page: Option<&str>) -> String {
    page.unwrap_or("").to_owned()
}

/// Keeps the rows of a boxed query over cells that lie in the pull's holding.
macro_rules! cells_held {
    ($q:expr, $pull:expr) => {{
        match &$pull.holding {
            Holding::Cells => $q.filter(cells::id.eq_any($pull.cell_ids())),
            Holding::Area(Reach::Everywhere) => $q,
            Holding::Area(Reach::District { district }) => $q.filter(
                cells::community_id.eq_any(
                    communities::table
                        .inner_join(streets::table)
                        .filter(streets::district_id.eq(district.clone()))
                        .select(communities::id),
                ),
            ),
            Holding::Area(Reach::Street { street, .. }) => {
                $q.filter(cells::community_id.eq_any(
                    communities::table.filter(communities::street_id.eq(street.clone())).select(communities::id),
                ))
            }
            Holding::Area(Reach::Community { community, .. }) => $q.filter(cells::community_id.eq(community.clone())),
            Holding::Area(Reach::Nothing) => $q.filter(cells::id.eq_any(Vec::<String>::new())),
        }
    }};
}

/// A pull reads the cases of a table in two halves, each along an index, merged by id: those of
/// the holding, and the caller's own reports wherever they lie. (One query with an `or` between
/// them leaves the database nothing better than walking every case of the city in id order, for
/// every page of a grid worker's first pull.)
#[derive(Debug, Clone, Copy)]
enum Half {
    Held,
    Mine,
}

/// Keeps the rows of a boxed query that reads `cases` (alone or joined) whose case lies in the
/// half of the pull.
macro_rules! cases_held {
    ($q:expr, $pull:expr, $half:expr) => {{
        match ($half, &$pull.holding) {
            (Half::Mine, _) => $q.filter(
                cases::id.eq_any(
                    case_reporters::table
                        .filter(case_reporters::user_id.eq($pull.user_id.clone()))
                        .select(case_reporters::case_id),
                ),
            ),
            (Half::Held, Holding::Cells) => $q.filter(cases::cell_id.eq_any($pull.cell_ids())),
            (Half::Held, Holding::Area(reach)) => {
                crate::access::within_reach!($q, reach, cases::district_id, cases::street_id, cases::community_id)
            }
        }
    }};
}

/// Splits a boxed query over `cases` (alone or joined) into the two lists of a pull since `$t`:
/// created — of cells that joined the holding, or new (`$created`) and another's (`$owner`);
/// updated — the rest that changed (`$synced`), the caller's own new records among them, since
/// their phone has them.
macro_rules! since {
    ($q:expr, $pull:expr, $list:expr, $t:expr, $created:expr, $owner:expr, $synced:expr) => {{
        let joined = cases::cell_id.eq_any($pull.gained.clone());
        match $list {
            List::Created => $q.filter(joined.or($created.gt($t).and($owner.ne($pull.user_id.clone())))),
            List::Updated => $q
                .filter($synced.gt($t))
                .filter(cases::cell_id.is_null().or(cases::cell_id.ne_all($pull.gained.clone())))
                .filter($created.le($t).or($owner.eq($pull.user_id.clone()))),
        }
    }};
}

/// A page of a feed: the holding's half, and the caller's own reports unless the holding is
/// everywhere (then it has them already), merged.
fn page_of<T>(
    conn: &mut DbConn,
    pull: &Pull,
    limit: i64,
    id: impl Fn(&T) -> &str,
    half: impl Fn(Half, &mut DbConn) -> StoreResult<Vec<T>>,
) -> StoreResult<Vec<T>> {
    let mut rows = half(Half::Held, conn)?;
    if !matches!(pull.holding, Holding::Area(Reach::Everywhere)) {
        rows.extend(half(Half::Mine, conn)?);
    }
    Ok(merged(rows, id, limit))
}

/// Rows of both halves as a page: the first `limit` by id, none twice.
fn merged<T>(mut rows: Vec<T>, id: impl Fn(&T) -> &str, limit: i64) -> Vec<T> {
    rows.sort_by(|a, b| id(a).cmp(id(b)));
    rows.dedup_by(|a, b| id(a) == id(b));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}

/// Cells of the holding: all of them on a first pull; since, those that joined it (created)
/// and those changed (updated). A cell created in an area since the last pull is created.
pub fn cells(conn: &mut DbConn, pull: &Pull, list: List, page: Option<&str>, limit: i64) -> StoreResult<Vec<Cell>> {
    let q = cells::table
        .select(Cell::as_select())
        .filter(cells::retired_at.is_null())
        .filter(cells::layer.eq(Layer::Governance))
        .into_boxed();
    let mut q = cells_held!(q, pull).filter(cells::id.gt(after(page))).order(cells::id.asc()).limit(limit);
    if let Some(t) = pull.since {
        let born_after = ms_time(t);
        q = match (list, &pull.holding) {
            (List::Created, Holding::Cells) => q.filter(cells::id.eq_any(pull.gained.clone())),
            (List::Updated, Holding::Cells) => {
                q.filter(cells::sync_ms.gt(t)).filter(cells::id.ne_all(pull.gained.clone()))
            }
            (List::Created, Holding::Area(_)) => {
                q.filter(cells::sync_ms.gt(t)).filter(cells::created_at.gt(born_after))
            }
            (List::Updated, Holding::Area(_)) => {
                q.filter(cells::sync_ms.gt(t)).filter(cells::created_at.le(born_after))
            }
        };
    } else if list == List::Updated {
        return Ok(Vec::new());
    }
    Ok(q.load(conn)?)
}

/// Cells that went away since: retired ones of the holding, and those the worker lost.
pub fn cells_gone(conn: &mut DbConn, pull: &Pull) -> StoreResult<Vec<String>> {
    let Some(t) = pull.since else { return Ok(Vec::new()) };
    let q = cells::table.select(cells::id).filter(cells::retired_at.is_not_null()).filter(cells::sync_ms.gt(t));
    let mut gone: Vec<String> = cells_held!(q.into_boxed(), pull).load(conn)?;
    gone.extend(pull.lost.iter().cloned());
    Ok(gone)
}

/// The category catalogue: all of it on a first pull, what changed since; retired ones go.
pub fn categories(conn: &mut DbConn, pull: &Pull, list: List) -> StoreResult<Vec<Category>> {
    let mut q = categories::table.select(Category::as_select()).filter(categories::active.eq(true)).into_boxed();
    match (list, pull.since) {
        (List::Created, None) => {}
        (List::Updated, Some(t)) => q = q.filter(categories::sync_ms.gt(t)),
        _ => return Ok(Vec::new()),
    }
    Ok(q.order(categories::code.asc()).load(conn)?)
}

pub fn categories_gone(conn: &mut DbConn, pull: &Pull) -> StoreResult<Vec<String>> {
    let Some(t) = pull.since else { return Ok(Vec::new()) };
    Ok(categories::table
        .filter(categories::active.eq(false))
        .filter(categories::sync_ms.gt(t))
        .select(categories::code)
        .load(conn)?)
}

/// Cases of the holding (and the caller's own reports). Created: all on a first pull; since,
/// those of cells that joined the holding, and new ones others reported. Updated: the rest that
/// changed — the caller's own new reports among them, since their phone has them.
pub fn cases(conn: &mut DbConn, pull: &Pull, list: List, page: Option<&str>, limit: i64) -> StoreResult<Vec<Case>> {
    if pull.since.is_none() && list == List::Updated {
        return Ok(Vec::new());
    }
    let half = |half: Half, conn: &mut DbConn| -> StoreResult<Vec<Case>> {
        let q = cases::table.select(Case::as_select()).into_boxed();
        let mut q = cases_held!(q, pull, half).filter(cases::id.gt(after(page))).order(cases::id.asc()).limit(limit);
        if let Some(t) = pull.since {
            q = since!(q, pull, list, t, cases::created_ms, cases::reporter_id, cases::sync_ms);
        }
        Ok(q.load(conn)?)
    };
    page_of(conn, pull, limit, |c| c.id.as_str(), half)
}

/// Cases that left the holding with a cell the worker lost (and that are not theirs).
pub fn cases_gone(conn: &mut DbConn, pull: &Pull, page: Option<&str>, limit: i64) -> StoreResult<Vec<String>> {
    if pull.lost.is_empty() {
        return Ok(Vec::new());
    }
    let mine =
        case_reporters::table.filter(case_reporters::user_id.eq(pull.user_id.clone())).select(case_reporters::case_id);
    Ok(cases::table
        .filter(cases::cell_id.eq_any(pull.lost.clone()))
        .filter(cases::id.ne_all(mine))
        .filter(cases::id.gt(after(page)))
        .order(cases::id.asc())
        .limit(limit)
        .select(cases::id)
        .load(conn)?)
}

/// An event as a phone keeps it.
#[derive(Debug, Clone, Queryable)]
pub struct EventRecord {
    pub id: String,
    pub case_id: String,
    pub action: String,
    pub note: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub occurred_at: NaiveDateTime,
    pub result: Option<String>,
    pub reason: Option<String>,
}

/// The events of the holding's cases. Created: others' events, and all of a joined case's;
/// updated: the caller's own phone's events (their phone has them), with their result.
pub fn events(
    conn: &mut DbConn,
    pull: &Pull,
    list: List,
    page: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<EventRecord>> {
    if pull.since.is_none() && list == List::Updated {
        return Ok(Vec::new());
    }
    let half = |half: Half, conn: &mut DbConn| -> StoreResult<Vec<EventRecord>> {
        let q = case_events::table
            .inner_join(cases::table)
            .select((
                case_events::id,
                case_events::case_id,
                case_events::action,
                case_events::note,
                case_events::lng,
                case_events::lat,
                case_events::occurred_at,
                case_events::result,
                case_events::reason,
            ))
            .into_boxed();
        let mut q = cases_held!(q, pull, half)
            .filter(case_events::id.gt(after(page)))
            .order(case_events::id.asc())
            .limit(limit);
        if let Some(t) = pull.since {
            let joined = cases::cell_id.eq_any(pull.gained.clone());
            let others = case_events::result
                .is_null()
                .or(case_events::actor_id.is_null())
                .or(case_events::actor_id.ne(pull.user_id.clone()));
            q = match list {
                List::Created => q.filter(joined.or(case_events::sync_ms.gt(t).and(others))),
                List::Updated => q
                    .filter(case_events::sync_ms.gt(t))
                    .filter(case_events::result.is_not_null())
                    .filter(case_events::actor_id.eq(pull.user_id.clone()))
                    .filter(cases::cell_id.is_null().or(cases::cell_id.ne_all(pull.gained.clone()))),
            };
        }
        Ok(q.load(conn)?)
    };
    page_of(conn, pull, limit, |e| e.id.as_str(), half)
}

/// The events of the cases that left the holding.
pub fn events_gone(conn: &mut DbConn, pull: &Pull, page: Option<&str>, limit: i64) -> StoreResult<Vec<String>> {
    if pull.lost.is_empty() {
        return Ok(Vec::new());
    }
    let mine =
        case_reporters::table.filter(case_reporters::user_id.eq(pull.user_id.clone())).select(case_reporters::case_id);
    Ok(case_events::table
        .inner_join(cases::table)
        .filter(cases::cell_id.eq_any(pull.lost.clone()))
        .filter(cases::id.ne_all(mine))
        .filter(case_events::id.gt(after(page)))
        .order(case_events::id.asc())
        .limit(limit)
        .select(case_events::id)
        .load(conn)?)
}

/// A photo as a phone keeps it: whether its bytes have arrived.
#[derive(Debug, Clone, Queryable)]
pub struct PhotoRecord {
    pub id: String,
    pub case_id: String,
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    pub uploaded: Option<String>,
}

/// The photos of the holding's cases. Created: others' new photos and all of a joined case's;
/// updated: the rest that changed (the caller's own, their bytes arriving).
pub fn photos(
    conn: &mut DbConn,
    pull: &Pull,
    list: List,
    page: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<PhotoRecord>> {
    if pull.since.is_none() && list == List::Updated {
        return Ok(Vec::new());
    }
    let half = |half: Half, conn: &mut DbConn| -> StoreResult<Vec<PhotoRecord>> {
        let q = attachments::table
            .inner_join(cases::table)
            .left_join(blobs::table.on(blobs::sha256.eq(attachments::sha256)))
            .select((
                attachments::id,
                attachments::case_id,
                attachments::sha256,
                attachments::mime,
                attachments::size,
                blobs::sha256.nullable(),
            ))
            .into_boxed();
        let mut q = cases_held!(q, pull, half)
            .filter(attachments::id.gt(after(page)))
            .order(attachments::id.asc())
            .limit(limit);
        if let Some(t) = pull.since {
            q = since!(q, pull, list, t, attachments::created_ms, attachments::user_id, attachments::sync_ms);
        }
        Ok(q.load(conn)?)
    };
    page_of(conn, pull, limit, |p| p.id.as_str(), half)
}

/// The photos of the cases that left the holding.
pub fn photos_gone(conn: &mut DbConn, pull: &Pull, page: Option<&str>, limit: i64) -> StoreResult<Vec<String>> {
    if pull.lost.is_empty() {
        return Ok(Vec::new());
    }
    let mine =
        case_reporters::table.filter(case_reporters::user_id.eq(pull.user_id.clone())).select(case_reporters::case_id);
    Ok(attachments::table
        .inner_join(cases::table)
        .filter(cases::cell_id.eq_any(pull.lost.clone()))
        .filter(cases::id.ne_all(mine))
        .filter(attachments::id.gt(after(page)))
        .order(attachments::id.asc())
        .limit(limit)
        .select(attachments::id)
        .load(conn)?)
}

/// The caller's own patrols: all on a first pull (created), since then those changed (their
/// device has them: updated).
pub fn patrols(conn: &mut DbConn, pull: &Pull, list: List, page: Option<&str>, limit: i64) -> StoreResult<Vec<Patrol>> {
    let mut q = patrols::table
        .filter(patrols::user_id.eq(pull.user_id.clone()))
        .filter(patrols::id.gt(after(page)))
        .order(patrols::id.asc())
        .limit(limit)
        .select(Patrol::as_select())
        .into_boxed();
    match (list, pull.since) {
        (List::Created, None) => {}
        (List::Updated, Some(t)) => q = q.filter(patrols::sync_ms.gt(t)),
        _ => return Ok(Vec::new()),
    }
    Ok(q.load(conn)?)
}

/// Patrols the caller deleted on another device since.
pub fn patrols_gone(conn: &mut DbConn, pull: &Pull) -> StoreResult<Vec<String>> {
    let Some(t) = pull.since else { return Ok(Vec::new()) };
    Ok(tombstones::table
        .filter(tombstones::table_name.eq("patrols"))
        .filter(tombstones::user_id.eq(pull.user_id.clone()))
        .filter(tombstones::sync_ms.gt(t))
        .select(tombstones::record_id)
        .load(conn)?)
}

/// A sync stamp (ms) as a time, to compare with the times rows carry.
fn ms_time(ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.naive_utc()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::merged;

    #[test]
    fn a_page_of_both_halves_is_the_first_ids_of_their_union_each_once() {
        let held = vec!["c01", "c03", "c05", "c07"];
        let mine = vec!["c02", "c03", "c09"];
        let both = [held, mine].concat();
        assert_eq!(merged(both.clone(), |s| s, 4), vec!["c01", "c02", "c03", "c05"]);
        assert_eq!(merged(both, |s| s, 10), vec!["c01", "c02", "c03", "c05", "c07", "c09"]);
        assert_eq!(merged(vec!["c02"], |s| s, 1000), vec!["c02"]);
    }
}
