-- Back to one grid: unit grids are removed (the older schema has no place for them), the
-- corrected routes stay as they are.
ALTER TABLE categories DROP COLUMN standard_code;
ALTER TABLE departments DROP COLUMN kind;
UPDATE cases SET status = 'filed' WHERE status = 'shelved';
ALTER TABLE cases DROP COLUMN shelved_review_at;
ALTER TABLE cases DROP COLUMN unit_code;
ALTER TABLE cases DROP COLUMN unit_cell_id;
DROP INDEX cells_parent;
DROP INDEX cells_active_code;
DELETE FROM cells WHERE layer = 'unit';
ALTER TABLE cells DROP COLUMN parent_id;
ALTER TABLE cells DROP COLUMN layer;
CREATE UNIQUE INDEX cells_active_code ON cells(code) WHERE retired_at IS NULL;
