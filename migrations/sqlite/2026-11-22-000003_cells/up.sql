-- Grid cells (网格): retired, never deleted, because old cases refer to them. A code is unique
-- among the active cells. grid_state.version moves on with every change of cells, in the same
-- transaction, so that every API node notices and rebuilds its index.

CREATE TABLE cells (
    id           TEXT PRIMARY KEY NOT NULL,
    community_id TEXT NOT NULL REFERENCES communities(id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    boundary     TEXT NOT NULL,
    min_lng      DOUBLE NOT NULL,
    min_lat      DOUBLE NOT NULL,
    max_lng      DOUBLE NOT NULL,
    max_lat      DOUBLE NOT NULL,
    area_m2      DOUBLE NOT NULL,
    households   INTEGER,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    retired_at   TIMESTAMP
);
CREATE UNIQUE INDEX cells_active_code ON cells(code) WHERE retired_at IS NULL;
CREATE INDEX cells_community ON cells(community_id, id);
CREATE INDEX cells_bbox ON cells(min_lng, max_lng, min_lat, max_lat);

CREATE TABLE grid_state (
    id         INTEGER PRIMARY KEY NOT NULL,
    version    BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO grid_state (id, version, updated_at) VALUES (1, 0, '2026-01-01 00:00:00');
