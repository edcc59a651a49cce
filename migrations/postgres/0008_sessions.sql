-- Issue 18: the trustees' browser sessions (ledger-api/src/sessions.rs).
-- Append-only: never edit an applied migration.

-- One row per signed-in browser: only the SHA-256 hash of the session id (the cookie's
-- value) is kept, with the credential it stands for (a revoked credential ends every one
-- of its sessions at once, since each request reads the credential), the CSRF token the
-- page sends back on every state-changing request, and its times in POSIX seconds.
-- Signing out or expiry deletes the row.
CREATE TABLE sessions (
    id_hash    BYTEA PRIMARY KEY NOT NULL,
    token_hash BYTEA NOT NULL REFERENCES credentials(token_hash),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);
CREATE INDEX sessions_by_credential ON sessions (token_hash);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        GRANT SELECT, INSERT, DELETE ON sessions TO ledger_app;
        GRANT UPDATE (last_seen) ON sessions TO ledger_app;
    END IF;
END
$$;
