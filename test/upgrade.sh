#!/usr/bin/env bash
# Upgrade paths: for every released version FROM (test/upgrade/models-FROM.sql),
# a database made with ecomml FROM (fixture models of every kind made by that
# release, registry versions, a model trained by FROM's SQL, user views on
# roc_auc and rfm) goes through ALTER EXTENSION ecomml UPDATE; then
# test/upgrade/upgrade.sql (pgTAP) checks it still works, and its catalog must
# equal a fresh install's (test/upgrade/catalog.sql, diffed). Installing FROM
# with this build's library also checks that the library still has every C
# function FROM's SQL calls, as databases not yet updated need.
set -euo pipefail
cd "$(dirname "$0")/upgrade"
fresh=ecomml_fresh
sql() { db=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql -X -q -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh"
sql "$fresh" -c "CREATE EXTENSION ecomml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sql "$fresh" -At -f catalog.sql >"$tmp/fresh"
members=$(sql "$fresh" -At -c "SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
    WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'ecomml' AND d.deptype = 'e'")
status=0

upgrade_from() {
local from=$1 old=ecomml_from_${1//./_}
echo "-- from $from"
psql -X -q -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $old" -c "CREATE DATABASE $old"
sql "$old" -c "CREATE EXTENSION ecomml VERSION '$from'" -c "CREATE EXTENSION pgtap" \
    -c "CREATE TABLE upgrade_from AS SELECT '$from'::text AS version"
sql "$old" -f "models-$from.sql"
sql "$old" >/dev/null <<'SQL'
SET timezone = 'UTC';
-- the fixture models in the registry, one name per kind
SELECT ecomml.model_save(kind, model) FROM upgrade_models ORDER BY kind;
-- a model trained now by the old release's SQL: two versions, rolled back to the first
CREATE TABLE upgrade_tx AS
SELECT i, i % 7 = 0 AS fraud, ARRAY[(i % 7 = 0)::int * 2 + (i % 5) * 0.3, (i % 3)::float8] AS x
FROM generate_series(1, 400) i;
SELECT ecomml.model_save('trained_old', ecomml.train_logreg(x, fraud, '{"lambda": 1}'),
                         '{"note": "v1"}') FROM upgrade_tx;
SELECT ecomml.model_save('trained_old', ecomml.train_logreg(x, fraud, '{"lambda": 10}')) FROM upgrade_tx;
SELECT ecomml.model_activate('trained_old', 1);
-- what the old release saw, to compare with after the update
CREATE TABLE registry_before AS
SELECT name, version, kind, created_at, params, metrics, md5(model) AS model_md5, active
FROM ecomml.model;
CREATE TABLE scores_before AS
SELECT version, ecomml.score(model, '{2.3, 1}') AS score FROM ecomml.model WHERE name = 'trained_old';
-- user views on aggregates the update replaces: they must survive it
CREATE TABLE auc_data AS
SELECT round(((i * 37) % 101) / 100.0, 1)::float8 AS score, (i * 37) % 101 + i % 4 * 20 > 70 AS label
FROM generate_series(1, 300) i;
ANALYZE auc_data;
CREATE VIEW auc_view AS
SELECT ecomml.roc_auc(score, label) AS auc, ecomml.pr_auc(score, label) AS ap,
       ecomml.binary_metrics(score, label, 0.5) AS bm
FROM auc_data;
-- the old release's metric aggregates on this library in a parallel plan
-- (0.1.0's internal-state serialize/deserialize functions must still work)
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;
CREATE TABLE metrics_old_parallel AS
SELECT v.*, plan_text('SELECT * FROM auc_view') AS plan FROM auc_view v;
RESET ALL;
CREATE TABLE rfm_orders AS
SELECT (1 + g % 20)::bigint AS customer_id,
       timestamptz '2025-10-01 00:00+00' + (g * 7 % 90) * interval '1 day' AS ordered_at,
       ((g % 9) * 2.5)::float8 AS amount
FROM generate_series(1, 100) g;
CREATE VIEW rfm_view AS
SELECT r.* FROM unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-01-01 00:00+00')
                        FROM rfm_orders)) r;
SQL
# in a session of its own, as in production: nothing cached from the old one
sql "$old" -c "ALTER EXTENSION ecomml UPDATE"
pg_prove -d "$old" upgrade.sql || status=1
# the catalog: every member's definition, fresh against upgraded
if sql "$old" -At -f catalog.sql >"$tmp/upgraded" && [ "$members" -gt 0 ] \
   && diff -u --label fresh --label "upgraded from $from" "$tmp/fresh" "$tmp/upgraded" >"$tmp/diff"; then
    echo "upgrade from $from: catalog after ALTER EXTENSION UPDATE equals a fresh install ($members members): ok"
else
    echo "upgrade from $from: FAILED, catalog differs from a fresh install:"; cat "$tmp/diff" 2>/dev/null || true
    status=1
fi
}

for fixture in models-*.sql; do
    from=${fixture#models-}
    upgrade_from "${from%.sql}"
done

# A user's view on a function the update re-creates stops it with a clear
# error naming the view (sql/ecomml--0.2.0--0.3.0.sql); the database is left
# as it was, and updates once the view is gone.
blocked=ecomml_view_blocks
psql -X -q -d postgres -c "SET client_min_messages = warning" \
     -c "DROP DATABASE IF EXISTS $blocked" -c "CREATE DATABASE $blocked"
sql "$blocked" -c "CREATE EXTENSION ecomml VERSION '0.2.0'" \
    -c "CREATE VIEW user_recs AS SELECT * FROM ecomml.recommend_all(NULL::bytea, 10)"
if err=$(sql "$blocked" -c "ALTER EXTENSION ecomml UPDATE" 2>&1); then
    echo "upgrade: FAILED, a view on recommend_all did not stop the update"; status=1
elif ! grep -q 'views use ecomml.recommend.*: public.user_recs' <<<"$err" ||
     [ "$(sql "$blocked" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'ecomml'")" != 0.2.0 ]; then
    echo "upgrade: FAILED, a view on recommend_all: $err"; status=1
elif ! sql "$blocked" -c "DROP VIEW user_recs" -c "ALTER EXTENSION ecomml UPDATE"; then
    echo "upgrade: FAILED, the update after dropping the view"; status=1
else
    echo "upgrade: a view on recommend_all stops the update with its name, and it goes through once dropped: ok"
fi
exit $status
