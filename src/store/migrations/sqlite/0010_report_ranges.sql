-- Reports (daily, weekly, `magsync report`) read one window of time per account; these indexes
-- make each of their reads a range instead of a walk over every offer or change.
-- Keep in step with ../postgres/0012_report_ranges.sql.

-- Field changes of an account in a window (price moves, stock, status, missing and back).
CREATE INDEX IF NOT EXISTS offer_changes_account_at ON offer_changes (account, at);
-- Offers first seen in a window (new offers). first_seen_at grows with time within an account,
-- so a sync appends to this index rather than writing all over it.
CREATE INDEX IF NOT EXISTS offers_first_seen ON offers (account, first_seen_at);
-- Offers priced outside their own bounds right now; partial, so only those few have an entry.
CREATE INDEX IF NOT EXISTS offers_under_min ON offers (account, id) WHERE sale_price < min_sale_price;
CREATE INDEX IF NOT EXISTS offers_over_max ON offers (account, id) WHERE sale_price > max_sale_price;
