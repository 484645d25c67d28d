//! The phone's schema: every table a phone keeps, its columns with their types, who owns each
//! (the phone writes it, or only the server does: pushes ignore those), and since which schema
//! version it exists. The one home of the schema — the push parser, the push, the conflict check,
//! the pull's JSON, `GET /api/v1/sync/schema` (from which an app, and the WatermelonDB test, build
//! their schema) and the openapi test all derive from this table.

use serde::Serialize;
use serde_json::{Value, json};

/// The newest schema version this server speaks.
pub const VERSION: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Type {
    String,
    Number,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Owner {
    /// The phone writes it; a push carries it.
    Phone,
    /// Only the server writes it; a push's value is ignored.
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Type,
    pub owner: Owner,
    /// Whether the value may be null (WatermelonDB's `isOptional`).
    pub optional: bool,
    pub since: i64,
}

/// The tables, by what a push may do with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    Cells,
    Categories,
    Cases,
    CaseEvents,
    Patrols,
    Attachments,
    Tasks,
    TaskProgress,
}

#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: Name,
    pub key: &'static str,
    /// Whether phones push it (otherwise they only pull it).
    pub pushed: bool,
    pub since: i64,
    pub columns: &'static [Column],
}

const fn col(name: &'static str, kind: Type, owner: Owner, optional: bool) -> Column {
    Column { name, kind, owner, optional, since: 1 }
}

impl Column {
    /// The column, new in schema `version`.
    const fn since(self, version: i64) -> Column {
        Column { since: version, ..self }
    }
}

use Owner::{Phone, Server};
use Type::{Boolean, Number, String as Text};

/// Every table, in the order a pull lists them and a push applies them (what a record names
/// arrives first: cases before their events and photos).
pub const TABLES: &[Table] = &[
    Table {
        name: Name::Cells,
        key: "cells",
        pushed: false,
        since: 1,
        columns: &[
            col("code", Text, Server, false),
            col("name", Text, Server, false),
            col("community_id", Text, Server, false),
            col("boundary", Text, Server, false),
            col("duty", Text, Server, true),
            col("households", Number, Server, true),
        ],
    },
    Table {
        name: Name::Categories,
        key: "categories",
        pushed: false,
        since: 1,
        columns: &[
            col("code", Text, Server, false),
            col("name", Text, Server, false),
            col("parent_code", Text, Server, true),
            col("kind", Text, Server, false),
        ],
    },
    Table {
        name: Name::Cases,
        key: "cases",
        pushed: true,
        since: 1,
        columns: &[
            col("category_code", Text, Phone, false),
            col("title", Text, Phone, false),
            col("description", Text, Phone, true),
            col("lng", Number, Phone, false),
            col("lat", Number, Phone, false),
            col("crs", Text, Phone, true),
            col("address", Text, Phone, true),
            col("priority", Text, Phone, true),
            col("reported_at", Number, Phone, true),
            col("cell_id", Text, Server, true),
            col("status", Text, Server, true),
            col("deadline_at", Number, Server, true),
            col("light", Text, Server, true),
            // working or natural: what the deadline and the light count
            col("clock", Text, Server, true).since(2),
            // WatermelonDB keeps it: the time of the phone's last edit, read as such
            col("updated_at", Number, Server, false),
        ],
    },
    Table {
        name: Name::CaseEvents,
        key: "case_events",
        pushed: true,
        since: 1,
        columns: &[
            col("case_id", Text, Phone, false),
            col("action", Text, Phone, false),
            col("note", Text, Phone, true),
            col("lng", Number, Phone, true),
            col("lat", Number, Phone, true),
            // WatermelonDB keeps it: when the phone made the event
            col("created_at", Number, Phone, false),
            col("result", Text, Server, true),
            col("reason", Text, Server, true),
        ],
    },
    Table {
        name: Name::Patrols,
        key: "patrols",
        pushed: true,
        since: 1,
        columns: &[
            col("cell_id", Text, Phone, false),
            col("started_at", Number, Phone, false),
            col("ended_at", Number, Phone, true),
            col("distance_m", Number, Phone, true),
            col("track", Text, Phone, true),
            col("note", Text, Phone, true),
        ],
    },
    Table {
        name: Name::Attachments,
        key: "attachments",
        pushed: true,
        since: 1,
        columns: &[
            col("case_id", Text, Phone, false),
            col("sha256", Text, Phone, false),
            col("mime", Text, Phone, false),
            col("size", Number, Phone, false),
            col("uploaded", Boolean, Server, true),
        ],
    },
    // schema version 2: the tasks (督办任务) of the worker's grids and their own, and the progress
    // they report on them offline
    Table {
        name: Name::Tasks,
        key: "tasks",
        pushed: false,
        since: 2,
        columns: &[
            col("title", Text, Server, false).since(2),
            col("description", Text, Server, true).since(2),
            col("kind", Text, Server, false).since(2),
            col("status", Text, Server, false).since(2),
            col("owner_type", Text, Server, false).since(2),
            col("owner_id", Text, Server, false).since(2),
            col("due_at", Number, Server, false).since(2),
            col("target_quantity", Number, Server, true).since(2),
            col("quantity_done", Number, Server, false).since(2),
            col("overdue", Boolean, Server, false).since(2),
            col("parent_id", Text, Server, true).since(2),
            col("campaign_id", Text, Server, true).since(2),
        ],
    },
    Table {
        name: Name::TaskProgress,
        key: "task_progress",
        pushed: true,
        since: 2,
        columns: &[
            col("task_id", Text, Phone, false).since(2),
            col("quantity", Number, Phone, true).since(2),
            col("note", Text, Phone, true).since(2),
            // a JSON array of the SHA-256 of the photos (their bytes uploaded as a case's are)
            col("photos", Text, Phone, true).since(2),
            // WatermelonDB keeps it: when the phone made the report
            col("created_at", Number, Phone, false).since(2),
        ],
    },
];

/// The tables of schema `version`.
pub fn tables(version: i64) -> impl Iterator<Item = &'static Table> {
    TABLES.iter().filter(move |t| t.since <= version)
}

/// The table named `key`, if the schema has it.
pub fn table(key: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.key == key)
}

impl Table {
    /// The columns of schema `version`.
    pub fn columns(&self, version: i64) -> impl Iterator<Item = &'static Column> + use<> {
        self.columns.iter().filter(move |c| c.since <= version)
    }

    /// The value of a phone-owned column of a pushed record (`None` for a server-owned one).
    pub fn phone_column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name && c.owner == Owner::Phone)
    }
}

/// The schema of `version` as JSON: what `GET /api/v1/sync/schema` answers.
pub fn describe(version: i64) -> Value {
    let tables: Vec<Value> = tables(version)
        .map(|t| {
            let columns: Vec<Value> = t
                .columns(version)
                .map(|c| json!({"name": c.name, "type": c.kind, "owner": c.owner, "optional": c.optional}))
                .collect();
            json!({"name": t.key, "pushed": t.pushed, "columns": columns})
        })
        .collect();
    json!({"version": version, "tables": tables})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_pushes_name_their_case() {
        let mut seen = std::collections::HashSet::new();
        for t in TABLES {
            assert!(seen.insert(t.key), "{} twice", t.key);
            let mut cols = std::collections::HashSet::new();
            for c in t.columns {
                assert!(cols.insert(c.name), "{}.{} twice", t.key, c.name);
                assert_ne!(c.name, "id", "the id is every record's, not a column");
            }
        }
        for key in ["case_events", "attachments"] {
            assert!(table(key).unwrap().phone_column("case_id").is_some(), "{key} names its case");
        }
        assert!(table("task_progress").unwrap().phone_column("task_id").is_some());
        for t in TABLES {
            assert!(t.columns.iter().all(|c| c.since >= t.since && c.since <= VERSION), "{}: since", t.key);
        }
        assert_eq!(describe(1)["tables"].as_array().unwrap().len(), 6, "version 1 has no tasks");
        assert_eq!(describe(VERSION)["tables"].as_array().unwrap().len(), TABLES.len());
    }
}
