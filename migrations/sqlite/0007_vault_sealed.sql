-- The donor vault sealed at rest (see ledger-api/src/store/vault.rs): each record is
-- XChaCha20-Poly1305 ciphertext under the deployment's vault key, which is kept in a file
-- of its own, never in the database. Looked up by (fund, seq) only.
CREATE TABLE donor_vault_sealed (
    fund   TEXT NOT NULL REFERENCES funds(id),
    seq    BIGINT NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (fund, seq)
);

-- Which vault key seals this database: the key's id (a keyed hash, not the key), recorded
-- by the first start with a key and never changed, so that a server given another key
-- refuses to start.
CREATE TABLE vault_key (
    one    INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),
    key_id BLOB NOT NULL
);
CREATE TRIGGER vault_key_no_update BEFORE UPDATE ON vault_key
BEGIN
    SELECT RAISE(ABORT, 'the vault key id is never changed');
END;
CREATE TRIGGER vault_key_no_delete BEFORE DELETE ON vault_key
BEGIN
    SELECT RAISE(ABORT, 'the vault key id is never changed');
END;

-- The plaintext table of older deployments takes no new row: the server seals its rows
-- into donor_vault_sealed and deletes them at the first start with a vault key.
CREATE TRIGGER donor_vault_closed BEFORE INSERT ON donor_vault
BEGIN
    SELECT RAISE(ABORT, 'donor_vault holds plaintext and takes no new row: identities are sealed in donor_vault_sealed');
END;
