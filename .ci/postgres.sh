#!/usr/bin/env bash
# Install (Debian's package, if missing) and start a local PostgreSQL for the tests that need a
# real server; print the URL they connect to. Run as root, as CI is.
set -euo pipefail
exec 3>&1 1>&2  # only the URL goes to standard output
# Every command but the last runs with fd 3 closed: a server started here must not hold the
# caller's $(...) pipe open, or the caller waits for as long as PostgreSQL runs.
{
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start || true  # "already running" is fine
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p 5432
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
} 3>&-
echo "postgresql://postgres:postgres@127.0.0.1:5432/postgres" >&3
