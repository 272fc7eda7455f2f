-- EASE (Steck 2019): the closed form against numpy, quality on planted
-- clusters, serving by the shared functions, parallel training, bad input.
-- Fixtures: test/fixtures/recs.sql
BEGIN;
SELECT plan(26);
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; r text := '';
BEGIN
    FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP r := r || l || E'\n'; END LOOP;
    RETURN r;
END $$;

CREATE TEMP TABLE ease AS
SELECT ecomml.train_ease(user_id, item_id, qty) AS m FROM fx_recs_purchases WHERE NOT test;

-- Reference: the same closed form, dense, in numpy (X = summed qty per user x item
-- of fx_recs_purchases WHERE NOT test, users and items in ascending id order):
--   P = np.linalg.inv(X.T @ X + 100.0 * np.eye(240)); B = -P / np.diag(P)
--   np.fill_diagonal(B, 0); S = X @ B; S[user, item]
SELECT ok(bool_and(abs(ecomml.predict(e.m, v.u, v.j) - v.s) < 1e-6),
          'predict equals numpy''s X B of the closed form (float4 weights, |diff| < 1e-6)')
FROM ease e, (VALUES (1, 1, 0.0995093221297122), (1, 9, 0.10780890399165372), (2, 10, 0.8183194251530932),
                     (7, 15, 0.7511503828227142), (300, 100, 0.5481595785651282),
                     (600, 240, 0.4892416390476116)) v(u, j, s);
SELECT is((SELECT ecomml.model_info(m)->>'kind' FROM ease), 'ease', 'model kind is ease');
SELECT is((SELECT (ecomml.model_info(m)->>'lambda')::float8 FROM ease), 100::float8, 'default lambda 100');

-- quality against popularity and implicit ALS on the planted clusters
CREATE TEMP TABLE rel AS
SELECT user_id, array_agg(item_id) AS items FROM fx_recs_purchases WHERE test GROUP BY user_id;
CREATE TEMP TABLE imp AS
SELECT ecomml.train_als_implicit(user_id, item_id, qty, '{"factors": 16, "iterations": 10, "seed": 3}') AS m
FROM fx_recs_purchases WHERE NOT test;
CREATE TEMP TABLE pop AS
SELECT item_id, count(*) AS c FROM fx_recs_purchases WHERE NOT test GROUP BY item_id;
CREATE TEMP TABLE prec AS
SELECT 'popular' AS name, (ecomml.ranking_metrics(
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
           rel.items, 10)->>'precision')::float8 AS p10
FROM rel, (SELECT 'ease' AS name, m FROM ease UNION ALL SELECT 'implicit', m FROM imp) t
GROUP BY t.name;
SELECT diag(string_agg(format('precision@10 %s: %s', name, round(p10::numeric, 4)), ', ' ORDER BY name)) FROM prec;
SELECT cmp_ok((SELECT p10 FROM prec WHERE name = 'ease'), '>=', 2 * (SELECT p10 FROM prec WHERE name = 'popular'),
              'EASE precision@10 at least twice the popularity baseline');
SELECT cmp_ok((SELECT p10 FROM prec WHERE name = 'ease'), '>=', (SELECT p10 FROM prec WHERE name = 'implicit'),
              'EASE precision@10 at least that of implicit ALS');

-- lambda "auto": chosen by ndcg@10 on 10 % of the training pairs, then refit on all
CREATE TEMP TABLE ease_auto AS
SELECT ecomml.train_ease(user_id, item_id, qty, '{"lambda": "auto"}') AS m FROM fx_recs_purchases WHERE NOT test;
CREATE TEMP TABLE auto_info AS SELECT ecomml.model_info(m) AS i FROM ease_auto;
SELECT ok((SELECT (i->>'lambda')::float8 = ANY (ARRAY(SELECT jsonb_array_elements_text(i->'lambda_tried')::float8))
                  AND (i->>'lambda')::float8 BETWEEN 100 * 4 ^ -6 AND 100 * 4 ^ 6 * 2 FROM auto_info),
          'lambda auto: the chosen value is one of those tried, in range');
SELECT is((SELECT (i->>'lambda')::float8 FROM auto_info),
          (SELECT l FROM auto_info, jsonb_array_elements_text(i->'lambda_tried') WITH ORDINALITY t(l0, o),
                  LATERAL (SELECT l0::float8 AS l, (i->'lambda_validation_ndcg'->>(o::int - 1))::float8 AS ndcg) x
           ORDER BY ndcg DESC LIMIT 1),
          'lambda auto: the chosen value has the best validation ndcg of the curve');
SELECT ok((SELECT i->>'lambda_chosen_by' = 'validation' AND jsonb_array_length(i->'lambda_tried') >= 3
                  AND jsonb_array_length(i->'lambda_tried') = jsonb_array_length(i->'lambda_validation_ndcg')
           FROM auto_info), 'lambda auto: the validation curve is in model_info');
-- Reference: numpy's closed form on the same split, top 10 of the unseen items per user:
--   for lam in (100, 800): P = np.linalg.inv(X.T @ X + lam * np.eye(240)); B = -P / np.diag(P)
--   np.fill_diagonal(B, 0); S = X @ B; seen items -inf; mean hits@10 / 10 over the 567 users
--   with held-out pairs -> lambda 100: 0.140212, lambda 800: 0.153968 (ndcg 0.3226, 0.3501)
CREATE TEMP TABLE auto_prec AS
SELECT (ecomml.ranking_metrics((SELECT array_agg(r.item_id ORDER BY r.rank) FROM ecomml.recommend(a.m, rel.user_id, 10) r),
                               rel.items, 10)->>'precision')::float8 AS auto,
       (ecomml.ranking_metrics((SELECT array_agg(r.item_id ORDER BY r.rank) FROM ecomml.recommend(e.m, rel.user_id, 10) r),
                               rel.items, 10)->>'precision')::float8 AS fixed
FROM rel, ease_auto a, ease e;
SELECT diag(format('held-out precision@10: lambda auto (%s) %s, lambda 100 %s', (SELECT i->>'lambda' FROM auto_info),
                   round(auto::numeric, 4), round(fixed::numeric, 4))) FROM auto_prec;
SELECT ok((SELECT (i->>'lambda')::float8 = 800 FROM auto_info)
          AND (SELECT abs(auto - 0.153968) < 0.001 AND abs(fixed - 0.140212) < 0.001 FROM auto_prec),
          'lambda auto picks 800 here; held-out precision@10 at 800 and at 100 equal numpy''s');
SELECT cmp_ok((SELECT auto FROM auto_prec), '>', (SELECT fixed FROM auto_prec) + 0.01,
              'lambda auto beats the fixed default lambda 100 on held-out precision@10');
SELECT lives_ok($$SELECT ecomml.model_info(ecomml.train_ease(u, i, 1, '{"lambda": "auto"}')) FROM generate_series(1, 3) u, generate_series(1, 2) i$$,
                'lambda auto on a tiny input');

-- serving
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM ease), 1, 5)), 5, 'recommend: k rows');
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM ease), 1, 1000) r
           JOIN fx_recs_purchases p ON p.user_id = 1 AND p.item_id = r.item_id AND NOT p.test), 0,
          'seen items are excluded');
SELECT ok((SELECT abs(r.score - ecomml.predict(e.m, 1, r.item_id)) < 1e-9 FROM ease e, ecomml.recommend(e.m, 1, 1) r),
          'recommend score equals predict');
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend_all((SELECT m FROM ease), 5) WHERE user_id = 42),
          (SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend((SELECT m FROM ease), 42, 5)),
          'recommend_all agrees with recommend');
SELECT ok((SELECT count(*) >= 8 FROM ecomml.recommend_for_items((SELECT m FROM ease), ARRAY[1, 9, 17]::bigint[], 10)
           WHERE item_id % 8 = 1), 'basket recommends the basket''s cluster');
SELECT ok((SELECT count(*) FILTER (WHERE item_id % 8 = 2) >= 9 FROM ecomml.similar_items((SELECT m FROM ease), 10, 10)),
          'similar items come from the item''s cluster');
SELECT is((SELECT count(*)::int FROM ecomml.recommend((SELECT m FROM ease), 1, 3, candidates => ARRAY[2, 4, 6, 8, 10]::bigint[],
                                                      exclude => ARRAY[4]::bigint[]) r
           WHERE r.item_id NOT IN (2, 6, 8, 10)), 0, 'shop rules apply to EASE');

-- parallel training gives the serial model
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
SELECT ok(pg_temp.plan_of('SELECT ecomml.train_ease(user_id, item_id, qty) FROM fx_recs_purchases')
          LIKE '%Partial Aggregate%', 'train_ease runs as a parallel partial aggregate');
SELECT md5(ecomml.model_info(ecomml.train_ease(user_id, item_id, qty))::text) AS par,
       (SELECT string_agg(item_id::text, ',' ORDER BY user_id, rank) FROM ecomml.recommend_all(
            (SELECT ecomml.train_ease(user_id, item_id, qty) FROM fx_recs_purchases), 3)) AS par_recs
FROM fx_recs_purchases \gset
SET max_parallel_workers_per_gather = 0;
SELECT is((SELECT string_agg(item_id::text, ',' ORDER BY user_id, rank) FROM ecomml.recommend_all(
               (SELECT ecomml.train_ease(user_id, item_id, qty) FROM fx_recs_purchases), 3)),
          :'par_recs', 'parallel model recommends exactly what the serial one does');
RESET ALL;
SET client_min_messages = warning;

-- bad input
SELECT throws_ok($$SELECT ecomml.train_ease(1, i, 1) FROM generate_series(1, 16001) i$$, '54000', NULL,
                 'more than 16,000 items: refused before any allocation');
SELECT throws_ok($$SELECT ecomml.train_ease(1, 1, 1, '{"lambda": -1}')$$, '22023', NULL, 'negative lambda');
SELECT throws_ok($$SELECT ecomml.train_ease(1, 1, 1, '{"lambda": "sometimes"}')$$, '22023', NULL,
                 'lambda neither a number nor "auto"');
SELECT throws_ok($$SELECT ecomml.train_ease(1, 1, 1, '{"lambda": "auto", "seed": "x"}')$$, '22023', NULL,
                 'a seed that is not an integer');
SELECT throws_ok($$SELECT ecomml.train_ease(1, 1, 'NaN'::float8)$$, '22000', NULL, 'NaN weight');
SELECT throws_ok($$SELECT ecomml.train_ease(1, 1, -1)$$, '22000', NULL, 'negative weight');

SELECT * FROM finish();
ROLLBACK;
