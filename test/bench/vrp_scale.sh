#!/usr/bin/env bash
# test/bench/vrp_scale.sh - solve_vrp (Euclidean) at 10 000 to 50 000 orders:
# wall time, the backend's peak memory rise (VmHWM) and the memory the call
# holds (its DEBUG1 line), at a fixed time limit; then a statement_timeout of
# 2 s against a long time limit.  Run by `test/run bench vrp_scale`.
#   VRP_SCALE_SIZES  orders per run (default "10000 20000 50000")
#   VRP_SCALE_MS     time_limit_ms (default 5000)
# Orders: uniform in a 1000 x 1000 square, depot in the middle, demand 1-10;
# n / 50 vans (at most 1 000) with 10 % more capacity in all than demand.
set -euo pipefail
cd "$(dirname "$0")/../.."
ms="${VRP_SCALE_MS:-5000}"
echo "== vrp_scale: Euclidean solve_vrp, time_limit_ms $ms (load average $(cut -d" " -f1-3 /proc/loadavg))"
echo "| orders | vans | wall s | peak RSS rise MB | held by the call MB | served | routes | distance |"
echo "|---|---|---|---|---|---|---|---|"
run() {  # orders, time_limit_ms, extra SET
    psql -X -q -At -v ON_ERROR_STOP=1 -v n="$1" -v ms="$2" -v timeout="${4:-false}" -d ecomml 2>&1 <<SQL | sed -n 's/.*solve_vrp: [0-9]* orders, [0-9]* vehicles, \([0-9]*\) kB held.*/held \1/p; /^|/p; /ERROR/p'
SET client_min_messages = warning;
SELECT setseed(0.25);
CREATE TEMP TABLE o AS SELECT g AS id, round((random() * 1000)::numeric, 1)::float8 AS x,
       round((random() * 1000)::numeric, 1)::float8 AS y, 1 + floor(random() * 10) AS demand
FROM generate_series(1, :n) g;
SELECT least(1000, greatest(1, :n / 50)) AS nv, sum(demand) * 1.1 AS total FROM o \gset
SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand)) AS orders FROM o \gset
SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', ceil(:total / :nv))) AS vans FROM generate_series(1, :nv) v \gset
CREATE FUNCTION pg_temp.hwm_kb() RETURNS bigint LANGUAGE sql AS
\$\$ SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s+(\d+)')::bigint \$\$;
SELECT pg_temp.hwm_kb() AS before, clock_timestamp() AS t0 \gset
$3
\if :timeout
\set ON_ERROR_STOP 0
CREATE TEMP TABLE r AS SELECT * FROM ecomml.solve_vrp(:'orders', :'vans', jsonb_build_object('time_limit_ms', :ms, 'depot_x', 500, 'depot_y', 500));
SELECT format('ERROR cancelled after %s s', round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2));
\q
\endif
SET client_min_messages = debug1;
CREATE TEMP TABLE r AS SELECT * FROM ecomml.solve_vrp(:'orders', :'vans', jsonb_build_object('time_limit_ms', :ms, 'depot_x', 500, 'depot_y', 500));
SET client_min_messages = warning;
RESET statement_timeout;
SELECT format('| %s | %s | %s | %s | HELD | %s | %s | %s |', :n, :nv,
       round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2), round((pg_temp.hwm_kb() - :before) / 1024.0),
       count(order_id), count(DISTINCT vehicle), round(sum(distance) FILTER (WHERE order_id IS NULL AND seq > 0)))
FROM r;
-- every route within its van's capacity
SELECT 'ERROR overloaded route' FROM r GROUP BY vehicle HAVING max(load) > ceil(:total / :nv);
SQL
}
for n in ${VRP_SCALE_SIZES:-10000 20000 50000}; do
    out=$(run "$n" "$ms" "")
    held=$(echo "$out" | sed -n 's/^held //p' | tail -1)
    echo "$out" | grep -v '^held' | sed "s/HELD/$(awk -v k="${held:-0}" 'BEGIN{printf "%.1f", k/1024}')/"
done
# statement_timeout 2 s against a 60 s budget: the call must end within about 2 s
n=${VRP_SCALE_SIZES##* }
echo "statement_timeout 2 s, $n orders, time_limit_ms 60000:"
run "$n" 60000 "SET statement_timeout = 2000;" true | grep -o 'ERROR.*' || true
