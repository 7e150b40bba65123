-- Counting the inbox under a commune filter walks people of that commune, then their items:
-- this index answers the status and kind filters without reading the items themselves.
CREATE INDEX voices_person_status ON voices (person_id, status, kind);
