#!/usr/bin/env bash
# test/bench/vrp.sh - solve_vrp on CVRPLIB (A, B, X) and Solomon VRPTW instances
# against their best-known solutions.  Run by `test/run bench vrp`.
#   VRP_MS_PER_CUSTOMER  time limit per customer in ms (default 10; 600 for 60 s at n = 100)
#   VRP_TIME_MS          time limit per instance in ms instead (e.g. 60000)
#   VRP_ITERS            iterations per customer instead of a time limit (the same plans
#                        whatever the load: for comparing changes to the search)
#   VRP_ONLY             regular expression on instance names (default: all)
#   VRP_SEEDS            solver seeds, comma-separated (default 1,2,3): the means are over seeds
set -euo pipefail
cd "$(dirname "$0")/../.."
budget="${VRP_MS_PER_CUSTOMER:-10} ms per customer"
[ -z "${VRP_TIME_MS:-}" ] || budget="$VRP_TIME_MS ms per instance"
[ -z "${VRP_ITERS:-}" ] || budget="$VRP_ITERS iterations per customer"
echo "== vrp: solve_vrp vs best-known solutions ($budget; load average $(cut -d" " -f1-3 /proc/loadavg))"
psql -X -v ON_ERROR_STOP=1 -v ms="${VRP_MS_PER_CUSTOMER:-10}" -v total_ms="${VRP_TIME_MS:-0}" -v iters="${VRP_ITERS:-0}" -v only="${VRP_ONLY:-.}" -v seeds="${VRP_SEEDS:-1,2,3}" \
    -d ecomml -f test/bench/vrp.sql
