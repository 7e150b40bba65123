-- Evidence that a person cannot be reached on a channel: the same refusal (e.g. Zalo 403/404,
-- which the platform documents as "internal server error" / "not found") on several sends
-- spread over time. A person is marked unreachable only when the evidence holds (see
-- bot/channels/zalo_delivery.py); one row per person and channel, deleted with the person.
CREATE TABLE delivery_failures (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    channel   TEXT NOT NULL,
    code      INTEGER NOT NULL,   -- the platform's error code
    sends     INTEGER NOT NULL,   -- refused sends with this code since first_at
    first_at  TEXT NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (person_id, channel)
);
