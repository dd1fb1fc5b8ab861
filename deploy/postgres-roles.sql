-- Roles for Cairn on PostgreSQL (idempotent). Run as a superuser.
--   cairn_owner: owns the tables, runs migrations (and, in tests, creates the test database).
--   cairn_app:   what the web and worker processes connect as; owns nothing and has
--                no BYPASSRLS, so row-level security binds it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cairn_owner') THEN
    CREATE ROLE cairn_owner LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS PASSWORD 'cairn_owner';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cairn_app') THEN
    CREATE ROLE cairn_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD 'cairn_app';
  END IF;
END
$$;
-- Lets tests switch from the owner to the application role (SET ROLE cairn_app).
GRANT cairn_app TO cairn_owner;
SELECT 'CREATE DATABASE cairn OWNER cairn_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cairn')\gexec
