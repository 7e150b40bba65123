-- Whom a queued message is about, when it names someone other than its recipient (the staff
-- digest lists leaders' names and words): /delete_me purges those rows too (issue 20 item 13).
CREATE TABLE delivery_subjects (
    delivery_id  INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (delivery_id, person_id)
) WITHOUT ROWID;
CREATE INDEX delivery_subjects_person ON delivery_subjects (person_id);
CREATE INDEX roster_uploads_created ON roster_uploads (created_at);
