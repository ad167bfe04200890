-- offer_eans held one row per EAN of each offer and was never read: the products search finds
-- EANs through the folded search text (FTS5 on SQLite, trigrams on Postgres), and the offer's
-- own `eans` column and raw JSON keep the list. Keeping it in step cost every written offer a
-- delete and inserts into three B-trees, one of them (by EAN) in random order.
DROP TABLE IF EXISTS offer_eans;
