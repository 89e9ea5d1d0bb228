-- For the explored-image tests: SQL the exploration never ran (triggers, views, windows,
-- upserts, savepoints, a rollback, an index, a 2000-row transaction, output modes).
CREATE TABLE account(id INTEGER PRIMARY KEY, owner TEXT UNIQUE NOT NULL, balance INTEGER NOT NULL);
CREATE TABLE audit(n INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT, delta INTEGER);
CREATE TRIGGER log_change AFTER UPDATE OF balance ON account
  BEGIN INSERT INTO audit(owner, delta) VALUES (new.owner, new.balance - old.balance); END;
INSERT INTO account(owner, balance) VALUES ('ada', 100), ('bob', 50), ('cy', 0);
INSERT INTO account(owner, balance) VALUES ('bob', 75) ON CONFLICT(owner) DO UPDATE SET balance = excluded.balance;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 2000)
  INSERT INTO account(owner, balance) SELECT printf('user%04d', i), (i * 37) % 1000 FROM k;
COMMIT;
SAVEPOINT s1;
UPDATE account SET balance = balance - 30 WHERE owner = 'ada';
UPDATE account SET balance = balance + 30 WHERE owner = 'cy';
RELEASE s1;
BEGIN;
DELETE FROM account WHERE balance > 500;
ROLLBACK;
CREATE INDEX by_balance ON account(balance);
CREATE VIEW rich AS SELECT owner, balance FROM account WHERE balance >= 990;
.mode list
SELECT count(*), sum(balance), max(balance) FROM account;
SELECT * FROM audit ORDER BY n;
.headers on
.mode csv
SELECT owner, balance, rank() OVER (ORDER BY balance DESC, owner) AS r FROM rich ORDER BY r LIMIT 5;
.mode line
SELECT group_concat(owner, '+') AS few FROM (SELECT owner FROM account ORDER BY id LIMIT 4);
SELECT strftime('%Y-%m-%d %H:%M', '2024-02-29 13:45:00', '+1 year') AS later, hex(zeroblob(3)) AS z;
.mode box
SELECT balance / 100 AS bucket, count(*) AS n FROM account GROUP BY bucket ORDER BY bucket LIMIT 4;
