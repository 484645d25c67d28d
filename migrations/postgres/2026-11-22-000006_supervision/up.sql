-- Supervision: the working calendar deadlines are counted on, overdue steps, notifications to
-- streets, districts and departments, the transactional outbox of department webhooks, and the
-- whistle (吹哨报到). Keep in step with migrations/sqlite.

-- exceptions to the Monday–Friday week: public holidays and make-up workdays (调休)
CREATE TABLE calendar_days (
    date       TEXT PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- when the current step of a case was found overdue (cleared when a step starts)
ALTER TABLE cases ADD COLUMN overdue_at TIMESTAMP;
CREATE INDEX cases_due ON cases(overdue_at, deadline_at);

ALTER TABLE departments ADD COLUMN webhook_url TEXT;
ALTER TABLE departments ADD COLUMN webhook_secret TEXT;

CREATE TABLE notifications (
    id             TEXT PRIMARY KEY NOT NULL,
    recipient_type TEXT NOT NULL,
    recipient_id   TEXT NOT NULL,
    kind           TEXT NOT NULL,
    case_id        TEXT,
    whistle_id     TEXT,
    message        TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX notifications_recipient ON notifications(recipient_type, recipient_id, id);

-- one row per (event, department): written in the transaction of the event, sent by a worker
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    department_id   TEXT NOT NULL REFERENCES departments(id),
    district_id     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_district ON webhook_deliveries(district_id, status, id);

CREATE TABLE whistles (
    id                       TEXT PRIMARY KEY NOT NULL,
    case_id                  TEXT NOT NULL REFERENCES cases(id),
    district_id              TEXT NOT NULL,
    street_id                TEXT NOT NULL,
    summoned_by              TEXT,
    note                     TEXT,
    report_in_within_minutes INTEGER NOT NULL,
    deadline_at              TIMESTAMP NOT NULL,
    status                   TEXT NOT NULL,
    created_at               TIMESTAMP NOT NULL
);
CREATE INDEX whistles_street ON whistles(street_id, status, id);
CREATE INDEX whistles_case ON whistles(case_id);

CREATE TABLE whistle_departments (
    whistle_id    TEXT NOT NULL REFERENCES whistles(id),
    department_id TEXT NOT NULL REFERENCES departments(id),
    state         TEXT NOT NULL,
    reported_at   TIMESTAMP,
    lng           DOUBLE PRECISION,
    lat           DOUBLE PRECISION,
    distance_m    DOUBLE PRECISION,
    note          TEXT,
    attachments   TEXT NOT NULL,
    overdue_at    TIMESTAMP,
    PRIMARY KEY (whistle_id, department_id)
);
CREATE INDEX whistle_departments_department ON whistle_departments(department_id, state);
