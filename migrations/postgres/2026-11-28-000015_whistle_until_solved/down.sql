DROP TABLE whistle_requests;
DROP TABLE whistle_plans;
ALTER TABLE whistle_departments DROP COLUMN rated_at;
ALTER TABLE whistle_departments DROP COLUMN rating_note;
ALTER TABLE whistle_departments DROP COLUMN rating;
ALTER TABLE whistles DROP COLUMN closed_by;
ALTER TABLE whistles DROP COLUMN result;
