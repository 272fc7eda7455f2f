#!/usr/bin/env bash
# Customer value and baskets against their references, same data, same run:
#   clv:   1M customers simulated from BG/NBD + Gamma-Gamma (test/bench/clv_reference.py
#          simulate-large): train_clv on all of them (serial, best of 3; wall time and the
#          backend's CPU time), and on the first 100k (CLV_BENCH_REF_CUSTOMERS) against the
#          numpy/scipy maximum likelihood of the same formulas, which is too slow for 1M;
#          prints the largest relative parameter difference and both times.
#   rules: 10k generated baskets x 169 items (apriori_reference.py generate), and arules'
#          Groceries (9835 x 169) when GROCERIES=/path/to/groceries.csv is set (one basket of
#          item names per line, as in the "Machine Learning with R" data sets), support 0.001,
#          confidence 0.5; train_association_rules (best of 5) against the reference Apriori;
#          prints whether the rule sets are identical.
# CLV_BENCH_CUSTOMERS=200000 for a quicker run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/ecomml-bench-clv.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
n=${CLV_BENCH_CUSTOMERS:-1000000}
nref=${CLV_BENCH_REF_CUSTOMERS:-100000}
py=/usr/bin/python3

echo "== clv: $n simulated customers"
$py "$here/clv_reference.py" simulate-large "$n" 3 "$tmp/orders.csv"
chmod 644 "$tmp/orders.csv"
psql -X -q -v ON_ERROR_STOP=1 -d ecomml <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_orders_raw, bench_orders;
CREATE TABLE bench_orders_raw (customer_id bigint, epoch bigint, amount float8);
\copy bench_orders_raw FROM '$tmp/orders.csv' CSV
CREATE TABLE bench_orders AS
SELECT customer_id, to_timestamp(epoch) AS ordered_at, amount FROM bench_orders_raw;
DROP TABLE bench_orders_raw;
SQL
psql -X -q -d ecomml -c "VACUUM ANALYZE bench_orders"
# best of 3 train_clv runs over the customers up to id $1: wall ms|CPU ms|model_info
train_clv_timed() {
    psql -X -q -At -v ON_ERROR_STOP=1 -v maxid="$1" -d ecomml <<'SQL'
SET max_parallel_workers_per_gather = 0;
CREATE FUNCTION pg_temp.cpu_ms() RETURNS float8 LANGUAGE sql AS $$
SELECT 10.0 * (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint)
FROM pg_read_file('/proc/' || pg_backend_pid() || '/stat') s $$;
CREATE TEMP TABLE timings (wall_ms float8, cpu_ms float8, info jsonb);
SELECT set_config('bench.maxid', :'maxid', false);
DO $$
DECLARE t0 timestamptz; c0 float8; m bytea;
BEGIN
    FOR rep IN 1..3 LOOP
        t0 := clock_timestamp();
        c0 := pg_temp.cpu_ms();
        SELECT ecomml.train_clv(customer_id, ordered_at, amount, '{"keep_customers": false}') INTO m
        FROM bench_orders WHERE customer_id <= current_setting('bench.maxid')::bigint;
        INSERT INTO timings VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000,
                                    pg_temp.cpu_ms() - c0, ecomml.model_info(m));
    END LOOP;
END $$;
SELECT round(min(wall_ms)), round(min(cpu_ms)), (SELECT info FROM timings LIMIT 1) FROM timings;
SQL
}
train_clv_timed "$n" | tail -1 > "$tmp/ecomml_all.txt"
train_clv_timed "$nref" | tail -1 > "$tmp/ecomml.txt"
psql -X -q -d ecomml -c "DROP TABLE bench_orders"
awk -F, -v m="$nref" '$1 <= m' "$tmp/orders.csv" > "$tmp/orders_ref.csv"
t0=$(date +%s.%N)
$py "$here/clv_reference.py" fit "$tmp/orders_ref.csv" week > "$tmp/ref.json"
t1=$(date +%s.%N)
$py - "$tmp/ecomml.txt" "$tmp/ref.json" "$t0" "$t1" "$tmp/ecomml_all.txt" <<'PY'
import json, sys
wall, cpu, info = open(sys.argv[1]).read().strip().split("|", 2)
info, ref = json.loads(info), json.load(open(sys.argv[2]))
ref_sec = float(sys.argv[4]) - float(sys.argv[3])
all_wall, all_cpu, all_info = open(sys.argv[5]).read().strip().split("|", 2)
all_info = json.loads(all_info)
print("clv, all: %d customers, %d orders: train_clv %s ms wall (best of 3), %s ms backend CPU" % (
    all_info["customers"], all_info["orders"], all_wall, all_cpu))
keys = ["r", "alpha", "a", "b", "p", "q", "v"]
print("  true r 0.243 alpha 4.414 a 0.793 b 2.426 p 6.25 q 3.74 v 15.44; fitted " +
      " ".join("%s %.4g (se %.2g)" % (k, all_info[k], all_info[k + "_se"]) for k in keys))
print("clv, against the reference: %d customers, %d orders" % (info["customers"], info["orders"]))
for k in keys:
    print("  %-5s ecomml %.8g (se %.3g)  reference %.8g (se %.3g)" % (k, info[k], info[k + "_se"], ref[k], ref[k + "_se"]))
print("  largest relative parameter difference: %.2e" % max(abs(info[k] / ref[k] - 1) for k in keys))
print("  log-likelihoods: BG/NBD %.6f vs %.6f, Gamma-Gamma %.6f vs %.6f" % (
    info["bgnbd_log_likelihood"], ref["bgnbd_log_likelihood"],
    info["gamma_gamma_log_likelihood"], ref["gamma_gamma_log_likelihood"]))
print("  train_clv: %s ms wall (best of 3), %s ms backend CPU" % (wall, cpu))
print("  reference: %.0f ms (summaries %.0f ms + fits %.0f ms, numpy/scipy)" % (
    ref_sec * 1000, ref["summary_seconds"] * 1000, ref["fit_seconds"] * 1000))
print("  ratio (reference / ecomml wall): %.0fx" % (ref_sec * 1000 / float(wall)))
PY

rules_bench() {   # name csv
    local name=$1 csv=$2
    psql -X -q -v ON_ERROR_STOP=1 -d ecomml <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_baskets;
CREATE TABLE bench_baskets (transaction_id bigint, item_id bigint);
\copy bench_baskets FROM '$csv' CSV
SQL
    psql -X -q -d ecomml -c "VACUUM ANALYZE bench_baskets"
    psql -X -q -At -v ON_ERROR_STOP=1 -d ecomml > "$tmp/rules_ms.txt" <<'SQL'
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE timings (ms float8);
DO $$
DECLARE t0 timestamptz; m bytea;
BEGIN
    FOR rep IN 1..5 LOOP
        t0 := clock_timestamp();
        SELECT ecomml.train_association_rules(transaction_id, item_id,
                   '{"min_support": 0.001, "min_confidence": 0.5}') INTO m FROM bench_baskets;
        INSERT INTO timings VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    CREATE TEMP TABLE model AS SELECT m;
END $$;
SELECT round(min(ms)::numeric, 1) FROM timings;
SELECT ecomml.model_info(m)->>'rules', ecomml.model_info(m)->>'frequent_itemsets' FROM model;
SQL
    psql -X -q -At -v ON_ERROR_STOP=1 -d ecomml -c "
        SELECT array_to_string(antecedent, ' ') || '|' || consequent || '|' || count || '|' || support
               || '|' || confidence || '|' || lift
        FROM ecomml.association_rules((SELECT ecomml.train_association_rules(transaction_id, item_id,
                 '{\"min_support\": 0.001, \"min_confidence\": 0.5}') FROM bench_baskets))" \
        | LC_ALL=C sort > "$tmp/ours.txt"
    psql -X -q -d ecomml -c "DROP TABLE bench_baskets"
    local t0 t1
    t0=$(date +%s.%N)
    $py "$here/apriori_reference.py" rules "$csv" 0.001 0.5 10 > "$tmp/ref_rules.txt"
    t1=$(date +%s.%N)
    grep -v '^#' "$tmp/ref_rules.txt" | LC_ALL=C sort > "$tmp/ref.txt"
    local ms rules itemsets
    ms=$(sed -n 1p "$tmp/rules_ms.txt")
    IFS='|' read -r rules itemsets < <(sed -n 2p "$tmp/rules_ms.txt")
    echo "rules, $name: $rules rules from $itemsets frequent itemsets; reference $(tail -1 "$tmp/ref_rules.txt" | sed 's/^# //')"
    if cmp -s "$tmp/ours.txt" "$tmp/ref.txt"; then
        echo "  rule sets identical (antecedent, consequent, count, support, confidence, lift)"
    else
        echo "  RULE SETS DIFFER:"; diff "$tmp/ours.txt" "$tmp/ref.txt" | head -5
    fi
    awk -v ms="$ms" -v t0="$t0" -v t1="$t1" 'BEGIN {
        printf "  train_association_rules %.1f ms (best of 5); reference Apriori (Python) %.0f ms; ratio %.0fx\n",
               ms, (t1 - t0) * 1000, (t1 - t0) * 1000 / ms }'
}

echo "== association rules"
$py "$here/apriori_reference.py" generate 10000 169 11 "$tmp/synth.csv"
chmod 644 "$tmp/synth.csv"
rules_bench "10k generated baskets x 169 items" "$tmp/synth.csv"
if [ -n "${GROCERIES:-}" ] && [ -f "$GROCERIES" ]; then
    $py "$here/apriori_reference.py" groceries "$GROCERIES" "$tmp/groceries.csv"
    chmod 644 "$tmp/groceries.csv"
    rules_bench "arules Groceries" "$tmp/groceries.csv"
else
    echo "(set GROCERIES=/path/to/groceries.csv to run on arules' Groceries too)"
fi
