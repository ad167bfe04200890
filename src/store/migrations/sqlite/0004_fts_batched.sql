-- New offers reach the FTS index from the sync's write path, one INSERT ... SELECT per batch
-- (Store::write_offers), instead of from a row trigger. The trigger made every multi-row insert
-- open a statement journal, and FTS5 flushes its pending index to a new segment at each
-- statement: 2,000 offers written in four statements made four small segments to merge later.
-- Offers are inserted nowhere else. Updates and deletes keep their triggers.
DROP TRIGGER IF EXISTS offers_fts_insert;
