//! `openapi.yaml` is the contract: it must name exactly the routes the server has, every
//! reference in it must resolve, and every route it marks as needing a login must refuse a
//! request without one.

use std::collections::BTreeSet;

use gridhub_e2e::*;
use yaml_rust2::{Yaml, YamlLoader};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn spec() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi.yaml is at the repository root");
    YamlLoader::load_from_str(&text).expect("openapi.yaml is valid YAML").remove(0)
}

/// (METHOD, path, needs a login) for every operation in the spec.
fn operations(doc: &Yaml) -> Vec<(String, String, bool)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_hash().expect("paths") {
        for method in METHODS {
            let op = &item[method];
            if op.is_badvalue() {
                continue;
            }
            let public = op["security"].as_vec().is_some_and(Vec::is_empty);
            ops.push((method.to_uppercase(), path.as_str().unwrap().to_owned(), !public));
        }
    }
    ops
}

fn check_refs(doc: &Yaml, node: &Yaml, at: &str, broken: &mut Vec<String>) {
    match node {
        Yaml::Hash(h) => {
            for (k, v) in h {
                let key = k.as_str().unwrap_or("?");
                if key == "$ref" {
                    let target = v.as_str().unwrap_or("");
                    let resolved = target
                        .strip_prefix("#/")
                        .map(|p| p.split('/').fold(doc, |n, part| &n[part]))
                        .is_some_and(|n| !n.is_badvalue());
                    if !resolved {
                        broken.push(format!("{at}: {target}"));
                    }
                } else {
                    check_refs(doc, v, &format!("{at}/{key}"), broken);
                }
            }
        }
        Yaml::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| check_refs(doc, v, &format!("{at}/{i}"), broken))
        }
        _ => {}
    }
}

#[test]
fn the_spec_names_exactly_the_routes_the_server_has() {
    let doc = spec();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."), "an OpenAPI 3 document");
    let in_spec: BTreeSet<(String, String)> = operations(&doc).into_iter().map(|(m, p, _)| (m, p)).collect();
    // Open311 GeoReport v2 has its own specification (README points to it)
    let in_server: BTreeSet<(String, String)> = gridhub::routes::table()
        .into_iter()
        .filter(|(_, p)| !p.starts_with("/open311/"))
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    let missing: Vec<_> = in_server.difference(&in_spec).collect();
    let extra: Vec<_> = in_spec.difference(&in_server).collect();
    assert!(missing.is_empty(), "routes the server has but openapi.yaml lacks: {missing:?}");
    assert!(extra.is_empty(), "routes openapi.yaml names but the server lacks: {extra:?}");

    let mut broken = Vec::new();
    check_refs(&doc, &doc, "", &mut broken);
    assert!(broken.is_empty(), "unresolved $refs: {broken:?}");
    for (method, path, login) in operations(&doc) {
        let responses = &doc["paths"][path.as_str()][method.to_lowercase().as_str()]["responses"];
        assert!(responses.as_hash().is_some_and(|r| !r.is_empty()), "{method} {path} documents no responses");
        if login {
            assert!(!responses["401"].is_badvalue(), "{method} {path} needs a login but documents no 401");
        }
    }
}

/// A YAML value as JSON, for comparing with what the server says.
fn to_json(y: &Yaml) -> serde_json::Value {
    match y {
        Yaml::Hash(h) => serde_json::Value::Object(
            h.iter().map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v))).collect(),
        ),
        Yaml::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Yaml::String(s) => serde_json::json!(s),
        Yaml::Integer(i) => serde_json::json!(i),
        Yaml::Boolean(b) => serde_json::json!(b),
        _ => serde_json::Value::Null,
    }
}

#[test]
fn the_spec_shows_the_phone_schema_the_server_speaks() {
    let doc = spec();
    let version = gridhub_sync::schema::VERSION;
    assert_eq!(
        to_json(&doc["x-phone-schema"]),
        gridhub_sync::schema::describe(version),
        "openapi.yaml's x-phone-schema differs from the phone schema (sync/src/schema.rs)"
    );
    // a pull's and a push's tables, and the versions a client may ask for, follow it too
    let tables: Vec<&str> = gridhub_sync::schema::TABLES.iter().map(|t| t.key).collect();
    let changes = &doc["components"]["schemas"]["SyncChanges"]["properties"];
    let named: Vec<&str> = changes.as_hash().unwrap().keys().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(named, tables, "SyncChanges names the phone's tables");
    let schema_route = &doc["paths"]["/api/v1/sync/schema"]["get"]["parameters"][0]["schema"]["maximum"];
    assert_eq!(schema_route.as_i64(), Some(version), "GET /api/v1/sync/schema?version= goes up to the newest");
}

#[test]
fn the_spec_names_every_kind_of_notification_the_store_sends() {
    let doc = spec();
    let kinds: Vec<&str> = doc["components"]["schemas"]["Notification"]["properties"]["kind"]["enum"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    // every kind the store writes is a literal "area.event" in its source
    let mut missing = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../store/src"))];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for area in ["case", "task", "whistle", "campaign", "residence", "notice", "poll"] {
                for (at, _) in text.match_indices(&format!("\"{area}.")) {
                    let rest = &text[at + 1..];
                    let end = rest.find('"').unwrap_or(0);
                    let kind = &rest[..end];
                    if kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_') && !kinds.contains(&kind)
                    {
                        missing.push(format!("{kind} ({})", path.display()));
                    }
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "Notification.kind in openapi.yaml lacks {missing:?}");
}

#[tokio::test]
async fn every_route_that_needs_a_login_refuses_a_request_without_one() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let app = TestApp::start(settings(&db)).await;
    for (method, path, login) in operations(&spec()) {
        let url = app.url(&path.replace("{id}", "01000000-0000-7000-8000-000000000000"));
        let res = app.client.request(method.parse().unwrap(), url).json(&serde_json::json!({})).send().await.unwrap();
        if login {
            assert_eq!(res.status(), 401, "{method} {path} without a token");
        } else {
            assert_ne!(res.status(), 401, "{method} {path} is public");
        }
    }
    app.stop().await;
}

/// Every operation documents the answers the input layer gives it: 400 when it takes a query, a
/// header or a body; 401 when it needs a login; 404 when its path names a record; 413, 415 and
/// 422 when it takes JSON. (A status the spec does not list is a failure for schemathesis.)
#[test]
fn every_operation_documents_the_answers_it_can_give() {
    let doc = spec();
    let resolve = |node: &Yaml| -> Yaml {
        match node["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(path) => path.split('/').fold(&doc, |n, part| &n[part]).clone(),
            None => node.clone(),
        }
    };
    let mut missing = Vec::new();
    for (method, path, login) in operations(&doc) {
        let item = &doc["paths"][path.as_str()];
        let op = &item[method.to_lowercase().as_str()];
        let params: Vec<Yaml> =
            item["parameters"].as_vec().into_iter().chain(op["parameters"].as_vec()).flatten().map(resolve).collect();
        let takes = |place: &str| params.iter().any(|p| p["in"].as_str() == Some(place));
        let body = resolve(&op["requestBody"]);
        let json_body =
            body["content"].as_hash().is_some_and(|c| c.keys().any(|k| k.as_str().unwrap_or("").contains("json")));
        let mut want = Vec::new();
        if takes("query") || takes("header") || !body.is_badvalue() {
            want.push("400");
        }
        if login {
            want.push("401");
        }
        if path.contains('{') {
            want.push("404");
        }
        if json_body {
            want.extend(["413", "415", "422"]);
        }
        for status in want {
            if op["responses"][status].is_badvalue() {
                missing.push(format!("{method} {path}: {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "answers the spec does not list: {missing:#?}");
}

/// In a flow mapping, an unquoted comma ends the value: `{description: a, b}` is a description
/// `a` and a stray key `b` with no value. No key of the spec is without one.
#[test]
fn no_text_of_the_spec_was_cut_at_a_comma() {
    fn walk(node: &Yaml, at: &str, stray: &mut Vec<String>) {
        match node {
            Yaml::Hash(h) => {
                for (k, v) in h {
                    let key = k.as_str().unwrap_or("?");
                    if matches!(v, Yaml::Null) {
                        stray.push(format!("{at}/{key}"));
                    }
                    walk(v, &format!("{at}/{key}"), stray);
                }
            }
            Yaml::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{at}/{i}"), stray)),
            _ => {}
        }
    }
    let mut stray = Vec::new();
    walk(&spec(), "", &mut stray);
    assert!(stray.is_empty(), "keys with no value (quote the text they were cut from): {stray:#?}");
}
