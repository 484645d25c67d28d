DROP TABLE whistle_departments;
DROP TABLE whistles;
DROP TABLE webhook_deliveries;
DROP TABLE notifications;
ALTER TABLE departments DROP COLUMN webhook_secret;
ALTER TABLE departments DROP COLUMN webhook_url;
DROP INDEX cases_due;
ALTER TABLE cases DROP COLUMN overdue_at;
DROP TABLE calendar_days;
