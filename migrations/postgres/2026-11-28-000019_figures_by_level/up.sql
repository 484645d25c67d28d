-- Figures by level of command: how many of a unit's cases went up a level (提级) and how many were
-- handed down (下派), counted on each case's main tally row from its timeline (cases::tally).
ALTER TABLE case_tallies ADD COLUMN escalated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_tallies ADD COLUMN delegated BIGINT NOT NULL DEFAULT 0;
UPDATE case_tallies SET escalated = 1
    WHERE main AND case_id IN (SELECT case_id FROM case_events WHERE action = 'escalate');
UPDATE case_tallies SET delegated = 1
    WHERE main AND case_id IN (SELECT case_id FROM case_events WHERE action = 'delegate');
