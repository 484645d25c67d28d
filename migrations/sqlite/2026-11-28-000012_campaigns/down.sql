ALTER TABLE notifications DROP COLUMN task_id;
DROP TABLE task_events;
DROP TABLE tasks;
ALTER TABLE cases DROP COLUMN clock;
ALTER TABLE categories DROP COLUMN clock;
