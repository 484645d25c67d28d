-- The whistle until the problem is solved (吹哨报到): a whistle stays open until its case closes
-- or the street office closes it with its result; a plan gives each summoned department a task
-- (kind `whistle`); the street rates each department's response; a community may ask its
-- street to blow the whistle.
ALTER TABLE whistles ADD COLUMN result TEXT;
ALTER TABLE whistles ADD COLUMN closed_by TEXT;
ALTER TABLE whistle_departments ADD COLUMN rating INTEGER;
ALTER TABLE whistle_departments ADD COLUMN rating_note TEXT;
ALTER TABLE whistle_departments ADD COLUMN rated_at TIMESTAMP;

CREATE TABLE whistle_plans (
    whistle_id TEXT NOT NULL REFERENCES whistles(id),
    task_id    TEXT NOT NULL REFERENCES tasks(id),
    PRIMARY KEY (whistle_id, task_id)
);

CREATE TABLE whistle_requests (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases(id),
    district_id   TEXT NOT NULL,
    street_id     TEXT NOT NULL,
    community_id  TEXT,
    requested_by  TEXT,
    departments   TEXT NOT NULL,
    note          TEXT NOT NULL,
    status        TEXT NOT NULL,
    whistle_id    TEXT REFERENCES whistles(id),
    decided_by    TEXT,
    decision_note TEXT,
    created_at    TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP
);
CREATE INDEX whistle_requests_street ON whistle_requests (street_id, status);

-- a whistle closed only because every department had answered is open again until its case is done
UPDATE whistles SET status = 'open', closed_at = NULL
 WHERE status = 'closed' AND case_id IN (SELECT id FROM cases WHERE status NOT IN ('closed', 'void'));
