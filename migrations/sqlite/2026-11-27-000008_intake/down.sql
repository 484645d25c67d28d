UPDATE whistles SET status = 'complete' WHERE status = 'closed';
ALTER TABLE whistles DROP COLUMN closed_at;
DROP INDEX blobs_created;
ALTER TABLE blobs DROP COLUMN uploaded_by;
DROP INDEX attachments_event;
ALTER TABLE attachments DROP COLUMN event_id;
ALTER TABLE cases DROP COLUMN created_ms;
DROP INDEX case_events_timeline;
ALTER TABLE case_events DROP COLUMN occurred_at;
