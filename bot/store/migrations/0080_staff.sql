-- Staff stored in the database (CAUNOI_ADMINS stays the bootstrap list of province admins).
-- `identity` is the channel identity as written everywhere else: tg:123, zalo:abc, console:an.
CREATE TABLE staff (
    identity   TEXT PRIMARY KEY,
    province   INTEGER NOT NULL DEFAULT 0,   -- every commune, manages staff
    sensitive  INTEGER NOT NULL DEFAULT 0,   -- may see aspirations (political opinion)
    added_by   TEXT NOT NULL,
    added_at   TEXT NOT NULL
) WITHOUT ROWID;

-- The communes a commune staff member covers (names as in content/units.yaml).
CREATE TABLE staff_communes (
    identity  TEXT NOT NULL REFERENCES staff (identity) ON DELETE CASCADE,
    commune   TEXT NOT NULL,
    PRIMARY KEY (identity, commune)
) WITHOUT ROWID;

-- One-time invitation codes a province admin hands to a new staff member; only a hash is kept.
CREATE TABLE staff_invites (
    code_hash   TEXT PRIMARY KEY,
    province    INTEGER NOT NULL DEFAULT 0,
    sensitive   INTEGER NOT NULL DEFAULT 0,
    communes    TEXT NOT NULL DEFAULT '[]',   -- JSON list of commune names
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     TEXT,
    used_at     TEXT
) WITHOUT ROWID;

