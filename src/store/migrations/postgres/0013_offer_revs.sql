-- The dashboard's product index (src/index.rs) keeps itself current by reading only the offers
-- written since it last looked: every transaction that writes offers of an account raises the
-- account's counter in `offer_revs` and stamps the rows it writes with the new value
-- (Store::next_rev). The counter row stays locked until the writer commits, so revisions of an
-- account become visible in the order they were given. Offers stored before this migration
-- keep rev 0; an index is built from every offer first.
ALTER TABLE offers ADD COLUMN IF NOT EXISTS rev BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS offers_rev ON offers (account, rev);
CREATE TABLE IF NOT EXISTS offer_revs (
    account TEXT PRIMARY KEY,
    rev BIGINT NOT NULL
);

-- What the product index replaces: the search columns' version triggers and write log
-- (0007), and the trigram index of the old substring search (0001), which only cost writes.
DROP TRIGGER IF EXISTS offer_versions_insert ON offers;
DROP TRIGGER IF EXISTS offer_versions_update ON offers;
DROP TRIGGER IF EXISTS offer_versions_delete ON offers;
DROP FUNCTION IF EXISTS offer_versions_count();
DROP FUNCTION IF EXISTS offer_versions_log(TEXT, BIGINT[]);
DROP TABLE IF EXISTS offer_writes;
DROP TABLE IF EXISTS offer_versions;
DROP INDEX IF EXISTS offers_search_trgm;
