//! Photos: metadata from the phone (an id, the case, the SHA-256 of the bytes, type and size)
//! and the bytes themselves, uploaded separately and content-addressed — either may arrive
//! first. This module keeps the records; the bytes live in an object store the API holds.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::find_case;
use crate::access::Caller;
use crate::db::DbConn;
use crate::db::clock;
use crate::error::{StoreError, StoreResult};
use crate::schema::{attachments, blobs};
use crate::time::now;

/// The types a photo may have: JPEG, PNG, WebP, HEIC.
pub const MIME_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/heic"];

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: String,
    pub case_id: String,
    pub user_id: String,
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    #[serde(skip)]
    pub created_ms: i64,
    #[serde(skip)]
    pub sync_ms: i64,
}

/// Whether `text` is a SHA-256 in lower-case hex.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Records (or replaces) a photo's metadata, on a case the caller can see.
pub fn upsert(conn: &mut DbConn, caller: &Caller, mut a: Attachment, max_bytes: i64) -> StoreResult<()> {
    if !is_sha256(&a.sha256) {
        return Err(StoreError::invalid("sha256", "must be a SHA-256 in lower-case hex"));
    }
    if !MIME_TYPES.contains(&a.mime.as_str()) {
        return Err(StoreError::invalid("mime", format!("must be one of {}", MIME_TYPES.join(", "))));
    }
    if !(1..=max_bytes).contains(&a.size) {
        return Err(StoreError::invalid("size", format!("must be from 1 to {max_bytes} bytes")));
    }
    crate::db::write(conn, |conn| {
        find_case(conn, caller, &a.case_id)?;
        let old: Option<Attachment> =
            attachments::table.find(&a.id).select(Attachment::as_select()).first(conn).optional()?;
        a.user_id = caller.user_id.clone();
        a.sync_ms = clock::tick(conn)?;
        match old {
            Some(o) if o.user_id != caller.user_id => {
                Err(StoreError::Conflict { field: "id", detail: format!("the id {} is taken", a.id) })
            }
            Some(o) => {
                a.created_ms = o.created_ms;
                diesel::update(attachments::table.find(&a.id)).set(&a).execute(conn)?;
                Ok(())
            }
            None => {
                a.created_ms = a.sync_ms;
                diesel::insert_into(attachments::table).values(&a).execute(conn)?;
                Ok(())
            }
        }
    })
}

/// Records that the bytes of `sha256` are stored; false when they were already.
pub fn record_blob(conn: &mut DbConn, sha256: &str, mime: &str, size: i64) -> StoreResult<bool> {
    crate::db::write(conn, |conn| {
        if uploaded(conn, sha256)? {
            return Ok(false);
        }
        diesel::insert_into(blobs::table)
            .values((blobs::sha256.eq(sha256), blobs::mime.eq(mime), blobs::size.eq(size), blobs::created_at.eq(now())))
            .execute(conn)?;
        // the phones that named this photo learn it has arrived
        let stamp = clock::tick(conn)?;
        diesel::update(attachments::table.filter(attachments::sha256.eq(sha256)))
            .set(attachments::sync_ms.eq(stamp))
            .execute(conn)?;
        Ok(true)
    })
}

pub fn uploaded(conn: &mut DbConn, sha256: &str) -> StoreResult<bool> {
    Ok(blobs::table.find(sha256).select(blobs::sha256).first::<String>(conn).optional()?.is_some())
}

/// The type of an uploaded photo the caller may see: one named by an attachment of a case they
/// can see. `NotFound` otherwise, whether or not it exists.
pub fn readable(conn: &mut DbConn, caller: &Caller, sha256: &str) -> StoreResult<(String, NaiveDateTime)> {
    let (mime, at): (String, NaiveDateTime) = blobs::table
        .find(sha256)
        .select((blobs::mime, blobs::created_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("photo", sha256))?;
    let cases: Vec<String> =
        attachments::table.filter(attachments::sha256.eq(sha256)).select(attachments::case_id).load(conn)?;
    for id in cases {
        if find_case(conn, caller, &id).is_ok() {
            return Ok((mime, at));
        }
    }
    Err(StoreError::not_found("photo", sha256))
}
