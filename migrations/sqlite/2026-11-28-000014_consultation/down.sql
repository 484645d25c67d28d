DROP TABLE consultation_rotations;
DROP TABLE milestones;
DROP TABLE decisions;
DROP TABLE meeting_items;
DROP TABLE meetings;
DROP TABLE agenda_events;
DROP TABLE agenda_items;
DROP TABLE agenda_classes;
