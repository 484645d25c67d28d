DROP TABLE grid_state;
DROP TABLE cells;
