-- /link guessing (issue 20 item 1): wrong codes counted per channel identity and over all of them,
-- in a table with no reference to people, so /delete_me or a new account does not reset the count.
CREATE TABLE link_guesses (
    id       INTEGER PRIMARY KEY,
    channel  TEXT NOT NULL,
    address  TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX link_guesses_identity ON link_guesses (channel, address, at);
CREATE INDEX link_guesses_at ON link_guesses (at);

-- A right code no longer merges at once: it is claimed, and the person who asked for the code
-- confirms on their own channel ("Liên kết với tài khoản …?") before anything is joined.
ALTER TABLE link_codes ADD COLUMN claimed_by INTEGER REFERENCES people (id) ON DELETE SET NULL;
ALTER TABLE link_codes ADD COLUMN claimed_channel TEXT;
ALTER TABLE link_codes ADD COLUMN claimed_address TEXT;
