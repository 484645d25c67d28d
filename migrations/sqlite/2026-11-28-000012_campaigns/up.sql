-- Campaigns and tasks (专项行动, 督办任务), and the clocks that fit the work: a category's time
-- limits count working or natural time, and a case carries the clock it counts on.
-- Keep in step with migrations/postgres.

ALTER TABLE categories ADD COLUMN clock TEXT NOT NULL DEFAULT 'working';
ALTER TABLE cases ADD COLUMN clock TEXT NOT NULL DEFAULT 'working';
-- a database made before the clock: the shipped catalogue's natural-time categories (the one
-- home of which is store/data/categories.csv, where each is named and why) and urgent cases
UPDATE categories SET clock = 'natural'
 WHERE code IN ('SJ04', 'ZL03', 'BJ0107', 'BJ0502', 'ZL0201', 'ZL0401', 'ZL0405')
    OR parent_code IN ('SJ04', 'ZL03');
UPDATE cases SET clock = 'natural'
 WHERE priority = 'urgent' OR category_code IN (SELECT code FROM categories WHERE clock = 'natural');
