#!/usr/bin/env bash
# Customer analytics against scikit-learn (the anchor), same data, same run:
#   k-means: 200k rows x 8 features, k = 8, one k-means++ start, Lloyd, tol 1e-4
#   naive Bayes: 50k generated messages, tokenize + count + fit
# Both sides single-threaded (ecomml.blas_threads = 1, OMP/OpenBLAS threads = 1);
# best of 3 wall-clock times.  Prints the ratios recorded in doc/benchmarks-customers.md.
set -euo pipefail
tmp=$(mktemp -d /tmp/ecomml-bench-cust.XXXXXX)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d ecomml <<SQL
SET client_min_messages = warning;
SELECT setseed(0.7) \gset
DROP TABLE IF EXISTS bench_km, bench_docs;
CREATE TABLE bench_km AS
SELECT g, ARRAY(SELECT (g % 8) * 0.4 * sin(j * (g % 8)) + random() FROM generate_series(1, 8) j)::float8[] AS x
FROM generate_series(1, 200000) g;
CREATE TABLE bench_docs AS
SELECT g, (ARRAY['pos','neg','ship'])[1 + g % 3] AS label,
       array_to_string(ARRAY(SELECT w[1 + floor(random() * 24)::int + 8 * (g % 3) * (random() < 0.5)::int]
                             FROM generate_series(1, 12)), ' ') AS body
FROM generate_series(1, 50000) g,
     (SELECT ARRAY['great','love','perfect','fast','happy','nice','works','quality',
                   'broken','bad','slow','refund','poor','cheap','waste','returned',
                   'late','package','courier','tracking','lost','address','delayed','arrived',
                   'the','a','and','it','is','was','my','order','item','very','just','again'] AS w) v;
VACUUM ANALYZE bench_km; VACUUM ANALYZE bench_docs;
\copy (SELECT array_to_string(x, ',') FROM bench_km ORDER BY g) TO '$tmp/km.csv'
\copy (SELECT label, body FROM bench_docs ORDER BY g) TO '$tmp/docs.tsv'
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE timings (what text, ms float8, info text);
DO \$\$
DECLARE t0 timestamptz; best float8 := 'Infinity'; m bytea;
BEGIN
    FOR rep IN 1..3 LOOP
        t0 := clock_timestamp();
        SELECT ecomml.train_kmeans(x, '{"k": 8, "n_init": 1, "max_iter": 300, "tol": 1e-4, "seed": 1}') INTO m FROM bench_km;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    INSERT INTO timings VALUES ('kmeans', best, (ecomml.model_info(m)->>'iterations') || ' ' || (ecomml.model_info(m)->>'inertia'));
    best := 'Infinity';
    FOR rep IN 1..3 LOOP
        t0 := clock_timestamp();
        SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label) INTO m FROM bench_docs;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    INSERT INTO timings VALUES ('naive_bayes', best, ecomml.model_info(m)->>'vocabulary');
END \$\$;
\copy (SELECT what, ms, info FROM timings) TO '$tmp/ecomml.tsv'
DROP TABLE bench_km, bench_docs;
SQL
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 - "$tmp" <<'PY'
import sys, time, numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
d = sys.argv[1]
X = np.loadtxt(d + "/km.csv", delimiter=",")
labels, docs = zip(*(l.rstrip("\n").split("\t") for l in open(d + "/docs.tsv")))
def best(f):
    t = []
    for _ in range(3):
        t0 = time.perf_counter(); r = f(); t.append((time.perf_counter() - t0) * 1000)
    return min(t), r
km_ms, km = best(lambda: KMeans(8, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd", random_state=1).fit(X))
def nb():
    cv = CountVectorizer(token_pattern=r"[a-z]+"); C = cv.fit_transform(docs)
    return MultinomialNB().fit(C, labels), len(cv.vocabulary_)
nb_ms, (m, voc) = best(nb)
e = {l.split("\t")[0]: l.rstrip("\n").split("\t")[1:] for l in open(d + "/ecomml.tsv")}
e_km, (e_it, e_in) = float(e["kmeans"][0]), e["kmeans"][1].split()
e_nb = float(e["naive_bayes"][0])
print("k-means 200000 x 8, k=8: ecomml %.0f ms (%s iterations, inertia %.1f), scikit-learn %.0f ms (%d iterations, inertia %.1f)"
      % (e_km, e_it, float(e_in), km_ms, km.n_iter_, km.inertia_))
print("  ratio ecomml/sklearn total %.2f, per iteration %.2f" % (e_km / km_ms, (e_km / int(e_it)) / (km_ms / km.n_iter_)))
print("naive Bayes 50000 docs: ecomml %.0f ms (vocabulary %s), scikit-learn CountVectorizer+MultinomialNB %.0f ms (vocabulary %d)"
      % (e_nb, e["naive_bayes"][1], nb_ms, voc))
print("  ratio ecomml/sklearn %.2f" % (e_nb / nb_ms))
PY
