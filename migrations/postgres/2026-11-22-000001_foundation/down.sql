DROP TABLE audit_log;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE communities;
DROP TABLE streets;
DROP TABLE districts;
