-- The office's desk: what each case counts for in the figures (绩效评价), kept in the transaction
-- of every event of its timeline so that a district's month sums in one indexed read; the
-- districts' assessment schemes (versioned by the month they take effect); the findings of each
-- monthly analysis meeting (民情研判会). Keep in step with migrations/postgres.

-- one row per (case, department that held it; '' for none): the department's steps on it, and on
-- exactly one row per case (main) what the case itself counts for. Void and merged cases have none.
CREATE TABLE case_tallies (
    case_id          TEXT NOT NULL,
    department_id    TEXT NOT NULL,
    main             BOOLEAN NOT NULL,
    district_id      TEXT,
    street_id        TEXT,
    community_id     TEXT,
    cell_id          TEXT,
    unit_cell_id     TEXT,
    category_code    TEXT NOT NULL,
    major_code       TEXT NOT NULL,
    source           TEXT NOT NULL,
    reporter_id      TEXT NOT NULL,
    day              TEXT NOT NULL,
    closed_day       TEXT,
    overdue_day      TEXT,
    reported         BIGINT NOT NULL,
    filed            BIGINT NOT NULL,
    due_to_close     BIGINT NOT NULL,
    closed           BIGINT NOT NULL,
    closed_on_time   BIGINT NOT NULL,
    self_handled     BIGINT NOT NULL,
    evaluated        BIGINT NOT NULL,
    satisfied        BIGINT NOT NULL,
    overdue          BIGINT NOT NULL,
    dispatched_cases BIGINT NOT NULL,
    handled_cases    BIGINT NOT NULL,
    dispatched       BIGINT NOT NULL,
    accepted         BIGINT NOT NULL,
    accepted_on_time BIGINT NOT NULL,
    handled          BIGINT NOT NULL,
    handled_on_time  BIGINT NOT NULL,
    returned         BIGINT NOT NULL,
    reworked         BIGINT NOT NULL,
    file_steps       BIGINT NOT NULL,
    file_minutes     BIGINT NOT NULL,
    dispatch_steps   BIGINT NOT NULL,
    dispatch_minutes BIGINT NOT NULL,
    accept_minutes   BIGINT NOT NULL,
    handle_minutes   BIGINT NOT NULL,
    verify_steps     BIGINT NOT NULL,
    verify_minutes   BIGINT NOT NULL,
    PRIMARY KEY (case_id, department_id)
);
CREATE INDEX case_tallies_district_day ON case_tallies(district_id, day);
CREATE INDEX case_tallies_district_closed ON case_tallies(district_id, closed_day);
CREATE INDEX case_tallies_district_overdue ON case_tallies(district_id, overdue_day);
CREATE INDEX case_tallies_department_day ON case_tallies(department_id, day);

CREATE TABLE assessment_schemes (
    id             TEXT PRIMARY KEY NOT NULL,
    district_id    TEXT NOT NULL REFERENCES districts(id),
    effective_from TEXT NOT NULL,
    weights        TEXT NOT NULL,
    note           TEXT,
    created_by     TEXT,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX assessment_schemes_district ON assessment_schemes(district_id, effective_from);

CREATE TABLE digest_minutes (
    id          TEXT PRIMARY KEY NOT NULL,
    scope_type  TEXT NOT NULL,
    scope_id    TEXT NOT NULL,
    month       TEXT NOT NULL,
    attendees   TEXT NOT NULL,
    findings    TEXT NOT NULL,
    decisions   TEXT NOT NULL,
    recorded_by TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX digest_minutes_scope ON digest_minutes(scope_type, scope_id, month);

-- whether the cases from before the tallies have been counted (once, at the first start after this)
CREATE TABLE tally_state (
    id          INTEGER PRIMARY KEY NOT NULL,
    backfilled  BOOLEAN NOT NULL
);
INSERT INTO tally_state (id, backfilled) VALUES (1, false);

-- patrols by cell and time, for patrol coverage
CREATE INDEX patrols_cell_started ON patrols(cell_id, started_at);
