-- Issue 19, item 3: start-up that does not replay. Per fund, the newest snapshot of its
-- state (ledger_core's canonical bytes) and its state note: a note signed by the log key
-- over the fund's origin, the tree size and head hash the state was taken at and the
-- SHA-256 of the bytes. The server loads a fund from it and replays only the entries
-- after `tree_size`; a row that fails its check is ignored and the state rebuilt from the
-- log. Not part of the log: a row may be replaced by a newer one, or deleted (the next
-- load then replays the log and writes it again).
-- Append-only: never edit an applied migration.
CREATE TABLE fund_states (
    fund      TEXT PRIMARY KEY REFERENCES funds(id),
    tree_size BIGINT NOT NULL CHECK (tree_size >= 1),
    note      TEXT NOT NULL,
    state     BLOB NOT NULL
);
