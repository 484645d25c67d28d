ALTER TABLE case_tallies DROP COLUMN redone;
DROP TABLE poll_votes;
DROP TABLE polls;
DROP TABLE notice_reads;
DROP TABLE notices;
DROP INDEX residences_community;
DROP TABLE residences;
