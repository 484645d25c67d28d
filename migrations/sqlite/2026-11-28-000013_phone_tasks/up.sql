-- Phone schema version 2: grid workers' phones keep their grids' tasks and report progress on
-- them offline. Every change of a task and every progress report is stamped by the sync clock
-- (`sync_ms`; `created_ms` tells new tasks from changed ones); a report made on a phone keeps
-- when it was made (`made_at`); the photos of a report are named here, so that their bytes are
-- kept and shown to whoever may see the task.
ALTER TABLE tasks ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX tasks_sync ON tasks (sync_ms);
ALTER TABLE task_events ADD COLUMN sync_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE task_events ADD COLUMN made_at TIMESTAMP;
CREATE INDEX task_events_sync ON task_events (sync_ms);
CREATE TABLE task_photos (
    event_id TEXT NOT NULL REFERENCES task_events(id),
    sha256   TEXT NOT NULL,
    PRIMARY KEY (event_id, sha256)
);
CREATE INDEX task_photos_sha256 ON task_photos (sha256);
