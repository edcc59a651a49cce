-- community-ledger schema, PostgreSQL dialect. Append-only: never edit an applied migration.

CREATE TABLE funds (
    id           TEXT PRIMARY KEY NOT NULL,
    operator_key TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    head_seq     BIGINT NOT NULL,
    head_hash    BYTEA NOT NULL
);

CREATE TABLE entries (
    fund        TEXT NOT NULL REFERENCES funds(id),
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    kind        TEXT NOT NULL,
    delta_fen   BIGINT NOT NULL,
    balance_fen BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    intent_hash BYTEA NOT NULL,
    bytes       BYTEA NOT NULL,
    PRIMARY KEY (fund, seq),
    UNIQUE (fund, idem_key)
);

CREATE TABLE tree_nodes (
    fund  TEXT NOT NULL REFERENCES funds(id),
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (fund, level, idx)
);

CREATE TABLE checkpoints (
    fund      TEXT NOT NULL REFERENCES funds(id),
    tree_size BIGINT NOT NULL,
    root      BYTEA NOT NULL,
    note      TEXT NOT NULL,
    PRIMARY KEY (fund, tree_size)
);

CREATE TABLE donor_vault (
    fund     TEXT NOT NULL REFERENCES funds(id),
    seq      BIGINT NOT NULL,
    salt     BYTEA NOT NULL,
    identity TEXT NOT NULL,
    PRIMARY KEY (fund, seq)
);

CREATE TABLE credentials (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    role       TEXT NOT NULL,
    fund       TEXT,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

CREATE FUNCTION ledger_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.head_seq <= OLD.head_seq THEN
        RAISE EXCEPTION 'a fund head only moves forward';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER tree_nodes_append_only BEFORE UPDATE OR DELETE ON tree_nodes
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER tree_nodes_no_truncate BEFORE TRUNCATE ON tree_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER funds_head_forward BEFORE UPDATE OF head_seq ON funds
    FOR EACH ROW EXECUTE FUNCTION ledger_head_forward();
CREATE TRIGGER funds_no_delete BEFORE DELETE ON funds
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- The service's own role (if the deployment created it) may read and append, never
-- rewrite: without UPDATE/DELETE/TRUNCATE grants the triggers are a second wall.
REVOKE UPDATE, DELETE, TRUNCATE ON entries, tree_nodes, checkpoints FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        GRANT SELECT, INSERT ON entries, tree_nodes, checkpoints TO ledger_app;
        GRANT SELECT, INSERT, UPDATE ON funds TO ledger_app;
        GRANT SELECT, INSERT, DELETE ON donor_vault TO ledger_app;
        GRANT SELECT, INSERT, UPDATE ON credentials TO ledger_app;
    END IF;
END
$$;
