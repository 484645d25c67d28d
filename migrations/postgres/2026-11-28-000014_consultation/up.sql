-- The consultation day (基层会商日) and joint meetings (联席会议): the problems a street and its
-- communities cannot solve alone (agenda items, 议题), the meetings that take them up, and the
-- decisions that leave the room with milestones — each milestone a task (督办任务, kind
-- `meeting`) owned by a department, supervised like any other task.

-- a district's own classes of agenda item, besides the four every district has
CREATE TABLE agenda_classes (
    district_id TEXT NOT NULL REFERENCES districts(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (district_id, code)
);

CREATE TABLE agenda_items (
    id                          TEXT PRIMARY KEY,
    district_id                 TEXT NOT NULL REFERENCES districts(id),
    street_id                   TEXT NOT NULL REFERENCES streets(id),
    community_id                TEXT REFERENCES communities(id),
    title                       TEXT NOT NULL,
    description                 TEXT NOT NULL,
    class                       TEXT NOT NULL,
    raised_by_type              TEXT NOT NULL,
    raised_by_id                TEXT NOT NULL,
    needs                       TEXT NOT NULL,
    case_ids                    TEXT NOT NULL,
    whistle_ids                 TEXT NOT NULL,
    proposed_lead_department_id TEXT REFERENCES departments(id),
    -- why gridhub proposed it, when it came from the candidates
    proposed_because            TEXT,
    status                      TEXT NOT NULL,
    version                     BIGINT NOT NULL,
    created_by                  TEXT,
    created_at                  TIMESTAMP NOT NULL,
    updated_at                  TIMESTAMP NOT NULL
);
CREATE INDEX agenda_items_street ON agenda_items (street_id, status);

-- what happened to an item: raised, screened, put on an agenda, decided, carried, resolved
CREATE TABLE agenda_events (
    id         TEXT PRIMARY KEY,
    item_id    TEXT NOT NULL REFERENCES agenda_items(id),
    action     TEXT NOT NULL,
    from_status TEXT,
    to_status  TEXT NOT NULL,
    meeting_id TEXT,
    actor_id   TEXT,
    note       TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX agenda_events_item ON agenda_events (item_id, id);

CREATE TABLE meetings (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    district_id TEXT NOT NULL REFERENCES districts(id),
    street_id   TEXT REFERENCES streets(id),
    title       TEXT NOT NULL,
    host        TEXT NOT NULL,
    starts_at   TIMESTAMP NOT NULL,
    place       TEXT NOT NULL,
    departments TEXT NOT NULL,
    people      TEXT NOT NULL,
    status      TEXT NOT NULL,
    summary     TEXT,
    version     BIGINT NOT NULL,
    created_by  TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX meetings_district ON meetings (district_id, starts_at);

-- the agenda: which items a meeting takes up, in order
CREATE TABLE meeting_items (
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    item_id    TEXT NOT NULL REFERENCES agenda_items(id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, item_id)
);
CREATE INDEX meeting_items_item ON meeting_items (item_id);

CREATE TABLE decisions (
    id         TEXT PRIMARY KEY,
    meeting_id TEXT NOT NULL REFERENCES meetings(id),
    item_id    TEXT NOT NULL REFERENCES agenda_items(id),
    summary    TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX decisions_meeting ON decisions (meeting_id);
CREATE INDEX decisions_item ON decisions (item_id);

-- a decision's milestones: each is a task; who helps, and what it delivers
CREATE TABLE milestones (
    task_id           TEXT PRIMARY KEY REFERENCES tasks(id),
    decision_id       TEXT NOT NULL REFERENCES decisions(id),
    position          INTEGER NOT NULL,
    co_department_ids TEXT NOT NULL,
    deliverable       TEXT NOT NULL
);
CREATE INDEX milestones_decision ON milestones (decision_id);

-- which street hosts the district's consultation day in which month
CREATE TABLE consultation_rotations (
    district_id TEXT NOT NULL REFERENCES districts(id),
    month       TEXT NOT NULL,
    street_id   TEXT NOT NULL REFERENCES streets(id),
    meeting_id  TEXT REFERENCES meetings(id),
    PRIMARY KEY (district_id, month)
);
