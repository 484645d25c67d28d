ALTER TABLE departments DROP COLUMN street_id;
DROP TABLE case_parts;
