-- Evidence: the matched text of a finding as the item's kept text reads
-- (secrets masked), and where it is in that text (-1 when no text is kept).
ALTER TABLE findings ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN text_start INTEGER NOT NULL DEFAULT -1;
ALTER TABLE findings ADD COLUMN text_end INTEGER NOT NULL DEFAULT -1;
