-- Backups made by `caunoi backup` and the daily one in `caunoi run`: /stats and `caunoi status`
-- show the last good one; province admins are alerted when it is too old.
CREATE TABLE backups (
    id           INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    ok           INTEGER NOT NULL,        -- 1 = verified and given its final name
    path         TEXT,                    -- the final file (NULL when it failed)
    size         INTEGER,
    detail       TEXT                     -- "people 12, deliveries 40…" or the error
);
CREATE INDEX backups_ok ON backups (ok, finished_at);
