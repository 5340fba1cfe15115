CREATE TABLE greet(name TEXT);
INSERT INTO greet VALUES ('runlet');
