-- /link: a 6-digit code shown on one channel and typed on the other joins the two identities.
CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,      -- 6 digits, unique among live codes
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,         -- where the code was shown; it must be typed elsewhere
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX link_codes_person ON link_codes (person_id);

-- Wrong codes typed, to stop guessing (a few tries per hour per person).
CREATE TABLE link_failures (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    at         TEXT NOT NULL
);
CREATE INDEX link_failures_person ON link_failures (person_id, at);
