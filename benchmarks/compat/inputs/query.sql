CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, qty INT);
INSERT INTO t(name, qty) VALUES ('apple', 3), ('banana', 12), ('cherry', 100);
SELECT name, qty * 2 FROM t ORDER BY qty DESC;
SELECT count(*), sum(qty), printf('%.2f', avg(qty)) FROM t;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT group_concat(x) FROM c;
