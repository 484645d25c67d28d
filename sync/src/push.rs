//! Push: the body WatermelonDB's `synchronize()` sends — `{table: {created, updated, deleted}}` —
//! read against the phone schema into the push the store applies (`gridhub_store::phones::push`).
//! A body not of the protocol's shape is refused whole, naming what is wrong (the API answers
//! 400 and applies nothing). Of a record of the right shape only the columns the phone owns are
//! read (`_status`, `_changed` and server-owned columns are ignored); one that holds a control
//! character, or that deletes what a phone does not delete, is refused alone (quarantined).

use gridhub_store::input::{CONTROL_CHARACTER, control_char_path, has_control};
use gridhub_store::phones::push::{Push, Pushed};
use serde_json::{Map, Value, json};

use crate::schema::{self, Name, Owner};

/// Reads a push body made against schema `version`, sent by a phone that last pulled at `since`.
pub fn parse(body: &[u8], since: i64, version: i64) -> Result<Push, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Object(tables) = value else { return Err("the body must be an object of tables".into()) };
    let mut push = Push { since, ..Push::default() };
    for (key, lists) in tables {
        let table = schema::tables(version)
            .find(|t| t.key == key)
            .ok_or_else(|| format!("{key:?} is not a table of schema version {version}"))?;
        let Value::Object(lists) = lists else {
            return Err(format!("{key} must be an object of created, updated and deleted"));
        };
        for (list, items) in lists {
            let bad = || format!("{key}.{list} is not an array of records with string ids");
            let items = match items {
                Value::Array(items) => items,
                // a list given as null is an empty one
                Value::Null => continue,
                _ => return Err(bad()),
            };
            match list.as_str() {
                "created" | "updated" => {
                    for item in items {
                        let Value::Object(record) = item else { return Err(bad()) };
                        let Some(Value::String(id)) = record.get("id") else { return Err(bad()) };
                        if !table.pushed {
                            continue; // pull-only tables are the server's: nothing to apply
                        }
                        let pushed = Pushed {
                            id: id.clone(),
                            fields: phone_fields(table, &record),
                            updated: list == "updated",
                            raw: Value::Object(record),
                        };
                        match control_char_path(&pushed.raw) {
                            Some(path) => {
                                push.refused.push((table.key, pushed, format!("{path}: {CONTROL_CHARACTER}")))
                            }
                            None => add(&mut push, table.name, pushed),
                        }
                    }
                }
                "deleted" => {
                    for id in items {
                        let Value::String(id) = id else { return Err(bad()) };
                        if has_control(&id) {
                            let raw = json!({"id": id, "_status": "deleted"});
                            let pushed = Pushed { id, fields: Map::new(), updated: true, raw };
                            push.refused.push((table.key, pushed, format!("id: {CONTROL_CHARACTER}")));
                            continue;
                        }
                        match table.name {
                            Name::Patrols => push.patrols_deleted.push(id),
                            _ if !table.pushed => {}
                            _ => {
                                let raw = json!({"id": id, "_status": "deleted"});
                                let pushed = Pushed { id, fields: Map::new(), updated: true, raw };
                                let why = format!(
                                    "{key} are not deleted from a phone; the street office voids or corrects them"
                                );
                                push.refused.push((table.key, pushed, why));
                            }
                        }
                    }
                }
                _ => return Err(format!("{key}.{list}: a table has created, updated and deleted")),
            }
        }
    }
    Ok(push)
}

/// The columns of a record that the phone owns, as sent.
fn phone_fields(table: &schema::Table, record: &Map<String, Value>) -> Map<String, Value> {
    table
        .columns
        .iter()
        .filter(|c| c.owner == Owner::Phone || c.name == "updated_at")
        .filter_map(|c| record.get(c.name).map(|v| (c.name.to_owned(), v.clone())))
        .collect()
}

fn add(push: &mut Push, table: Name, record: Pushed) {
    match table {
        Name::Cases => push.cases.push(record),
        Name::CaseEvents => push.events.push(record),
        Name::Patrols => push.patrols.push(record),
        Name::Attachments => push.photos.push(record),
        Name::TaskProgress => push.progress.push(record),
        Name::Cells | Name::Categories | Name::Tasks => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_protocol_shape_is_read() {
        for bad in [
            &b"not json"[..],
            b"[]",
            br#"{"cases": []}"#,
            br#"{"tickets": {}}"#,
            br#"{"patrols": {"created": [{"cell_id": "x"}]}}"#,
        ] {
            assert!(parse(bad, 1, 1).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let body = br#"{"cases": {"created": [{"id": "a", "title": "x", "status": "closed", "_status": "created"}],
            "updated": [], "deleted": ["b"]}, "cells": {"created": [{"id": "c"}], "updated": [], "deleted": []}}"#;
        let push = parse(body, 7, 1).unwrap();
        assert_eq!(push.since, 7);
        assert_eq!(push.cases.len(), 1);
        assert_eq!(push.cases[0].fields.keys().collect::<Vec<_>>(), ["title"], "server-owned columns are not read");
        assert_eq!(push.refused.len(), 1, "a case is not deleted from a phone");
        let push = parse(br#"{"case_events": {"created": [{"id": "e", "note": "a\u0000b"}]}}"#, 1, 1).unwrap();
        assert!(push.events.is_empty() && push.refused[0].2.starts_with("note:"));
    }
}
