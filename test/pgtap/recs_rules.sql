-- Recommendations: shop rules in serving (candidates, exclude, fallback) for
-- every model kind.  Fixtures: test/fixtures/recs.sql
BEGIN;
SELECT plan(36);
SET client_min_messages = warning;

CREATE TEMP TABLE models AS
SELECT 'als' AS kind, ecomml.train_als(user_id, item_id, rating, '{"factors": 4, "iterations": 5, "lambda": 0.05}') AS m
FROM fx_recs_ratings WHERE NOT test;
INSERT INTO models
SELECT 'als_implicit', ecomml.train_als_implicit(user_id, item_id, qty, '{"factors": 8, "iterations": 5}')
FROM fx_recs_purchases WHERE NOT test;
INSERT INTO models
SELECT 'item_knn', ecomml.train_item_knn(user_id, item_id, qty, '{"neighbors": 30}')
FROM fx_recs_purchases WHERE NOT test;
INSERT INTO models
SELECT 'ease', ecomml.train_ease(user_id, item_id, qty) FROM fx_recs_purchases WHERE NOT test;
CREATE FUNCTION pg_temp.m(k text) RETURNS bytea LANGUAGE sql AS $$ SELECT m FROM models WHERE kind = k $$;

-- user 1's candidates: ten items of the implicit catalog user 1 has not bought,
-- and every third item as an exclusion list
CREATE TEMP TABLE cand AS
SELECT array_agg(i ORDER BY i) AS c FROM (
    SELECT i::bigint FROM generate_series(1, 240) i
    WHERE NOT EXISTS (SELECT 1 FROM fx_recs_purchases p WHERE NOT p.test AND p.user_id = 1 AND p.item_id = i)
      AND NOT EXISTS (SELECT 1 FROM fx_recs_ratings r WHERE NOT r.test AND r.user_id = 1 AND r.item_id = i)
    ORDER BY (i * 7919) % 240 LIMIT 10) x;
CREATE TEMP TABLE excl AS SELECT array_agg(i::bigint) AS e FROM generate_series(3, 300, 3) i;

-- ---------------------------------------------------------------- recommend
SELECT is((SELECT count(*)::int FROM cand, ecomml.recommend(pg_temp.m(kind), 1, 5, candidates => c) r
           WHERE NOT r.item_id = ANY (c)), 0, kind || ': recommend returns only candidates')
FROM models ORDER BY kind;
SELECT is((SELECT count(*)::int FROM cand, ecomml.recommend(pg_temp.m(kind), 1, 5, candidates => c)), 5,
          kind || ': k rows when k candidates are allowed')
FROM models WHERE kind <> 'item_knn' ORDER BY kind;
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend(pg_temp.m(kind), 1, 20, exclude => e) r
           WHERE r.item_id = ANY (e)), 0, kind || ': recommend never returns an excluded item')
FROM models ORDER BY kind;
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend(pg_temp.m(kind), 1, 20, exclude => e)), 20,
          kind || ': exclusions applied before the top k: still k rows')
FROM models WHERE kind <> 'item_knn' ORDER BY kind;
-- the rules restrict the ranking, they do not change it
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM cand, ecomml.recommend(pg_temp.m(kind), 1, 3, candidates => c)),
          (SELECT (array_agg(item_id ORDER BY rank))[1:3] FROM cand, ecomml.recommend(pg_temp.m(kind), 1, 1000) r
           WHERE r.item_id = ANY (c)), kind || ': candidates keep the unrestricted order')
FROM models WHERE kind <> 'item_knn' ORDER BY kind;
-- 100k candidates (every item, unknown ids, duplicates): same as no candidates
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend(pg_temp.m('als_implicit'), 5, 10,
               candidates => (SELECT array_agg((1 + g % 120000)::bigint) FROM generate_series(0, 99999) g))),
          (SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend(pg_temp.m('als_implicit'), 5, 10)),
          '100k candidates with unknown ids and duplicates: same as no rule');
SELECT is((SELECT count(*)::int FROM ecomml.recommend(pg_temp.m('als'), 1, 10, candidates => ARRAY[2, 5, 999999]::bigint[])
           WHERE item_id NOT IN (2, 5)), 0, 'fewer allowed candidates than k: only those');
SELECT is((SELECT count(*)::int FROM ecomml.recommend(pg_temp.m('als'), 1, 10, candidates => '{}')), 0,
          'empty candidates: no rows');
SELECT is((SELECT count(*)::int FROM cand, ecomml.recommend(pg_temp.m('als'), 1, 10, candidates => c, exclude => c)), 0,
          'exclude wins over candidates');

-- ---------------------------------------------------------------- fallback
SELECT is((SELECT count(*)::int FROM ecomml.recommend(pg_temp.m('als_implicit'), 987654, 5)), 0,
          'unknown user without fallback: no rows');
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM ecomml.recommend(pg_temp.m('als_implicit'), 987654, 5, fallback => 'popular')),
          (SELECT array_agg(item_id::bigint) FROM (SELECT item_id FROM fx_recs_purchases WHERE NOT test
                                           GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT 5) p),
          'unknown user with fallback popular: the most bought items');
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend(pg_temp.m('item_knn'), 987654, 5, exclude => e, fallback => 'popular') r
           WHERE NOT r.item_id = ANY (e)), 5, 'popular fallback obeys the shop rules');
SELECT is((SELECT count(*)::int FROM generate_series(1, 700) u, LATERAL ecomml.recommend(pg_temp.m('als_implicit'), u, 3, fallback => 'popular')),
          2100, 'LATERAL over users with and without history: 3 rows each');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_for_items(pg_temp.m('als'), ARRAY[999999]::bigint[], 4, fallback => 'popular')),
          4, 'recommend_for_items: a basket of unknown items falls back to popular');

-- ----------------------------------------------- recommend_all, recommend_for_items
SELECT is((SELECT count(*)::int FROM cand, ecomml.recommend_all(pg_temp.m('als_implicit'), 3, candidates => c) r
           WHERE NOT r.item_id = ANY (c)), 0, 'recommend_all returns only candidates');
SELECT is((SELECT array_agg(item_id ORDER BY rank) FROM cand, ecomml.recommend_all(pg_temp.m('als'), 4, candidates => c, exclude => c[1:2])
           WHERE user_id = 42),
          (SELECT array_agg(item_id ORDER BY rank) FROM cand, ecomml.recommend(pg_temp.m('als'), 42, 4, candidates => c, exclude => c[1:2])),
          'recommend_all with rules agrees with recommend');
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend_all(pg_temp.m('als'), 5, exclude => e) r
           WHERE r.item_id = ANY (e)), 0, 'recommend_all never returns an excluded item');
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend_all(pg_temp.m('als'), 5, exclude => e)), 2500,
          'recommend_all with exclusions: still k rows per user');
SELECT is((SELECT count(*)::int FROM ecomml.recommend_for_items(pg_temp.m('als_implicit'), ARRAY[1, 9]::bigint[], 5,
               exclude => ARRAY[17, 25, 33]::bigint[]) r WHERE r.item_id IN (1, 9, 17, 25, 33)), 0,
          'recommend_for_items excludes the basket and the exclusions');
SELECT is((SELECT count(*)::int FROM cand, ecomml.recommend_for_items(pg_temp.m('als_implicit'), ARRAY[1, 9]::bigint[], 5, candidates => c) r
           WHERE NOT r.item_id = ANY (c)), 0, 'recommend_for_items returns only candidates');
SELECT is((SELECT count(*)::int FROM excl, ecomml.recommend_for_items(pg_temp.m(kind), ARRAY[1, 9]::bigint[], 20, exclude => e) r
           WHERE NOT r.item_id = ANY (e) AND r.item_id NOT IN (1, 9)), 20,
          'recommend_for_items: exclusions applied before the top k: still k rows, none excluded')
FROM models WHERE kind = 'ease';

-- ------------------------------------------------------------- bad input
SELECT throws_ok($$SELECT * FROM ecomml.recommend(pg_temp.m('als'), 1, 5, fallback => 'random')$$, '22023',
                 'fallback must be ''popular'' or ''none'', not "random"', 'unknown fallback');
SELECT throws_ok($$SELECT * FROM ecomml.recommend(pg_temp.m('als'), 1, 5, candidates => '{{1,2},{3,4}}')$$, '2202E', NULL,
                 'two-dimensional candidates');
SELECT is((SELECT count(*)::int FROM ecomml.recommend(NULL, 1, 5)), 0, 'NULL model: no rows');

SELECT * FROM finish();
ROLLBACK;
