-- Issue 16: witnesses cosign every fund's checkpoints (C2SP tlog-witness, tlog-cosignature).
-- Append-only: never edit an applied migration.

-- Per fund and witness (named by its vkey): the newest cosignature it returned, i.e. the
-- size it last cosigned (the `old` size of the next add-checkpoint request) and its
-- cosignature line on the checkpoint of that size.
CREATE TABLE witness_cosignatures (
    fund        TEXT NOT NULL REFERENCES funds(id),
    witness_key TEXT NOT NULL,
    tree_size   BIGINT NOT NULL CHECK (tree_size >= 0),
    line        TEXT NOT NULL,
    PRIMARY KEY (fund, witness_key)
) WITHOUT ROWID;

-- Per fund and witness policy (hex SHA-256 of its canonical text): the newest checkpoint
-- that met the policy's quorum, as its signed note with the witnesses' cosignature lines
-- appended, and when (POSIX seconds) the quorum was met. One indexed read serves it.
CREATE TABLE witnessed_checkpoints (
    fund         TEXT NOT NULL REFERENCES funds(id),
    policy       TEXT NOT NULL,
    tree_size    BIGINT NOT NULL CHECK (tree_size >= 0),
    note         TEXT NOT NULL,
    witnessed_at BIGINT NOT NULL,
    PRIMARY KEY (fund, policy)
) WITHOUT ROWID;

-- A witnessed checkpoint only moves forward.
CREATE TRIGGER witnessed_checkpoints_forward BEFORE UPDATE ON witnessed_checkpoints
WHEN NEW.tree_size < OLD.tree_size
BEGIN SELECT RAISE(ABORT, 'a witnessed checkpoint never moves back'); END;
CREATE TRIGGER witnessed_checkpoints_no_delete BEFORE DELETE ON witnessed_checkpoints
BEGIN SELECT RAISE(ABORT, 'a witnessed checkpoint is never deleted'); END;
