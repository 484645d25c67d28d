ALTER TABLE case_tallies DROP COLUMN redone;
DROP INDEX wechat_messages_due;
DROP TABLE wechat_messages;
DROP TABLE poll_votes;
DROP TABLE polls;
DROP TABLE notice_reads;
DROP TABLE notices;
DROP INDEX residences_community;
DROP TABLE residences;
