-- The service may run as the restricted role `ledger_app` once the owner has migrated:
-- it only needs to read which migrations are applied.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        GRANT SELECT ON _sqlx_migrations TO ledger_app;
    END IF;
END
$$;
