-- Issue 16: witnesses cosign every fund's checkpoints (C2SP tlog-witness, tlog-cosignature).
-- Append-only: never edit an applied migration.

-- Per fund and witness (named by its vkey): the newest cosignature it returned, i.e. the
-- size it last cosigned (the `old` size of the next add-checkpoint request) and its
-- cosignature line on the checkpoint of that size.
CREATE TABLE witness_cosignatures (
    fund        TEXT NOT NULL REFERENCES funds(id),
    witness_key TEXT NOT NULL,
    tree_size   BIGINT NOT NULL CHECK (tree_size >= 0),
    line        TEXT NOT NULL,
    PRIMARY KEY (fund, witness_key)
);

-- Per fund and witness policy (hex SHA-256 of its canonical text): the newest checkpoint
-- that met the policy's quorum, as its signed note with the witnesses' cosignature lines
-- appended, and when (POSIX seconds) the quorum was met. One indexed read serves it.
CREATE TABLE witnessed_checkpoints (
    fund         TEXT NOT NULL REFERENCES funds(id),
    policy       TEXT NOT NULL,
    tree_size    BIGINT NOT NULL CHECK (tree_size >= 0),
    note         TEXT NOT NULL,
    witnessed_at BIGINT NOT NULL,
    PRIMARY KEY (fund, policy)
);

-- A witnessed checkpoint only moves forward.
CREATE FUNCTION ledger_witnessed_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tree_size < OLD.tree_size THEN
        RAISE EXCEPTION 'a witnessed checkpoint never moves back';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER witnessed_checkpoints_forward BEFORE UPDATE ON witnessed_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_witnessed_forward();
CREATE TRIGGER witnessed_checkpoints_no_delete BEFORE DELETE ON witnessed_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- The service role reads and moves these rows forward; it never deletes them.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        GRANT SELECT, INSERT ON witness_cosignatures, witnessed_checkpoints TO ledger_app;
        GRANT UPDATE (tree_size, line) ON witness_cosignatures TO ledger_app;
        GRANT UPDATE (tree_size, note, witnessed_at) ON witnessed_checkpoints TO ledger_app;
    END IF;
END
$$;
