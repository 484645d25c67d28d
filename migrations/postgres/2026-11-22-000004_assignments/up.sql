-- 设岗定责: who holds which duty in which cell, and when. History is never deleted: ending an
-- assignment sets ends_at. The partial unique indexes back the rules against races: one open
-- grid leader per cell, one open assignment per person per cell (the store explains them).
-- scope_changes keeps, in the same transaction, which cells a user gained or lost and when,
-- so that their phone follows on its next sync.

CREATE TABLE assignments (
    id         TEXT PRIMARY KEY NOT NULL,
    cell_id    TEXT NOT NULL REFERENCES cells(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    duty       TEXT NOT NULL,
    building   TEXT,
    note       TEXT,
    starts_at  TIMESTAMP NOT NULL,
    ends_at    TIMESTAMP,
    end_reason TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assignments_cell ON assignments(cell_id, starts_at);
CREATE INDEX assignments_user ON assignments(user_id, starts_at);
CREATE UNIQUE INDEX assignments_one_leader ON assignments(cell_id) WHERE duty = 'grid_leader' AND ends_at IS NULL;
CREATE UNIQUE INDEX assignments_one_per_person ON assignments(cell_id, user_id) WHERE ends_at IS NULL;

CREATE TABLE scope_changes (
    id      TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    cell_id TEXT NOT NULL REFERENCES cells(id),
    change  TEXT NOT NULL,
    at      TIMESTAMP NOT NULL
);
CREATE INDEX scope_changes_user ON scope_changes(user_id, at);
