-- magsync schema, Postgres dialect. Keep in step with ../sqlite/0001_init.sql.
-- Money is NUMERIC(19,4); timestamps are TIMESTAMPTZ; JSON is JSONB.
-- No CHECK constraint restricts values that come from eMAG (currencies, statuses...).

CREATE TABLE IF NOT EXISTS offers (
    account TEXT NOT NULL,
    id BIGINT NOT NULL,
    part_number TEXT,
    part_number_key TEXT,
    name TEXT,
    brand TEXT,
    description TEXT,
    url TEXT,
    category_id BIGINT,
    vendor_category_id BIGINT,
    warranty INTEGER,
    eans JSONB NOT NULL DEFAULT '[]',
    sale_price NUMERIC(19,4),
    recommended_price NUMERIC(19,4),
    min_sale_price NUMERIC(19,4),
    max_sale_price NUMERIC(19,4),
    best_offer_sale_price NUMERIC(19,4),
    best_offer_recommended_price NUMERIC(19,4),
    currency TEXT,
    vat_id INTEGER,
    status SMALLINT,
    general_stock INTEGER,
    estimated_stock INTEGER,
    stock JSONB NOT NULL DEFAULT '[]',
    handling_time JSONB NOT NULL DEFAULT '[]',
    handling_time_days INTEGER,
    validation_status SMALLINT,
    validation_status_description TEXT,
    translation_validation_status SMALLINT,
    offer_validation_status SMALLINT,
    offer_validation_status_description TEXT,
    ownership SMALLINT,
    number_of_offers INTEGER,
    buy_button_rank INTEGER,
    offer_details_id BIGINT,
    images JSONB NOT NULL DEFAULT '[]',
    raw JSONB NOT NULL,
    content_hash TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_changed_at TIMESTAMPTZ NOT NULL,
    missing_since TIMESTAMPTZ,
    -- the run that last created or changed this offer
    last_run_id BIGINT,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS offers_part_number ON offers (part_number);
CREATE INDEX IF NOT EXISTS offers_part_number_key ON offers (part_number_key);
-- Status and stock filters of the products table ("inactive, low stock").
CREATE INDEX IF NOT EXISTS offers_status_stock ON offers (status, general_stock);
-- Keyset paging of the products table in its default order (name).
CREATE INDEX IF NOT EXISTS offers_sort_name ON offers ((COALESCE(name, '')), account, id);

-- When each offer was last seen by a scan. Kept apart from the wide offers row because every
-- scan touches every offer it sees: updating a narrow row is far cheaper than rewriting the
-- offer with its raw JSON.
CREATE TABLE IF NOT EXISTS offer_seen (
    account TEXT NOT NULL,
    id BIGINT NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_run_id BIGINT,
    PRIMARY KEY (account, id)
);

CREATE TABLE IF NOT EXISTS offer_eans (
    account TEXT NOT NULL,
    offer_id BIGINT NOT NULL,
    ean TEXT NOT NULL,
    PRIMARY KEY (account, offer_id, ean)
);
CREATE INDEX IF NOT EXISTS offer_eans_ean ON offer_eans (ean);

-- Substring search through a trigram index when pg_trgm can be installed (it needs the
-- contrib package and the right to create extensions); without it search still works by scan.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXECUTE 'CREATE INDEX IF NOT EXISTS offers_search_trgm ON offers USING gin (search_text gin_trgm_ops)';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%); product search will scan', SQLERRM;
END
$$;

CREATE TABLE IF NOT EXISTS sync_runs (
    id BIGSERIAL PRIMARY KEY,
    account TEXT NOT NULL,
    mode TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    options JSONB NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    pages_done BIGINT NOT NULL DEFAULT 0,
    pages_total BIGINT,
    requests BIGINT NOT NULL DEFAULT 0,
    retries BIGINT NOT NULL DEFAULT 0,
    rate_limited BIGINT NOT NULL DEFAULT 0,
    offers_seen BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    removed BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    next_page BIGINT,
    error_summary TEXT,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS sync_runs_account_started ON sync_runs (account, started_at);
CREATE INDEX IF NOT EXISTS sync_runs_status ON sync_runs (status);

CREATE TABLE IF NOT EXISTS sync_events (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    at TIMESTAMPTZ NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_events_run ON sync_events (run_id, id);

CREATE TABLE IF NOT EXISTS offer_changes (
    id BIGSERIAL PRIMARY KEY,
    run_id BIGINT REFERENCES sync_runs (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    offer_id BIGINT NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS offer_changes_run ON offer_changes (run_id);
CREATE INDEX IF NOT EXISTS offer_changes_offer ON offer_changes (account, offer_id, at);

-- Postgres serialises syncs with advisory locks; this table only mirrors the SQLite schema so
-- both dialects answer "who holds the lock" the same way.
CREATE TABLE IF NOT EXISTS sync_locks (
    account TEXT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    owner TEXT NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
