-- Recommendations: quality on planted data, determinism, parallel training,
-- serving functions, metrics and bad input.  Fixtures: test/fixtures/recs.sql
BEGIN;
SELECT plan(64);
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; r text := '';
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP r := r || l || E'\n'; END LOOP;
    RETURN r;
END $$;
CREATE FUNCTION pg_temp.stable_info(m bytea) RETURNS jsonb LANGUAGE sql AS $$
    SELECT ecomml.model_info(m) - 'model_id' - 'created_at'
$$;

-- ---------------------------------------------------------------- explicit ALS
CREATE TEMP TABLE als AS
SELECT ecomml.train_als(user_id, item_id, rating,
                        '{"factors": 4, "iterations": 10, "lambda": 0.02, "seed": 7}') AS m
FROM fx_recs_ratings WHERE NOT test;

SELECT diag(format('explicit ALS held-out RMSE %s (sigma 0.5)', round(ecomml.rmse(ecomml.predict(a.m, r.user_id, r.item_id), r.rating)::numeric, 4)))
FROM fx_recs_ratings r, als a WHERE r.test;
SELECT cmp_ok((SELECT ecomml.rmse(ecomml.predict(a.m, r.user_id, r.item_id), r.rating)
               FROM fx_recs_ratings r, als a WHERE r.test), '<=', 0.55::float8,
              'explicit ALS: held-out RMSE <= 1.10 sigma (sigma = 0.5)');
SELECT cmp_ok((SELECT ecomml.mae(ecomml.predict(a.m, r.user_id, r.item_id), r.rating)
               FROM fx_recs_ratings r, als a WHERE r.test), '<=', 0.5::float8,
              'explicit ALS: held-out MAE <= sigma');
SELECT is((SELECT ecomml.model_info(m)->>'kind' FROM als), 'als', 'model kind is als');
SELECT is((SELECT (ecomml.model_info(m)->>'users')::int FROM als), 500, 'every user indexed');
SELECT is((SELECT jsonb_array_length(ecomml.model_info(m)->'loss_history') FROM als), 10,
          'one loss per iteration');
SELECT ok((SELECT (h->>0)::float8 > (h->>9)::float8
           FROM (SELECT ecomml.model_info(m)->'loss_history' h FROM als) x),
          'loss decreases over the iterations');

-- validation option: held-out RMSE per iteration in the model
CREATE TEMP TABLE als_v AS
SELECT ecomml.train_als(user_id, item_id, rating,
                        '{"factors": 4, "iterations": 5, "lambda": 0.02, "validation": 0.2}') AS m
FROM fx_recs_ratings;
SELECT is((SELECT jsonb_array_length(ecomml.model_info(m)->'validation_rmse_history') FROM als_v), 5,
          'validation RMSE recorded per iteration');
SELECT cmp_ok((SELECT (ecomml.model_info(m)->>'validation_rmse')::float8 FROM als_v), '<=', 0.55::float8,
              'validation RMSE <= 1.10 sigma');
SELECT ok((SELECT (i->>'validation_interactions')::int BETWEEN 0.15 * (i->>'rows')::int
                                                         AND 0.25 * (i->>'rows')::int
           FROM (SELECT ecomml.model_info(m) i FROM als_v) x),
          'validation holds out about the asked fraction');

-- same seed, same model; another seed, another model
SELECT is((SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating,
                        '{"factors": 4, "iterations": 10, "lambda": 0.02, "seed": 7}'))
           FROM fx_recs_ratings WHERE NOT test),
          (SELECT pg_temp.stable_info(m) FROM als), 'same data and seed: identical model');
SELECT isnt((SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating,
                        '{"factors": 4, "iterations": 10, "lambda": 0.02, "seed": 8}'))
           FROM fx_recs_ratings WHERE NOT test),
          (SELECT pg_temp.stable_info(m) FROM als), 'another seed: another model');
SELECT is((SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating ORDER BY random()))
           FROM fx_recs_ratings),
          (SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating ORDER BY rating))
           FROM fx_recs_ratings), 'row order does not change the model');

-- duplicates averaged, NULL rows skipped and counted
SELECT is((SELECT (ecomml.model_info(ecomml.train_als(u, i, r))->>'global_mean')::float8
           FROM (VALUES (1::bigint, 1::bigint, 2.0::float8), (1, 1, 4.0), (2, 2, 6.0)) v(u, i, r)), 4.5::float8,
          'duplicate ratings are averaged');
SELECT is((SELECT ecomml.model_info(ecomml.train_als(u, i, r))->>'skipped_rows'
           FROM (VALUES (1::bigint, 1::bigint, 2.0::float8), (NULL, 1, 4.0), (2, NULL, 1.0), (2, 2, NULL)) v(u, i, r)),
          '3', 'NULL rows are skipped and counted');

-- ------------------------------------------------------------------ serving
SELECT is((SELECT array_agg(rank ORDER BY rank) FROM ecomml.recommend((SELECT m FROM als), 1, 5)),
          ARRAY[1, 2, 3, 4, 5], 'recommend returns k ranked rows');
SELECT ok((SELECT bool_and(score1 >= score2) FROM (
             SELECT score AS score1, lead(score) OVER (ORDER BY rank) AS score2
             FROM ecomml.recommend((SELECT m FROM als), 1, 20)) x WHERE score2 IS NOT NULL),
          'scores descend with rank');
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM als), 1, 1000) r
           JOIN fx_recs_ratings t ON t.user_id = 1 AND t.item_id = r.item_id AND NOT t.test), 0,
          'seen items are excluded');
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM als), 1, 1000, false)), 300,
          'exclude_seen = false ranks every item');
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM als), 123456, 5)), 0,
          'unknown user: no rows');
SELECT ok((SELECT abs(r.score - ecomml.predict(a.m, 1, r.item_id)) < 1e-9
           FROM als a, ecomml.recommend(a.m, 1, 1) r), 'recommend score equals predict');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_all((SELECT m FROM als), 3)), 1500,
          'recommend_all: k rows per user');
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend_all((SELECT m FROM als), 5)
           WHERE user_id = 42),
          (SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend((SELECT m FROM als), 42, 5)),
          'recommend_all agrees with recommend');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_for_items((SELECT m FROM als), ARRAY[1, 2, 3, NULL, 99999]::bigint[], 5)
           WHERE item_id IN (1, 2, 3)), 0, 'recommend_for_items excludes the basket');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_for_items((SELECT m FROM als), ARRAY[99999]::bigint[], 5)), 0,
          'recommend_for_items with no known item: no rows');
SELECT is((SELECT count(*)::int FROM ecomml.similar_items((SELECT m FROM als), 7, 5) WHERE item_id <> 7), 5,
          'similar_items: k other items');
SELECT ok((SELECT max(score) <= 1 + 1e-12 FROM ecomml.similar_items((SELECT m FROM als), 7, 5)),
          'similar_items of ALS is a cosine');
SELECT ok((SELECT ecomml.predict(m, 999999, 1) IS NOT NULL FROM als), 'explicit predict falls back to biases');

-- the decoded model is cached: one decode for a LATERAL over all users
SELECT ecomml.model_cache_reset();
SELECT is((SELECT count(*)::int FROM fx_recs_users u, als a, LATERAL ecomml.recommend(a.m, u.user_id, 2) r), 1000,
          'LATERAL recommend over every user');
SELECT is((SELECT misses::int FROM ecomml.model_cache_stats()), 1, 'the model was decoded once');

-- ------------------------------------------------------------ implicit ALS, kNN
CREATE TEMP TABLE imp AS
SELECT ecomml.train_als_implicit(user_id, item_id, qty, '{"factors": 16, "iterations": 10, "seed": 3}') AS m
FROM fx_recs_purchases WHERE NOT test;
CREATE TEMP TABLE knn AS
SELECT ecomml.train_item_knn(user_id, item_id, qty, '{"neighbors": 30}') AS m
FROM fx_recs_purchases WHERE NOT test;
CREATE TEMP TABLE knn_bm25 AS
SELECT ecomml.train_item_knn(user_id, item_id, qty, '{"neighbors": 30, "weighting": "bm25"}') AS m
FROM fx_recs_purchases WHERE NOT test;
CREATE TEMP TABLE rel AS
SELECT user_id, array_agg(item_id) AS items FROM fx_recs_purchases WHERE test GROUP BY user_id;
CREATE TEMP TABLE pop AS
SELECT item_id, count(*) AS c FROM fx_recs_purchases WHERE NOT test GROUP BY item_id;
CREATE TEMP TABLE prec AS
SELECT 'popularity' AS model, (ecomml.ranking_metrics(
           (SELECT array_agg(p.item_id ORDER BY p.c DESC, p.item_id) FROM (
                SELECT p.item_id, p.c FROM pop p
                WHERE NOT EXISTS (SELECT 1 FROM fx_recs_purchases s
                                  WHERE NOT s.test AND s.user_id = rel.user_id AND s.item_id = p.item_id)
                ORDER BY p.c DESC, p.item_id LIMIT 10) p),
           rel.items, 10)->>'precision')::float8 AS p10
FROM rel
UNION ALL
SELECT t.name, (ecomml.ranking_metrics(
           (SELECT array_agg(r.item_id ORDER BY r.rank) FROM ecomml.recommend(t.m, rel.user_id, 10) r),
           rel.items, 10)->>'precision')::float8
FROM rel, (SELECT 'implicit' AS name, m FROM imp UNION ALL SELECT 'knn', m FROM knn
           UNION ALL SELECT 'knn_bm25', m FROM knn_bm25) t
GROUP BY t.name;

SELECT diag(string_agg(format('precision@10 %s: %s', model, round(p10::numeric, 4)), ', ' ORDER BY model)) FROM prec;
SELECT cmp_ok((SELECT p10 FROM prec WHERE model = 'implicit'), '>=',
              2 * (SELECT p10 FROM prec WHERE model = 'popularity'),
              'implicit ALS precision@10 at least twice the popularity baseline');
SELECT cmp_ok((SELECT p10 FROM prec WHERE model = 'knn'), '>=',
              2 * (SELECT p10 FROM prec WHERE model = 'popularity'),
              'item kNN precision@10 at least twice the popularity baseline');
SELECT cmp_ok((SELECT p10 FROM prec WHERE model = 'knn_bm25'), '>=',
              2 * (SELECT p10 FROM prec WHERE model = 'popularity'),
              'BM25 item kNN precision@10 at least twice the popularity baseline');
SELECT is((SELECT pg_temp.stable_info(ecomml.train_als_implicit(user_id, item_id, qty,
                        '{"factors": 16, "iterations": 10, "seed": 3}'))
           FROM fx_recs_purchases WHERE NOT test),
          (SELECT pg_temp.stable_info(m) FROM imp), 'implicit: same seed, identical model');
SELECT is((SELECT pg_temp.stable_info(ecomml.train_als_implicit(user_id, item_id, qty,
                        '{"factors": 16, "iterations": 10, "seed": 3, "blas_threads": 2}'))
           FROM fx_recs_purchases WHERE NOT test),
          (SELECT pg_temp.stable_info(m) FROM imp), 'implicit: two training threads give the one-thread model exactly');
SELECT ok((SELECT count(*) >= 8 FROM ecomml.recommend_for_items((SELECT m FROM imp), ARRAY[1, 9, 17]::bigint[], 10)
           WHERE item_id % 8 = 1), 'implicit fold-in recommends the basket''s cluster');
SELECT ok((SELECT count(*) >= 8 FROM ecomml.recommend_for_items((SELECT m FROM knn), ARRAY[1, 9, 17]::bigint[], 10)
           WHERE item_id % 8 = 1), 'kNN basket recommends the basket''s cluster');
SELECT ok((SELECT count(*) FILTER (WHERE item_id % 8 = 2) >= 9 FROM ecomml.similar_items((SELECT m FROM knn), 10, 10)),
          'kNN similar items come from the item''s cluster');
SELECT is((SELECT ecomml.predict(m, 1, 123456) FROM imp), NULL, 'implicit predict of an unknown item is NULL');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_all((SELECT m FROM knn), 5)),
          (SELECT count(*)::int FROM generate_series(1, 600) u, knn k, LATERAL ecomml.recommend(k.m, u, 5) r), 'kNN recommend_all agrees with recommend in size');

-- ------------------------------------------------------------- parallel training
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT ok(pg_temp.plan_of('SELECT ecomml.train_als(user_id, item_id, rating) FROM fx_recs_ratings')
          LIKE '%Partial Aggregate%', 'train_als runs as a parallel partial aggregate');
SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating, '{"factors": 4, "iterations": 3}')) AS par_als,
       (SELECT pg_temp.stable_info(ecomml.train_als_implicit(user_id, item_id, qty, '{"factors": 8, "iterations": 3}'))
        FROM fx_recs_purchases) AS par_imp,
       (SELECT pg_temp.stable_info(ecomml.train_item_knn(user_id, item_id, qty)) FROM fx_recs_purchases) AS par_knn
FROM fx_recs_ratings \gset
SET max_parallel_workers_per_gather = 0;
SELECT is(:'par_als'::jsonb,
          (SELECT pg_temp.stable_info(ecomml.train_als(user_id, item_id, rating, '{"factors": 4, "iterations": 3}'))
           FROM fx_recs_ratings), 'explicit ALS: parallel model identical to serial');
SELECT is(:'par_imp'::jsonb,
          (SELECT pg_temp.stable_info(ecomml.train_als_implicit(user_id, item_id, qty, '{"factors": 8, "iterations": 3}'))
           FROM fx_recs_purchases), 'implicit ALS: parallel model identical to serial');
SELECT is(:'par_knn'::jsonb,
          (SELECT pg_temp.stable_info(ecomml.train_item_knn(user_id, item_id, qty)) FROM fx_recs_purchases),
          'item kNN: parallel model identical to serial');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- ------------------------------------------------- statement_timeout stops training
CREATE FUNCTION pg_temp.cancel_secs(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE q;
    RETURN -1;
EXCEPTION WHEN query_canceled THEN
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
-- (one timeout per statement: each training in its own statement)
SET statement_timeout = '300ms';
SELECT pg_temp.cancel_secs($$SELECT ecomml.train_als(user_id, item_id, rating, '{"factors": 128, "iterations": 10000}')
                            FROM fx_recs_ratings$$) AS als_cancel \gset
SELECT pg_temp.cancel_secs($$SELECT ecomml.train_als_implicit(user_id, item_id, abs(rating), '{"factors": 128, "iterations": 10000}')
                            FROM fx_recs_ratings$$) AS imp_cancel \gset
RESET statement_timeout;
SELECT ok(:als_cancel BETWEEN 0 AND 1.3, 'statement_timeout stops explicit ALS training within a second');
SELECT ok(:imp_cancel BETWEEN 0 AND 1.3, 'statement_timeout stops implicit ALS training within a second');

-- ----------------------------------------------------------------------- metrics
SELECT is(format('users=%s p=%s r=%s ndcg=%s map=%s hit=%s', m->>'users',
                 round((m->>'precision')::numeric, 6), round((m->>'recall')::numeric, 6),
                 round((m->>'ndcg')::numeric, 6), round((m->>'map')::numeric, 6),
                 round((m->>'hit_rate')::numeric, 6)),
          'users=2 p=0.500000 r=0.750000 ndcg=0.613147 map=0.500000 hit=1.000000',
          'ranking_metrics on a hand-computed example')
FROM (SELECT ecomml.ranking_metrics(rec, rel, 3) AS m
FROM (VALUES (ARRAY[1, 2, 3]::bigint[], ARRAY[1, 3]::bigint[]),
             (ARRAY[4, 5, 6]::bigint[], ARRAY[6, 7]::bigint[]),
             (ARRAY[8]::bigint[], ARRAY[]::bigint[])) v(rec, rel)) x;
SELECT is(ecomml.rmse(p, a)::numeric(10, 6), 2.236068::numeric(10, 6), 'rmse') FROM (VALUES (1.0, 2.0), (3.0, 0.0), (NULL, 1.0)) v(p, a);
SELECT is(ecomml.mae(p, a), 2.0::float8, 'mae') FROM (VALUES (1.0::float8, 2.0::float8), (3.0, 0.0)) v(p, a);

-- --------------------------------------------------------------------- bad input
SELECT throws_ok($$SELECT ecomml.train_als(1, 1, 'NaN'::float8)$$, '22000', NULL, 'NaN rating');
SELECT throws_ok($$SELECT ecomml.train_als_implicit(1, 1, 'Infinity'::float8)$$, '22000', NULL, 'infinite weight');
SELECT throws_ok($$SELECT ecomml.train_als_implicit(1, 1, -1)$$, '22000', NULL, 'negative implicit weight');
SELECT throws_ok($$SELECT ecomml.train_item_knn(1, 1, -1)$$, '22000', NULL, 'negative kNN weight');
SELECT throws_ok($$SELECT ecomml.train_als(1, 1, 1, '{"factors": 0}')$$, '22023', NULL, 'factors < 1');
SELECT throws_ok($$SELECT ecomml.train_als_implicit(1, 1, 1, '{"factors": 1025}')$$, '22023', NULL, 'factors > 1024');
SELECT throws_ok($$SELECT ecomml.train_als(1, 1, 1, '{"iterations": 0}')$$, '22023', NULL, 'iterations < 1');
SELECT throws_ok($$SELECT ecomml.train_als(1, 1, 1, '{"factor": 8}')$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT ecomml.train_item_knn(1, 1, 1, '{"weighting": "idf"}')$$, '22023', NULL, 'unknown weighting');
SELECT throws_ok($$SELECT ecomml.train_als(u, i, r) FROM (VALUES (NULL::bigint, 1::bigint, 1::float8)) v(u, i, r)$$,
                 '22000', 'cannot train an als model on zero rows', 'empty input');
SELECT throws_ok($$WITH c AS (SELECT ecomml.train_mean(1) AS m) SELECT r.* FROM c, ecomml.recommend(c.m, 1) r$$, '22023',
                 'expected an als, als_implicit, item_knn or ease model, got a constant model', 'model of another kind');
SELECT throws_ok($$SELECT * FROM ecomml.recommend((SELECT m FROM als), 1, 0)$$, '22023', NULL, 'k < 1');
SELECT throws_ok($$SELECT * FROM ecomml.recommend_for_items((SELECT m FROM als), ARRAY[[1, 2], [3, 4]]::bigint[])$$,
                 '2202E', NULL, 'two-dimensional basket');
SELECT throws_ok($$SELECT ecomml.rmse(1, 'NaN'::float8)$$, '22000', NULL, 'NaN in rmse');
SELECT throws_ok($$SELECT * FROM ecomml.recommend_all((SELECT m FROM knn), -1)$$, '22023', NULL, 'recommend_all k < 1');
SELECT throws_ok($$SELECT ecomml.ranking_metrics(a, a, k) FROM (VALUES (ARRAY[1]::bigint[], 1), (ARRAY[1]::bigint[], 2)) v(a, k)$$,
                 '22023', NULL, 'ranking_metrics with changing k');

SELECT * FROM finish();
ROLLBACK;
