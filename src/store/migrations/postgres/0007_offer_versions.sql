-- A counter per account, raised by every statement that writes its offers, in the writing
-- transaction itself, and the ids each such statement wrote. The products search's in-memory
-- columns hold the offers as one transaction saw them: they are current for a later
-- transaction exactly when it sees the same counters, and the log tells which offers to
-- read afresh when it does not. (Postgres' own snapshot would tell too, but changes with
-- every write to any database of the cluster.) One counter row per account, so syncs of
-- different accounts never wait for each other here; rows are locked in account order, so
-- no two writers deadlock. The log keeps each account's last 2 000 statements.
CREATE TABLE IF NOT EXISTS offer_versions (
    account TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS offer_writes (
    account TEXT NOT NULL,
    version BIGINT NOT NULL,
    ids BIGINT[] NOT NULL,
    PRIMARY KEY (account, version)
);

CREATE OR REPLACE FUNCTION offer_versions_log(written_account TEXT, written_ids BIGINT[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
BEGIN
    INSERT INTO offer_versions (account, version) VALUES (written_account, 1)
    ON CONFLICT (account) DO UPDATE SET version = offer_versions.version + 1
    RETURNING version INTO v;
    -- A row of this version can only be left from before the counters were reset; a write
    -- must never fail for the log's sake.
    INSERT INTO offer_writes (account, version, ids) VALUES (written_account, v, written_ids)
    ON CONFLICT (account, version) DO UPDATE SET ids = excluded.ids;
    DELETE FROM offer_writes WHERE account = written_account AND version <= v - 2000;
END
$$;

CREATE OR REPLACE FUNCTION offer_versions_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    w record;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- An update that moves an offer to another account changes both.
        FOR w IN
            SELECT account, array_agg(DISTINCT id) AS ids
            FROM (SELECT account, id FROM written UNION ALL SELECT account, id FROM before) AS c
            GROUP BY account ORDER BY account
        LOOP
            PERFORM offer_versions_log(w.account, w.ids);
        END LOOP;
    ELSE
        FOR w IN
            SELECT account, array_agg(DISTINCT id) AS ids FROM written
            GROUP BY account ORDER BY account
        LOOP
            PERFORM offer_versions_log(w.account, w.ids);
        END LOOP;
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
