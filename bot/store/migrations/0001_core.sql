-- People (leaders and staff), their channel identities, profile and conversation state.
CREATE TABLE people (
    id             INTEGER PRIMARY KEY,
    name           TEXT,
    role           TEXT,               -- key from texts roles.*: truong_thon, to_truong, chi_doan, chi_hoi, khac
    association    TEXT,               -- for chi_hoi: key from texts associations.*
    commune        TEXT,
    hamlet         TEXT,
    phone          TEXT,               -- normalised 0xxxxxxxxx
    birth_year     INTEGER,
    consent_at     TEXT,               -- when the privacy notice was accepted
    registered_at  TEXT,               -- NULL until onboarding is confirmed
    stopped        INTEGER NOT NULL DEFAULT 0,   -- /stop: no broadcasts or reminders
    unreachable    INTEGER NOT NULL DEFAULT 0,   -- the channel said blocked / not found
    last_channel   TEXT,
    source         TEXT NOT NULL DEFAULT 'chat', -- chat | roster
    created_at     TEXT NOT NULL
);
CREATE INDEX people_place ON people (commune, hamlet);
CREATE INDEX people_role ON people (role);
CREATE UNIQUE INDEX people_phone ON people (phone) WHERE phone IS NOT NULL;

CREATE TABLE identities (
    channel       TEXT NOT NULL,       -- tg | zalo | console
    address       TEXT NOT NULL,       -- chat id on that channel
    person_id     INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    display_name  TEXT,
    options       TEXT NOT NULL DEFAULT '[]',  -- the options last shown here, [[label, payload], ...]
    last_seen     TEXT,
    PRIMARY KEY (channel, address)
) WITHOUT ROWID;
CREATE INDEX identities_person ON identities (person_id);

CREATE TABLE conversations (
    person_id   INTEGER PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    step        TEXT,                  -- pending step, e.g. onboarding.name; NULL when idle
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT
);

-- Hamlets learnt from the roster, added to those in content/units.yaml.
CREATE TABLE hamlets (
    commune  TEXT NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (commune, name)
) WITHOUT ROWID;
