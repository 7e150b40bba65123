-- Staff broadcasts: the message, who sent it and to whom, and who pressed "Đã nhận".
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    staff_id      INTEGER REFERENCES people (id) ON DELETE SET NULL,  -- who sent it
    text          TEXT NOT NULL,
    audience      TEXT NOT NULL,        -- JSON {"kind": "all" | "commune" | "role" | "no_quiz" | "no_rsvp", "value": ...}
    recipients    INTEGER NOT NULL DEFAULT 0,
    not_before    TEXT NOT NULL,        -- send time (now, or the time staff scheduled)
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT,
    progress      TEXT,                 -- the progress text last shown to staff (edited only when it changes)
    finished_at   TEXT                  -- set once no delivery of it is pending or sending
);
CREATE INDEX broadcasts_open ON broadcasts (finished_at, id);

CREATE TABLE broadcast_acks (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    acked_at      TEXT NOT NULL,
    PRIMARY KEY (broadcast_id, person_id)
) WITHOUT ROWID;

-- The outbox workers' idle poll: due pending rows of one channel in id order, cheaply.
CREATE INDEX deliveries_pending ON deliveries (channel, id) WHERE status = 'pending';
-- Who got which delivery (ack checks, person's own rows).
CREATE INDEX deliveries_person ON deliveries (person_id, kind, ref);
