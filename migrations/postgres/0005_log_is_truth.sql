-- Issue 20 (D2): the log is the truth, and the service role holds only what it needs.
-- Append-only: never edit an applied migration.

-- The service role may change only the columns its code changes: a fund's head (the
-- append path moves head_seq and head_hash), a credential's revocation, a proposal's
-- signatures and outcome. Never a fund's operator key, id or creation time, nor a
-- credential's token, role, fund or label.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        REVOKE UPDATE ON funds, credentials, proposals FROM ledger_app;
        REVOKE DELETE, TRUNCATE ON funds, credentials, proposals FROM ledger_app;
        REVOKE UPDATE, TRUNCATE ON donor_vault FROM ledger_app;
        GRANT UPDATE (head_seq, head_hash) ON funds TO ledger_app;
        GRANT UPDATE (revoked_at) ON credentials TO ledger_app;
        GRANT UPDATE (sigs, status, seq, refusal) ON proposals TO ledger_app;
    END IF;
END
$$;

-- A credential's role and fund never change after issue (revoke it and issue another),
-- whoever asks; a revocation is never undone.
CREATE FUNCTION ledger_credential_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.token_hash IS DISTINCT FROM OLD.token_hash
        OR NEW.role IS DISTINCT FROM OLD.role
        OR NEW.fund IS DISTINCT FROM OLD.fund
        OR NEW.label IS DISTINCT FROM OLD.label
        OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'a credential''s role and fund never change: revoke it and issue another';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a revoked credential stays revoked';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER credentials_fixed BEFORE UPDATE ON credentials
    FOR EACH ROW EXECUTE FUNCTION ledger_credential_fixed();

-- A fund head only moves forward, with one exception: the owner (never the service role)
-- may set a head back onto the log's own last entry, to repair a row that was told a
-- head its log does not have (README, "A damaged fund").
CREATE OR REPLACE FUNCTION ledger_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.head_seq <= OLD.head_seq THEN
        IF current_user = 'ledger_app'
            OR NOT EXISTS (
                SELECT 1 FROM entries e
                WHERE e.fund = NEW.id AND e.seq = NEW.head_seq AND e.hash = NEW.head_hash)
            OR EXISTS (
                SELECT 1 FROM entries e WHERE e.fund = NEW.id AND e.seq > NEW.head_seq) THEN
            RAISE EXCEPTION 'a fund head only moves forward (the owner may set it back to its log''s last entry only)';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
