-- People who register after a class was planned are invited by a periodic job that looks only
-- at recent registrations: this index keeps that look cheap.
CREATE INDEX IF NOT EXISTS people_registered ON people (registered_at) WHERE registered_at IS NOT NULL;
