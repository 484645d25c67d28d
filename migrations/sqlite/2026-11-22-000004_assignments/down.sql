DROP TABLE scope_changes;
DROP TABLE assignments;
