-- How many offers eMAG counted when a run started, so a full scan that saw fewer can say so.
ALTER TABLE sync_runs ADD COLUMN offers_expected INTEGER;
