//! Photos of a case: the bytes, uploaded separately and content-addressed (`blobs`), and the
//! records that put them on a case and on the event of the timeline they belong to
//! (`attachments`) — either may arrive first, by whatever route: a phone's `attachments` record,
//! or a SHA-256 named in the `attachments` of a report or an action through the API. The case
//! and the event show their photos (`uploaded` true or false); the bytes live in an object store
//! the API holds. Whoever uploaded bytes may read them back before a record names them; a task's
//! progress report may name them too (`task_photos`), and whoever sees the task may read them;
//! bytes no record names are removed after a retention period.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::find_case;
use crate::access::Caller;
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::schema::{attachments, blobs, case_events, task_events, task_photos};
use crate::time::now;
use crate::types::UserId;

/// The types a photo may have: JPEG, PNG, WebP, HEIC.
pub const MIME_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/heic"];

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = attachments, treat_none_as_null = true)]
pub struct Attachment {
    pub id: String,
    pub case_id: String,
    pub user_id: UserId,
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    #[serde(skip)]
    pub created_ms: i64,
    #[serde(skip)]
    pub sync_ms: i64,
    /// The event of the timeline the photo belongs to.
    pub event_id: Option<String>,
}

/// A photo as a case or an event shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Photo {
    pub id: String,
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    /// Whether the bytes have arrived.
    pub uploaded: bool,
    pub event_id: Option<String>,
    /// Where to fetch the bytes.
    pub url: String,
}

pub use crate::input::is_sha256;

/// Checks what a phone says of a photo.
pub fn check(a: &Attachment, max_bytes: i64) -> StoreResult<()> {
    if !is_sha256(&a.sha256) {
        return Err(StoreError::invalid("sha256", "must be a SHA-256 in lower-case hex"));
    }
    if !MIME_TYPES.contains(&a.mime.as_str()) {
        return Err(StoreError::invalid("mime", format!("must be one of {}", MIME_TYPES.join(", "))));
    }
    if !(1..=max_bytes).contains(&a.size) {
        return Err(StoreError::invalid("size", format!("must be from 1 to {max_bytes} bytes")));
    }
    Ok(())
}

/// The photos of a case, in the order they came.
pub fn of_case(conn: &mut DbConn, case_id: &str) -> StoreResult<Vec<Photo>> {
    let rows: Vec<(Attachment, Option<String>)> = attachments::table
        .left_join(blobs::table.on(blobs::sha256.eq(attachments::sha256)))
        .filter(attachments::case_id.eq(case_id))
        .order((attachments::created_ms.asc(), attachments::id.asc()))
        .select((Attachment::as_select(), blobs::sha256.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, blob)| Photo {
            url: format!("/api/v1/attachments/{}", a.sha256),
            id: a.id,
            sha256: a.sha256,
            mime: a.mime,
            size: a.size,
            uploaded: blob.is_some(),
            event_id: a.event_id,
        })
        .collect())
}

/// A step of a timeline as the photos it names see it.
pub(crate) struct Step<'a> {
    pub id: &'a str,
    pub case_id: &'a str,
    pub sync_ms: i64,
    /// The ids the step names, as JSON text.
    pub attachments: &'a str,
}

/// Puts the photos an event names on its case and on the event: a phone's attachment record of
/// that id, or the uploaded bytes of that SHA-256. Ids of neither are kept as the event gave
/// them (a phone's photo whose record is still to come). Call it in the event's transaction.
pub(crate) fn link(conn: &mut DbConn, actor: &Caller, e: &Step) -> StoreResult<()> {
    let ids: Vec<String> = serde_json::from_str(e.attachments).unwrap_or_default();
    for id in ids {
        let named = diesel::update(
            attachments::table
                .filter(attachments::id.eq(&id))
                .filter(attachments::case_id.eq(e.case_id))
                .filter(attachments::event_id.is_null()),
        )
        .set((attachments::event_id.eq(e.id), attachments::sync_ms.eq(e.sync_ms)))
        .execute(conn)?;
        if named > 0 || !is_sha256(&id) {
            continue;
        }
        let blob: Option<(String, i64)> =
            blobs::table.find(&id).select((blobs::mime, blobs::size)).first(conn).optional()?;
        if let Some((mime, size)) = blob {
            let row = Attachment {
                id: uuid::Uuid::now_v7().to_string(),
                case_id: e.case_id.to_owned(),
                user_id: actor.actor_id().unwrap_or("system").into(),
                sha256: id,
                mime,
                size,
                created_ms: e.sync_ms,
                sync_ms: e.sync_ms,
                event_id: Some(e.id.to_owned()),
            };
            diesel::insert_into(attachments::table).values(&row).execute(conn)?;
        }
    }
    Ok(())
}

/// The event a phone's photo without one belongs to: the uploader's latest event on the case
/// (their report, their verification on site), if they have one.
pub(crate) fn event_of(conn: &mut DbConn, case_id: &str, user_id: &str) -> StoreResult<Option<String>> {
    Ok(case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::actor_id.eq(user_id))
        .order((case_events::occurred_at.desc(), case_events::id.desc()))
        .select(case_events::id)
        .first(conn)
        .optional()?)
}

/// Stores photo records in one statement each for new and changed ones (a push's photos,
/// checked and placed by the caller).
pub(crate) fn save_all(conn: &mut DbConn, new: &[Attachment], changed: &[Attachment]) -> StoreResult<()> {
    for chunk in new.chunks(500) {
        crate::db::per_backend!(conn, c => diesel::insert_into(attachments::table).values(chunk).execute(c))?;
    }
    for a in changed {
        diesel::update(attachments::table.find(&a.id)).set(a).execute(conn)?;
    }
    Ok(())
}

/// The photo records among `ids`.
pub(crate) fn existing(conn: &mut DbConn, ids: &[&str]) -> StoreResult<Vec<Attachment>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            attachments::table.filter(attachments::id.eq_any(chunk)).select(Attachment::as_select()).load(conn)?,
        );
    }
    Ok(out)
}

/// Records that the bytes of `sha256` are stored, by whom; false when they were already.
pub fn record_blob(conn: &mut DbConn, sha256: &str, mime: &str, size: i64, uploader: &str) -> StoreResult<bool> {
    crate::db::write(conn, |conn| {
        if uploaded(conn, sha256)? {
            return Ok(false);
        }
        diesel::insert_into(blobs::table)
            .values((
                blobs::sha256.eq(sha256),
                blobs::mime.eq(mime),
                blobs::size.eq(size),
                blobs::created_at.eq(now()),
                blobs::uploaded_by.eq(uploader),
            ))
            .execute(conn)?;
        // the phones that named this photo learn it has arrived
        let stamp = crate::db::clock::tick(conn)?;
        diesel::update(attachments::table.filter(attachments::sha256.eq(sha256)))
            .set(attachments::sync_ms.eq(stamp))
            .execute(conn)?;
        Ok(true)
    })
}

pub fn uploaded(conn: &mut DbConn, sha256: &str) -> StoreResult<bool> {
    Ok(blobs::table.find(sha256).select(blobs::sha256).first::<String>(conn).optional()?.is_some())
}

/// The type of uploaded bytes the caller may read: their own upload, or a photo of a case they
/// can see. `NotFound` otherwise, whether or not it exists.
pub fn readable(conn: &mut DbConn, caller: &Caller, sha256: &str) -> StoreResult<(String, NaiveDateTime)> {
    let (mime, at, uploader): (String, NaiveDateTime, Option<String>) = blobs::table
        .find(sha256)
        .select((blobs::mime, blobs::created_at, blobs::uploaded_by))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("photo", sha256))?;
    if uploader.as_deref() == Some(caller.user_id.as_str()) {
        return Ok((mime, at));
    }
    let cases: Vec<String> =
        attachments::table.filter(attachments::sha256.eq(sha256)).select(attachments::case_id).load(conn)?;
    for id in cases {
        if find_case(conn, caller, &id).is_ok() {
            return Ok((mime, at));
        }
    }
    // a photo of a task's progress report, to whoever sees the task
    let tasks: Vec<String> = task_photos::table
        .inner_join(task_events::table)
        .filter(task_photos::sha256.eq(sha256))
        .select(task_events::task_id)
        .load(conn)?;
    for id in tasks {
        if crate::tasks::find_task(conn, caller, &id).is_ok() {
            return Ok((mime, at));
        }
    }
    Err(StoreError::not_found("photo", sha256))
}

/// Forgets uploaded bytes that no record names and that are older than `before`; returns their
/// hashes, so that the bytes themselves can be removed.
pub fn forget_orphans(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> StoreResult<Vec<String>> {
    crate::db::write(conn, |conn| {
        let named = attachments::table.select(attachments::sha256);
        let of_tasks = task_photos::table.select(task_photos::sha256);
        let orphans: Vec<String> = blobs::table
            .filter(blobs::created_at.lt(before))
            .filter(blobs::sha256.ne_all(named))
            .filter(blobs::sha256.ne_all(of_tasks))
            .select(blobs::sha256)
            .limit(limit)
            .load(conn)?;
        diesel::delete(blobs::table.filter(blobs::sha256.eq_any(&orphans))).execute(conn)?;
        Ok(orphans)
    })
}
