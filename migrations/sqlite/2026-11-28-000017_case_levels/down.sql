DROP INDEX cases_level;
ALTER TABLE cases DROP COLUMN level;
