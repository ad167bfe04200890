-- Local edits pushed to eMAG, and how syncs settled conflicts with them (issue 7).
-- Keep in step with ../sqlite/0002_edits.sql. Money is NUMERIC(19,4), timestamps
-- TIMESTAMPTZ, as in 0001. No CHECK constraints: `state` is written only by magsync and
-- the edited values are validated before they are queued, so a CHECK could only reject a value
-- eMAG itself accepts.

CREATE TABLE IF NOT EXISTS pending_edits (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    offer_id BIGINT NOT NULL,
    -- The product the edit was made for: eMAG may reuse the id for another product later.
    part_number TEXT,
    -- Edited values; NULL = this field is not edited.
    sale_price NUMERIC(19,4),
    recommended_price NUMERIC(19,4),
    stock INTEGER,
    status SMALLINT,
    -- eMAG's values each edited field was based on (what the mirror showed when editing).
    base_sale_price NUMERIC(19,4),
    base_recommended_price NUMERIC(19,4),
    base_stock INTEGER,
    base_status SMALLINT,
    created_at TIMESTAMPTZ NOT NULL,
    -- When the operator last changed the edit: "newest wins" compares this time.
    edited_at TIMESTAMPTZ NOT NULL,
    -- Bumped on every change, so a push never marks a newer version of the edit as sent.
    revision BIGINT NOT NULL DEFAULT 1,
    -- pending | pushed | rejected | conflict | discarded | cancelled
    state TEXT NOT NULL,
    -- eMAG's per-offer answer, or why magsync settled the edit the way it did.
    message TEXT,
    -- eMAG's values when a sync found them moved away from the base.
    remote_sale_price NUMERIC(19,4),
    remote_recommended_price NUMERIC(19,4),
    remote_stock INTEGER,
    remote_status SMALLINT,
    remote_changed_seen_at TIMESTAMPTZ,
    -- Which rule settled it (emag_priority, local_priority, newest_wins, manual, keep_local,
    -- keep_remote, recycled_id, already_applied) and in which run.
    settled_by TEXT,
    settled_run_id BIGINT,
    pushed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
-- At most one open edit per offer: edits are merged, never duplicated.
CREATE UNIQUE INDEX IF NOT EXISTS pending_edits_open
    ON pending_edits (account, offer_id) WHERE state IN ('pending', 'rejected', 'conflict');
CREATE INDEX IF NOT EXISTS pending_edits_state ON pending_edits (state, account);

-- How many conflicts a run met and how each was settled.
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS conflicts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS conflicts_emag_won BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS conflicts_local_won BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS conflicts_manual BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS edits_cancelled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN IF NOT EXISTS edits_confirmed BIGINT NOT NULL DEFAULT 0;
