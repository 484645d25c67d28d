DROP INDEX patrols_cell_started;
DROP TABLE tally_state;
DROP TABLE digest_minutes;
DROP TABLE assessment_schemes;
DROP TABLE case_tallies;
