CREATE TABLE input(line TEXT);
.separator "\t"
.import "|cat" input
SELECT upper(line) FROM input;
