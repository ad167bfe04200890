-- Who queued each local edit ("user@host via cli" or "... via tui"), shown in push previews
-- and `magsync pending`. Edits queued before this column existed keep NULL (unknown).
ALTER TABLE pending_edits ADD COLUMN IF NOT EXISTS queued_by TEXT;
