CREATE TABLE t(n INTEGER, name TEXT);
INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three');
SELECT n, name FROM t WHERE n = 3;
SELECT sum(n) FROM t;
