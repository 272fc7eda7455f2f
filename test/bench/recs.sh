#!/usr/bin/env bash
# test/bench/recs.sh - recommendations against their anchors, in one run:
#  1. implicit feedback, generated power-law data (RECS_BENCH_ROWS, 1M rows):
#     ecomml implicit ALS against the `implicit` library when python3 can
#     import it (put a hand build on PYTHONPATH), else against numpy ALS
#     (test/bench/recs_implicit.py): CPU seconds per iteration (k = 64,
#     3 CG steps, one thread), precision@10 / ndcg@10 on held-out rows,
#     recommend-all CPU seconds; EASE on the same rows; implicit ALS with 2
#     BLAS threads (wall seconds).
#  2. explicit ratings: ecomml ALS against numpy ALS (recs_numpy.py);
#     RECS_BENCH_EXPLICIT=0 skips it.
# Run by `test/run bench recs` (a throwaway cluster, PGHOST/PGPORT exported).
set -euo pipefail
USERS=${RECS_BENCH_USERS:-50000}
ITEMS=${RECS_BENCH_ITEMS:-20000}
K=${RECS_BENCH_FACTORS:-64}
NP_ITERS=${RECS_BENCH_NUMPY_ITERATIONS:-1}
ROWS=${RECS_BENCH_ROWS:-1000000}
PL_USERS=${RECS_BENCH_PL_USERS:-$((ROWS / 20))}
PL_ITEMS=${RECS_BENCH_PL_ITEMS:-10000}
ITERS=${RECS_BENCH_ITERATIONS:-15}
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d ecomml)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/ecomml-bench-recs.XXXXXX)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }

# CPU seconds the backend spends on one statement (utime + stime of its process)
cpu_sql() {   # $1 statement (may use psql variables set by -v), rest: psql args
    local q=$1; shift
    "${PSQL[@]}" -At "$@" <<SQL | tail -1
SET client_min_messages = warning;
SELECT pg_backend_pid() AS pid \gset
SELECT split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 14)::bigint
     + split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 15)::bigint AS t0 \gset
$q;
SELECT round(((split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 14)::bigint
             + split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 15)::bigint - :t0)
             / 100.0)::numeric, 2);
SQL
}

echo "== recs benchmark 1: implicit feedback, $ROWS power-law rows, $PL_USERS users x $PL_ITEMS items, k = $K"
# a user's activity and an item's popularity both follow power laws; 70 % of a
# user's picks come from its own of 10 taste groups; 20 % of the pairs held out
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
SELECT setseed(0.5) \gset
DROP TABLE IF EXISTS bench_pl;
CREATE UNLOGGED TABLE bench_pl AS
SELECT user_id, item_id, count(*)::float8 AS w, bool_or(test) AS test FROM (
  SELECT u AS user_id,
         CASE WHEN random() < 0.7 THEN (1 + floor(($PL_ITEMS / 10) * random() ^ 2) * 10 + u % 10)::bigint
              ELSE (1 + floor($PL_ITEMS * random() ^ 3))::bigint END AS item_id,
         random() < 0.2 AS test
  FROM (SELECT (1 + floor($PL_USERS * random() ^ 1.5))::bigint AS u FROM generate_series(1, $ROWS)) g) x
GROUP BY user_id, item_id;
VACUUM ANALYZE bench_pl;   -- hint bits set now, not during the first timed scan
\copy (SELECT user_id, item_id, w FROM bench_pl WHERE NOT test) TO '$tmp/train.csv' CSV
\copy (SELECT user_id, item_id FROM bench_pl WHERE test) TO '$tmp/test.csv' CSV
DROP TABLE IF EXISTS bench_pl_models;
CREATE TABLE bench_pl_models(name text, m bytea);
CREATE TABLE bench_pl_rel AS SELECT user_id, array_agg(item_id) AS items FROM bench_pl WHERE test GROUP BY user_id;
SQL
"${PSQL[@]}" -Atc "SELECT format('pairs: %s train, %s held out; users %s, items %s', count(*) FILTER (WHERE NOT test),
    count(*) FILTER (WHERE test), count(DISTINCT user_id), count(DISTINCT item_id)) FROM bench_pl"

imp_opts() { echo "{\"factors\": $K, \"iterations\": $1, \"cg_steps\": 3, \"blas_threads\": ${2:-1}}"; }
# a warm-up run first: the timed runs then read the same cached, hinted table
cpu_sql "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 1)')) FROM bench_pl WHERE NOT test" >/dev/null
c1=$(cpu_sql "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 1)')) FROM bench_pl WHERE NOT test")
c4=$(cpu_sql "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 4)')) FROM bench_pl WHERE NOT test")
ecomml_iter=$(echo "($c4 - $c1) / 3" | bc -l)
# two BLAS threads: wall seconds per iteration, against one thread (wall, same run)
wall() { local t0; t0=$(now); "${PSQL[@]}" -c "SET client_min_messages = warning" -c "$1" >/dev/null; echo "$(now) - $t0" | bc -l; }
w1a=$(wall "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 1 1)')) FROM bench_pl WHERE NOT test")
w4a=$(wall "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 4 1)')) FROM bench_pl WHERE NOT test")
w1b=$(wall "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 1 2)')) FROM bench_pl WHERE NOT test")
w4b=$(wall "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts 4 2)')) FROM bench_pl WHERE NOT test")

"${PSQL[@]}" -c "SET client_min_messages = warning" \
    -c "INSERT INTO bench_pl_models SELECT 'als_implicit', ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts "$ITERS")') FROM bench_pl WHERE NOT test"
ease_cpu=$(cpu_sql "INSERT INTO bench_pl_models SELECT 'ease', ecomml.train_ease(user_id, item_id, w) FROM bench_pl WHERE NOT test")
quality() {   # $1 model name -> "precision ndcg"
    "${PSQL[@]}" -Atc "SELECT round((x->>'precision')::numeric, 4) || ' ' || round((x->>'ndcg')::numeric, 4) FROM (
        SELECT ecomml.ranking_metrics((SELECT array_agg(r.item_id ORDER BY r.rank)
                                       FROM ecomml.recommend(b.m, rel.user_id, 10) r), rel.items, 10) x
        FROM bench_pl_rel rel, bench_pl_models b WHERE b.name = '$1') q"
}
read -r imp_p imp_n < <(quality als_implicit)
read -r ease_p ease_n < <(quality ease)
rec_imp=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_pl_models WHERE name = 'als_implicit'), 10)")
rec_ease=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_pl_models WHERE name = 'ease'), 10)")
rec_cand=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_pl_models WHERE name = 'als_implicit'), 10,
    candidates => (SELECT array_agg(g::bigint) FROM generate_series(1, $PL_ITEMS, 100) g))")

read -r a_name a_ver a_iter a_p a_n a_rec < <(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
    /usr/bin/python3 "$here/recs_implicit.py" "$tmp/train.csv" "$tmp/test.csv" "$K" "$ITERS" 3)

printf '%-44s %10s %14s %8s\n' "CPU seconds per iteration (k=$K, 3 CG steps)" ecomml "$a_name $a_ver" ratio
printf '%-44s %10.3f %14.3f %7.2fx\n' "implicit ALS, one thread" "$ecomml_iter" "$a_iter" "$(echo "$ecomml_iter / $a_iter" | bc -l)"
printf '%-44s %10s %14s\n' "held-out precision@10 / ndcg@10 ($ITERS iter.)" "$imp_p / $imp_n" "$a_p / $a_n"
printf '%-44s %10s\n' "EASE precision@10 / ndcg@10" "$ease_p / $ease_n"
printf '%-44s %10s s CPU\n' "EASE training (lambda 100)" "$ease_cpu"
printf '%-44s %10s %14s\n' "recommend all users, k = 10 (CPU s)" "$rec_imp" "$a_rec"
printf '%-44s %10s\n' "recommend_all of EASE (CPU s)" "$rec_ease"
printf '%-44s %10s\n' "recommend_all ALS, 100 candidates (CPU s)" "$rec_cand"
printf 'implicit ALS wall s per iteration: 1 BLAS thread %.3f, 2 threads %.3f\n' \
    "$(echo "($w4a - $w1a) / 3" | bc -l)" "$(echo "($w4b - $w1b) / 3" | bc -l)"
"${PSQL[@]}" -c "DROP TABLE bench_pl_models" -c "DROP TABLE bench_pl_rel" -c "DROP TABLE bench_pl"
[ "${RECS_BENCH_EXPLICIT:-1}" = 1 ] || exit 0

echo "== recs benchmark 2: explicit ratings, $USERS users x $ITEMS items, 20 ratings per user, factors $K"
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
SELECT setseed(0.5) \gset
DROP TABLE IF EXISTS bench_ratings;
-- ten taste groups: a user rates items of its own group 2 stars higher
CREATE TABLE bench_ratings AS
SELECT DISTINCT ON (user_id, item_id) user_id, item_id,
       2 + 2 * (user_id % 10 = item_id % 10)::int
         + 0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS rating
FROM (SELECT u::bigint AS user_id, (1 + floor(random() * $ITEMS))::bigint AS item_id
      FROM generate_series(1, $USERS) u, generate_series(1, 20)) x
ORDER BY user_id, item_id;
ANALYZE bench_ratings;
\copy bench_ratings TO '$tmp/ratings.csv' CSV
SQL
rows=$("${PSQL[@]}" -Atc "SELECT count(*) FROM bench_ratings")
echo "interactions: $rows"

# seconds of one training statement
train() {   # $1 label, $2 aggregate, $3 value expression, $4 options
    local t0 t1
    t0=$(now)
    "${PSQL[@]}" -c "SET client_min_messages = warning" \
        -c "INSERT INTO bench_models SELECT '$1', ecomml.$2(user_id, item_id, $3, '$4') FROM bench_ratings"
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_models" -c "CREATE TABLE bench_models(name text, m bytea)"

# per iteration = (time with 4 iterations - time with 1) / 3: setup (sort, index) cancels out
e1=$(train exp1 train_als rating "{\"factors\": $K, \"iterations\": 1, \"lambda\": 0.05}")
e4=$(train exp4 train_als rating "{\"factors\": $K, \"iterations\": 4, \"lambda\": 0.05}")
i1=$(train imp1 train_als_implicit "greatest(rating - 3, 0)" "{\"factors\": $K, \"iterations\": 1}")
i4=$(train imp4 train_als_implicit "greatest(rating - 3, 0)" "{\"factors\": $K, \"iterations\": 4}")
ecomml_exp=$(echo "($e4 - $e1) / 3" | bc -l)
ecomml_imp=$(echo "($i4 - $i1) / 3" | bc -l)
exp_rmse=$("${PSQL[@]}" -Atc "SELECT round((ecomml.model_info(m)->>'train_rmse')::numeric, 4) FROM bench_models WHERE name = 'exp4'")

# precision@10 of implicit ALS on the planted groups: share of top 10 in the user's group
imp_prec=$("${PSQL[@]}" -Atc "SELECT round(avg((r.item_id % 10 = u % 10)::int), 4) FROM
    (SELECT m FROM bench_models WHERE name = 'imp4') b,
    generate_series(1, 2000) u, LATERAL ecomml.recommend(b.m, u, 10) r")

t0=$(now)
nrec=$("${PSQL[@]}" -Atc "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_models WHERE name = 'exp4'), 10)")
t1=$(now)
recall_s=$(echo "$t1 - $t0" | bc -l)

# one BLAS thread on both sides (ecomml.blas_threads defaults to 1)
read -r np_exp np_imp np_rmse np_prec < <(OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$here/recs_numpy.py" "$tmp/ratings.csv" "$K" "$NP_ITERS")

printf '%-34s %12s %12s %8s\n' "per iteration (s)" ecomml numpy ratio
printf '%-34s %12.3f %12.3f %7.1fx\n' "explicit ALS (Cholesky)" "$ecomml_exp" "$np_exp" "$(echo "$np_exp / $ecomml_exp" | bc -l)"
printf '%-34s %12.3f %12.3f %7.1fx\n' "implicit ALS (CG, 3 steps)" "$ecomml_imp" "$np_imp" "$(echo "$np_imp / $ecomml_imp" | bc -l)"
echo "explicit train RMSE: ecomml (4 iterations) $exp_rmse; numpy ($NP_ITERS) $np_rmse"
echo "implicit (weight = max(rating - 3, 0)) top-10 share in the user's group, users 1-2000, random = 0.1:"
echo "    ecomml (4 iterations) $imp_prec; numpy ($NP_ITERS) $np_prec"
printf 'recommend_all: %s rows (k = 10) in %.2f s\n' "$nrec" "$recall_s"
"${PSQL[@]}" -c "DROP TABLE bench_models" -c "DROP TABLE bench_ratings"
