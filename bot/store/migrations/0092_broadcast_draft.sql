-- Each composed broadcast carries its draft id; confirming the same draft again finds the stored
-- broadcast instead of queueing a second one (issue 20 item 9).
ALTER TABLE broadcasts ADD COLUMN draft_id TEXT;
CREATE UNIQUE INDEX broadcasts_draft ON broadcasts (draft_id) WHERE draft_id IS NOT NULL;
