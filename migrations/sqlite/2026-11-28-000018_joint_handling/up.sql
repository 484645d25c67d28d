-- Joint handling (联动处置): a case has one lead department (主办, cases.department_id) and may have
-- assisting departments (协办), each with its part — accepted and reported with the case's own
-- accept and handle, on the case's clock, waived by the office, or returned to it. The rule is the
-- table PARTS in store/src/cases/lifecycle.rs.
CREATE TABLE case_parts (
    case_id TEXT NOT NULL REFERENCES cases (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    status TEXT NOT NULL,
    step_started_at TIMESTAMP,
    deadline_at TIMESTAMP,
    overdue_at TIMESTAMP,
    -- when it first ran past a deadline while open: not on time (协办按期率)
    late_at TIMESTAMP,
    accepted_by TEXT REFERENCES users (id),
    note TEXT,
    dispatched_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    PRIMARY KEY (case_id, department_id)
);
CREATE INDEX case_parts_department ON case_parts (department_id, status);
CREATE INDEX case_parts_deadline ON case_parts (deadline_at) WHERE overdue_at IS NULL;
-- A department may belong to a street (the street's own units: 综合执法队, 派出所, 司法所, property
-- managers): the street dispatches to it without the district, and its staff file in that street.
ALTER TABLE departments ADD COLUMN street_id TEXT REFERENCES streets (id);
