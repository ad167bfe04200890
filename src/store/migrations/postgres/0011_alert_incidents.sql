-- One open health incident per account: what the daemon last alerted about, so a round that
-- finds the same problem again stays quiet and the round that finds it gone sends a recovery.
CREATE TABLE IF NOT EXISTS alert_incidents (
    account TEXT PRIMARY KEY NOT NULL,
    level TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    notified_at TIMESTAMPTZ NOT NULL
);

-- The health checks read an account's newest runs of a mode, by id.
CREATE INDEX IF NOT EXISTS sync_runs_account_mode_id ON sync_runs (account, mode, id);
