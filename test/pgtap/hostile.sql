-- Hostile input (issue 16): exact integer options, options that differ between
-- rows, NULL arguments, finite but huge values, forged states, the decoded-model
-- cache's byte budget and key, and the parallel mean.
BEGIN;
SELECT plan(56);

CREATE TEMP TABLE pts AS
SELECT ARRAY[1, 9007199254740993, 3, 4]::bigint[] AS ids,
       ARRAY[0, 1, 2, 1]::float8[] AS x, ARRAY[0, 1, 0, -1]::float8[] AS y;
CREATE TEMP TABLE g AS
SELECT ecomml.build_graph(s, t, c, c) AS g FROM (VALUES (1, 2, 1.0), (2, 3, 2.0), (3, 4, 1.5)) v(s, t, c);
CREATE TEMP TABLE fc AS
SELECT ecomml.fit_forecast(day, qty) AS m FROM public.fx_sales WHERE sku = 1;

-- integer options are read exactly, not through a double
SELECT is((SELECT id FROM pts, ecomml.solve_tsp(ids, x, y, '{"start": 9007199254740993}') WHERE seq = 1),
    9007199254740993::bigint, 'start 2^53 + 1 is that stop, not 2^53');
SELECT is((SELECT count(*) FROM pts, ecomml.solve_tsp(ids, x, y,
        '{"max_kicks": 9223372036854775807, "seed": 9223372036854775807, "time_limit_ms": 50}')),
    5::bigint, 'max_kicks and seed 2^63 - 1 are accepted as such');
SELECT throws_ok($$SELECT * FROM pts, ecomml.solve_tsp(ids, x, y, '{"max_kicks": 9223372036854775808}')$$,
    '22023', 'option "max_kicks" is out of range: 9223372036854775808', 'max_kicks 2^63 is out of range, not negative');
SELECT throws_ok($$SELECT * FROM pts, ecomml.solve_tsp(ids, x, y, '{"start": 9223372036854775807}')$$,
    '22023', NULL, 'start 2^63 - 1 is not a stop (and is not read as a nearby double)');
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '{"min_rows": 9007199254740993.5}')$$,
    '22023', 'option "min_rows" must be an integer, not 9007199254740993.5', 'a fraction beyond 2^53 is not an integer');
SELECT throws_ok($$SELECT ecomml.train_kmeans(ARRAY[1.0]::float8[], '{"k": 1e400}')$$,
    '22023', NULL, 'a huge integer option is out of range');

-- training options must be the same on every row
SELECT throws_ok($$SELECT ecomml.train_mean(x, jsonb_build_object('min_rows', x::int)) FROM generate_series(1, 3) x$$,
    '22023', 'constant options must be the same on every row', 'train_mean: differing options');
SELECT throws_ok($$SELECT ecomml.train_mean(x, CASE WHEN x < 3 THEN '{}'::jsonb END) FROM generate_series(1, 3) x$$,
    '22023', 'constant options must be the same on every row', 'train_mean: options and NULL options');
SELECT throws_ok($$SELECT ecomml.build_graph(s, s + 1, 1, 1, jsonb_build_object('directed', s > 1)) FROM generate_series(1, 3) s$$,
    '22023', 'graph options must be the same on every row', 'build_graph: differing directed');
SELECT throws_ok($$SELECT ecomml.train_als(u, u % 3, 1, jsonb_build_object('factors', 2 + u % 2)) FROM generate_series(1, 9) u$$,
    '22023', 'als options must be the same on every row', 'train_als: differing factors');
SELECT throws_ok($$SELECT ecomml.fit_forecast(day, qty, CASE WHEN day < '2025-05-01' THEN '{"freq": "day"}'::jsonb
                                                        ELSE '{"freq": "week"}' END)
                   FROM public.fx_sales WHERE sku = 2$$,
    '22023', 'forecast options must be the same on every row', 'fit_forecast: differing freq');
SELECT throws_ok($$SELECT ecomml.train_kmeans(ARRAY[x]::float8[], jsonb_build_object('k', 1 + x::int % 2)) FROM generate_series(1, 4) x$$,
    '22023', 'kmeans options must be the same on every row', 'train_kmeans: differing k');
SELECT throws_ok($$SELECT ecomml.train_gbdt(ARRAY[x]::float8[], x % 2 = 0, jsonb_build_object('rounds', 1 + x::int % 2)) FROM generate_series(1, 4) x$$,
    '22023', 'gbdt options must be the same on every row', 'train_gbdt: differing rounds');
SELECT throws_ok($$SELECT ecomml.train_ease(u, u % 3, 1, jsonb_build_object('lambda', u)) FROM generate_series(1, 9) u$$,
    '22023', 'ease options must be the same on every row', 'train_ease: differing lambda');
SELECT throws_ok($$SELECT ecomml.train_clv(u % 3, now() - u * interval '1 day', 1, jsonb_build_object('time_unit', CASE WHEN u < 5 THEN 'day' ELSE 'week' END))
                   FROM generate_series(1, 9) u$$,
    '22023', 'clv options must be the same on every row', 'train_clv: differing time_unit');
SELECT throws_ok($$SELECT ecomml.train_association_rules(u % 3, u, jsonb_build_object('min_support', 0.1 + u / 100.0)) FROM generate_series(1, 9) u$$,
    '22023', 'assoc_rules options must be the same on every row', 'train_association_rules: differing min_support');
SELECT ok((SELECT ecomml.train_mean(x, jsonb_build_object('min_rows', 2)) FROM generate_series(1, 3) x) IS NOT NULL,
    'equal options built per row are accepted');
SELECT ok((SELECT ecomml.train_mean(x, CASE WHEN x > 1 THEN '{"min_rows": 2}'::jsonb ELSE '{ "min_rows" : 2 }' END)
           FROM generate_series(1, 3) x) IS NOT NULL, 'options equal as jsonb are the same options');

-- NULL options mean the defaults; other NULL arguments are errors naming them
SELECT is((SELECT count(*) FROM g, ecomml.shortest_path(g, 1, 4, NULL)), 4::bigint, 'shortest_path: NULL options');
SELECT is((SELECT count(*) FROM g, ecomml.shortest_path_tree(g, 1, NULL)), 4::bigint, 'shortest_path_tree: NULL max_cost');
SELECT is((SELECT count(*) FROM pts, ecomml.solve_tsp(ids, x, y, NULL)), 5::bigint, 'solve_tsp points: NULL options');
SELECT is((SELECT count(*) FROM g, ecomml.solve_tsp(g, ARRAY[1, 3, 4]::bigint[], NULL)), 4::bigint, 'solve_tsp graph: NULL options');
SELECT ok((SELECT count(*) > 0 FROM fc, ecomml.stock_plan(m, 10, 2, 0.9, NULL)), 'stock_plan: NULL options');
SELECT ok((SELECT reorder_point IS NOT NULL FROM fc, ecomml.reorder_point(m, 10, 2, 0.9, NULL)), 'reorder_point: NULL options');
SELECT throws_ok($$SELECT * FROM ecomml.shortest_path(NULL, 1, 2)$$,
    '22004', 'argument "graph" of shortest_path must not be NULL', 'shortest_path: NULL graph');
SELECT throws_ok($$SELECT * FROM g, ecomml.shortest_path(g, 1, NULL)$$,
    '22004', 'argument "target" of shortest_path must not be NULL', 'shortest_path: NULL target');
SELECT throws_ok($$SELECT * FROM pts, ecomml.solve_tsp(ids, NULL, y)$$,
    '22004', 'argument "x" of solve_tsp must not be NULL', 'solve_tsp: NULL x');
SELECT throws_ok($$SELECT * FROM fc, ecomml.stock_plan(m, 10, NULL, 0.9)$$,
    '22004', 'argument "lead_time" of stock_plan must not be NULL', 'stock_plan: NULL lead_time');
SELECT throws_ok($$SELECT * FROM fc, ecomml.reorder_point(m, NULL, 2, 0.9)$$,
    '22004', 'argument "on_hand" of reorder_point must not be NULL', 'reorder_point: NULL on_hand');

-- the registry names a NULL argument
SELECT throws_ok($$SELECT ecomml.model_save(NULL, (SELECT g FROM g))$$,
    '22004', 'argument "name" of model_save must not be NULL', 'model_save: NULL name');
SELECT throws_ok($$SELECT ecomml.model_save('x', NULL)$$,
    '22004', 'argument "model" of model_save must not be NULL', 'model_save: NULL model');
SELECT throws_ok($$SELECT ecomml.model(NULL)$$,
    '22004', 'argument "name" of model must not be NULL', 'model: NULL name');
SELECT throws_ok($$SELECT ecomml.model_activate('x', NULL)$$,
    '22004', 'argument "version" of model_activate must not be NULL', 'model_activate: NULL version');

-- finite but huge input: refused at training, naming the input; overflowing sums raise 22003
SELECT throws_ok($$SELECT ecomml.build_graph(s, s + 1, 1e308, -1) FROM generate_series(1, 2) s$$,
    '22003', 'cost is out of range: 1e+308', 'build_graph: a cost that would overflow a path');
SELECT throws_ok($$SELECT ecomml.train_kmeans(ARRAY[g * 1e300, 0]::float8[]) FROM generate_series(1, 100) g$$,
    '22003', 'train_kmeans feature 1 is out of range: 1e+300', 'train_kmeans: huge features');
SELECT throws_ok($$SELECT ecomml.train_logreg(ARRAY[1e307]::float8[], g % 2 = 0) FROM generate_series(1, 10) g$$,
    '22003', 'train_logreg feature 1 is out of range: 1e+307', 'train_logreg: huge features');
SELECT throws_ok($$SELECT ecomml.train_als(g, g, 1e307) FROM generate_series(1, 10) g$$,
    '22003', 'train_als rating is out of range: 1e+307', 'train_als: huge ratings');
SELECT throws_ok($$SELECT ecomml.train_item_knn(g, g % 3, 1e308) FROM generate_series(1, 10) g$$,
    '22003', 'training weight is out of range: 1e+308', 'train_item_knn: huge weights');
SELECT throws_ok($$SELECT ecomml.fit_forecast('2025-01-01'::timestamptz + g * interval '1 day', 1e307)
                   FROM generate_series(1, 30) g$$,
    '22003', 'fit_forecast value is out of range: 1e+307', 'fit_forecast: huge values');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2, 3]::bigint[], ARRAY[0, 1e308, -1e308], ARRAY[0, 0, 0])$$,
    '22003', 'x is out of range: 1e+308', 'solve_tsp: coordinates whose distances overflow');
SELECT throws_ok($$SELECT ecomml.rmse(1e300, -1e300)$$,
    '22003', 'sum of squared errors overflowed', 'rmse: overflowing sum');
SELECT throws_ok($$SELECT ecomml.mae(1e308, -1e308)$$,
    '22003', 'sum of squared errors overflowed', 'mae: overflowing sum (the state sums squares too)');

SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 1e308, "y": 0, "demand": 1},
                                                    {"id": 2, "x": -1e308, "y": 0, "demand": 1}]',
                                                  '[{"id": 1, "capacity": 10}]')$$,
    '22003', '"x" of order 1 is out of range', 'solve_vrp: coordinates whose distances overflow');
SELECT throws_ok($$SELECT ecomml.rfm(1, now() - interval '1 day', 1e300, now())$$,
    '22003', 'rfm amount is out of range: 1e+300', 'rfm: an amount whose sums overflow');

-- hand-made metric states are validated
SELECT throws_ok($$SELECT ecomml.ranking_metrics_finalfn('{NaN,1,0,0,0,0,0}'::float8[])$$,
    '22023', 'invalid metrics aggregate state', 'ranking_metrics: NaN k');
SELECT throws_ok($$SELECT ecomml.rmse_finalfn('{1.5,-1,0}'::float8[])$$,
    '22023', 'invalid metrics aggregate state', 'rmse: fractional count, negative sum');

-- partial states of different options are not merged (iforest: they have different layouts)
CREATE AGGREGATE pg_temp.merge_states(ecomml.agg_state) (SFUNC = ecomml.agg_state_combine, STYPE = ecomml.agg_state);
CREATE AGGREGATE pg_temp.iforest_partial(float8[], jsonb) (SFUNC = ecomml.train_iforest_transfn, STYPE = ecomml.agg_state);
SELECT throws_ok($$SELECT pg_temp.merge_states(s ORDER BY o)
                   FROM (SELECT 1 AS o, pg_temp.iforest_partial(ARRAY[g]::float8[], '{"trees": 2000}') AS s FROM generate_series(1, 5) g
                         UNION ALL
                         SELECT 2, pg_temp.iforest_partial(ARRAY[g]::float8[], '{"trees": 10, "sample_size": 3}') FROM generate_series(1, 30) g) x$$,
    '22023', 'iforest options must be the same on every row', 'iforest: partial states of different options');

-- partial states carry a fingerprint of their options (through text, as Citus moves them)
CREATE AGGREGATE pg_temp.mean_partial(float8, jsonb) (SFUNC = ecomml.train_mean_transfn, STYPE = ecomml.agg_state);
SELECT is((SELECT ecomml.predict(ecomml.train_mean_finalfn(pg_temp.merge_states(s::text::ecomml.agg_state)))
           FROM (SELECT pg_temp.mean_partial(g, '{"min_rows": 1}') AS s FROM generate_series(1, 3) g
                 UNION ALL SELECT pg_temp.mean_partial(g, '{"min_rows": 1}') FROM generate_series(4, 5) g) x),
    3::float8, 'partial states of the same options merge');
SELECT throws_ok($$SELECT pg_temp.merge_states(s::text::ecomml.agg_state)
                   FROM (SELECT pg_temp.mean_partial(g, '{"min_rows": 1}') AS s FROM generate_series(1, 3) g
                         UNION ALL SELECT pg_temp.mean_partial(g, '{"min_rows": 2}') FROM generate_series(4, 5) g) x$$,
    '22023', 'constant options must be the same on every row', 'partial states of different options do not');

-- the isolation forest's size limit is on the rows it holds, not sample_size
SELECT is((SELECT ecomml.model_info(ecomml.train_iforest(ARRAY[g, g * 2]::float8[], '{"trees": 10000, "sample_size": 10000}'))->>'trees'
           FROM generate_series(1, 5) g), '10000', 'five rows, 10000 trees of sample_size 10000');

-- the decoded-model cache: bounded in bytes, keyed by the payload
CREATE TEMP TABLE big AS
SELECT ecomml.train_iforest(ARRAY[g, g % 7]::float8[], '{"trees": 200}') AS m FROM generate_series(1, 1000) g;
SELECT ecomml.model_cache_reset();
SELECT count(ecomml.score(m, ARRAY[1, 2]::float8[])) FROM big, generate_series(1, 10);
SELECT ok((SELECT entries = 1 AND bytes > 100000 FROM ecomml.model_cache_stats()), 'the cache reports its bytes');
SET LOCAL ecomml.model_cache_memory = '64kB';
SELECT count(ecomml.score(m, ARRAY[1, 2]::float8[])) FROM big, generate_series(1, 10);
SELECT is((SELECT (entries, bytes)::text FROM ecomml.model_cache_stats()), '(0,0)',
    'a model larger than model_cache_memory is dropped after its query');
-- ... but kept for the whole query: a LATERAL recommend() lets go of it after each user
CREATE TEMP TABLE rm AS
SELECT ecomml.train_ease(g % 40, g * 7919 % 250, 1.0) AS m FROM generate_series(1, 4000) g;
SELECT ecomml.model_cache_reset();
SELECT count(*) FROM rm, generate_series(0, 29) u, LATERAL ecomml.recommend(rm.m, u, 5) r;
SELECT is((SELECT (entries, misses)::text FROM ecomml.model_cache_stats()), '(0,1)',
    'an over-budget model is decoded once for a LATERAL recommend over 30 users, dropped after');
RESET ecomml.model_cache_memory;
CREATE TEMP TABLE c AS SELECT ecomml.train_mean(x) AS m FROM (VALUES (1.0), (3.0)) v(x);
SELECT is((SELECT ecomml.predict(m) FROM c), 2::float8, 'the constant model, decoded and cached');
-- the payload (the mean) changed under the unchanged header, checksum included
SELECT throws_ok($$SELECT ecomml.predict(overlay(m PLACING '\x0000000000001040'::bytea FROM 49)) FROM c$$,
    'XX001', 'invalid ecomml model', 'a changed payload is decoded (and refused), not answered from the cache');

-- the mean of a parallel plan adds sums, like avg()
CREATE TABLE public.hostile_mean AS SELECT g::float8 AS x FROM generate_series(1, 200000) g;
ANALYZE public.hostile_mean;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT ecomml.predict(ecomml.train_mean(x)) FROM public.hostile_mean), 100000.5::float8,
    'train_mean in a parallel plan: 100000.5 exactly');

SELECT * FROM finish();
ROLLBACK;
