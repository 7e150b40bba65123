-- Voices: what leaders send (difficulties, concerns, suggestions, wishes), staff answers and
-- internal notes, the aspiration survey, and staff who asked for a digest of new items.
-- Everything hangs off people(id) ON DELETE CASCADE, so /delete_me removes it all.
CREATE TABLE voices (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,              -- kho_khan | tam_tu | gop_y | nguyen_vong
    body        TEXT NOT NULL DEFAULT '',   -- typed text or media caption (may be empty with media)
    media       TEXT NOT NULL DEFAULT '[]', -- [[media kind, channel file ref], ...]
    channel     TEXT,                       -- where it came from (file refs only work there)
    status      TEXT NOT NULL DEFAULT 'new',-- new | in_progress | answered | done
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX voices_created ON voices (created_at);
CREATE INDEX voices_status ON voices (status, created_at);
CREATE INDEX voices_person ON voices (person_id, created_at);

CREATE TABLE voice_entries (
    id          INTEGER PRIMARY KEY,
    voice_id    INTEGER NOT NULL REFERENCES voices (id) ON DELETE CASCADE,
    author_id   INTEGER REFERENCES people (id) ON DELETE SET NULL,
    author_name TEXT,
    kind        TEXT NOT NULL,              -- answer (sent to the leader) | note (staff only)
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX voice_entries_voice ON voice_entries (voice_id, id);

-- The aspiration survey; only "yes" and "maybe" are stored (a "not yet" stores nothing).
CREATE TABLE aspirations (
    person_id   INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    wish        TEXT NOT NULL,              -- yes | maybe
    helps       TEXT NOT NULL DEFAULT '',   -- comma list: class,talk,docs
    consent_at  TEXT NOT NULL,              -- explicit consent for this sensitive answer
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Staff who opted in to a periodic summary of new items, and the end of their last window.
CREATE TABLE voice_digests (
    person_id   INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    last_until  TEXT NOT NULL
);
