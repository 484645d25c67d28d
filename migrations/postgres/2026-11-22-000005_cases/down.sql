DROP TABLE idempotency_keys;
DROP TABLE case_events;
DROP TABLE case_reporters;
DROP TABLE cases;
DROP TABLE routing_rules;
DROP TABLE categories;
ALTER TABLE departments DROP COLUMN phone;
