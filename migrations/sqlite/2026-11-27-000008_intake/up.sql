-- Nothing a phone sends is lost or hidden: when an event happened (the phone's time) apart from
-- when the server recorded it; the stamp at which a case was filed (pulls tell new cases from
-- changed ones by it); the event a photo belongs to and who uploaded its bytes (so they can read
-- it back before a record names it, and orphans can be removed); a whistle that closes.
-- Keep in step with migrations/postgres.

ALTER TABLE case_events ADD COLUMN occurred_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
UPDATE case_events SET occurred_at = at;
CREATE INDEX case_events_timeline ON case_events(case_id, occurred_at, id);

ALTER TABLE cases ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET created_ms = COALESCE(
    (SELECT MIN(e.sync_ms) FROM case_events e WHERE e.case_id = cases.id AND e.action = 'report'), sync_ms);

ALTER TABLE attachments ADD COLUMN event_id TEXT;
CREATE INDEX attachments_event ON attachments(event_id);

ALTER TABLE blobs ADD COLUMN uploaded_by TEXT;
CREATE INDEX blobs_created ON blobs(created_at);

ALTER TABLE whistles ADD COLUMN closed_at TIMESTAMP;
UPDATE whistles SET status = 'closed', closed_at = deadline_at WHERE status = 'complete';
