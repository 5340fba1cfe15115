CREATE TABLE input(line TEXT);
.separator "\t"
.import /dev/stdin input
SELECT upper(line) FROM input;
