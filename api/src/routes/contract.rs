//! The contract served: `openapi.yaml` as it is in the repository, and an API reference page
//! rendered from it by a bundled copy of Redoc (`api/assets/redoc/`) — no CDN, no login.

use actix_web::HttpResponse;
use actix_web::http::header;

const OPENAPI: &str = include_str!("../../../openapi.yaml");
const REDOC: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");
/// Where the bundled Redoc is served: its version is part of the address, so that a new one is
/// fetched anew.
pub const REDOC_PATH: &str = "/docs/redoc-2.5.4.js";

/// `GET /openapi.yaml`: the contract this server keeps.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(OPENAPI)
}

/// `GET /docs`: the API reference, in Chinese where the contract is.
pub async fn docs() -> HttpResponse {
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gridhub 接口文档 · API reference</title>
<style>body {{ margin: 0; }}</style>
</head>
<body>
<redoc spec-url="/openapi.yaml" hide-download-button="false" native-scrollbars></redoc>
<noscript>本页需要 JavaScript；接口约定见 <a href="/openapi.yaml">/openapi.yaml</a>。</noscript>
<script src="{REDOC_PATH}"></script>
</body>
</html>
"#
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page)
}

/// `GET /docs/redoc-<version>.js`: the bundled renderer; its address changes with its version,
/// so browsers may keep it.
pub async fn redoc() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(REDOC)
}
