-- Robustness of aggregate states: ecomml.agg_state accepts text from anyone
-- (Citus ships partial states that way), so damaged states of every kind,
-- read back and finished as Citus's coordinator would, must give an error
-- with a proper SQLSTATE (never XX000, never a crash) or a valid result.
BEGIN;
SELECT plan(5);
SET LOCAL client_min_messages = error;
SELECT setseed(0.29);

-- pg_temp.<name>_partial(args) keeps the state; pg_temp.<name>_finish(state) combines and finishes
CREATE FUNCTION pg_temp.state_aggs(name text, args text, modify text DEFAULT 'READ_ONLY')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.%I_partial(%s) (SFUNC = ecomml.%s_transfn, STYPE = ecomml.agg_state)',
                   name, args, CASE name WHEN 'roc_auc' THEN 'score_label' WHEN 'pr_auc' THEN 'score_label' ELSE name END);
    EXECUTE format('CREATE AGGREGATE pg_temp.%I_finish(ecomml.agg_state) (SFUNC = ecomml.agg_state_combine, '
                   'STYPE = ecomml.agg_state, FINALFUNC = ecomml.%s_finalfn, FINALFUNC_MODIFY = %s)', name, name, modify);
END $$;
SELECT pg_temp.state_aggs('train_mean', 'float8');
SELECT pg_temp.state_aggs('train_logreg', 'float8[], boolean');
SELECT pg_temp.state_aggs('train_iforest', 'float8[], jsonb');
SELECT pg_temp.state_aggs('train_gbdt', 'float8[], float8, jsonb');
SELECT pg_temp.state_aggs('fit_forecast', 'timestamptz, float8');
SELECT pg_temp.state_aggs('train_als', 'bigint, bigint, float8, jsonb');
SELECT pg_temp.state_aggs('train_als_implicit', 'bigint, bigint, float8, jsonb');
SELECT pg_temp.state_aggs('train_item_knn', 'bigint, bigint, float8');
SELECT pg_temp.state_aggs('build_graph', 'bigint, bigint, float8, float8');
SELECT pg_temp.state_aggs('train_kmeans', 'float8[], jsonb');
SELECT pg_temp.state_aggs('train_elasticity', 'float8, float8');
SELECT pg_temp.state_aggs('train_text_classifier', 'tsvector, text');
SELECT pg_temp.state_aggs('roc_auc', 'float8, boolean', 'READ_WRITE');
SELECT pg_temp.state_aggs('pr_auc', 'float8, boolean', 'READ_WRITE');
SELECT pg_temp.state_aggs('binary_metrics', 'float8, boolean, float8');
SELECT pg_temp.state_aggs('rfm', 'bigint, timestamptz, float8, timestamptz');

CREATE TEMP TABLE pts AS
SELECT g AS id, ARRAY[(g % 7)::float8, (g % 11)::float8 / 3] AS f, (g % 7 = 0) AS label
FROM generate_series(1, 120) g;
CREATE TEMP TABLE states AS
SELECT 'train_mean' AS name, pg_temp.train_mean_partial(id::float8) AS s FROM pts
UNION ALL SELECT 'train_logreg', pg_temp.train_logreg_partial(f, label) FROM pts
UNION ALL SELECT 'train_gbdt', pg_temp.train_gbdt_partial(ARRAY[f[1], CASE WHEN id % 5 = 0 THEN NULL ELSE f[2] END], (id % 3)::float8, '{"objective": "poisson", "rounds": 3, "max_depth": 2}') FROM pts
UNION ALL SELECT 'train_iforest', pg_temp.train_iforest_partial(f, '{"trees": 4, "sample_size": 16, "seed": 1}') FROM pts
UNION ALL SELECT 'fit_forecast', pg_temp.fit_forecast_partial(timestamptz '2026-01-01' + id * interval '1 day', (id % 9)::float8) FROM pts
UNION ALL SELECT 'train_als', pg_temp.train_als_partial(id % 13, id % 7, 1 + id % 4, '{"factors": 2, "iterations": 2}') FROM pts
UNION ALL SELECT 'train_als_implicit', pg_temp.train_als_implicit_partial(id % 13, id % 7, 1 + id % 4, '{"factors": 2, "iterations": 2}') FROM pts
UNION ALL SELECT 'train_item_knn', pg_temp.train_item_knn_partial(id % 13, id % 7, 1 + id % 4) FROM pts
UNION ALL SELECT 'build_graph', pg_temp.build_graph_partial(id % 30, (id * 7) % 30, 1 + id % 3, -1) FROM pts
UNION ALL SELECT 'train_kmeans', pg_temp.train_kmeans_partial(f, '{"k": 2, "seed": 1}') FROM pts
UNION ALL SELECT 'train_elasticity', pg_temp.train_elasticity_partial(5 + id % 9, 100.0 / (5 + id % 9)) FROM pts
UNION ALL SELECT 'train_text_classifier', pg_temp.train_text_classifier_partial(to_tsvector('simple', 'w' || id % 5 || ' x'), (id % 2)::text) FROM pts
UNION ALL SELECT 'roc_auc', pg_temp.roc_auc_partial(f[2], label) FROM pts
UNION ALL SELECT 'pr_auc', pg_temp.pr_auc_partial(f[2], label) FROM pts
UNION ALL SELECT 'binary_metrics', pg_temp.binary_metrics_partial(f[2], label, 1) FROM pts
UNION ALL SELECT 'rfm', pg_temp.rfm_partial(id % 17, timestamptz '2026-01-01' + id * interval '1 day', id, '2026-12-01') FROM pts;

CREATE FUNCTION pg_temp.finish(name text, s ecomml.agg_state) RETURNS text LANGUAGE plpgsql AS $$
DECLARE answer text;
BEGIN
    EXECUTE format('SELECT pg_temp.%I_finish(x)::text FROM (VALUES ($1)) v(x)', name) INTO answer USING s;
    RETURN answer;
END $$;
SELECT is((SELECT count(*) FROM states WHERE pg_temp.finish(name, s) IS NOT NULL), 16::bigint,
    'an undamaged state of every kind finishes through text');

-- A damaged copy of the flat state (past its 8-byte header): flipped bits,
-- extreme bytes, a huge little-endian count, or a truncation.
CREATE FUNCTION pg_temp.damage(b bytea, i int) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    r bytea := b;
    n int := length(b);
    at int := 8 + floor(random() * greatest(n - 8, 1))::int;
BEGIN
    IF n <= 8 THEN RETURN r; END IF;
    CASE i % 4
    WHEN 0 THEN
        FOR k IN 1..1 + floor(random() * 3)::int LOOP
            at := 8 + floor(random() * (n - 8))::int;
            r := set_byte(r, at, get_byte(r, at) # (1 << floor(random() * 8)::int));
        END LOOP;
    WHEN 1 THEN
        r := set_byte(r, at, (ARRAY[0, 255, 127, 128])[1 + floor(random() * 4)::int]);
    WHEN 2 THEN
        FOR k IN 0..7 LOOP
            IF at + k < n THEN r := set_byte(r, at + k, CASE WHEN k = 7 THEN 127 ELSE 255 END); END IF;
        END LOOP;
    ELSE
        r := substring(r FROM 1 FOR at);
    END CASE;
    RETURN r;
END $$;

CREATE FUNCTION pg_temp.fuzz(name text, s ecomml.agg_state, rounds int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    flat bytea := decode(s::text, 'base64');
    outcomes jsonb := '{}';
    state text;
BEGIN
    FOR i IN 1..rounds LOOP
        BEGIN
            PERFORM pg_temp.finish(name, encode(pg_temp.damage(flat, i), 'base64')::ecomml.agg_state);
            state := 'ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE;
        END;
        outcomes := jsonb_set(outcomes, ARRAY[state], to_jsonb(coalesce((outcomes->>state)::int, 0) + 1));
    END LOOP;
    RETURN outcomes;
END $$;
CREATE TEMP TABLE fuzzed AS SELECT name, pg_temp.fuzz(name, s, 300) AS outcomes FROM states;
SELECT is((SELECT string_agg(name || ' ' || outcomes::text, '; ') FROM fuzzed WHERE outcomes ? 'XX000'), NULL,
    '300 damaged states of every kind, no internal error');
SELECT is((SELECT count(*) FROM fuzzed WHERE (SELECT sum(v::int) FROM jsonb_each_text(outcomes) e(k, v)) = 300),
    16::bigint, 'the server survived every damaged state');

-- States of one kind handed to another kind's final function
SELECT throws_ok($$SELECT pg_temp.finish('rfm', (SELECT s FROM states WHERE name = 'roc_auc'))$$,
    '22023', 'expected a rfm aggregate state, got a roc_auc/pr_auc aggregate state', 'roc_auc state into rfm');

-- The float8[] states of rmse, mae and ranking_metrics: hostile arrays
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT is((SELECT string_agg(q, '; ') FROM (VALUES
        ('SELECT ecomml.rmse_finalfn(''{}'')'), ('SELECT ecomml.rmse_finalfn(''{NaN,1,2}'')'),
        ('SELECT ecomml.mae_finalfn(''{1,2,3,4,5,6,7}'')'), ('SELECT ecomml.mae_finalfn(''{{1,2},{3,4}}'')'),
        ('SELECT ecomml.error_metrics_combine(''{1,2}'', ''{1,2,3}'')'),
        ('SELECT ecomml.ranking_metrics_finalfn(''{-1,Infinity,NaN}'')'),
        ('SELECT ecomml.ranking_metrics_finalfn(''{1,NULL,3,4,5,6}'')'),
        ('SELECT ecomml.ranking_metrics_combine(''{}'', ''{1}'')')) h(q)
           WHERE pg_temp.try(q) = 'XX000'), NULL,
    'hostile float8[] metric states never raise an internal error');

SELECT * FROM finish();
ROLLBACK;
