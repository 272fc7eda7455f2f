#!/usr/bin/env bash
# test/bench/vrp_scale.sh - solve_vrp at scale: wall and backend CPU time, the
# backend's peak memory rise (VmHWM), the memory the call holds (its DEBUG1
# lines), every order served and no route overloaded, at a fixed time limit;
# then a statement_timeout of 2 s against a long time limit.  Run by
# `test/run bench vrp_scale`.
#   VRP_SCALE_FORMS        "points graph" (default both)
#   VRP_SCALE_SIZES        orders of the points form (default "10000 20000 50000")
#   VRP_SCALE_GRAPH_SIZES  orders on the road grid (default "1000 4999 10000 20000");
#                          up to 4 999 (5 000 with the depot) solved twice, with the dense matrix (the
#                          anchor) and without, and the gap printed
#   VRP_SCALE_MS           time_limit_ms (default 5000)
# Points: uniform in a 1000 x 1000 square, depot in the middle.  Graph: the
# contracted road-like grid of routes_models.sql (99 856 nodes), the same
# orders at the node of their place, depot at the middle node.  Demand 1-10; n / 50 vans (at most
# 1 000) with 10 % more capacity in all than demand.
set -euo pipefail
cd "$(dirname "$0")/../.."
ms="${VRP_SCALE_MS:-5000}"
forms="${VRP_SCALE_FORMS:-points graph}"
run() {  # form (points|graph), orders, time_limit_ms, matrix, extra SET, timeout run
    psql -X -q -At -v ON_ERROR_STOP=1 -v graph="$([ "$1" = graph ] && echo true || echo false)" -v n="$2" -v ms="$3" \
        -v matrix="$4" -v timeout="${6:-false}" -d ecomml 2>&1 <<SQL | sed -n '
        s/.*solve_vrp: [0-9]* orders, [0-9]* vehicles, \([0-9]*\) kB held.*/held \1/p
        s/.*road costs without a matrix: \([0-9.]*\) MB.*, \([0-9]*\) pairs on demand.*/road \1 \2/p
        s/.*nearest stops and depot rows in \([0-9]*\) ms.*/lists \1/p
        /^|/p; /ERROR/p'
SET client_min_messages = warning;
\if :graph
\ir test/bench/routes_models.sql
\endif
SELECT setseed(0.25);
CREATE TEMP TABLE o AS SELECT g AS id, round((random() * 1000)::numeric, 1)::float8 AS x,
       round((random() * 1000)::numeric, 1)::float8 AS y, 1 + floor(random() * 10) AS demand
FROM generate_series(1, :n) g;
-- on the grid: the node at the same place (316 x 316 nodes over the square)
ALTER TABLE o ADD COLUMN node bigint;
UPDATE o SET node = floor(x * 0.3159)::bigint * 316 + floor(y * 0.3159)::bigint;
SELECT least(1000, greatest(1, :n / 50)) AS nv, sum(demand) * 1.1 AS total FROM o \gset
SELECT jsonb_agg(CASE WHEN :graph THEN jsonb_build_object('id', id, 'node', node, 'demand', demand)
                      ELSE jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand) END) AS orders FROM o \gset
SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', ceil(:total / :nv))) AS vans FROM generate_series(1, :nv) v \gset
CREATE FUNCTION pg_temp.hwm_kb() RETURNS bigint LANGUAGE sql AS
\$\$ SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s+(\d+)')::bigint \$\$;
-- utime + stime of this backend, in seconds (clock ticks of 1/100 s)
CREATE FUNCTION pg_temp.cpu_s() RETURNS float8 LANGUAGE sql AS
\$\$ SELECT (f[12]::float8 + f[13]::float8) / 100 FROM
    string_to_array(split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' ') f \$\$;
-- decode the graph model before the clock starts: once per backend, not the solver's
\if :graph
SELECT count(*) FROM bench_models, ecomml.shortest_path(ch, 0, 1) \gset
\endif
SELECT pg_temp.hwm_kb() AS before, pg_temp.cpu_s() AS cpu0, clock_timestamp() AS t0 \gset
$5
\if :timeout
\set ON_ERROR_STOP 0
\else
SET client_min_messages = debug1;
\endif
\if :graph
CREATE TEMP TABLE r AS SELECT * FROM ecomml.solve_vrp((SELECT ch FROM bench_models), :'orders', :'vans',
    jsonb_build_object('time_limit_ms', :ms, 'depot', 158 * 316 + 158, 'matrix', :matrix, 'seed', 1));
\else
CREATE TEMP TABLE r AS SELECT * FROM ecomml.solve_vrp(:'orders', :'vans',
    jsonb_build_object('time_limit_ms', :ms, 'depot_x', 500, 'depot_y', 500));
\endif
\if :timeout
SELECT format('ERROR cancelled after %s s', round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2));
\q
\endif
SET client_min_messages = warning;
SELECT format('| %s | %s | %s | %s | %s | %s | %s | HELD | ROAD | LISTS | PAIRS | %s | %s | %s | %s |',
       CASE WHEN :graph THEN 'road grid' ELSE 'points' END, :n, :nv, CASE WHEN :graph THEN :'matrix' ELSE '–' END,
       round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2), round((pg_temp.cpu_s() - :cpu0)::numeric, 2),
       round((pg_temp.hwm_kb() - :before) / 1024.0),
       count(order_id) FILTER (WHERE vehicle IS NOT NULL), count(*) FILTER (WHERE vehicle IS NULL), count(DISTINCT vehicle),
       round(sum(distance) FILTER (WHERE order_id IS NULL AND seq > 0)::numeric, 1))
FROM r;
-- every route within its van's capacity
SELECT 'ERROR overloaded route' FROM r GROUP BY vehicle HAVING max(load) > ceil(:total / :nv);
SQL
}
row() {  # fills HELD, ROAD, LISTS, PAIRS from run's DEBUG lines
    local out held road lists pairs
    out=$(run "$@")
    held=$(echo "$out" | sed -n 's/^held //p' | tail -1)
    road=$(echo "$out" | sed -n 's/^road \([^ ]*\) .*/\1/p' | tail -1)
    pairs=$(echo "$out" | sed -n 's/^road [^ ]* //p' | tail -1)
    lists=$(echo "$out" | sed -n 's/^lists //p' | tail -1)
    echo "$out" | grep -v '^\(held\|road\|lists\) ' |
        sed "s/HELD/$(awk -v k="${held:-0}" 'BEGIN{printf "%.1f", k/1024}')/; s/ROAD/${road:-–}/; s/LISTS/${lists:-–}/; s/PAIRS/${pairs:-–}/"
}
header() {
    echo "| form | orders | vans | matrix | wall s | backend CPU s | peak RSS rise MB | held by the call MB | road costs MB | lists + depot rows ms | pairs on demand | served | unassigned | routes | distance |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}
timeout_run() {  # form, orders: statement_timeout 2 s against a 60 s budget
    echo "statement_timeout 2 s, $1, $2 orders, time_limit_ms 60000:"
    run "$1" "$2" 60000 false "SET statement_timeout = 2000;" true | grep -o 'ERROR.*' || true
}
for form in $forms; do
    echo "== vrp_scale: $form, time_limit_ms $ms (load average $(cut -d" " -f1-3 /proc/loadavg))"
    header
    if [ "$form" = points ]; then
        sizes="${VRP_SCALE_SIZES:-10000 20000 50000}"
        for n in $sizes; do row points "$n" "$ms" false ""; done
    else
        sizes="${VRP_SCALE_GRAPH_SIZES:-1000 4999 10000 20000}"
        for n in $sizes; do
            sparse=$(row graph "$n" "$ms" false "")
            echo "$sparse"
            if [ "$n" -lt 5000 ]; then
                dense=$(row graph "$n" "$ms" true "")
                echo "$dense"
                # distance is the last column: without a matrix against the dense matrix
                paste <(echo "$sparse" | grep '^|' | awk -F'|' '{print $(NF-1)}') \
                      <(echo "$dense" | grep '^|' | awk -F'|' '{print $(NF-1)}') |
                    awk -v n="$n" '{printf "gap at %s orders, without a matrix vs the dense matrix: %+.2f %%\n", n, 100 * ($1 / $2 - 1)}'
            fi
        done
    fi
    timeout_run "$form" "${sizes##* }"
done
