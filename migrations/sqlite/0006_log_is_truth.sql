-- Issue 20 (D2): the log is the truth. Append-only: never edit an applied migration.

-- A fund head only moves forward, with one exception: it may be set back onto the log's
-- own last entry, to repair a row that was told a head its log does not have (README,
-- "A damaged fund"). Whoever can write the file can do anything to it; this only keeps
-- the repair from needing the trigger dropped.
DROP TRIGGER funds_head_forward;
CREATE TRIGGER funds_head_forward BEFORE UPDATE OF head_seq ON funds
WHEN NEW.head_seq <= OLD.head_seq AND NOT (
    EXISTS (SELECT 1 FROM entries
            WHERE fund = NEW.id AND seq = NEW.head_seq AND hash = NEW.head_hash)
    AND NOT EXISTS (SELECT 1 FROM entries WHERE fund = NEW.id AND seq > NEW.head_seq))
BEGIN SELECT RAISE(ABORT, 'a fund head only moves forward'); END;

-- A credential's role and fund never change after issue (revoke it and issue another);
-- a revocation is never undone; a credential is never replaced or deleted (REPLACE
-- deletes the old row: refused as in migration 0002).
CREATE TRIGGER credentials_fixed BEFORE UPDATE ON credentials
WHEN NEW.token_hash IS NOT OLD.token_hash
    OR NEW.role IS NOT OLD.role
    OR NEW.fund IS NOT OLD.fund
    OR NEW.label IS NOT OLD.label
    OR NEW.created_at IS NOT OLD.created_at
BEGIN SELECT RAISE(ABORT, 'a credential''s role and fund never change: revoke it and issue another'); END;
CREATE TRIGGER credentials_stay_revoked BEFORE UPDATE OF revoked_at ON credentials
WHEN OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS NOT OLD.revoked_at
BEGIN SELECT RAISE(ABORT, 'a revoked credential stays revoked'); END;
CREATE TRIGGER credentials_no_replace BEFORE INSERT ON credentials
WHEN EXISTS (SELECT 1 FROM credentials WHERE token_hash = NEW.token_hash)
BEGIN SELECT RAISE(ABORT, 'a credential is issued once'); END;
CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
BEGIN SELECT RAISE(ABORT, 'a credential is revoked, never deleted'); END;
