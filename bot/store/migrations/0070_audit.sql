-- Accountability: who (a staff identity) viewed sensitive data, exported, broadcast, changed
-- staff, merged or removed a leader; when, and in what scope. Entries outlive the leader they
-- name: `subject` is an id or a short label, never a leader's name or phone.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,       -- identity, e.g. tg:123, or cli:<user> for the operator
    action   TEXT NOT NULL,       -- e.g. admission.view, aspiration.view, export, broadcast, staff.add
    scope    TEXT NOT NULL DEFAULT '',   -- communes the actor acted over ('*' = all)
    subject  TEXT NOT NULL DEFAULT ''    -- what it was about: person:12, broadcast:3, ...
);
CREATE INDEX audit_log_at ON audit_log (at);
