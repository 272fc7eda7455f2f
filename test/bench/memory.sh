#!/usr/bin/env bash
# Memory and time of every training aggregate on one million rows, serial:
# the rise of the backend's peak resident memory (VmHWM) over a warmed-up
# baseline.  Feeds doc/scaling.md ("what each aggregate needs").
set -euo pipefail
DB=${DB:-ecomml}
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS mem_ratings, mem_rows, mem_sales, mem_edges;
SELECT setseed(0.5) \gset
CREATE TABLE mem_ratings AS
SELECT (g % 100000) + 1 AS user_id, ((g::bigint * 7919) % 20000) + 1 AS item_id, 1 + (g % 5)::float8 AS rating
FROM generate_series(1, 1000000) g;
CREATE TABLE mem_rows AS
SELECT ARRAY[random(), random(), random(), random(), random(), random(), random(), random(), random(), random()] AS f,
       random() < 0.05 AS label, 5 + random() * 20 AS price
FROM generate_series(1, 1000000);
CREATE TABLE mem_sales AS
SELECT s AS sku, timestamptz '2024-01-01' + d * interval '1 day' AS day, (10 + (s + d) % 7)::float8 AS qty
FROM generate_series(1, 1000) s, generate_series(1, 1000) d;
CREATE TABLE mem_edges AS
SELECT g AS source, g + 1 + (g % 7) AS target, 1 + (g % 10)::float8 AS cost FROM generate_series(1, 1000000) g;
VACUUM ANALYZE mem_ratings, mem_rows, mem_sales, mem_edges;
SQL

measure() {  # name, table, training query
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" <<SQL
SET max_parallel_workers_per_gather = 0;
SET client_min_messages = warning;
CREATE OR REPLACE FUNCTION pg_temp.hwm_kb() RETURNS bigint LANGUAGE sql AS \$\$
    SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s+(\d+)')::bigint \$\$;
SELECT count(*) FROM $2 \gset warm_
SELECT pg_temp.hwm_kb() AS before \gset
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE m AS $3;
SELECT format('| %s | %s | %s |', '$1',
       round((pg_temp.hwm_kb() - :before) / 1024.0), round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2));
SQL
}
echo "| aggregate (1M rows, serial) | peak memory rise MB | seconds |"
echo "|---|---|---|"
measure "train_mean" mem_rows "SELECT ecomml.train_mean(price) FROM mem_rows"
measure "train_als (k 16, 1 iteration)" mem_ratings "SELECT ecomml.train_als(user_id, item_id, rating, '{\"factors\": 16, \"iterations\": 1}') FROM mem_ratings"
measure "train_als_implicit (k 16, 1 iteration)" mem_ratings "SELECT ecomml.train_als_implicit(user_id, item_id, rating, '{\"factors\": 16, \"iterations\": 1}') FROM mem_ratings"
measure "train_item_knn" mem_ratings "SELECT ecomml.train_item_knn(user_id, item_id, rating) FROM mem_ratings"
measure "train_logreg (10 features)" mem_rows "SELECT ecomml.train_logreg(f, label) FROM mem_rows"
measure "train_gbdt (10 features, 10 rounds)" mem_rows "SELECT ecomml.train_gbdt(f, label, '{\"rounds\": 10}') FROM mem_rows"
measure "train_iforest (10 features)" mem_rows "SELECT ecomml.train_iforest(f) FROM mem_rows"
measure "train_kmeans (10 features, k 8)" mem_rows "SELECT ecomml.train_kmeans(f, '{\"k\": 8, \"max_iter\": 5, \"n_init\": 1}') FROM mem_rows"
measure "train_elasticity" mem_rows "SELECT ecomml.train_elasticity(price, 100 / price) FROM mem_rows"
measure "fit_forecast (GROUP BY 1000 SKUs)" mem_sales "SELECT sku, ecomml.fit_forecast(day, qty, '{\"method\": \"ets\"}') FROM mem_sales GROUP BY sku"
measure "build_graph" mem_edges "SELECT ecomml.build_graph(source, target, cost, cost) FROM mem_edges"
psql -X -q -d "$DB" -c "DROP TABLE mem_ratings, mem_rows, mem_sales, mem_edges"
