-- Fixes on the spot (随手办): categories a grid worker may fix and close in one step from the
-- report. A database made before: the shipped catalogue's (named, and why, in
-- store/data/categories.csv, the one home of the list).
ALTER TABLE categories ADD COLUMN on_the_spot BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE categories SET on_the_spot = TRUE
 WHERE code IN ('SJ0102', 'SJ0104', 'SJ0106', 'SJ0201', 'SJ0204', 'SJ0502', 'SJ0505');
