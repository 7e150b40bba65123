-- Wrong check-in codes per class and person (issue 20 item 7): kept in the database so that
-- starting /checkin again does not give five new tries.
CREATE TABLE checkin_tries (
    class_id   INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    tries      INTEGER NOT NULL DEFAULT 0,
    last_at    TEXT NOT NULL,
    PRIMARY KEY (class_id, person_id)
) WITHOUT ROWID;
