-- Products table at a million offers (issue 5). Keep in step with ../postgres/0003_search.sql.
-- Each sort key gets an index on exactly the expression search.rs sorts on (SortKey::expr)
-- plus account and id, so a page in any order, and the page after any keyset cursor, is read
-- off the index instead of sorting a million rows (150–350 ms each before). Every index costs
-- the write path: bench_store figures are in the commit that added this file.

-- Part numbers are searched through the FTS index; nothing looks them up by equality, so the
-- plain indexes only cost writes. The sort index below replaces the part number one.
DROP INDEX IF EXISTS offers_part_number;
DROP INDEX IF EXISTS offers_part_number_key;
CREATE INDEX IF NOT EXISTS offers_sort_part_number ON offers ((COALESCE(part_number, '')), account, id);
CREATE INDEX IF NOT EXISTS offers_sort_price ON offers ((COALESCE(sale_price, -10000)), account, id);
-- Also answers the stock filters (zero, low), written on the same expression.
CREATE INDEX IF NOT EXISTS offers_sort_stock ON offers ((COALESCE(general_stock, -1)), account, id);
CREATE INDEX IF NOT EXISTS offers_sort_rank ON offers ((COALESCE(buy_button_rank, 2147483647)), account, id);
CREATE INDEX IF NOT EXISTS offers_sort_changed ON offers (last_changed_at, account, id);
CREATE INDEX IF NOT EXISTS offers_sort_id ON offers (id, account);
-- The "missing" filter; partial, so only offers eMAG no longer lists have an entry.
CREATE INDEX IF NOT EXISTS offers_missing ON offers (missing_since) WHERE missing_since IS NOT NULL;
