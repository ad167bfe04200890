-- The raw offer JSON (~2 KB) is above TOAST's threshold, so Postgres compresses every row a
-- sync writes; its default pglz was the largest single cost of a first sync on the server.
-- lz4 compresses several times faster for a similar size. Rows already stored keep pglz until
-- they are rewritten. A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE offers ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 unavailable (%); raw JSON stays pglz-compressed', SQLERRM;
END
$$;
