DROP TABLE task_photos;
DROP INDEX task_events_sync;
ALTER TABLE task_events DROP COLUMN made_at;
ALTER TABLE task_events DROP COLUMN sync_ms;
DROP INDEX tasks_sync;
ALTER TABLE tasks DROP COLUMN created_ms;
ALTER TABLE tasks DROP COLUMN sync_ms;
