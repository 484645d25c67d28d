//! Photos over HTTP, content-addressed: `PUT /api/v1/attachments/{sha256}` with the raw bytes
//! (the hash is checked, the type sniffed from the bytes and matched against `Content-Type`,
//! the size limited); the same upload twice changes nothing; a photo may come before or after
//! the record that names it. `GET` returns it to whoever may see a case it belongs to, and to
//! its uploader before any record names it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use gridhub_store::cases::photo as attachment;
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, RawBody};
use crate::photos;
use crate::state::AppState;

/// The type of a photo, from its first bytes: JPEG, PNG, WebP or HEIC.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if brand.len() >= 4 => {
            let heic = [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];
            heic.iter().any(|b| brand[..4] == b[..]).then_some("image/heic")
        }
        _ => None,
    }
}

fn sha(path: &str) -> ApiResult<String> {
    let s = path.to_ascii_lowercase();
    if attachment::is_sha256(&s) { Ok(s) } else { Err(ApiError::bad_field("sha256", "must be a SHA-256 in hex")) }
}

pub async fn put(
    req: HttpRequest,
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: Id,
    RawBody(bytes): RawBody,
) -> ApiResult<HttpResponse> {
    let sha = sha(&path)?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "is empty; send the photo's bytes"));
    }
    if bytes.len() > state.settings.sync.photo_max_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "the photo is larger than this server accepts",
        ));
    }
    let actual = format!("{:x}", Sha256::digest(&bytes));
    if actual != sha {
        return Err(ApiError::invalid("sha256", format!("the bytes hash to {actual}, not to the path's hash")));
    }
    let mime = sniff(&bytes).ok_or_else(|| ApiError::invalid("body", "is not a JPEG, PNG, WebP or HEIC photo"))?;
    let declared = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let declared = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if declared != mime {
        return Err(ApiError::invalid("Content-Type", format!("says {declared:?} but the bytes are {mime}")));
    }
    let size = bytes.len() as i64;
    let key = sha.clone();
    if state.db(move |conn| attachment::uploaded(conn, &key)).await? {
        return Ok(
            HttpResponse::Ok().json(serde_json::json!({"sha256": sha, "mime": mime, "size": size, "stored": false}))
        );
    }
    state
        .photos
        .put(&photos::object(&sha), bytes.into())
        .await
        .map_err(|e| ApiError::internal(format!("storing a photo: {e}")))?;
    let key = sha.clone();
    let new = state.db(move |conn| attachment::record_blob(conn, &key, mime, size, &caller.user_id)).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok(HttpResponse::build(status).json(serde_json::json!({"sha256": sha, "mime": mime, "size": size, "stored": new})))
}

pub async fn get(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: Id,
) -> ApiResult<HttpResponse> {
    let sha = sha(&path)?;
    let key = sha.clone();
    let (mime, _) = state.db(move |conn| attachment::readable(conn, &caller, &key)).await?;
    let bytes = state
        .photos
        .get(&photos::object(&sha))
        .await
        .map_err(|e| ApiError::internal(format!("reading a photo: {e}")))?
        .bytes()
        .await
        .map_err(|e| ApiError::internal(format!("reading a photo: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, "private, max-age=31536000, immutable"))
        .insert_header((header::ETAG, format!("\"{sha}\"")))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_known_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"x89PNG...."), None, "escaped text is not a PNG");
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom\0\0"), None, "an MP4 is not a photo");
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }
}
