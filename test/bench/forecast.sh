#!/usr/bin/env bash
# Forecasting benchmark, side by side with R's forecast package and
# statsmodels (doc/benchmarks-forecast.md).  test/bench/forecast.py simulates
# FC_BENCH_SERIES (default 1000) series per frequency - monthly, quarterly,
# yearly - from ETS, ARIMA and Theta processes (never M3 data).  ecomml fits
# every series with method auto in one GROUP BY statement (serial plan), and
# ets, theta and arima on the subset; R's ets() and thetaf() run on every
# series too (about 11 CPU minutes for 3,000), R's auto.arima() (4-5 s a
# series) and statsmodels' Holt-Winters on the first FC_BENCH_SUBSET (default
# 30) series per frequency only.
# Prints sMAPE, MASE, 80%/95% interval coverage and seconds per 1,000 series
# per method and frequency (and per simulating family on all series).
#   FC_BENCH_ALL      ecomml methods run on every series (default "auto")
#   FC_BENCH_METHODS  ecomml methods run on the subset (default "ets theta arima")
#   FC_BENCH_ANCHORS  0 skips statsmodels and R (ecomml alone)
#   FC_BENCH_R_SUBSET series per frequency for R's ets() and thetaf() (default
#                     all: FC_BENCH_SERIES; auto.arima() stays on FC_BENCH_SUBSET)
#   FC_SCORE_FIRST    score every method on the first K series per frequency
#   FC_BENCH_KEEP     a directory to copy the series and forecasts to
#   FC_BENCH_DATA     a directory with the tourism competition's CSV files
#                     (kept outside the repository): its series instead of
#                     simulated ones (test/bench/forecast.py)
set -euo pipefail
if ! /usr/bin/python3 -c 'import statsmodels' 2>/dev/null; then
    echo "forecast bench: needs Debian's python3-statsmodels (apt-get install python3-statsmodels)"; exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
per=${FC_BENCH_SERIES:-1000}
sub=${FC_BENCH_SUBSET:-30}
all_methods=${FC_BENCH_ALL:-auto}
sub_methods=${FC_BENCH_METHODS-ets theta arima}
anchors=${FC_BENCH_ANCHORS:-1}
runs=""
for meth in $all_methods; do runs+="SELECT pg_temp.run('$meth', false);"$'\n'; done
for meth in $sub_methods; do runs+="SELECT pg_temp.run('$meth', true);"$'\n'; done
dir=$(mktemp -d /tmp/ecomml-fc-bench.XXXXXX)
chmod 777 "$dir"
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$here/forecast.py" gen "$dir" "$per"
chmod 644 "$dir/series.csv"

psql -X -q -v ON_ERROR_STOP=1 -d ecomml -v sub="$sub" <<SQL
SET timezone = 'UTC';
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE s (id int, freq text, m int, h int, t int, period date, y float8, test int);
\copy s FROM '$dir/series.csv' WITH (FORMAT csv)
CREATE TEMP TABLE train AS SELECT id, freq, h, period, y FROM s WHERE test = 0;
ANALYZE train;
CREATE TEMP TABLE subset AS
SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY freq ORDER BY id) AS k
                FROM (SELECT DISTINCT id, freq FROM s) x) y WHERE k <= :sub;
CREATE TEMP TABLE out (method text, id int, step int, mean float8, lo80 float8, hi80 float8, lo95 float8, hi95 float8);
-- CPU seconds of this backend (utime + stime of /proc/self/stat, 100 ticks a second; NULL
-- where there is no /proc): the wall clock of a shared machine is no measure of cost
CREATE FUNCTION pg_temp.cpu() RETURNS float8 LANGUAGE sql AS \$\$
    SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
    FROM pg_read_file('/proc/self/stat', 0, 4096, true) s \$\$;
-- one statement per frequency, each with a constant options literal as a user writes it: an
-- options expression built per row (jsonb_build_object over the freq column) cost 7-8 % of the
-- CPU charged to ecomml, PostgreSQL's work and not the fit's (doc/benchmarks-forecast.md)
CREATE FUNCTION pg_temp.run(meth text, only_subset bool) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz := clock_timestamp(); c0 float8 := pg_temp.cpu(); n int; fr text;
BEGIN
    FOR fr IN SELECT DISTINCT freq FROM train ORDER BY 1 LOOP
        EXECUTE format('INSERT INTO out
            SELECT %L, m.id, f.step, f.mean, f.lo[1], f.hi[1], f.lo[2], f.hi[2]
            FROM (SELECT id, min(h) AS h, ecomml.fit_forecast(period, y, %L::jsonb) AS model
                  FROM train WHERE freq = %L AND (NOT \$1 OR id IN (SELECT id FROM subset))
                  GROUP BY id) m,
                 LATERAL ecomml.forecast(m.model, m.h, ''{80,95}'') f',
            'ecomml_' || meth, jsonb_build_object('freq', fr, 'method', meth), fr) USING only_subset;
    END LOOP;
    SELECT count(DISTINCT id) INTO n FROM out WHERE method = 'ecomml_' || meth;
    INSERT INTO out VALUES ('ecomml_' || meth, -1, 0, extract(epoch FROM clock_timestamp() - t0), n,
                            coalesce(pg_temp.cpu() - c0, 0), 0, 0);
END \$\$;
$runs\copy out TO '$dir/fc_ecomml.csv' WITH (FORMAT csv)
SQL
if [ "$anchors" = 0 ]; then
    echo "forecast bench: FC_BENCH_ANCHORS=0, R and statsmodels skipped"
else
    /usr/bin/python3 "$here/forecast.py" sm "$dir" "$sub"
    if command -v Rscript >/dev/null && Rscript -e 'library(forecast)' >/dev/null 2>&1; then
        (cd / && Rscript "$here/forecast_r.R" "$dir" "$sub" "${FC_BENCH_R_SUBSET:-$per}" 2>/dev/null)
    else
        echo "forecast bench: R's forecast package missing (apt-get install r-cran-forecast); R columns skipped"
    fi
fi
if [ -n "${FC_BENCH_KEEP:-}" ]; then mkdir -p "$FC_BENCH_KEEP" && cp "$dir"/*.csv "$FC_BENCH_KEEP"/; fi
echo "forecast: ${FC_BENCH_DATA:+the tourism series of $FC_BENCH_DATA, at most }$per series per frequency (ecomml $all_methods on all; R's ets() and thetaf() on the first ${FC_BENCH_R_SUBSET:-$per}; the other methods on the first $sub per frequency)"
/usr/bin/python3 "$here/forecast.py" score "$dir"
if [ "$anchors" != 0 ]; then
    echo "forecast: every method on the first $sub series per frequency (the anchors' subset)"
    FC_SCORE_FIRST=$sub /usr/bin/python3 "$here/forecast.py" score "$dir"
fi
