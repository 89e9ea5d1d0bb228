-- `make demo`: a short session with the SQLite shell running as a unikernel.
-- With a host volume (unicore run IMAGE -v HOSTDIR:/data -- /data/db.sqlite) the table stays
-- in HOSTDIR/db.sqlite after the unikernel exits.
CREATE TABLE IF NOT EXISTS visits(id INTEGER PRIMARY KEY, who TEXT NOT NULL, at TEXT NOT NULL);
INSERT INTO visits(who, at) VALUES ('unikernel', '2024-06-01'), ('host', '2024-06-02');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
  INSERT INTO visits(who, at) SELECT 'loop-' || (i % 3), date('2024-01-01', '+' || i || ' days') FROM n;
.headers on
.mode column
SELECT who, count(*) AS visits, min(at) AS first, max(at) AS last
  FROM visits GROUP BY who ORDER BY visits DESC, who;
SELECT sqlite_version() AS version, count(*) AS rows FROM visits;
