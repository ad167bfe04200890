-- A counter per account, raised by every statement that writes its offers, in the writing
-- transaction itself. The products search's in-memory columns hold the offers as one
-- transaction saw them; they are current for a later transaction exactly when it sees the
-- same counters. (Postgres' own snapshot would tell too, but changes with every write to any
-- database of the cluster.) One row per account, so syncs of different accounts never wait
-- for each other here; rows are locked in account order, so no two writers deadlock.
CREATE TABLE IF NOT EXISTS offer_versions (
    account TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION offer_versions_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- An update that moves an offer to another account changes both.
        INSERT INTO offer_versions (account, version)
        SELECT account, 1 FROM (SELECT account FROM written UNION SELECT account FROM before) AS a
        ORDER BY account
        ON CONFLICT (account) DO UPDATE SET version = offer_versions.version + 1;
    ELSE
        INSERT INTO offer_versions (account, version)
        SELECT DISTINCT account, 1 FROM written ORDER BY account
        ON CONFLICT (account) DO UPDATE SET version = offer_versions.version + 1;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS offer_versions_insert ON offers;
CREATE TRIGGER offer_versions_insert AFTER INSERT ON offers
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION offer_versions_count();
DROP TRIGGER IF EXISTS offer_versions_update ON offers;
CREATE TRIGGER offer_versions_update AFTER UPDATE ON offers
    REFERENCING OLD TABLE AS before NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION offer_versions_count();
DROP TRIGGER IF EXISTS offer_versions_delete ON offers;
CREATE TRIGGER offer_versions_delete AFTER DELETE ON offers
    REFERENCING OLD TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION offer_versions_count();
