-- tree_nodes becomes a WITHOUT ROWID table: its primary key (fund, level, idx) is the table
-- itself, so reading a node is one B-tree probe instead of two (the key's index, then the
-- rowid table) and writing one is one insert instead of two. Inclusion proofs at 10^6
-- entries and appends both gain (BENCHMARKS.md). Same columns, same rows, same triggers.
-- (DROP TABLE's implicit delete fires no trigger; the copy keeps every row.)
CREATE TABLE tree_nodes_keyed (
    fund  TEXT NOT NULL REFERENCES funds(id),
    level BIGINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (fund, level, idx)
) WITHOUT ROWID;
INSERT INTO tree_nodes_keyed (fund, level, idx, hash)
SELECT fund, level, idx, hash FROM tree_nodes ORDER BY fund, level, idx;
DROP TABLE tree_nodes;
ALTER TABLE tree_nodes_keyed RENAME TO tree_nodes;

-- Append-only, enforced by the database itself (as in 0001 and 0002).
CREATE TRIGGER tree_nodes_no_update BEFORE UPDATE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER tree_nodes_no_delete BEFORE DELETE ON tree_nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER tree_nodes_no_replace BEFORE INSERT ON tree_nodes
WHEN EXISTS (SELECT 1 FROM tree_nodes WHERE fund = NEW.fund AND level = NEW.level AND idx = NEW.idx)
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
