-- magsync schema, SQLite dialect. Keep in step with ../postgres/0001_init.sql.
-- Money columns hold exact ten-thousandths as INTEGER (SQLite has no decimal type; an integer
-- keeps sorting and comparison exact): 129.99 is stored as 1299900.
-- Timestamps are RFC 3339 text in UTC (e.g. 2026-11-29T01:02:03.123+00:00).
-- No CHECK constraint restricts values that come from eMAG (currencies, statuses...).

CREATE TABLE IF NOT EXISTS offers (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    part_number TEXT,
    part_number_key TEXT,
    name TEXT,
    brand TEXT,
    description TEXT,
    url TEXT,
    category_id INTEGER,
    vendor_category_id INTEGER,
    warranty INTEGER,
    eans TEXT NOT NULL DEFAULT '[]',
    sale_price INTEGER,
    recommended_price INTEGER,
    min_sale_price INTEGER,
    max_sale_price INTEGER,
    best_offer_sale_price INTEGER,
    best_offer_recommended_price INTEGER,
    currency TEXT,
    vat_id INTEGER,
    status INTEGER,
    general_stock INTEGER,
    estimated_stock INTEGER,
    stock TEXT NOT NULL DEFAULT '[]',
    handling_time TEXT NOT NULL DEFAULT '[]',
    handling_time_days INTEGER,
    validation_status INTEGER,
    validation_status_description TEXT,
    translation_validation_status INTEGER,
    offer_validation_status INTEGER,
    offer_validation_status_description TEXT,
    ownership INTEGER,
    number_of_offers INTEGER,
    buy_button_rank INTEGER,
    offer_details_id INTEGER,
    images TEXT NOT NULL DEFAULT '[]',
    raw TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    first_seen_at TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    missing_since TEXT,
    -- the run that last created or changed this offer
    last_run_id INTEGER,
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
    id INTEGER NOT NULL,
    last_seen_at TEXT NOT NULL,
    last_seen_run_id INTEGER,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS offer_eans (
    account TEXT NOT NULL,
    offer_id INTEGER NOT NULL,
    ean TEXT NOT NULL,
    PRIMARY KEY (account, offer_id, ean)
);
CREATE INDEX IF NOT EXISTS offer_eans_ean ON offer_eans (ean);

-- Word-prefix search over the folded name, part number, PNK and EANs ("lamp" finds "Lampă",
-- "450" finds "LMP-450-BK"). A word index keeps ~15 entries per offer where a trigram index
-- keeps ~100, which matters when a first sync writes hundreds of thousands of offers.
CREATE VIRTUAL TABLE IF NOT EXISTS offers_fts USING fts5(
    search_text, content='offers', content_rowid='rowid',
    tokenize="unicode61 remove_diacritics 2 tokenchars '.'", prefix='2 3'
);
CREATE TRIGGER IF NOT EXISTS offers_fts_insert AFTER INSERT ON offers BEGIN
    INSERT INTO offers_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER IF NOT EXISTS offers_fts_delete AFTER DELETE ON offers BEGIN
    INSERT INTO offers_fts (offers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
END;
CREATE TRIGGER IF NOT EXISTS offers_fts_update AFTER UPDATE OF search_text ON offers
WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO offers_fts (offers_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO offers_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TABLE IF NOT EXISTS sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    mode TEXT NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    options TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT NOT NULL,
    pages_done INTEGER NOT NULL DEFAULT 0,
    pages_total INTEGER,
    requests INTEGER NOT NULL DEFAULT 0,
    retries INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    offers_seen INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    next_page INTEGER,
    error_summary TEXT,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS sync_runs_account_started ON sync_runs (account, started_at);
CREATE INDEX IF NOT EXISTS sync_runs_status ON sync_runs (status);

CREATE TABLE IF NOT EXISTS sync_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_events_run ON sync_events (run_id, id);

CREATE TABLE IF NOT EXISTS offer_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER REFERENCES sync_runs (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    offer_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS offer_changes_run ON offer_changes (run_id);
CREATE INDEX IF NOT EXISTS offer_changes_offer ON offer_changes (account, offer_id, at);

-- One running sync per account across processes: a row per held lock, with a heartbeat so a
-- crashed holder's lock can be taken over.
CREATE TABLE IF NOT EXISTS sync_locks (
    account TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL,
    owner TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);
