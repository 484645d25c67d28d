ALTER TABLE case_tallies DROP COLUMN delegated;
ALTER TABLE case_tallies DROP COLUMN escalated;
