-- One message to many people (a broadcast) is stored once and referred to from each delivery,
-- instead of a full copy per recipient (issue 20 item 11). Delivered payloads are pruned after
-- the retention period (bot/store/deliveries.prune).
CREATE TABLE delivery_bodies (
    id          INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,          -- Reply.to_dict() as JSON
    created_at  TEXT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN body_id INTEGER REFERENCES delivery_bodies (id) ON DELETE SET NULL;
CREATE INDEX deliveries_body ON deliveries (body_id) WHERE body_id IS NOT NULL;
CREATE INDEX deliveries_created ON deliveries (created_at);
