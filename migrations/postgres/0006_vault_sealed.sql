-- The donor vault sealed at rest (see ledger-api/src/store/vault.rs): each record is
-- XChaCha20-Poly1305 ciphertext under the deployment's vault key, which is kept in a file
-- of its own, never in the database. Looked up by (fund, seq) only.
CREATE TABLE donor_vault_sealed (
    fund   TEXT NOT NULL REFERENCES funds(id),
    seq    BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (fund, seq)
);

-- Which vault key seals this database: the key's id (a keyed hash, not the key), recorded
-- by the first start with a key and never changed, so that a server given another key
-- refuses to start.
CREATE TABLE vault_key (
    one    INTEGER PRIMARY KEY CHECK (one = 1),
    key_id BYTEA NOT NULL
);
CREATE FUNCTION ledger_vault_key_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the vault key id is never changed';
END
$$;
CREATE TRIGGER vault_key_fixed BEFORE UPDATE OR DELETE ON vault_key
    FOR EACH ROW EXECUTE FUNCTION ledger_vault_key_fixed();

-- The plaintext table of older deployments takes no new row: the server seals its rows
-- into donor_vault_sealed and deletes them at the first start with a vault key.
CREATE FUNCTION ledger_donor_vault_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'donor_vault holds plaintext and takes no new row: identities are sealed in donor_vault_sealed';
END
$$;
CREATE TRIGGER donor_vault_closed BEFORE INSERT ON donor_vault
    FOR EACH ROW EXECUTE FUNCTION ledger_donor_vault_closed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        REVOKE INSERT ON donor_vault FROM ledger_app;
        GRANT SELECT, INSERT, DELETE ON donor_vault_sealed TO ledger_app;
        GRANT SELECT, INSERT ON vault_key TO ledger_app;
    END IF;
END
$$;
