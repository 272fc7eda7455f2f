#!/usr/bin/env bash
# Concurrent model_save on one name: 4 clients x 25 saves must yield versions
# 1..101 with no gap or duplicate and exactly one active version (the newest).
set -euo pipefail
PGBENCH=/usr/lib/postgresql/15/bin/pgbench
script=$(mktemp)
trap 'rm -f "$script"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d ecomml >/dev/null <<'SQL'
DELETE FROM ecomml.model WHERE name = 'concurrency';
SELECT ecomml.model_save('concurrency', ecomml.train_mean(g::float8)) FROM generate_series(1, 10) g;
SQL
echo "SELECT ecomml.model_save('concurrency', m.model) FROM ecomml.model m WHERE m.name = 'concurrency' AND m.version = 1;" > "$script"
$PGBENCH -n -c 4 -j 2 -t 25 -f "$script" ecomml >/dev/null
result=$(psql -X -At -d ecomml -c "
SELECT count(*) = 101 AND count(DISTINCT version) = 101 AND min(version) = 1 AND max(version) = 101
       AND count(*) FILTER (WHERE active) = 1
       AND bool_and(NOT active OR version = 101)
FROM ecomml.model WHERE name = 'concurrency'")
if [ "$result" = t ]; then
    echo "concurrency: 100 concurrent saves gave versions 1..101, one active: ok"
else
    echo "concurrency: FAILED"; psql -X -d ecomml -c "SELECT version, active FROM ecomml.model WHERE name = 'concurrency' ORDER BY version"
    exit 1
fi
psql -X -q -d ecomml -c "DELETE FROM ecomml.model WHERE name = 'concurrency'"
