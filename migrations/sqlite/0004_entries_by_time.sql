-- Period reports (ledger-api/src/store/report.rs) read only this index: the entries of a
-- period are one range of recorded_at, and kind, delta_fen and seq are in the index, so no
-- entry row (with its canonical bytes) is read, however long the log.
CREATE INDEX entries_by_time ON entries (fund, recorded_at, kind, delta_fen, seq);
