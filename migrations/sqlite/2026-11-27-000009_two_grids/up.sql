-- Two kinds of grid: unit grids (单元网格, GB/T 30428.1: about a hectare, for locating and
-- counting) and governance grids (网格: a few hundred households, who answers). Every cell so
-- far was used as a governance grid, and stays one; a unit grid may name the governance grid it
-- lies in (parent_id). A code is unique among the active cells of its layer.
-- A case keeps the unit grid it was reported in beside its governance grid; a shelved case (挂账)
-- its next review. Departments say what kind of body they are; categories the national code.
-- Shipped routes offices correct (劳资纠纷 to 人社, …) change only where nobody edited them.
-- Keep in step with migrations/postgres.

ALTER TABLE cells ADD COLUMN layer TEXT NOT NULL DEFAULT 'governance';
ALTER TABLE cells ADD COLUMN parent_id TEXT;
DROP INDEX cells_active_code;
CREATE UNIQUE INDEX cells_active_code ON cells(layer, code) WHERE retired_at IS NULL;
CREATE INDEX cells_parent ON cells(parent_id);

ALTER TABLE cases ADD COLUMN unit_cell_id TEXT;
ALTER TABLE cases ADD COLUMN unit_code TEXT;
ALTER TABLE cases ADD COLUMN shelved_review_at TIMESTAMP;

ALTER TABLE departments ADD COLUMN kind TEXT NOT NULL DEFAULT 'government';

ALTER TABLE categories ADD COLUMN standard_code TEXT;
UPDATE categories SET default_department = 'renshe' WHERE code = 'ZL0103' AND default_department = 'sifa';
UPDATE categories SET default_department = 'weijian' WHERE code = 'ZL0405' AND default_department = 'minzheng';
UPDATE categories SET default_department = 'tiyu' WHERE code = 'BJ0601' AND default_department = 'minzheng';
UPDATE categories SET default_department = 'gongdian' WHERE code = 'BJ0105' AND default_department = 'zhujian';
UPDATE categories SET default_department = 'tongxin' WHERE code = 'BJ0106' AND default_department = 'zhujian';
UPDATE categories SET default_department = NULL WHERE code IN ('ZL05', 'ZL0501', 'ZL0502', 'ZL0503', 'ZL0504') AND default_department = 'minzheng';
