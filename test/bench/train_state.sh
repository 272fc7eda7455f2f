#!/usr/bin/env bash
# Training-aggregate overhead and linearity: ecomml.train_mean against
# PostgreSQL's built-in avg() (the anchor) on 1, 2 and 4 million rows.
# Linear growth shows the state is updated in place, never copied per row.
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 -d ecomml <<'SQL'
DROP TABLE IF EXISTS bench_numbers;
CREATE TABLE bench_numbers AS SELECT random() AS x FROM generate_series(1, 4000000);
VACUUM ANALYZE bench_numbers;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE timings (rows int, fn text, ms float8);
DO $$
DECLARE n int; t0 timestamptz; rep int; best_ecomml float8; best_avg float8; d float8;
BEGIN
    FOREACH n IN ARRAY ARRAY[1000000, 2000000, 4000000] LOOP
        best_ecomml := 'Infinity'; best_avg := 'Infinity';
        FOR rep IN 1..3 LOOP
            t0 := clock_timestamp();
            PERFORM ecomml.train_mean(x) FROM (SELECT x FROM bench_numbers LIMIT n) s;
            d := extract(epoch FROM clock_timestamp() - t0) * 1000;
            best_ecomml := least(best_ecomml, d);
            t0 := clock_timestamp();
            PERFORM avg(x) FROM (SELECT x FROM bench_numbers LIMIT n) s;
            d := extract(epoch FROM clock_timestamp() - t0) * 1000;
            best_avg := least(best_avg, d);
        END LOOP;
        INSERT INTO timings VALUES (n, 'ecomml.train_mean', best_ecomml), (n, 'avg', best_avg);
    END LOOP;
END $$;
\echo 'train_mean vs avg(), serial, best of 3 (ms)'
SELECT e.rows, round(e.ms::numeric, 1) AS train_mean_ms, round(a.ms::numeric, 1) AS avg_ms,
       round((e.ms / a.ms)::numeric, 2) AS ratio_to_avg,
       round((e.ms / first_value(e.ms) OVER (ORDER BY e.rows) * 1000000 / e.rows)::numeric, 2)
           AS time_per_row_vs_1m
FROM timings e JOIN timings a ON a.rows = e.rows AND a.fn = 'avg'
WHERE e.fn = 'ecomml.train_mean' ORDER BY e.rows;
DROP TABLE bench_numbers;
SQL
