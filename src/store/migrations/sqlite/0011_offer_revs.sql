-- The dashboard's product index (src/index.rs) keeps itself current by reading only the offers
-- written since it last looked: every transaction that writes offers of an account raises the
-- account's counter in `offer_revs` and stamps the rows it writes with the new value
-- (Store::next_rev). Offers stored before this migration keep rev 0; an index is built from
-- every offer first, so it needs them only by their counter being absent.
ALTER TABLE offers ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS offers_rev ON offers (account, rev);
CREATE TABLE IF NOT EXISTS offer_revs (
    account TEXT PRIMARY KEY,
    rev INTEGER NOT NULL
);

-- The word-prefix FTS index answered the old search; the product index and a substring scan
-- (CLI) answer the one meaning of a search now, so it only cost the write path.
DROP TRIGGER IF EXISTS offers_fts_insert;
DROP TRIGGER IF EXISTS offers_fts_update;
DROP TRIGGER IF EXISTS offers_fts_delete;
DROP TABLE IF EXISTS offers_fts;
