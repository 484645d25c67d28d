-- Residents (民情民意): where a resident lives, verified by their community; the community's
-- notices (通知公告) with read receipts; its consultations (居民议事) with one vote per resident,
-- held by the database; WeChat subscribe messages to residents; Open311 API keys; and the figures' count of requests redone after a poor rating (重办).
-- Keep in step with migrations/sqlite.

-- one residence per resident: they say where they live, the community verifies or rejects it
CREATE TABLE residences (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL UNIQUE REFERENCES users(id),
    community_id TEXT NOT NULL REFERENCES communities(id),
    building     TEXT,
    room         TEXT,
    status       TEXT NOT NULL,
    reason       TEXT,
    decided_by   TEXT,
    decided_at   TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX residences_community ON residences (community_id, status);

CREATE TABLE notices (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    building     TEXT,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    attachments  TEXT NOT NULL,
    author_id    TEXT NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX notices_community ON notices (community_id, created_at);

CREATE TABLE notice_reads (
    notice_id TEXT NOT NULL REFERENCES notices(id),
    user_id   TEXT NOT NULL REFERENCES users(id),
    read_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);

CREATE TABLE polls (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    question     TEXT NOT NULL,
    options      TEXT NOT NULL,
    opens_at     TIMESTAMP NOT NULL,
    closes_at    TIMESTAMP NOT NULL,
    author_id    TEXT NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX polls_community ON polls (community_id, closes_at);

-- one vote per resident per poll: the primary key says so, whatever the requests race to do
CREATE TABLE poll_votes (
    poll_id  TEXT NOT NULL REFERENCES polls(id),
    user_id  TEXT NOT NULL REFERENCES users(id),
    choice   INTEGER NOT NULL,
    voted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (poll_id, user_id)
);

-- WeChat subscribe messages (订阅消息) to residents, through an outbox like the webhooks': written
-- in the transaction of what they tell, sent by a worker, retried, dead-lettered; a resident who
-- has not subscribed is not retried
CREATE TABLE wechat_messages (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users(id),
    template        TEXT NOT NULL,
    page            TEXT NOT NULL,
    data            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);
CREATE INDEX wechat_messages_due ON wechat_messages (status, next_attempt_at);

-- Open311 GeoReport v2 API keys: issued by system admins, each of one district, each filing its
-- requests as its own resident account; only a hash of the key is kept
CREATE TABLE open311_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    district_id TEXT NOT NULL REFERENCES districts(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    key_hash   TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

ALTER TABLE case_tallies ADD COLUMN redone BIGINT NOT NULL DEFAULT 0;
