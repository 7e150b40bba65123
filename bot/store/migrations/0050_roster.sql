-- Roster files staff sent to the bot, kept between the dry-run report and "Áp dụng".
CREATE TABLE roster_uploads (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    file_name   TEXT NOT NULL,
    data        BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX roster_uploads_person ON roster_uploads (person_id);
CREATE INDEX people_source ON people (source) WHERE source = 'roster';
