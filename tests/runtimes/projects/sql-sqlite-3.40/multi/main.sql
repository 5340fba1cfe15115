.read mathutil.sql
.read lib/greet.sql
SELECT 'add(3, 4) = ' || (SELECT a + b FROM pairs WHERE a = 3 AND b = 4);
SELECT 'greet: hello, ' || name FROM greet;
