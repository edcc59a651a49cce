-- Issue 17 / 19: the statutory lines and the disclosure calendar of each fund from an
-- index, not a replay of its log (ledger-api/src/store/statutory.rs). Both tables are
-- written in the transaction that appends the entries they sum, by the core's own figures
-- (ledger_core::statutory::MonthLines and ledger_core::calendar::Event); checked against
-- month_figures and the fund's state at start and rebuilt from the log when they disagree.
-- Append-only: never edit an applied migration.

-- One row per fund and local month with entries: the 业务活动表 lines of its entries, fen.
CREATE TABLE month_lines (
    fund                      TEXT NOT NULL REFERENCES funds(id),
    month                     TEXT NOT NULL,   -- YYYY-MM-01, local (genesis offset)
    donation_unrestricted_fen BIGINT NOT NULL, -- line 1, 非限定性
    donation_restricted_fen   BIGINT NOT NULL, -- line 1, 限定性
    service_fen               BIGINT NOT NULL, -- line 3
    other_fen                 BIGINT NOT NULL, -- line 9
    program_fen               BIGINT NOT NULL, -- line 12
    admin_fen                 BIGINT NOT NULL, -- line 21
    releases_fen              BIGINT NOT NULL, -- line 40
    donations                 BIGINT NOT NULL, -- donation entries
    last_seq                  BIGINT NOT NULL,
    PRIMARY KEY (fund, month)
);

-- One row per entry the disclosure calendar takes (genesis, statement, restriction,
-- revocation, closing): a few a month. event: the JSON of ledger_core::calendar::Event.
CREATE TABLE disclosure_events (
    fund  TEXT NOT NULL REFERENCES funds(id),
    seq   BIGINT NOT NULL,
    kind  TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (fund, seq)
);
