-- Issue 19, item 2: PostgreSQL appends in one round trip. A fund's batch, computed by its
-- writer from its state in memory, written by one call of ledger_append_batch in
-- autocommit (ledger-api/src/store/append_pg.rs): the fund's head row is locked, and the
-- batch is written only if the head is still the one the writer's state is at (seq and
-- hash). The writer's state then holds every idempotency key the log holds, so its own
-- check of the batch's keys is the log's. Otherwise nothing is written and the call
-- answers why ('moved': another server appended, 'unregistered'); the writer then takes
-- the transaction path (lock, catch up, keys read, write, commit).
-- The rows come as arrays (one per column), the statement texts are fixed: the server
-- plans them once per session. Append-only: never edit an applied migration.
CREATE FUNCTION ledger_append_batch(
    p_fund         TEXT,
    p_head_seq     BIGINT,   -- the head the batch follows (the writer's state)
    p_head_hash    BYTEA,
    -- entries
    e_seq          BIGINT[],
    e_hash         BYTEA[],
    e_kind         TEXT[],
    e_delta        BIGINT[],
    e_balance      BIGINT[],
    e_recorded_at  TEXT[],
    e_key          TEXT[],
    e_intent_hash  BYTEA[],
    e_bytes        BYTEA[],
    -- tree nodes
    n_level        BIGINT[],
    n_idx          BIGINT[],
    n_hash         BYTEA[],
    -- the sealed donor vault records
    v_seq          BIGINT[],
    v_sealed       BYTEA[],
    -- month_figures, added to the rows there
    f_month        TEXT[],
    f_kind         TEXT[],
    f_entries      BIGINT[],
    f_delta        BIGINT[],
    f_first        BIGINT[],
    f_last         BIGINT[],
    -- month_lines, added to the rows there
    l_month        TEXT[],
    l_du           BIGINT[],
    l_dr           BIGINT[],
    l_service      BIGINT[],
    l_other        BIGINT[],
    l_program      BIGINT[],
    l_admin        BIGINT[],
    l_releases     BIGINT[],
    l_donations    BIGINT[],
    l_last         BIGINT[],
    -- disclosure_events
    d_seq          BIGINT[],
    d_kind         TEXT[],
    d_event        TEXT[],
    -- the new head and its signed checkpoint
    p_new_seq      BIGINT,
    p_new_hash     BYTEA,
    p_tree_size    BIGINT,
    p_root         BYTEA,
    p_note         TEXT
) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    stored_seq  BIGINT;
    stored_hash BYTEA;
BEGIN
    SELECT head_seq, head_hash INTO stored_seq, stored_hash
        FROM funds WHERE id = p_fund FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'unregistered';
    END IF;
    IF stored_seq <> p_head_seq OR stored_hash <> p_head_hash THEN
        RETURN 'moved';
    END IF;
    INSERT INTO entries (fund, seq, hash, kind, delta_fen, balance_fen, recorded_at,
                         idem_key, intent_hash, bytes)
        SELECT p_fund, * FROM unnest(e_seq, e_hash, e_kind, e_delta, e_balance,
                                     e_recorded_at, e_key, e_intent_hash, e_bytes);
    INSERT INTO tree_nodes (fund, level, idx, hash)
        SELECT p_fund, * FROM unnest(n_level, n_idx, n_hash);
    IF cardinality(v_seq) > 0 THEN
        INSERT INTO donor_vault_sealed (fund, seq, sealed)
            SELECT p_fund, * FROM unnest(v_seq, v_sealed);
    END IF;
    INSERT INTO month_figures AS m (fund, month, kind, entries, delta_fen, first_seq, last_seq)
        SELECT p_fund, * FROM unnest(f_month, f_kind, f_entries, f_delta, f_first, f_last)
        ON CONFLICT (fund, month, kind) DO UPDATE SET
            entries = m.entries + excluded.entries,
            delta_fen = m.delta_fen + excluded.delta_fen,
            last_seq = excluded.last_seq;
    INSERT INTO month_lines AS m (fund, month, donation_unrestricted_fen,
                                  donation_restricted_fen, service_fen, other_fen,
                                  program_fen, admin_fen, releases_fen, donations, last_seq)
        SELECT p_fund, * FROM unnest(l_month, l_du, l_dr, l_service, l_other, l_program,
                                     l_admin, l_releases, l_donations, l_last)
        ON CONFLICT (fund, month) DO UPDATE SET
            donation_unrestricted_fen = m.donation_unrestricted_fen + excluded.donation_unrestricted_fen,
            donation_restricted_fen = m.donation_restricted_fen + excluded.donation_restricted_fen,
            service_fen = m.service_fen + excluded.service_fen,
            other_fen = m.other_fen + excluded.other_fen,
            program_fen = m.program_fen + excluded.program_fen,
            admin_fen = m.admin_fen + excluded.admin_fen,
            releases_fen = m.releases_fen + excluded.releases_fen,
            donations = m.donations + excluded.donations,
            last_seq = excluded.last_seq;
    IF cardinality(d_seq) > 0 THEN
        INSERT INTO disclosure_events (fund, seq, kind, event)
            SELECT p_fund, * FROM unnest(d_seq, d_kind, d_event);
    END IF;
    UPDATE funds SET head_seq = p_new_seq, head_hash = p_new_hash WHERE id = p_fund;
    INSERT INTO checkpoints (fund, tree_size, root, note)
        VALUES (p_fund, p_tree_size, p_root, p_note);
    RETURN 'ok';
END
$$;
