-- Issue 18: the trustees' browser sessions (ledger-api/src/sessions.rs).
-- Append-only: never edit an applied migration.

-- One row per signed-in browser: only the SHA-256 hash of the session id (the cookie's
-- value) is kept, with the credential it stands for (a revoked credential ends every one
-- of its sessions at once, since each request reads the credential), the CSRF token the
-- page sends back on every state-changing request, and its times in POSIX seconds.
-- Signing out or expiry deletes the row.
CREATE TABLE sessions (
    id_hash    BLOB PRIMARY KEY NOT NULL,
    token_hash BLOB NOT NULL REFERENCES credentials(token_hash),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_credential ON sessions (token_hash);
