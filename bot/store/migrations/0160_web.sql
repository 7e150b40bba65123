-- The staff web dashboard (bot/web): one-time login links and browser sessions. Only SHA-256
-- hashes of the link token and of the session id are stored, so a copy of the database does
-- not let anyone log in. `identity` is a staff identity such as tg:123.
CREATE TABLE web_logins (
    token_hash  TEXT PRIMARY KEY,
    identity    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX web_logins_expires ON web_logins (expires_at);

CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    identity    TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   TEXT NOT NULL
);
CREATE INDEX web_sessions_identity ON web_sessions (identity);
