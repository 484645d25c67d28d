-- Levels of command (两级指挥、三级联动): the level whose office commands a case — files,
-- rejects and dispatches it — community, street (every case so far) or district. A level
-- escalates a case one level up (提级) or hands it down (下派); the rule is the table LEVELS in
-- store/src/cases/lifecycle.rs.
ALTER TABLE cases ADD COLUMN level TEXT NOT NULL DEFAULT 'street';
CREATE INDEX cases_level ON cases (level, status);
