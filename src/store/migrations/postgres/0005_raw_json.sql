-- The raw offer as `json` rather than `jsonb` (Postgres only; SQLite stores text already).
-- jsonb turned each offer's ~2 KB into its binary form on every write (~13 % of the server's
-- CPU in a first sync); json only validates the text. It also keeps the text exactly as eMAG
-- sent it (key order, number spelling), which jsonb did not. Nothing queries inside raw.
-- Existing rows are converted (the table is rewritten once) and keep their text, which is
-- jsonb's normal form as before. The rewrite compresses with lz4 where the server has it,
-- as 0004 set for the column.
DO $$
BEGIN
    SET LOCAL default_toast_compression = 'lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 unavailable (%); rewritten raw JSON is pglz-compressed', SQLERRM;
END
$$;
ALTER TABLE offers ALTER COLUMN raw TYPE json USING raw::json;
DO $$
BEGIN
    ALTER TABLE offers ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 unavailable (%); raw JSON stays pglz-compressed', SQLERRM;
END
$$;
