//! The phone's schema, version 1: the tables a phone keeps and which of their columns it owns.
//! Columns the server owns are ignored in pushes. Published in openapi.yaml (the sync routes).

/// The schema version this server speaks.
pub const VERSION: i64 = 1;

/// Tables a phone only pulls.
pub const PULL_ONLY: [&str; 2] = ["cells", "categories"];
/// Tables a phone also pushes.
pub const PUSHED: [&str; 4] = ["cases", "case_events", "patrols", "attachments"];

/// Every table of the schema, in the order a pull lists them.
pub fn tables() -> impl Iterator<Item = &'static str> {
    PULL_ONLY.into_iter().chain(PUSHED)
}

/// The columns of each table (besides `id`), for the documentation and for `migration`.
pub const COLUMNS: [(&str, &[&str]); 6] = [
    ("cells", &["code", "name", "community_id", "boundary", "duty", "households"]),
    ("categories", &["code", "name", "parent_code", "kind"]),
    (
        "cases",
        &[
            "category_code",
            "title",
            "description",
            "lng",
            "lat",
            "crs",
            "address",
            "priority",
            "reported_at",
            "cell_id",
            "status",
            "deadline_at",
            "light",
            "updated_at",
        ],
    ),
    ("case_events", &["case_id", "action", "note", "lng", "lat", "created_at", "result", "reason"]),
    ("patrols", &["cell_id", "started_at", "ended_at", "distance_m", "track", "note"]),
    ("attachments", &["case_id", "sha256", "mime", "size", "uploaded"]),
];
