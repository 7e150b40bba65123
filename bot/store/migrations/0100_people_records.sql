-- People records staff can trust (issue 13): a folded name for search, hamlets as data with a
-- comparison key and a status, and claims of roster rows by a typed phone.
-- caunoi_fold / caunoi_hamlet_key are Python functions the migrating connection provides
-- (bot/store/db.py); they are used only here, never in a trigger, view or index, so any
-- SQLite client can still read and write the file.

-- Folded name ("nguyen van an") for search by name without diacritics. Writers set it with the
-- name; a writer that changes the name without it leaves NULL (the trigger), and the store fills
-- NULL keys before searching (bot/store/leaders.py).
ALTER TABLE people ADD COLUMN name_key TEXT;
UPDATE people SET name_key = caunoi_fold(name) WHERE name IS NOT NULL;
CREATE INDEX people_name_key ON people (name_key);
CREATE INDEX people_name_unkeyed ON people (id) WHERE name_key IS NULL AND name IS NOT NULL;
-- Possible duplicates (same folded name in one hamlet) from the index alone.
CREATE INDEX people_same_name ON people (commune, hamlet, name_key);
CREATE TRIGGER people_name_changed AFTER UPDATE OF name ON people
    WHEN NEW.name IS NOT OLD.name AND NEW.name_key IS OLD.name_key
BEGIN
    UPDATE people SET name_key = NULL WHERE id = NEW.id;
END;

-- Hamlets: one row per commune and comparison key. 'approved' ones are offered as buttons;
-- 'proposed' ones were typed by a leader and wait for the commune's staff.
CREATE TABLE hamlets_v2 (
    commune     TEXT NOT NULL,
    key         TEXT NOT NULL,        -- bot.content.units.hamlet_key(name)
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'approved',   -- approved | proposed
    created_at  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (commune, key)
) WITHOUT ROWID;
CREATE INDEX hamlets_status ON hamlets_v2 (status, commune);
-- The roster's hamlets were checked by staff: approved. Names typed by leaders: proposed, the
-- most used spelling first so it becomes the name of its group.
INSERT OR IGNORE INTO hamlets_v2 (commune, key, name, status)
    SELECT commune, caunoi_hamlet_key(name), name, 'approved' FROM hamlets ORDER BY name;
INSERT OR IGNORE INTO hamlets_v2 (commune, key, name, status)
    SELECT commune, caunoi_hamlet_key(hamlet), hamlet, 'proposed' FROM people
    WHERE commune IS NOT NULL AND hamlet IS NOT NULL AND caunoi_hamlet_key(hamlet) != ''
    GROUP BY commune, hamlet ORDER BY count(*) DESC, hamlet;
-- Equal after folding = one hamlet: every person gets the name of their group.
UPDATE people SET hamlet = (SELECT h.name FROM hamlets_v2 h
                            WHERE h.commune = people.commune AND h.key = caunoi_hamlet_key(people.hamlet))
    WHERE commune IS NOT NULL AND hamlet IS NOT NULL AND caunoi_hamlet_key(hamlet) != '';
DROP TABLE hamlets;
ALTER TABLE hamlets_v2 RENAME TO hamlets;

-- A typed phone that is on the roster: the typist may be that person, or not. Staff decide.
CREATE TABLE claims (
    id          INTEGER PRIMARY KEY,
    claimant_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,   -- who typed the phone
    listed_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,   -- the roster row
    created_at  TEXT NOT NULL,
    UNIQUE (claimant_id, listed_id)
);
CREATE INDEX claims_listed ON claims (listed_id);
