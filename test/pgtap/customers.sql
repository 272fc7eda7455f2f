-- Customer analytics: k-means quality against scikit-learn and planted
-- clusters, RFM rules, elasticity, bad input, parallel plans.
-- fx_kmeans is a committed fixture from test/customers_expected.py.
BEGIN;
SELECT plan(86);

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;

-- adjusted Rand index of the model's clusters against the planted ones
CREATE FUNCTION pg_temp.ari(model bytea) RETURNS float8 LANGUAGE sql AS $$
WITH lab AS (SELECT truth AS t, ecomml.assign_cluster(model, x) AS c FROM public.fx_kmeans),
     ct AS (SELECT t, c, count(*)::numeric AS nij FROM lab GROUP BY t, c),
     a AS (SELECT sum(s * (s - 1) / 2) AS v FROM (SELECT sum(nij) AS s FROM ct GROUP BY t) q),
     b AS (SELECT sum(s * (s - 1) / 2) AS v FROM (SELECT sum(nij) AS s FROM ct GROUP BY c) q),
     ij AS (SELECT sum(nij * (nij - 1) / 2) AS v FROM ct),
     n AS (SELECT count(*)::numeric AS n FROM lab)
SELECT ((ij.v - a.v * b.v / (n.n * (n.n - 1) / 2))
        / ((a.v + b.v) / 2 - a.v * b.v / (n.n * (n.n - 1) / 2)))::float8
FROM ij, a, b, n
$$;

CREATE FUNCTION pg_temp.inertia(opts jsonb) RETURNS float8 LANGUAGE sql AS $$
SELECT (ecomml.model_info(ecomml.train_kmeans(x, opts))->>'inertia')::float8 FROM public.fx_kmeans
$$;

-- k-means against scikit-learn 1.2.1 (KMeans n_init=10), test/customers_expected.py:
-- kmeans raw k=3 n_init=10 inertia 84154.5101338890 ari 0.671972
-- kmeans raw k=4 n_init=10 inertia 45691.4762185157 ari 0.887820
-- kmeans raw k=6 n_init=10 inertia 25963.5946404797 ari 0.739543
-- kmeans standardized k=3 n_init=10 inertia 473.0352720879 ari 0.700519
-- kmeans standardized k=4 n_init=10 inertia 155.9647162531 ari 0.991126
-- kmeans standardized k=6 n_init=10 inertia 122.2784899086 ari 0.814586
SELECT cmp_ok(abs(pg_temp.inertia('{"k": 3, "n_init": 10}') / 84154.5101338890 - 1), '<=', 0.01::float8,
    'k=3 inertia within 1% of scikit-learn');
SELECT cmp_ok(abs(pg_temp.inertia('{"k": 4, "n_init": 10}') / 45691.4762185157 - 1), '<=', 0.01::float8,
    'k=4 inertia within 1% of scikit-learn');
SELECT cmp_ok(abs(pg_temp.inertia('{"k": 6, "n_init": 10}') / 25963.5946404797 - 1), '<=', 0.01::float8,
    'k=6 inertia within 1% of scikit-learn');
SELECT cmp_ok(abs(pg_temp.inertia('{"k": 4, "n_init": 10, "standardize": true}') / 155.9647162531 - 1), '<=', 0.01::float8,
    'standardized k=4 inertia within 1% of scikit-learn');
SELECT cmp_ok(abs(pg_temp.inertia('{"k": 6, "n_init": 10, "standardize": true}') / 122.2784899086 - 1), '<=', 0.01::float8,
    'standardized k=6 inertia within 1% of scikit-learn');

-- Many clusters and many local optima (Hamerly's bounds skip most rows here):
-- the median over seeds against scikit-learn's median over random_state 0..19 of
-- KMeans(n_clusters=12, n_init=10, random_state=s).fit(data).inertia_ (test/customers_expected.py):
-- kmeans raw k=12 n_init=10 median inertia over random_state 0..19 9344.5734
-- kmeans standardized k=12 n_init=10 median inertia over random_state 0..19 77.2348
SELECT cmp_ok(abs((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_temp.inertia(jsonb_build_object('k', 12, 'n_init', 10, 'seed', s)))
                   FROM generate_series(1, 9) s) / 9344.5734 - 1), '<=', 0.02::float8,
    'k=12: median inertia over seeds within 2% of scikit-learn''s');
SELECT cmp_ok(abs((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_temp.inertia(jsonb_build_object('k', 12, 'n_init', 10, 'seed', s, 'standardize', true)))
                   FROM generate_series(1, 9) s) / 77.2348 - 1), '<=', 0.02::float8,
    'standardized k=12: median inertia over seeds within 2% of scikit-learn''s');

SELECT ecomml.train_kmeans(x, '{"k": 4, "standardize": true, "seed": 3}') AS km FROM public.fx_kmeans \gset
SELECT cmp_ok(pg_temp.ari(:'km'), '>=', 0.98::float8, 'planted clusters recovered: adjusted Rand index >= 0.98');
SELECT is((SELECT sum(size) FROM ecomml.cluster_centers(:'km')), 600::numeric, 'cluster sizes add up to the rows');
SELECT is((SELECT array_agg(size ORDER BY cluster) FROM ecomml.cluster_centers(:'km'))
        = (SELECT array_agg(size ORDER BY size DESC) FROM ecomml.cluster_centers(:'km')), true,
    'clusters are numbered by size, largest first');
SELECT is((SELECT count(*) FROM ecomml.cluster_centers(:'km') c
            WHERE ecomml.assign_cluster(:'km', c.center) <> c.cluster), 0::bigint,
    'each center is assigned to its own cluster');
SELECT is((SELECT count(*) FROM public.fx_kmeans GROUP BY ecomml.assign_cluster(:'km', x) ORDER BY 1 DESC LIMIT 1),
          (SELECT size FROM ecomml.cluster_centers(:'km') WHERE cluster = 0),
    'assign_cluster reproduces the training sizes');
SELECT is((SELECT array_agg(center ORDER BY cluster) FROM ecomml.cluster_centers(
              (SELECT ecomml.train_kmeans(x, '{"k": 5, "seed": 9}') FROM (SELECT x FROM public.fx_kmeans ORDER BY id DESC) q))),
          (SELECT array_agg(center ORDER BY cluster) FROM ecomml.cluster_centers(
              (SELECT ecomml.train_kmeans(x, '{"k": 5, "seed": 9}') FROM (SELECT x FROM public.fx_kmeans ORDER BY id) q))),
    'the model does not depend on row order');

-- bad input
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM public.fx_kmeans WHERE false$$, '22000', NULL, 'zero rows');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x, '{"k": 700}') FROM public.fx_kmeans$$, '22000', NULL, 'k above the row count');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x, '{"k": 0}') FROM public.fx_kmeans$$, '22023', NULL, 'k = 0');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x, '{"kk": 3}') FROM public.fx_kmeans$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x, '{"standardize": "yes"}') FROM public.fx_kmeans$$, '22023', NULL, 'option of the wrong type');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM (VALUES ('{1,2}'::float8[]), ('{1}')) v(x)$$, '2202E', NULL, 'ragged feature arrays');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM (VALUES ('{}'::float8[])) v(x)$$, '2202E', NULL, 'empty feature array');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) v(x)$$, '2202E', NULL, 'two-dimensional features');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM (VALUES ('{1,NULL}'::float8[])) v(x)$$, '22004', NULL, 'NULL feature element');
SELECT throws_ok($$SELECT ecomml.train_kmeans(x) FROM (VALUES ('{1,Infinity}'::float8[])) v(x)$$, '22000', NULL, 'infinite feature');
SELECT throws_ok(format('SELECT ecomml.assign_cluster(%L, ''{1,2}'')', :'km'), '2202E', NULL, 'assign_cluster with the wrong length');
SELECT throws_ok($$SELECT ecomml.assign_cluster(ecomml.train_mean(1), '{1,2,3}')$$, '22023', NULL, 'assign_cluster with a constant model');
SELECT throws_ok($$SELECT * FROM ecomml.cluster_centers('\x00'::bytea)$$, 'XX001', NULL, 'cluster_centers of garbage');

-- RFM: the documented rule equals SQL window functions over the same sums
CREATE TEMP TABLE rfm_out AS
SELECT r.* FROM unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-11-01 00:00+00')
                        FROM public.fx_orders)) r;
SELECT is((SELECT count(*) FROM rfm_out), 137::bigint, 'one rfm row per customer');
SELECT is((WITH base AS (
              SELECT customer_id, extract(epoch FROM timestamptz '2026-11-01 00:00+00' - max(ordered_at)) / 86400 AS rec,
                     count(*) AS f, sum(amount) AS m
              FROM public.fx_orders WHERE ordered_at <= '2026-11-01 00:00+00' GROUP BY customer_id),
           s AS (
              SELECT customer_id, rec, f, m,
                     1 + 5 * (rank() OVER (ORDER BY rec DESC) - 1) / count(*) OVER () AS rs,
                     1 + 5 * (rank() OVER (ORDER BY f) - 1) / count(*) OVER () AS fs,
                     1 + 5 * (rank() OVER (ORDER BY m) - 1) / count(*) OVER () AS ms
              FROM base)
           SELECT count(*) FROM s JOIN rfm_out r USING (customer_id)
           WHERE r.r_score <> s.rs OR r.f_score <> s.fs OR r.m_score <> s.ms OR r.frequency <> s.f
              OR abs(r.recency_days - s.rec) > 1e-9 OR abs(r.monetary - s.m) > 1e-9 * abs(s.m)), 0::bigint,
    'rfm values and scores equal the window-function definition');
SELECT is((SELECT array_agg(DISTINCT r_score ORDER BY r_score) FROM rfm_out), '{1,2,3,4,5}'::int[], 'all five recency scores occur');
SELECT is((SELECT bool_and(rfm = r_score::text || f_score || m_score) FROM rfm_out), true, 'rfm cell is r, f, m digits');
SELECT is((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-01-01 00:00+00') FROM public.fx_orders WHERE false),
          '{}'::ecomml.rfm_score[], 'no rows: an empty array');
SELECT throws_ok($$SELECT ecomml.rfm(customer_id, ordered_at, amount, NULL) FROM public.fx_orders$$, '22004', NULL, 'rfm with a NULL as_of');
SELECT throws_ok($$SELECT ecomml.rfm(customer_id, ordered_at, amount, ordered_at) FROM public.fx_orders$$, '22023', NULL, 'rfm with a varying as_of');
SELECT throws_ok($$SELECT ecomml.rfm(1, now(), 'Infinity', now())$$, '22000', NULL, 'rfm with an infinite amount');
SELECT throws_ok($$SELECT ecomml.rfm(1, '-infinity', 1, now())$$, '22008', NULL, 'rfm with an infinite order time');
SELECT throws_ok($$SELECT ecomml.rfm(1, now(), 1, 'infinity')$$, '22008', NULL, 'rfm with an infinite as_of');

-- price elasticity against numpy OLS (test/customers_expected.py):
-- elasticity segment 0 OLS (numpy) coef 6.0203866095 -1.2040430556 0.3801992907 se 0.0508951544 0.0158061453 0.0210506995
-- elasticity segment 1 OLS (numpy) coef 5.9928295143 -2.4947790949 0.3658206256 se 0.0548923778 0.0167205004 0.0210488248
CREATE TEMP TABLE el AS
SELECT segment, ecomml.train_elasticity(price, quantity, ARRAY[promo]) AS m
FROM public.fx_demand GROUP BY segment;
CREATE TEMP TABLE el_coef AS
SELECT segment, c.* FROM el, ecomml.elasticity_coefficients(m) c;
SELECT is((SELECT array_agg(round(estimate::numeric, 8) ORDER BY segment, term COLLATE "C") FROM el_coef),
          '{0.38019929,6.02038661,-1.20404306,0.36582063,5.99282951,-2.49477909}'::numeric[],
    'coefficients per segment equal numpy OLS');
SELECT is((SELECT array_agg(round(std_error::numeric, 8) ORDER BY segment, term COLLATE "C") FROM el_coef),
          '{0.02105070,0.05089515,0.01580615,0.02104882,0.05489238,0.01672050}'::numeric[],
    'standard errors per segment equal numpy OLS');
SELECT ok((SELECT bool_and(ci_low < CASE segment WHEN 0 THEN -1.2 ELSE -2.5 END
                       AND ci_high > CASE segment WHEN 0 THEN -1.2 ELSE -2.5 END)
           FROM el_coef WHERE term = 'log_price'),
    'the true elasticity lies in the 95% confidence interval of each segment');
SELECT ok((SELECT bool_and(abs((ci_high - estimate) / std_error - 1.9623) < 0.001) FROM el_coef),
    'interval half-width is t(0.975, 997) standard errors');
SELECT ok(abs(ecomml.optimal_price(m, 10, 1, 100) - 10 * (ecomml.model_info(m)->>'elasticity')::float8
                / (1 + (ecomml.model_info(m)->>'elasticity')::float8)) < 1e-9,
    'optimal price is c b / (1 + b) inside wide bounds') FROM el WHERE segment = 1;
SELECT is(ecomml.optimal_price(m, 10, 1, 50), 50::float8, 'optimal price clamps to price_max') FROM el WHERE segment = 0;
SELECT is(ecomml.optimal_price(m, 10, 20, 30), 20::float8, 'optimal price clamps to price_min') FROM el WHERE segment = 1;
SELECT ok(abs(ecomml.predict_demand(m, 20, '{1}') - exp(6.0203866095 - 1.2040430556 * ln(20) + 0.3801992907)) < 1e-6,
    'predict_demand follows the fitted curve') FROM el WHERE segment = 0;
SELECT is((SELECT ecomml.model_info(ecomml.train_elasticity(price, q, NULL, '{"zero_quantity": "skip"}'))->'skipped_rows'
           FROM (SELECT price, CASE WHEN id % 10 = 0 THEN 0 ELSE quantity END AS q FROM public.fx_demand) d),
          '200'::jsonb, 'zero quantities are skipped and counted on request');
SELECT throws_ok($$SELECT ecomml.train_elasticity(price, 0) FROM public.fx_demand$$, '22000', NULL, 'zero quantity');
SELECT throws_ok($$SELECT ecomml.train_elasticity(-1, quantity) FROM public.fx_demand$$, '22000', NULL, 'negative price');
SELECT throws_ok($$SELECT ecomml.train_elasticity(10, quantity) FROM public.fx_demand$$, '22000', NULL, 'a single price');
SELECT throws_ok($$SELECT ecomml.train_elasticity(price, quantity) FROM public.fx_demand WHERE false$$, '22000', NULL, 'elasticity on zero rows');
SELECT throws_ok($$SELECT ecomml.train_elasticity(price, quantity, ARRAY[promo, promo]) FROM public.fx_demand$$, '22000', NULL, 'collinear features');
SELECT throws_ok($$SELECT ecomml.train_elasticity(price, quantity, NULL, '{"confidence": 2}') FROM public.fx_demand$$, '22023', NULL, 'confidence out of range');
SELECT throws_ok($$SELECT ecomml.train_elasticity(price, quantity, CASE WHEN id = 5 THEN '{1,2}'::float8[] END) FROM public.fx_demand$$, '2202E', NULL, 'ragged elasticity features');
SELECT throws_ok(format('SELECT ecomml.optimal_price(%L, 10, 50, 20)', (SELECT m FROM el WHERE segment = 0)), '22023', NULL, 'price_min above price_max');
SELECT throws_ok(format('SELECT ecomml.optimal_price(%L, -1, 5, 20)', (SELECT m FROM el WHERE segment = 0)), '22023', NULL, 'negative unit cost');
SELECT throws_ok($$SELECT ecomml.optimal_price(ecomml.train_mean(1), 1, 1, 2)$$, '22023', NULL, 'optimal_price with a constant model');

-- text classifier against scikit-learn MultinomialNB (test/customers_expected.py):
-- text MultinomialNB alpha=1 test accuracy 0.910000 (273 of 300)
-- text first test doc (id 601) probabilities negative=0.8412510595 positive=0.1040552951 shipping=0.0546936454
SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label) AS nb
FROM public.fx_reviews WHERE id <= 600 \gset
SELECT cmp_ok(abs((SELECT avg(((SELECT c.label FROM ecomml.classify(:'nb', to_tsvector('simple', body)) c LIMIT 1) = r.label)::int::float8)
                   FROM public.fx_reviews r WHERE id > 600) - 0.91), '<=', 0.01::float8,
    'test accuracy equals scikit-learn MultinomialNB to +-0.01');
SELECT is((SELECT array_agg(round(c.probability::numeric, 8) ORDER BY c.label)
           FROM public.fx_reviews r, ecomml.classify(:'nb', to_tsvector('simple', r.body)) c WHERE r.id = 601),
          '{0.84125106,0.10405530,0.05469365}'::numeric[], 'probabilities equal scikit-learn''s to 8 decimals');
SELECT is((SELECT round(sum(probability)::numeric, 12) FROM ecomml.classify(:'nb', to_tsvector('simple', 'late package again'))),
          1::numeric, 'probabilities sum to one');
SELECT is((SELECT label FROM ecomml.classify(:'nb', to_tsvector('simple', 'zzz unknown words')) LIMIT 1),
          (SELECT label FROM public.fx_reviews WHERE id <= 600 GROUP BY label ORDER BY count(*) DESC, label LIMIT 1),
    'a document of unseen words gets the prior''s favourite');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label) FROM public.fx_reviews WHERE false$$,
    '22000', NULL, 'text classifier on zero rows');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label, '{"alpha": -1}') FROM public.fx_reviews$$,
    '22023', NULL, 'negative alpha');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label, '{"smoothing": 1}') FROM public.fx_reviews$$,
    '22023', NULL, 'unknown text classifier option');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(''::tsvector, label) FROM public.fx_reviews$$,
    '22000', NULL, 'documents without lexemes');
SELECT throws_ok($$SELECT * FROM ecomml.classify((SELECT ecomml.train_mean(1)), 'a b')$$, '22023', NULL, 'classify with a constant model');

-- text classifier over text (the C tokenizer) against CountVectorizer() + MultinomialNB
-- on fx_reviews_mixed (test/customers_expected.py):
-- mixed text CountVectorizer() vocabulary 56, MultinomialNB alpha=1 test accuracy 0.910000 (273 of 300)
-- mixed text test doc (id 601) probabilities negative=0.8410507307 positive=0.1035697370 shipping=0.0553795323
-- mixed text test doc (id 602) probabilities negative=0.0002261918 positive=0.9994348262 shipping=0.0003389820
-- Non-ASCII words are words only in a UTF-8 database (then "Qualität" is one word).
SELECT current_setting('server_encoding') = 'UTF8' AS utf8 \gset
SELECT ecomml.train_text_classifier(body, label) AS nbt FROM public.fx_reviews_mixed WHERE id <= 600 \gset
\if :utf8
SELECT is(ecomml.model_info(:'nbt')->'vocabulary', '56'::jsonb, 'the tokenizer finds CountVectorizer''s vocabulary size');
SELECT is((SELECT avg(((SELECT c.label FROM ecomml.classify(:'nbt', body) c LIMIT 1) = r.label)::int::float8)
           FROM public.fx_reviews_mixed r WHERE id > 600), 0.91::float8,
    'test accuracy over text equals CountVectorizer + MultinomialNB');
SELECT is((SELECT array_agg(round(c.probability::numeric, 8) ORDER BY r.id, c.label)
           FROM public.fx_reviews_mixed r, ecomml.classify(:'nbt', r.body) c WHERE r.id IN (601, 602)),
          '{0.84105073,0.10356974,0.05537953,0.00022619,0.99943483,0.00033898}'::numeric[],
    'probabilities over text equal scikit-learn''s to 8 decimals');
SELECT is(ecomml.model_info(ecomml.train_text_classifier(repeat('Ⱥ', 300) || ' ' || repeat('ⱥ', 300), 'x'))->'vocabulary',
          '1'::jsonb, 'a 300-letter word that grows when lowercased (U+023A, 2 to 3 bytes) is one word');
\else
SELECT skip('not a UTF-8 database', 4);
\endif
SELECT ecomml.train_text_classifier(body, label) AS nbl
FROM (VALUES (repeat('Ab', 400) || ' common', 'x'), ('common other', 'y')) v(body, label) \gset
SELECT is((SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbl', repeat('aB', 400))),
          (SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbl', repeat('ab', 400) || '!')),
    'an 800-letter word is one word, lowercased');
SELECT isnt((SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbl', repeat('ab', 400))),
            (SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbl', 'unseen')),
    'the 800-letter word is in the vocabulary');
SELECT is((SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbt', 'LATE Package, again!')),
          (SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbt', 'late package again a')),
    'case, punctuation and one-letter words do not change the words');
SELECT is((SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbt', '')),
          (SELECT array_agg(probability ORDER BY label) FROM ecomml.classify(:'nbt', '!! x')),
    'a text without words gets the prior');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(left(body, 1), label) FROM public.fx_reviews_mixed$$,
    '22000', NULL, 'texts without words');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(body, label, '{"alpha": 0, "x": 1}') FROM public.fx_reviews_mixed$$,
    '22023', NULL, 'unknown option over text');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(NULL::text, label) FROM public.fx_reviews_mixed$$,
    '22000', NULL, 'only NULL texts');

-- parallel plans: same model as a serial run
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ecomml.train_kmeans(x, '{"k": 4, "n_init": 3}') AS km_serial FROM public.fx_kmeans \gset
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_text($$SELECT ecomml.train_kmeans(x, '{"k": 4, "n_init": 3}') FROM public.fx_kmeans$$),
    'Partial Aggregate', 'workers run partial train_kmeans aggregates');
SELECT ecomml.train_kmeans(x, '{"k": 4, "n_init": 3}') AS km_parallel FROM public.fx_kmeans \gset
SELECT is((SELECT array_agg(center ORDER BY cluster) FROM ecomml.cluster_centers(:'km_parallel')),
          (SELECT array_agg(center ORDER BY cluster) FROM ecomml.cluster_centers(:'km_serial')),
    'parallel k-means model equals the serial one');
SELECT is(ecomml.model_info(:'km_parallel')->'inertia', ecomml.model_info(:'km_serial')->'inertia',
    'parallel inertia equals the serial one');
SELECT matches(pg_temp.plan_text($$SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-11-01 00:00+00') FROM public.fx_orders$$),
    'Partial Aggregate', 'workers run partial rfm aggregates');
SELECT is((SELECT count(*) FROM rfm_out o
           JOIN unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-11-01 00:00+00') FROM public.fx_orders)) p
             USING (customer_id)
           WHERE (o.recency_days, o.frequency, o.rfm) IS DISTINCT FROM (p.recency_days, p.frequency, p.rfm)
              OR abs(o.monetary - p.monetary) > 1e-9 * abs(o.monetary)), 0::bigint,
    'parallel rfm equals the serial one');
SELECT matches(pg_temp.plan_text($$SELECT segment, ecomml.train_elasticity(price, quantity, ARRAY[promo]) FROM public.fx_demand GROUP BY segment$$),
    'Partial (Hash|Group)Aggregate', 'workers run partial train_elasticity aggregates per segment');
SELECT is((SELECT count(*) FROM el_coef s
           JOIN (SELECT segment, c.* FROM (SELECT segment, ecomml.train_elasticity(price, quantity, ARRAY[promo]) AS m
                                           FROM public.fx_demand GROUP BY segment) q,
                 ecomml.elasticity_coefficients(q.m) c) p USING (segment, term)
           WHERE abs(p.estimate - s.estimate) > 1e-9 OR abs(p.std_error - s.std_error) > 1e-9), 0::bigint,
    'parallel elasticity models equal the serial ones');
SELECT matches(pg_temp.plan_text($$SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label) FROM public.fx_reviews$$),
    'Partial Aggregate', 'workers run partial train_text_classifier aggregates');
SELECT is((SELECT array_agg(round(c.probability::numeric, 8) ORDER BY c.label)
           FROM public.fx_reviews r,
                ecomml.classify((SELECT ecomml.train_text_classifier(to_tsvector('simple', body), label)
                                 FROM public.fx_reviews WHERE id <= 600), to_tsvector('simple', r.body)) c WHERE r.id = 601),
          '{0.84125106,0.10405530,0.05469365}'::numeric[], 'parallel text classifier equals the serial one');

SELECT matches(pg_temp.plan_text($$SELECT ecomml.train_text_classifier(body, label) FROM public.fx_reviews_mixed$$),
    'Partial Aggregate', 'workers run partial train_text_classifier aggregates over text');
SELECT is((SELECT array_agg(c.probability ORDER BY c.label)
           FROM ecomml.classify((SELECT ecomml.train_text_classifier(body, label) FROM public.fx_reviews_mixed WHERE id <= 600),
                                'late package again') c),
          (SELECT array_agg(c.probability ORDER BY c.label) FROM ecomml.classify(:'nbt', 'late package again') c),
    'parallel text classifier over text equals the serial one');

SELECT * FROM finish();
ROLLBACK;
