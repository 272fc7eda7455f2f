#!/usr/bin/env bash
# test/bench/recs.sh - ecomml ALS against a numpy reference of the same
# algorithms on the same data, plus recommend_all throughput.
# Run by `test/run bench` (a throwaway cluster, PGHOST/PGPORT exported).
# Sizes: RECS_BENCH_USERS (50000) x RECS_BENCH_ITEMS (20000), 20 ratings per user.
set -euo pipefail
USERS=${RECS_BENCH_USERS:-50000}
ITEMS=${RECS_BENCH_ITEMS:-20000}
K=${RECS_BENCH_FACTORS:-64}
NP_ITERS=${RECS_BENCH_NUMPY_ITERATIONS:-1}
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d ecomml)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/ecomml-bench-recs.XXXXXX)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "== recs benchmark: $USERS users x $ITEMS items, 20 ratings per user, factors $K"
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

now() { date +%s.%N; }
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
