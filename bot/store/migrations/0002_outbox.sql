-- Durable delivery: everything sent that is not a direct reply. Unique per (kind, ref, person).
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,          -- broadcast | reminder | invitation | answer | ...
    ref         TEXT NOT NULL,          -- what it is about, e.g. broadcast id, "class:7:1d"
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,          -- channel chosen at enqueue (the person's last used)
    payload     TEXT NOT NULL,          -- Reply.to_dict() as JSON
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending | sending | sent | failed | blocked | unknown | skipped
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    message_id  TEXT,
    error       TEXT,
    UNIQUE (kind, ref, person_id)
);
CREATE INDEX deliveries_due ON deliveries (channel, status, not_before, id);
CREATE INDEX deliveries_ref ON deliveries (kind, ref, status);
