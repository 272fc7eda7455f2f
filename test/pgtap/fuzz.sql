-- Robustness: damaged models and hostile arguments must give an error with a
-- proper SQLSTATE (never XX000, never a crash) or a valid result.
-- ecomml.ignore_checksum_failure lets damaged payloads reach the decoders.
BEGIN;
SELECT plan(17);
SET LOCAL client_min_messages = error;
SET LOCAL ecomml.ignore_checksum_failure = on;
SELECT setseed(0.17);

CREATE TEMP TABLE pts AS
SELECT g AS id, ARRAY[(g % 7)::float8, (g % 11)::float8 / 3, (g % 5)::float8 * 2] AS f,
       (g % 7 = 0) AS label
FROM generate_series(1, 400) g;
CREATE TEMP TABLE inter AS
SELECT u AS user_id, i AS item_id, 1 + ((u * 7 + i * 3) % 5)::float8 AS r
FROM generate_series(1, 40) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0;

CREATE TEMP TABLE models (kind text, m bytea, use text);
INSERT INTO models
SELECT 'constant', ecomml.train_mean(id::float8), 'SELECT ecomml.predict($1)' FROM pts
UNION ALL
SELECT 'logreg', ecomml.train_logreg(f, label),
       'SELECT ecomml.score($1, ''{0.5,1.5,2.5}''), (SELECT count(*) FROM ecomml.explain_score($1, ''{0.5,1.5,2.5}''))' FROM pts
UNION ALL
SELECT 'gbdt', ecomml.train_gbdt(f, label, '{"rounds": 5, "max_depth": 3}'),
       'SELECT ecomml.score($1, ''{0.5,NULL,2.5}''), (SELECT count(*) FROM ecomml.explain_score($1, ''{0.5,1.5,NULL}''))' FROM pts
UNION ALL
SELECT 'iforest', ecomml.train_iforest(f, '{"trees": 10, "sample_size": 32, "seed": 1}'),
       'SELECT ecomml.score($1, ''{0.5,1.5,2.5}''), (SELECT count(*) FROM ecomml.explain_score($1, ''{0.5,1.5,2.5}''))' FROM pts
UNION ALL
SELECT 'forecast', ecomml.fit_forecast(timestamptz '2026-01-01' + id * interval '1 day', (10 + id % 7)::float8),
       'SELECT (SELECT count(*) FROM ecomml.forecast($1, 5)), (SELECT count(*) FROM ecomml.reorder_point($1, 10, 2, 0.95))' FROM pts WHERE id <= 120
UNION ALL
SELECT 'als', ecomml.train_als(user_id, item_id, r, '{"factors": 3, "iterations": 2, "seed": 1}'),
       'SELECT (SELECT count(*) FROM ecomml.recommend($1, 3, 5)), (SELECT count(*) FROM ecomml.similar_items($1, 3, 3)), (SELECT count(*) FROM ecomml.recommend_all($1, 2)), ecomml.predict($1, 3, 6)' FROM inter
UNION ALL
SELECT 'als_implicit', ecomml.train_als_implicit(user_id, item_id, r, '{"factors": 3, "iterations": 2, "seed": 1}'),
       'SELECT (SELECT count(*) FROM ecomml.recommend($1, 3, 5)), (SELECT count(*) FROM ecomml.recommend_for_items($1, ''{3,6}'', 3))' FROM inter
UNION ALL
SELECT 'item_knn', ecomml.train_item_knn(user_id, item_id, r, '{"neighbors": 5}'),
       'SELECT (SELECT count(*) FROM ecomml.recommend($1, 3, 5)), (SELECT count(*) FROM ecomml.similar_items($1, 3, 3))' FROM inter
UNION ALL
SELECT 'graph', ecomml.build_graph(id, id + 1, (1 + id % 3)::float8, (2 + id % 2)::float8),
       'SELECT (SELECT count(*) FROM ecomml.shortest_path($1, 1, 9)), (SELECT count(*) FROM ecomml.cost_matrix($1, ''{1,4,8}'')), (SELECT count(*) FROM ecomml.shortest_path_tree($1, 2, 5)), (SELECT count(*) FROM ecomml.solve_tsp($1, ''{1,3,5,7}'', ''{"seed": 1, "time_limit_ms": 5}''))' FROM pts WHERE id < 30
UNION ALL
SELECT 'graph_ch', ecomml.contract_graph(ecomml.build_graph(id, CASE WHEN id % 4 = 0 THEN id + 3 ELSE id + 1 END,
                                                            (1 + id % 3)::float8, (2 + id % 2)::float8)),
       'SELECT (SELECT count(*) FROM ecomml.shortest_path($1, 1, 9)), (SELECT count(*) FROM ecomml.cost_matrix($1, ''{1,4,8}'')), (SELECT count(*) FROM ecomml.solve_tsp($1, ''{1,3,5,7}'', ''{"seed": 1, "time_limit_ms": 5}''))' FROM pts WHERE id < 30
UNION ALL
SELECT 'kmeans', ecomml.train_kmeans(f, '{"k": 3, "seed": 1}'),
       'SELECT ecomml.assign_cluster($1, ''{1,2,3}''), (SELECT count(*) FROM ecomml.cluster_centers($1))' FROM pts
UNION ALL
SELECT 'elasticity', ecomml.train_elasticity((5 + id % 9)::float8, (100 * (5 + id % 9) ^ -1.5 * (1 + (id % 5) / 20.0))::float8),
       'SELECT ecomml.predict_demand($1, 7), ecomml.optimal_price($1, 2, 3, 20), (SELECT count(*) FROM ecomml.elasticity_coefficients($1))' FROM pts
UNION ALL
SELECT 'text_nb', ecomml.train_text_classifier(to_tsvector('simple', CASE WHEN label THEN 'great fast love ' ELSE 'slow broken bad ' END || id), CASE WHEN label THEN 'pos' ELSE 'neg' END),
       'SELECT count(*) FROM ecomml.classify($1, to_tsvector(''simple'', ''great broken fast''))' FROM pts;

SELECT is((SELECT count(*) FROM models WHERE m IS NOT NULL), 13::bigint, 'one valid model of every kind (and a contracted graph)');

-- A damaged copy of m: a fresh model id (so the cache must decode it), then
-- flipped bytes, extreme values, or a truncated payload with a matching length.
CREATE FUNCTION pg_temp.damage(m bytea, i int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    r bytea := m;
    n int := length(m);
    cut int;
BEGIN
    FOR b IN 8..23 LOOP r := set_byte(r, b, floor(random() * 256)::int); END LOOP;
    IF n <= 40 THEN RETURN r; END IF;
    CASE i % 4
    WHEN 0 THEN
        FOR k IN 1..1 + floor(random() * 3)::int LOOP
            cut := 40 + floor(random() * (n - 40))::int;
            r := set_byte(r, cut, get_byte(r, cut) # (1 << floor(random() * 8)::int));
        END LOOP;
    WHEN 1 THEN
        cut := 40 + floor(random() * (n - 40))::int;
        r := set_byte(r, cut, (ARRAY[0, 255, 127, 128])[1 + floor(random() * 4)::int]);
    WHEN 2 THEN
        cut := 40 + floor(random() * greatest(n - 47, 1))::int;
        FOR k IN 0..7 LOOP
            IF cut + k < n THEN r := set_byte(r, cut + k, CASE WHEN k = 7 THEN 127 ELSE 255 END); END IF;
        END LOOP;
    ELSE
        cut := 40 + floor(random() * (n - 40))::int;
        r := substring(r FROM 1 FOR cut);
        r := set_byte(set_byte(set_byte(set_byte(r, 32, (cut - 40) % 256), 33, ((cut - 40) / 256) % 256),
                      34, ((cut - 40) / 65536) % 256), 35, 0);
    END CASE;
    RETURN r;
END $$;

-- Run use (and model_info) on 1000 damaged copies; count outcomes by SQLSTATE.
CREATE FUNCTION pg_temp.fuzz(m bytea, use text, rounds int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    outcomes jsonb := '{}';
    state text;
    d bytea;
BEGIN
    FOR i IN 1..rounds LOOP
        d := pg_temp.damage(m, i);
        BEGIN
            PERFORM ecomml.model_info(d);
            EXECUTE use USING d;
            state := 'ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
        END;
        outcomes := jsonb_set(outcomes, ARRAY[state], to_jsonb(coalesce((outcomes->>state)::int, 0) + 1));
    END LOOP;
    RETURN outcomes;
END $$;

CREATE TEMP TABLE fuzzed AS SELECT kind, pg_temp.fuzz(m, use, 1000) AS outcomes FROM models;
SELECT ok(NOT outcomes ? 'XX000', kind || ': 1000 damaged models, no internal error: ' || outcomes::text)
FROM fuzzed ORDER BY kind;
SELECT is((SELECT count(*) FROM fuzzed), 13::bigint, 'the server survived every damaged model');

-- Hostile arguments to the serving functions, on valid models.
CREATE FUNCTION pg_temp.try(q text, m bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q USING m;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE TEMP TABLE hostile AS
SELECT x.kind, q, pg_temp.try(q, x.m) AS outcome
FROM models x, LATERAL (VALUES
    ('constant', 'SELECT ecomml.predict(NULL::bytea)'),
    ('logreg', 'SELECT ecomml.score($1, ''{}'')'),
    ('logreg', 'SELECT ecomml.score($1, ''{NaN,1,2}'')'),
    ('logreg', 'SELECT ecomml.score($1, ''{Infinity,1,2}'')'),
    ('logreg', 'SELECT ecomml.score($1, ''{{1,2},{3,4}}'')'),
    ('logreg', 'SELECT ecomml.score($1, ''{1,NULL,2}'')'),
    ('iforest', 'SELECT ecomml.score($1, ''{1,2,3,4,5}'')'),
    ('gbdt', 'SELECT ecomml.score($1, ''{1,2}'')'),
    ('gbdt', 'SELECT ecomml.score($1, ''{NaN,1,2}'')'),
    ('gbdt', 'SELECT ecomml.score($1, ''{-Infinity,1,2}'')'),
    ('gbdt', 'SELECT count(*) FROM ecomml.explain_score($1, ''{NULL,NULL,NULL}'')'),
    ('forecast', 'SELECT count(*) FROM ecomml.forecast($1, -1)'),
    ('forecast', 'SELECT count(*) FROM ecomml.forecast($1, 2147483647)'),
    ('forecast', 'SELECT count(*) FROM ecomml.forecast($1, 3, ''{NaN}'')'),
    ('forecast', 'SELECT count(*) FROM ecomml.forecast($1, 3, ''{100}'')'),
    ('als', 'SELECT count(*) FROM ecomml.recommend($1, -9223372036854775808, 5)'),
    ('als', 'SELECT count(*) FROM ecomml.recommend($1, 3, 2147483647)'),
    ('als', 'SELECT count(*) FROM ecomml.recommend($1, 3, -1)'),
    ('item_knn', 'SELECT count(*) FROM ecomml.recommend_for_items($1, ''{}'', 3)'),
    ('graph', 'SELECT count(*) FROM ecomml.shortest_path($1, 9223372036854775807, 1)'),
    ('graph', 'SELECT count(*) FROM ecomml.cost_matrix($1, ''{}'')'),
    ('graph', 'SELECT count(*) FROM ecomml.shortest_path_tree($1, 1, ''NaN'')'),
    ('graph', 'SELECT count(*) FROM ecomml.solve_tsp($1, ''{1,1,1}'')'),
    ('kmeans', 'SELECT ecomml.assign_cluster($1, ''{NaN,1,2}'')')
) AS h(kind, q) WHERE h.kind = x.kind;
SELECT is((SELECT count(*) FROM hostile WHERE outcome = 'XX000'), 0::bigint,
    'hostile arguments never raise an internal error');
SELECT is((SELECT count(*) FROM hostile), 24::bigint, 'every hostile call ran');

SELECT * FROM finish();
ROLLBACK;
