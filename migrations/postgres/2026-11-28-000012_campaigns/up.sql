-- Campaigns and tasks (专项行动, 督办任务), and the clocks that fit the work: a category's time
-- limits count working or natural time, and a case carries the clock it counts on.
-- Keep in step with migrations/sqlite.

ALTER TABLE categories ADD COLUMN clock TEXT NOT NULL DEFAULT 'working';
ALTER TABLE cases ADD COLUMN clock TEXT NOT NULL DEFAULT 'working';
-- a database made before the clock: the shipped catalogue's natural-time categories (the one
-- home of which is store/data/categories.csv, where each is named and why) and urgent cases
UPDATE categories SET clock = 'natural'
 WHERE code IN ('SJ04', 'ZL03', 'BJ0107', 'BJ0502', 'ZL0201', 'ZL0401', 'ZL0405')
    OR parent_code IN ('SJ04', 'ZL03');
UPDATE cases SET clock = 'natural'
 WHERE priority = 'urgent' OR category_code IN (SELECT code FROM categories WHERE clock = 'natural');

-- 专项行动: a campaign of a district (or several) with a lead department and member departments
-- each with its duty, a period with its key dates, the categories it watches (cases of them in
-- its districts and period are linked to it) and its targets
CREATE TABLE campaigns (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL,
    lead_department_id TEXT NOT NULL REFERENCES departments(id),
    status             TEXT NOT NULL,
    starts_at          TIMESTAMP NOT NULL,
    ends_at            TIMESTAMP NOT NULL,
    natural_time       BOOLEAN NOT NULL,
    key_dates          TEXT NOT NULL,
    watched_categories TEXT NOT NULL,
    targets            TEXT NOT NULL,
    review             TEXT,
    created_by         TEXT,
    version            BIGINT NOT NULL,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE TABLE campaign_districts (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    district_id TEXT NOT NULL REFERENCES districts(id),
    PRIMARY KEY (campaign_id, district_id)
);
CREATE TABLE campaign_members (
    campaign_id   TEXT NOT NULL REFERENCES campaigns(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    role          TEXT NOT NULL,
    duty          TEXT NOT NULL,
    PRIMARY KEY (campaign_id, department_id)
);
CREATE TABLE campaign_cases (
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    case_id     TEXT NOT NULL REFERENCES cases(id),
    linked_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (campaign_id, case_id)
);
CREATE INDEX campaign_cases_case ON campaign_cases (case_id);
-- a campaign's notices reach every member department, each of which signs for it (签收)
CREATE TABLE campaign_notices (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns(id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    author_id   TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE campaign_notice_receipts (
    notice_id     TEXT NOT NULL REFERENCES campaign_notices(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    signed_at     TIMESTAMP,
    signed_by     TEXT,
    chased_at     TIMESTAMP,
    PRIMARY KEY (notice_id, department_id)
);

-- 督办任务: one primitive for what an office assigns a unit (a district, street, community, grid,
-- department or person) to do by a date, decomposed down the grid into children, with progress
-- reported against a target, submitted by the owner and verified by the assigner
CREATE TABLE tasks (
    id              TEXT PRIMARY KEY,
    parent_id       TEXT REFERENCES tasks(id),
    campaign_id     TEXT REFERENCES campaigns(id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    owner_type      TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    assigner_type   TEXT NOT NULL,
    assigner_id     TEXT NOT NULL,
    assigned_by     TEXT REFERENCES users(id),
    district_id     TEXT NOT NULL REFERENCES districts(id),
    street_id       TEXT,
    community_id    TEXT,
    due_at          TIMESTAMP NOT NULL,
    target_quantity BIGINT,
    quantity_done   BIGINT NOT NULL,
    status          TEXT NOT NULL,
    overdue_at      TIMESTAMP,
    submitted_at    TIMESTAMP,
    verified_at     TIMESTAMP,
    version         BIGINT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX tasks_parent ON tasks (parent_id);
CREATE INDEX tasks_campaign ON tasks (campaign_id);
CREATE INDEX tasks_owner ON tasks (owner_type, owner_id, status);
CREATE INDEX tasks_assigner ON tasks (assigner_type, assigner_id);
CREATE INDEX tasks_place ON tasks (district_id, street_id, community_id);
CREATE INDEX tasks_due ON tasks (due_at) WHERE overdue_at IS NULL;

-- what was done on a task, by whom: progress reports and each change of state
CREATE TABLE task_events (
    id          TEXT PRIMARY KEY,
    task_id     TEXT NOT NULL REFERENCES tasks(id),
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor_id    TEXT,
    note        TEXT,
    quantity    BIGINT,
    attachments TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX task_events_task ON task_events (task_id, id);

ALTER TABLE notifications ADD COLUMN task_id TEXT;

-- 巡防计划: how often grids must be patrolled in a period, and by whom (a joint patrol names
-- people of several departments); compared with the patrols phones record
CREATE TABLE patrol_plans (
    id            TEXT PRIMARY KEY,
    district_id   TEXT NOT NULL REFERENCES districts(id),
    name          TEXT NOT NULL,
    cells         TEXT NOT NULL,
    members       TEXT NOT NULL,
    starts_at     TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP NOT NULL,
    times_per_day INTEGER NOT NULL,
    created_by    TEXT,
    created_at    TIMESTAMP NOT NULL
);

-- what enforcement did (执法结果), counted for the department that handled the case
ALTER TABLE case_tallies ADD COLUMN enforced BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN fined BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN detained BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN fines_yuan BIGINT NOT NULL DEFAULT 0;
