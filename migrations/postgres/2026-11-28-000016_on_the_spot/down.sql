ALTER TABLE categories DROP COLUMN on_the_spot;
