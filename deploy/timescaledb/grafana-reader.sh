#!/bin/sh
# Runs once, when the database volume is first created (docker-entrypoint-initdb.d): a read-only role
# for Grafana. The IOC creates its tables later (migrations at start-up, as POSTGRES_USER), so the
# grant is a default privilege on whatever that user creates in public.
set -eu
psql -v ON_ERROR_STOP=1 -v owner="$POSTGRES_USER" -v password="$GRAFANA_DB_PASSWORD" \
  --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE grafana_reader LOGIN PASSWORD :'password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';
GRANT CONNECT ON DATABASE :"DBNAME" TO grafana_reader;
GRANT USAGE ON SCHEMA public TO grafana_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;
SQL
