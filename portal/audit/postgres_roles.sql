-- PostgreSQL: the portal's own role may append to the audit log but not change or delete it
-- (等保 2.0 审计记录保护). Run as the tables' owner (or postgres) in the portal's database after
-- every `flask db upgrade` (it can be run again):
--     sudo -u postgres psql -d portal -v ON_ERROR_STOP=1 -f portal/audit/postgres_roles.sql
-- The role `portal_app` must exist (sudo -u postgres createuser -P portal_app); the portal then
-- runs with DATABASE_URL=postgresql://portal_app:...@127.0.0.1:5432/portal, and migrations with
-- the owner's URL. tests/audit/test_audit_postgres_role.py runs this file.

GRANT USAGE ON SCHEMA public TO portal_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO portal_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO portal_app;

-- The audit log: read and append only.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM portal_app;

-- Retention: the nightly purge deletes through this function, which runs as its owner and
-- deletes only events older than six months (less a day for clocks apart), whatever the caller
-- asks; the portal checks that it deleted exactly the prefix it meant to.
CREATE OR REPLACE FUNCTION portal_audit_purge(last_seq bigint, cutoff timestamptz)
RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = public
AS $$
    WITH gone AS (
        DELETE FROM audit_event
        WHERE seq <= last_seq
          AND at < cutoff
          AND cutoff <= statement_timestamp() - interval '6 months' + interval '1 day'
        RETURNING 1
    )
    SELECT count(*) FROM gone
$$;
REVOKE ALL ON FUNCTION portal_audit_purge(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal_audit_purge(bigint, timestamptz) TO portal_app;
