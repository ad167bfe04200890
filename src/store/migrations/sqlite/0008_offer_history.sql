-- Each offer's price and buy-button history (issue 18): one row when the sale price, its
-- currency, stock, status, buy-button rank, best competing price or number of offers changed,
-- written by the sync in the same transaction as the offer. Kept apart from sync runs, with
-- its own retention, so pruning runs never shortens it. WITHOUT ROWID keeps one offer's rows
-- together in key order: its history is one range read.
CREATE TABLE IF NOT EXISTS offer_history (
    account TEXT NOT NULL,
    offer_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    sale_price INTEGER,
    currency TEXT,
    stock INTEGER,
    status INTEGER,
    buy_button_rank INTEGER,
    best_offer_sale_price INTEGER,
    number_of_offers INTEGER,
    PRIMARY KEY (account, offer_id, at)
) WITHOUT ROWID;
-- Offers whose values changed in a window (the buy-button list) are found by time.
CREATE INDEX IF NOT EXISTS offer_history_at ON offer_history (at, account);
-- Today's mirror is every offer's first point, so the first sync after the upgrade can tell
-- what moved.
INSERT OR IGNORE INTO offer_history (account, offer_id, at, sale_price, currency, stock, status,
    buy_button_rank, best_offer_sale_price, number_of_offers)
SELECT account, id, last_changed_at, sale_price, currency, general_stock, status, buy_button_rank,
    best_offer_sale_price, number_of_offers
FROM offers WHERE missing_since IS NULL;

-- Each account's VAT rates from vat/read, refreshed daily: prices are shown with and without
-- VAT by the offer's vat_id. The rate is a percentage as exact text ("21", "9.5").
CREATE TABLE IF NOT EXISTS vat_rates (
    account TEXT NOT NULL,
    vat_id INTEGER NOT NULL,
    rate TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (account, vat_id)
);
