-- Classes (lớp bồi dưỡng): the schedule is the truth; reminders are derived from it.
CREATE TABLE classes (
    id               INTEGER PRIMARY KEY,
    title            TEXT NOT NULL,
    place            TEXT NOT NULL,
    starts_at        TEXT NOT NULL,               -- ISO UTC
    minutes          INTEGER NOT NULL DEFAULT 240, -- length, for the calendar file and check-in window
    topics           TEXT NOT NULL DEFAULT '[]',  -- JSON list of topic ids
    audience         TEXT NOT NULL DEFAULT '{"kind": "all"}',  -- {"kind": all|communes|role, ...}
    status           TEXT NOT NULL DEFAULT 'scheduled',        -- scheduled | cancelled
    version          INTEGER NOT NULL DEFAULT 1,  -- optimistic locking; part of change/reminder refs
    reminders_from   TEXT NOT NULL,               -- reminders due before this (creation/edit) are not sent
    next_reminder_at TEXT,                        -- earliest reminder still to enqueue; NULL = none
    checkin_code     TEXT,
    checkin_until    TEXT,
    created_by       INTEGER REFERENCES people (id) ON DELETE SET NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
-- The reminder job's idle run is one probe of this partial index.
CREATE INDEX classes_reminder_due ON classes (next_reminder_at) WHERE next_reminder_at IS NOT NULL;
CREATE INDEX classes_upcoming ON classes (status, starts_at);

CREATE TABLE class_invitees (
    class_id     INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    rsvp         TEXT,                            -- NULL = no answer | yes | no
    reason       TEXT,
    answered_at  TEXT,
    attended_at  TEXT,                            -- NULL = not marked present
    attended_by  TEXT,                            -- staff | checkin
    invited_at   TEXT NOT NULL,
    PRIMARY KEY (class_id, person_id)
) WITHOUT ROWID;
CREATE INDEX class_invitees_person ON class_invitees (person_id);
