-- Cases (事件/案卷): the category catalogue, routing rules, the cases themselves, who reported
-- them, their timeline, and the keys that make a retried create harmless. Keep in step with
-- migrations/sqlite.

ALTER TABLE departments ADD COLUMN phone TEXT;

-- 部件/事件 and the social-governance categories: 大类 (BJ01) and 小类 (BJ0101). Seeded from
-- store/data/categories.csv at start (missing codes only), then edited by admins.
CREATE TABLE categories (
    code                   TEXT PRIMARY KEY NOT NULL,
    parent_code            TEXT REFERENCES categories(code),
    kind                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    default_department     TEXT,
    filing_criteria        TEXT NOT NULL,
    closing_criteria       TEXT NOT NULL,
    time_limits            TEXT NOT NULL,
    duplicate_radius_m     DOUBLE PRECISION NOT NULL,
    duplicate_window_hours INTEGER NOT NULL,
    active                 BOOLEAN NOT NULL DEFAULT TRUE,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_code, code);

-- (category or its 大类, street or any street of the district) → department
CREATE TABLE routing_rules (
    id            TEXT PRIMARY KEY NOT NULL,
    district_id   TEXT NOT NULL REFERENCES districts(id),
    category_code TEXT NOT NULL REFERENCES categories(code),
    street_id     TEXT REFERENCES streets(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    priority      INTEGER NOT NULL,
    created_by    TEXT,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX routing_rules_district ON routing_rules(district_id, category_code);

CREATE TABLE cases (
    id                TEXT PRIMARY KEY NOT NULL,
    district_id       TEXT REFERENCES districts(id),
    street_id         TEXT REFERENCES streets(id),
    community_id      TEXT REFERENCES communities(id),
    cell_id           TEXT REFERENCES cells(id),
    source            TEXT NOT NULL,
    category_code     TEXT NOT NULL REFERENCES categories(code),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    lng               DOUBLE PRECISION NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    address           TEXT,
    reporter_id       TEXT NOT NULL REFERENCES users(id),
    priority          TEXT NOT NULL,
    attachments       TEXT NOT NULL,
    reported_at       TIMESTAMP NOT NULL,
    received_at       TIMESTAMP NOT NULL,
    status            TEXT NOT NULL,
    step_started_at   TIMESTAMP,
    deadline_at       TIMESTAMP,
    suspended_from    TEXT,
    department_id     TEXT REFERENCES departments(id),
    assignee_id       TEXT REFERENCES users(id),
    routing_rule_id   TEXT,
    pending_extension TEXT,
    satisfaction      INTEGER,
    merged_into       TEXT REFERENCES cases(id),
    closed_at         TIMESTAMP,
    version           BIGINT NOT NULL DEFAULT 1,
    updated_at        TIMESTAMP NOT NULL
);
CREATE INDEX cases_district ON cases(district_id, id);
CREATE INDEX cases_street ON cases(street_id, id);
CREATE INDEX cases_community ON cases(community_id, id);
CREATE INDEX cases_cell ON cases(cell_id, status);
CREATE INDEX cases_department ON cases(department_id, id);
CREATE INDEX cases_nearby ON cases(category_code, lat, lng);
CREATE INDEX cases_deadline ON cases(deadline_at);

-- everyone who reported a case: its reporter, and the reporters of duplicates merged into it
CREATE TABLE case_reporters (
    case_id    TEXT NOT NULL REFERENCES cases(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    via_case   TEXT NOT NULL REFERENCES cases(id),
    at         TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_reporters_user ON case_reporters(user_id, case_id);

-- the timeline: every transition with who, when, why and with what evidence
CREATE TABLE case_events (
    id          TEXT PRIMARY KEY NOT NULL,
    case_id     TEXT NOT NULL REFERENCES cases(id),
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor_id    TEXT,
    actor_role  TEXT NOT NULL,
    note        TEXT,
    attachments TEXT NOT NULL,
    lng         DOUBLE PRECISION,
    lat         DOUBLE PRECISION,
    data        TEXT NOT NULL,
    at          TIMESTAMP NOT NULL
);
CREATE INDEX case_events_case ON case_events(case_id, at, id);

-- Idempotency-Key of a create: a retry with the same key returns the first case
CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    case_id      TEXT NOT NULL REFERENCES cases(id),
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
