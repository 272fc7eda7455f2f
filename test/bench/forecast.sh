#!/usr/bin/env bash
# Forecasting: 1,000 generated monthly series (60-140 training months),
# horizon 18.  ecomml fits every series with the automatic method choice in
# one GROUP BY statement (serial plan) and forecasts; the anchor, statsmodels'
# Holt-Winters (damped trend, multiplicative season, one fixed model), runs in
# the same job.  Prints wall times, their ratio and sMAPE/MASE on the holdout.
set -euo pipefail
if ! /usr/bin/python3 -c 'import statsmodels' 2>/dev/null; then
    echo "forecast bench: needs Debian's python3-statsmodels (apt-get install python3-statsmodels)"; exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(mktemp /tmp/ecomml-fc-bench.XXXXXX.csv)
chmod 644 "$data"
trap 'rm -f "$data"' EXIT
anchor=$(/usr/bin/python3 "$here/forecast.py" "$data" "${FC_BENCH_SERIES:-1000}")
read -r _ sm_sec sm_smape sm_mase <<<"$anchor"
psql -X -q -v ON_ERROR_STOP=1 -d ecomml -v sm_sec="$sm_sec" -v sm_smape="$sm_smape" -v sm_mase="$sm_mase" <<SQL
SET timezone = 'UTC';
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_series;
CREATE TABLE bench_series (id int, month date, y float8);
\copy bench_series FROM '$data' WITH (FORMAT csv)
CREATE TEMP TABLE holdout AS
SELECT id, month, y, row_number() OVER (PARTITION BY id ORDER BY month DESC) <= 18 AS test
FROM bench_series;
CREATE TEMP TABLE train AS SELECT id, month, y FROM holdout WHERE NOT test;
ANALYZE train;
SET max_parallel_workers_per_gather = 0;
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE fc AS
SELECT m.id, m.model, f.step, f.mean
FROM (SELECT id, ecomml.fit_forecast(month, y, '{"freq":"month"}') AS model FROM train GROUP BY id) m,
     LATERAL ecomml.forecast(m.model, 18, '{}') f;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) AS ecomml_sec \gset
CREATE TEMP TABLE scale AS
SELECT id, avg(abs(y - lag12)) AS s
FROM (SELECT id, y, lag(y, 12) OVER (PARTITION BY id ORDER BY month) AS lag12 FROM train) x
WHERE lag12 IS NOT NULL GROUP BY id;
CREATE TEMP TABLE acc AS
SELECT f.id, avg(200 * abs(f.mean - h.y) / (abs(f.mean) + abs(h.y))) AS smape,
       avg(abs(f.mean - h.y)) / min(s.s) AS mase
FROM fc f
JOIN (SELECT id, y, row_number() OVER (PARTITION BY id ORDER BY month) AS step FROM holdout WHERE test) h
  USING (id, step)
JOIN scale s USING (id)
GROUP BY f.id;
\echo 'forecast: 1,000 monthly series, horizon 18, fit + forecast wall time (serial)'
SELECT 'ecomml auto (one GROUP BY)' AS system, round(:ecomml_sec::numeric, 2) AS seconds,
       round(avg(smape)::numeric, 3) AS smape, round(avg(mase)::numeric, 4) AS mase FROM acc
UNION ALL
SELECT 'statsmodels Holt-Winters AAdM', round(:sm_sec::numeric, 2), round(:sm_smape::numeric, 3), round(:sm_mase::numeric, 4);
SELECT round((:sm_sec / :ecomml_sec)::numeric, 1) AS speedup_vs_statsmodels;
SELECT ecomml.model_info(model)->>'method' || coalesce(' ' || (ecomml.model_info(model)->>'model'), '') AS chosen,
       count(DISTINCT id) AS series
FROM fc WHERE step = 1 GROUP BY 1 ORDER BY 2 DESC LIMIT 8;
DROP TABLE bench_series;
SQL
