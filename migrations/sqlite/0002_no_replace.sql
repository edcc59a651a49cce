-- SQLite's INSERT OR REPLACE / REPLACE deletes a conflicting row without firing DELETE
-- triggers (unless recursive_triggers is on), which would let a raw statement rewrite the
-- log. Refuse any insert that collides with an existing row instead.
CREATE TRIGGER entries_no_replace BEFORE INSERT ON entries
WHEN EXISTS (SELECT 1 FROM entries WHERE fund = NEW.fund AND (seq = NEW.seq OR idem_key = NEW.idem_key))
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER tree_nodes_no_replace BEFORE INSERT ON tree_nodes
WHEN EXISTS (SELECT 1 FROM tree_nodes WHERE fund = NEW.fund AND level = NEW.level AND idx = NEW.idx)
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER checkpoints_no_replace BEFORE INSERT ON checkpoints
WHEN EXISTS (SELECT 1 FROM checkpoints WHERE fund = NEW.fund AND tree_size = NEW.tree_size)
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER funds_no_replace BEFORE INSERT ON funds
WHEN EXISTS (SELECT 1 FROM funds WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'a fund is registered once'); END;
