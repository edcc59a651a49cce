-- Issue 19 (reads that scale out): each fund's figures per local month and kind, kept
-- with the entries in the transaction that appends them (ledger-api/src/store/months.rs).
-- The fund page, the API's month figures and `ledger-server report` read only this table:
-- a few rows per month, whatever the length of the log. Invariant: for each fund the rows
-- sum to its log (entries = size, delta_fen = the head's balance); checked at start and
-- rebuilt from the log when they do not (a database from before this migration).
-- Append-only: never edit an applied migration.
CREATE TABLE month_figures (
    fund      TEXT NOT NULL REFERENCES funds(id),
    month     TEXT NOT NULL,             -- first day of the local month, YYYY-MM-01 (genesis offset)
    kind      TEXT NOT NULL,
    entries   BIGINT NOT NULL CHECK (entries > 0),
    delta_fen BIGINT NOT NULL,           -- sum of the entries' balance changes, fen
    first_seq BIGINT NOT NULL,
    last_seq  BIGINT NOT NULL,
    PRIMARY KEY (fund, month, kind)
);
