-- community-ledger schema, SQLite dialect. Append-only: never edit an applied migration.

-- One row per fund: its head, the row every append to the fund updates last.
CREATE TABLE funds (
    id           TEXT PRIMARY KEY NOT NULL,
    operator_key TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    head_seq     BIGINT NOT NULL,          -- -1 before the genesis entry
    head_hash    BLOB NOT NULL
);

-- The log: exactly the canonical bytes of every entry, plus columns derived from them.
CREATE TABLE entries (
    fund        TEXT NOT NULL REFERENCES funds(id),
    seq         BIGINT NOT NULL,
    hash        BLOB NOT NULL,             -- SHA-256(0x00 || bytes)
    kind        TEXT NOT NULL,
    delta_fen   BIGINT NOT NULL,           -- signed change of the balance, in fen
    balance_fen BIGINT NOT NULL,           -- balance after the entry, in fen
    recorded_at TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    intent_hash BLOB NOT NULL,             -- SHA-256 of JCS(intent): same key, same intent?
    bytes       BLOB NOT NULL,
    PRIMARY KEY (fund, seq),
    UNIQUE (fund, idem_key)
);

-- Hashes of the complete subtrees of each fund's RFC 9162 tree: proofs in O(log n) reads.
CREATE TABLE tree_nodes (
    fund  TEXT NOT NULL REFERENCES funds(id),
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (fund, level, idx)
);

-- Signed checkpoints (C2SP signed notes), one per tree size reached by a commit.
CREATE TABLE checkpoints (
    fund      TEXT NOT NULL REFERENCES funds(id),
    tree_size BIGINT NOT NULL,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,
    PRIMARY KEY (fund, tree_size)
);

-- The donor vault: who a resident donor is. Private; rows may be erased on request.
CREATE TABLE donor_vault (
    fund     TEXT NOT NULL REFERENCES funds(id),
    seq      BIGINT NOT NULL,
    salt     BLOB NOT NULL,
    identity TEXT NOT NULL,
    PRIMARY KEY (fund, seq)
);

-- API credentials: only SHA-256 hashes of tokens are stored.
CREATE TABLE credentials (
    token_hash BLOB PRIMARY KEY NOT NULL,
    role       TEXT NOT NULL,
    fund       TEXT,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Append-only, enforced by the database itself.
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER tree_nodes_no_delete BEFORE DELETE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
-- A fund's head only moves forward.
CREATE TRIGGER funds_head_forward BEFORE UPDATE OF head_seq ON funds
WHEN NEW.head_seq <= OLD.head_seq
BEGIN SELECT RAISE(ABORT, 'a fund head only moves forward'); END;
CREATE TRIGGER funds_no_delete BEFORE DELETE ON funds
BEGIN SELECT RAISE(ABORT, 'funds are never deleted'); END;
