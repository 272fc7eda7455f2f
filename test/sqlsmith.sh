#!/usr/bin/env bash
# test/sqlsmith.sh SERVER_LOG - a bounded SQLsmith run against ecomml: a fixed
# seed, 3,000 random queries over a database holding a model of every kind
# (test/sqlsmith/models.sql), each query cut off after 1 s, the whole run after
# 60 s.  Errors are expected (random arguments); a crash is not: the check
# fails if the server log shows a backend terminated by a signal or a restart.
set -euo pipefail
log=$1
cd "$(dirname "$0")/.."
PGOPTIONS='-c client_min_messages=warning' psql -X -q -d postgres -c "DROP DATABASE IF EXISTS smith" -c "CREATE DATABASE smith"
PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d smith \
    -c "CREATE EXTENSION ecomml" -f test/sqlsmith/models.sql >/dev/null
from=$(($(wc -l < "$log") + 1))
out=$(mktemp)
rc=0
timeout 60 sqlsmith --seed=42 --max-queries=3000 --exclude-catalog --verbose \
    --target="host=$PGHOST port=$PGPORT user=$PGUSER dbname=smith options='-c statement_timeout=1000'" \
    >"$out" 2>&1 || rc=$?
queries=$(grep -o 'queries: [0-9]*' "$out" | tail -1 || true)
if ! psql -X -q -d smith -c "SELECT 1" >/dev/null ||
   tail -n "+$from" "$log" | grep -E "terminated by signal|was terminated|server process .* exited with exit code|all server processes terminated"; then
    echo "sqlsmith: the server crashed (seed 42, ${queries:-no progress line}); the last queries:"
    tail -n 20 "$out"
    rm -f "$out"
    exit 1
fi
# 0 = all queries sent, 124 = the 60 s bound cut the run short
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
    echo "sqlsmith: exited with $rc"; tail -n 20 "$out"; rm -f "$out"; exit 1
fi
echo "sqlsmith: seed 42, ${queries:-?}, ecomml functions among the targets, no crash: ok"
rm -f "$out"
psql -X -q -d postgres -c "DROP DATABASE smith"
