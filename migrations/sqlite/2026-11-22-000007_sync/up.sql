-- Offline sync for phones (WatermelonDB's protocol): one monotonic clock in milliseconds,
-- stamped in the same transaction on every change a phone may pull; the records phones create
-- (patrols, photo metadata); uploaded photo blobs; tombstones of deleted records; and the
-- quarantine of pushed records that can never be accepted. Keep in step with migrations/postgres.

CREATE TABLE sync_clock (
    id      INTEGER PRIMARY KEY NOT NULL,
    last_ms BIGINT NOT NULL
);
INSERT INTO sync_clock (id, last_ms) VALUES (1, 1);

ALTER TABLE cases ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_sync ON cases(sync_ms);
ALTER TABLE case_events ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_events ADD COLUMN result TEXT;
ALTER TABLE case_events ADD COLUMN reason TEXT;
CREATE INDEX case_events_sync ON case_events(sync_ms);
ALTER TABLE cells ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE categories ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scope_changes ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX scope_changes_sync ON scope_changes(user_id, sync_ms);

-- a grid worker's round of a cell, made on the phone (the phone's id)
CREATE TABLE patrols (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id),
    cell_id    TEXT NOT NULL REFERENCES cells(id),
    started_at BIGINT NOT NULL,
    ended_at   BIGINT,
    distance_m DOUBLE NOT NULL,
    track      TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    sync_ms    BIGINT NOT NULL
);
CREATE INDEX patrols_user ON patrols(user_id, sync_ms);

-- a photo's metadata, from the phone; the bytes arrive separately (blobs)
CREATE TABLE attachments (
    id         TEXT PRIMARY KEY NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    sha256     TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    sync_ms    BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
CREATE INDEX attachments_sha ON attachments(sha256);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY NOT NULL,
    mime       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE tombstones (
    table_name TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    sync_ms    BIGINT NOT NULL,
    PRIMARY KEY (table_name, record_id)
);
CREATE INDEX tombstones_sync ON tombstones(user_id, sync_ms);

CREATE TABLE sync_quarantine (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id),
    district_id  TEXT,
    street_id    TEXT,
    community_id TEXT,
    table_name   TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    raw          TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX sync_quarantine_street ON sync_quarantine(street_id, id);
