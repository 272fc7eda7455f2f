#!/usr/bin/env bash
# test/bench/routes.sh - ecomml routing against pgRouting, same server, same data.
# Run by `test/run bench` (or `make bench`); needs Debian's postgresql-15-pgrouting.
set -euo pipefail
cd "$(dirname "$0")/../.."
for p in postgresql-15-pgrouting postgresql-15-postgis-3; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        echo "== installing $p"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
    fi
done
echo "== routes: ecomml vs pgRouting"
# ROUTES_BENCH=ch: only the contraction-hierarchy parts; =scale: only trees and large TSP
part=${ROUTES_BENCH:-all}
[ "$part" != all ] || psql -X -q -v ON_ERROR_STOP=1 -d ecomml -f test/bench/routes.sql
if [ "$part" != scale ]; then
    echo "== routes: contraction hierarchies vs pgRouting (road-like grid, ${ROUTES_CH_SIDE:-316}^2 nodes)"
    psql -X -q -v ON_ERROR_STOP=1 -v side="${ROUTES_CH_SIDE:-316}" -d ecomml -f test/bench/routes_ch.sql
fi
echo "== routes: trees (PHAST) vs pgr_drivingDistance, TSP without a matrix (road-like grid)"
# the DEBUG1 line of solve_tsp reports the sparse path's memory
psql -X -q -v ON_ERROR_STOP=1 -v side="${ROUTES_CH_SIDE:-316}" -d ecomml -f test/bench/routes_scale.sql 2>&1 |
    grep -v '^psql:.*DEBUG: *\(StartTransaction\|CommitTransaction\|name:\|drop\|building\|probing\|successfully\)'
