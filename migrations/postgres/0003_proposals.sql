-- Proposals: intents of quorum kinds waiting for co-signatures. Workflow state, not the
-- ledger: a proposal's signatures and status change; the entry it becomes never does.
CREATE TABLE proposals (
    id          TEXT PRIMARY KEY NOT NULL,  -- 16 random hex digits
    fund        TEXT NOT NULL REFERENCES funds(id),
    kind        TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    intent      TEXT NOT NULL,              -- the canonical intent, exactly the signed bytes
    sigs        TEXT NOT NULL,              -- JSON array of {"key","sig"}, sorted by key
    proposed_by TEXT NOT NULL,              -- credential id of the proposer
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    status      TEXT NOT NULL,              -- open | appended | refused | expired
    seq         BIGINT,                     -- the entry, once appended
    refusal     TEXT                        -- the rule's code, once refused
);
CREATE INDEX proposals_by_fund ON proposals (fund, status, created_at);

-- Statements (and other kinds) listed without scanning a fund's log.
CREATE INDEX entries_by_kind ON entries (fund, kind, seq);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        GRANT SELECT, INSERT, UPDATE ON proposals TO ledger_app;
    END IF;
END
$$;
