#!/usr/bin/env bash
# test/bench/recs.sh - recommendations against their anchors, in one run:
#  0. a public ratings set, when RECS_BENCH_DATA names a file (skipped with a
#     message otherwise): one rating a line, user id, item id and rating as the
#     first three fields, separated by ",", tab or "::" (MovieLens ml-100k
#     u.data, ml-latest-small ratings.csv, ml-1m ratings.dat); a header line is
#     skipped. 20 % of the ratings are held out (seeded). Ratings >= 4 become
#     implicit interactions of weight 1: the comparison of section 1, with
#     numpy ALS beside `implicit`, implicit ALS quality the mean of 5 seeds
#     on every side (RECS_BENCH_PUBLIC_SEEDS), EASE with lambda 100 and
#     "auto"; then explicit ALS with default options
#     (lambda "auto"): held-out RMSE beside numpy's biases-only baseline and
#     numpy ALS at the lambda ecomml chose (recs_explicit.py).
#  1. implicit feedback, generated power-law data (RECS_BENCH_ROWS, 1M rows;
#     RECS_BENCH_GENERATED=0 skips it): ecomml implicit ALS against the
#     `implicit` library when python3 can import it (put a hand build on
#     PYTHONPATH), else against numpy ALS (test/bench/recs_implicit.py): CPU
#     seconds per iteration (k = 64, 3 CG steps, one thread), precision@10 /
#     ndcg@10 on held-out rows, recommend-all CPU seconds; EASE on the same
#     rows; implicit ALS with 2 BLAS threads (wall seconds).
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
# implicit ALS quality: mean over this many seeds (both sides); the public set uses 5
export RECS_BENCH_SEEDS=${RECS_BENCH_SEEDS:-1}
SEEDS=$RECS_BENCH_SEEDS
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d ecomml)
# an EASE model (items^2 float4) is far over the default 64MB budget of decoded
# models: without this, each statement would decode it again
export PGOPTIONS="${PGOPTIONS:-} -c ecomml.model_cache_memory=4GB"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/ecomml-bench-recs.XXXXXX)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
py() { OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 "$@"; }

# CPU seconds the backend spends on one statement (utime + stime of its process)
cpu_sql() {   # $1 statement; $2 (optional) an untimed statement first, same session
    local q=$1 warm=${2:-SELECT 1}
    "${PSQL[@]}" -At <<SQL | tail -1
SET client_min_messages = warning;
$warm;
SELECT pg_backend_pid() AS pid \gset
SELECT split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 14)::bigint
     + split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 15)::bigint AS t0 \gset
$q;
SELECT round(((split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 14)::bigint
             + split_part(pg_read_file('/proc/' || :pid || '/stat'), ' ', 15)::bigint - :t0)
             / 100.0)::numeric, 2);
SQL
}
wall() { local t0; t0=$(now); "${PSQL[@]}" -c "SET client_min_messages = warning" -c "$1" >/dev/null; echo "$(now) - $t0" | bc -l; }

# ecomml implicit ALS, EASE and recommend_all against the anchors on one table
# bench_imp(user_id, item_id, w, test): trains on NOT test, ranks the unseen
# items of every user with held-out pairs.
#   $1 timing iterations n (per iteration = (run of 1 + n iterations - run of 1) / n)
#   $2 anchors: "auto" (`implicit`, else numpy) or "both" (`implicit` and numpy)
#   $3 1 = also time 2 threads against 1 (wall seconds)
#   $4 1 = also EASE with lambda "auto"
implicit_compare() {
    local n=$1 anchors=$2 threads=$3 ease_auto=$4 c1 cn ecomml_iter
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
VACUUM ANALYZE bench_imp;   -- hint bits set now, not during the first timed scan
\copy (SELECT user_id, item_id, w FROM bench_imp WHERE NOT test) TO '$tmp/train.csv' CSV
\copy (SELECT user_id, item_id FROM bench_imp WHERE test) TO '$tmp/test.csv' CSV
CREATE TABLE bench_models(name text, m bytea);
-- relevant: held-out pairs of users and items that training saw (as the anchors count them)
CREATE TABLE bench_rel AS SELECT user_id, array_agg(item_id) AS items FROM bench_imp t
WHERE test AND user_id IN (SELECT user_id FROM bench_imp WHERE NOT test)
  AND item_id IN (SELECT item_id FROM bench_imp WHERE NOT test) GROUP BY user_id;
SQL
    "${PSQL[@]}" -Atc "SELECT format('pairs: %s train, %s held out; users %s, items %s', count(*) FILTER (WHERE NOT test),
        count(*) FILTER (WHERE test), count(DISTINCT user_id), count(DISTINCT item_id)) FROM bench_imp"

    imp_opts() { echo "{\"factors\": $K, \"iterations\": $1, \"cg_steps\": 3, \"blas_threads\": ${2:-1}}"; }
    train_sql() { echo "SELECT length(ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts "$@")')) FROM bench_imp WHERE NOT test"; }
    # a warm-up run first: the timed runs then read the same cached, hinted table
    cpu_sql "$(train_sql 1)" >/dev/null
    c1=$(cpu_sql "$(train_sql 1)")
    cn=$(cpu_sql "$(train_sql $((1 + n)))")
    ecomml_iter=$(echo "($cn - $c1) / $n" | bc -l)

    "${PSQL[@]}" -c "SET client_min_messages = warning" \
        -c "INSERT INTO bench_models SELECT 'als_implicit', ecomml.train_als_implicit(user_id, item_id, w, '$(imp_opts "$ITERS")') FROM bench_imp WHERE NOT test"
    local ease_cpu imp_p imp_n ease_p ease_n rec_imp rec_ease rec_cand
    ease_cpu=$(cpu_sql "INSERT INTO bench_models SELECT 'ease', ecomml.train_ease(user_id, item_id, w) FROM bench_imp WHERE NOT test")
    quality() {   # $1 model name -> "precision ndcg"
        "${PSQL[@]}" -Atc "SELECT round((x->>'precision')::numeric, 4) || ' ' || round((x->>'ndcg')::numeric, 4) FROM (
            SELECT ecomml.ranking_metrics((SELECT array_agg(r.item_id ORDER BY r.rank)
                                           FROM ecomml.recommend(b.m, rel.user_id, 10) r), rel.items, 10) x
            FROM bench_rel rel, bench_models b WHERE b.name = '$1') q"
    }
    # precision and ndcg: the mean over RECS_BENCH_SEEDS seeds (42, 43, ...), as the anchors
    local seed ps=0 ns=0 p_s n_s
    read -r imp_p imp_n < <(quality als_implicit)
    for ((seed = 43; seed < 42 + SEEDS; seed++)); do
        "${PSQL[@]}" -c "SET client_min_messages = warning" \
            -c "INSERT INTO bench_models SELECT 'seed_$seed', ecomml.train_als_implicit(user_id, item_id, w, '{\"factors\": $K, \"iterations\": $ITERS, \"cg_steps\": 3, \"seed\": $seed}') FROM bench_imp WHERE NOT test"
        read -r p_s n_s < <(quality "seed_$seed")
        ps=$(echo "$ps + $p_s" | bc -l); ns=$(echo "$ns + $n_s" | bc -l)
    done
    imp_p=$(printf '%.4f' "$(echo "($imp_p + $ps) / $SEEDS" | bc -l)")
    imp_n=$(printf '%.4f' "$(echo "($imp_n + $ns) / $SEEDS" | bc -l)")
    read -r ease_p ease_n < <(quality ease)
    local ease_auto_cpu ease_auto_p ease_auto_n ease_auto_lambda
    if [ "$ease_auto" = 1 ]; then
        ease_auto_cpu=$(cpu_sql "INSERT INTO bench_models SELECT 'ease_auto', ecomml.train_ease(user_id, item_id, w, '{\"lambda\": \"auto\"}') FROM bench_imp WHERE NOT test")
        read -r ease_auto_p ease_auto_n < <(quality ease_auto)
        ease_auto_lambda=$("${PSQL[@]}" -Atc "SELECT ecomml.model_info(m)->>'lambda' FROM bench_models WHERE name = 'ease_auto'")
    fi
    # the model decoded and cached by a first call, as in serving (the anchors have theirs in memory)
    rec_imp=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_models WHERE name = 'als_implicit'), 10)" \
                      "SELECT count(*) FROM ecomml.recommend((SELECT m FROM bench_models WHERE name = 'als_implicit'), 0)")
    rec_ease=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_models WHERE name = 'ease'), 10)" \
                       "SELECT count(*) FROM ecomml.recommend((SELECT m FROM bench_models WHERE name = 'ease'), 0)")
    rec_cand=$(cpu_sql "SELECT count(*) FROM ecomml.recommend_all((SELECT m FROM bench_models WHERE name = 'als_implicit'), 10,
        candidates => (SELECT array_agg(item_id ORDER BY item_id) FILTER (WHERE item_id % 100 = 1) FROM (SELECT DISTINCT item_id FROM bench_imp) i))" \
                       "SELECT count(*) FROM ecomml.recommend((SELECT m FROM bench_models WHERE name = 'als_implicit'), 0)")

    local -a names=() lines=()
    local which line
    for which in $([ "$anchors" = both ] && echo "implicit numpy" || echo auto); do
        line=$(py "$here/recs_implicit.py" "$tmp/train.csv" "$tmp/test.csv" "$K" "$ITERS" 3 "$n" "$which") || continue
        lines+=("$line")
    done

    printf '%-46s %10s %8s  %s\n' "implicit ALS (k=$K, 3 CG steps, one thread)" ecomml "" "anchor"
    printf '%-46s %10.3f\n' "CPU s per iteration" "$ecomml_iter"
    printf '%-46s %10s\n' "held-out precision@10 / ndcg@10 ($ITERS it., $SEEDS seeds)" "$imp_p / $imp_n"
    printf '%-46s %10s\n' "recommend all users, k = 10 (CPU s)" "$rec_imp"
    for line in "${lines[@]}"; do
        read -r a_name a_ver a_iter a_p a_n a_rec <<<"$line"
        printf '  %s %s: %.3f s per iteration (ecomml %.2fx its time), precision@10 / ndcg@10 %s / %s, recommend all %s s\n' \
            "$a_name" "$a_ver" "$a_iter" "$(echo "$ecomml_iter / $a_iter" | bc -l)" "$a_p" "$a_n" "$a_rec"
    done
    printf '%-46s %10s\n' "EASE (lambda 100) precision@10 / ndcg@10" "$ease_p / $ease_n"
    printf '%-46s %10s s CPU\n' "EASE training" "$ease_cpu"
    if [ "$ease_auto" = 1 ]; then
        printf '%-46s %10s\n' "EASE lambda auto ($ease_auto_lambda): precision / ndcg" "$ease_auto_p / $ease_auto_n"
        printf '%-46s %10s s CPU\n' "EASE lambda auto training" "$ease_auto_cpu"
    fi
    printf '%-46s %10s\n' "recommend_all of EASE (CPU s)" "$rec_ease"
    printf '%-46s %10s\n' "recommend_all ALS, 1 % of items as candidates" "$rec_cand"
    if [ "$threads" = 1 ]; then
        local w1a wna w1b wnb
        w1a=$(wall "$(train_sql 1 1)"); wna=$(wall "$(train_sql $((1 + n)) 1)")
        w1b=$(wall "$(train_sql 1 2)"); wnb=$(wall "$(train_sql $((1 + n)) 2)")
        printf 'implicit ALS wall s per iteration: 1 BLAS thread %.3f, 2 threads %.3f\n' \
            "$(echo "($wna - $w1a) / $n" | bc -l)" "$(echo "($wnb - $w1b) / $n" | bc -l)"
    fi
    "${PSQL[@]}" -c "DROP TABLE bench_models" -c "DROP TABLE bench_rel"
}

if [ -z "${RECS_BENCH_DATA:-}" ]; then
    echo "== recs benchmark 0: public ratings set skipped (set RECS_BENCH_DATA=<ratings file>, format in test/bench/recs.sh)"
else
    echo "== recs benchmark 0: public ratings set $(basename "$RECS_BENCH_DATA"), k = $K"
    # normalize "u,i,r,...", "u<TAB>i<TAB>r..." and "u::i::r::..." to CSV; skip a header
    sed 's/::/,/g; s/\t/,/g' "$RECS_BENCH_DATA" | awk -F, '$1 ~ /^[0-9]+$/ { print $1 "," $2 "," $3 }' > "$tmp/public.csv"
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE TABLE bench_pub(user_id bigint, item_id bigint, rating float8);
\copy bench_pub FROM '$tmp/public.csv' CSV
SELECT setseed(0.5);
-- the split in file order, seeded: the same pairs held out on every run
CREATE TABLE bench_pub_split AS SELECT *, random() < 0.2 AS test FROM bench_pub;
CREATE TABLE bench_imp AS SELECT user_id, item_id, 1.0::float8 AS w, test FROM bench_pub_split WHERE rating >= 4;
SQL
    "${PSQL[@]}" -Atc "SELECT format('%s ratings, %s users, %s items; implicit: ratings >= 4 as weight 1', count(*),
        count(DISTINCT user_id), count(DISTINCT item_id)) FROM bench_pub"
    # few interactions: time 30 iterations so the CPU clock's 10 ms ticks do not matter
    RECS_BENCH_SEEDS=${RECS_BENCH_PUBLIC_SEEDS:-5} SEEDS=${RECS_BENCH_PUBLIC_SEEDS:-5} \
        implicit_compare "${RECS_BENCH_PUBLIC_TIMING_ITERS:-30}" both 0 1
    "${PSQL[@]}" -c "DROP TABLE bench_imp"

    echo "-- explicit ALS with default options (lambda \"auto\", factors $K), 20 % of the ratings held out"
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
\copy (SELECT user_id, item_id, rating FROM bench_pub_split WHERE NOT test) TO '$tmp/ex_train.csv' CSV
\copy (SELECT user_id, item_id, rating FROM bench_pub_split WHERE test) TO '$tmp/ex_test.csv' CSV
CREATE TABLE bench_ex AS
SELECT ecomml.train_als(user_id, item_id, rating) AS auto,
       ecomml.train_als(user_id, item_id, rating, '{"lambda": 0.05}') AS fixed
FROM bench_pub_split WHERE NOT test;
SQL
    # no GROUP BY on the models: predict() then gets their TOAST pointers, a cache hit per row
    read -r ex_auto ex_fixed < <("${PSQL[@]}" -Atc "SELECT round(ecomml.rmse(ecomml.predict(auto, user_id, item_id), rating)::numeric, 4),
        round(ecomml.rmse(ecomml.predict(fixed, user_id, item_id), rating)::numeric, 4)
        FROM bench_pub_split, bench_ex WHERE test" | tr '|' ' ')
    read -r ex_lambda ex_iters < <("${PSQL[@]}" -Atc "SELECT ecomml.model_info(auto)->>'lambda', ecomml.model_info(auto)->>'iterations_run'
        FROM bench_ex" | tr '|' ' ')
    read -r np_base np_als < <(py "$here/recs_explicit.py" "$tmp/ex_train.csv" "$tmp/ex_test.csv" "$K" "$ex_lambda" "$ex_iters")
    printf 'held-out RMSE: ecomml defaults %s (lambda %.4f chosen, %s iterations), lambda 0.05 %s\n' \
        "$ex_auto" "$ex_lambda" "$ex_iters" "$ex_fixed"
    printf '               numpy: biases only %s, ALS at the chosen lambda and iterations %s\n' "$np_base" "$np_als"
    "${PSQL[@]}" -c "DROP TABLE bench_ex" -c "DROP TABLE bench_pub_split" -c "DROP TABLE bench_pub"
fi

if [ "${RECS_BENCH_GENERATED:-1}" = 1 ]; then
    echo "== recs benchmark 1: implicit feedback, $ROWS power-law rows, $PL_USERS users x $PL_ITEMS items, k = $K"
    # a user's activity and an item's popularity both follow power laws; 70 % of a
    # user's picks come from its own of 10 taste groups; 20 % of the pairs held out
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
SELECT setseed(0.5) \gset
CREATE UNLOGGED TABLE bench_imp AS
SELECT user_id, item_id, count(*)::float8 AS w, bool_or(test) AS test FROM (
  SELECT u AS user_id,
         CASE WHEN random() < 0.7 THEN (1 + floor(($PL_ITEMS / 10) * random() ^ 2) * 10 + u % 10)::bigint
              ELSE (1 + floor($PL_ITEMS * random() ^ 3))::bigint END AS item_id,
         random() < 0.2 AS test
  FROM (SELECT (1 + floor($PL_USERS * random() ^ 1.5))::bigint AS u FROM generate_series(1, $ROWS)) g) x
GROUP BY user_id, item_id;
SQL
    implicit_compare 3 auto 1 0
    "${PSQL[@]}" -c "DROP TABLE bench_imp"
fi
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
