-- Gradient-boosted trees: agreement with XGBoost, TreeSHAP additivity, early
-- stopping, missing values, parallel plans, bad input.  Fixture:
-- test/fixtures/gbdt.sql (test/gbdt_expected.py).
BEGIN;
SELECT plan(47);
SET LOCAL client_min_messages = warning;

CREATE TEMP TABLE m AS
SELECT ecomml.train_gbdt(x, y, '{"rounds": 20, "max_depth": 3, "learning_rate": 0.3, "base_score": 0.5}') AS bin,
       ecomml.train_gbdt(x, units, '{"objective": "poisson", "rounds": 20, "max_depth": 3, "learning_rate": 0.3, "base_score": 0.5}') AS poi
FROM public.fx_gbdt;

-- Same cuts (two-decimal features), same hyper-parameters, 8% missing values in
-- feature 4: XGBoost's predictions (float32 inside) are met to 1e-6.
-- p_xgb: xgb.train({'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 3, 'eta': 0.3,
--   'reg_lambda': 1.0, 'min_child_weight': 1.0, 'base_score': 0.5, 'max_bin': 256, 'nthread': 1},
--   num_boost_round=20).predict(X)  (xgboost 1.7.4; test/gbdt_expected.py)
SELECT cmp_ok((SELECT max(abs(ecomml.score(m.bin, x) - p_xgb)) FROM public.fx_gbdt, m), '<', 1e-6::float8,
    'binary: probabilities equal XGBoost''s within 1e-6');
-- mu_xgb: the same with 'objective': 'count:poisson', 'max_delta_step': 0.7 on the counts
SELECT cmp_ok((SELECT max(abs(ecomml.score(m.poi, x) - mu_xgb) / mu_xgb) FROM public.fx_gbdt, m), '<', 1e-6::float8,
    'poisson: means equal XGBoost''s within a relative 1e-6');
SELECT is((SELECT ecomml.model_info(bin)->>'kind' FROM m), 'gbdt', 'model kind gbdt');
SELECT is((SELECT (ecomml.model_info(bin)->>'trees')::int FROM m), 20, 'one tree per round');
SELECT ok((SELECT (ecomml.model_info(bin)->>'depth')::int <= 3 FROM m), 'trees respect max_depth');
SELECT ok((SELECT (ecomml.model_info(bin)->'importance_gain'->>0)::float8 > (ecomml.model_info(bin)->'importance_gain'->>3)::float8 FROM m),
    'feature 1 (in the interaction) gains more than feature 4 (noise)');
SELECT is((SELECT (SELECT sum(v::int) FROM jsonb_array_elements_text(ecomml.model_info(bin)->'importance_splits') v)
           FROM m), (SELECT ((ecomml.model_info(bin)->>'nodes')::int - 20) / 2::bigint FROM m),
    'split counts add up to the internal nodes');

-- TreeSHAP: contributions + expected margin = raw margin, for every row
SELECT cmp_ok((SELECT max(abs(c.s + (ecomml.model_info(m.bin)->>'expected_margin')::float8
                         - ln(ecomml.score(m.bin, f.x) / (1 - ecomml.score(m.bin, f.x)))))
               FROM public.fx_gbdt f, m,
                    LATERAL (SELECT sum(contribution) AS s FROM ecomml.explain_score(m.bin, f.x)) c),
    '<', 1e-9::float8, 'binary: SHAP values add up to the logit');
SELECT cmp_ok((SELECT max(abs(c.s + (ecomml.model_info(m.poi)->>'expected_margin')::float8 - ln(ecomml.score(m.poi, f.x))))
               FROM public.fx_gbdt f, m,
                    LATERAL (SELECT sum(contribution) AS s FROM ecomml.explain_score(m.poi, f.x)) c),
    '<', 1e-9::float8, 'poisson: SHAP values add up to the log mean');
SELECT is((SELECT count(*) FROM m, ecomml.explain_score(m.bin, '{0.9,0.9,0.5,NULL}')), 4::bigint,
    'one contribution per feature, NULL elements allowed');
-- one stump on one feature: the whole margin above the base goes to it
SELECT cmp_ok((SELECT abs(e.contribution - (ln(ecomml.score(s.m, '{0.9,0.1}') / (1 - ecomml.score(s.m, '{0.9,0.1}')))
                                            - (ecomml.model_info(s.m)->>'expected_margin')::float8))
               FROM (SELECT ecomml.train_gbdt(ARRAY[x[1], 0.5], y, '{"rounds": 1, "max_depth": 1}') AS m FROM public.fx_gbdt) s,
                    ecomml.explain_score(s.m, '{0.9,0.1}') e WHERE e.feature = 1),
    '<', 1e-12::float8, 'a feature never split on gets nothing; the split feature gets it all');

-- Early stopping on a held-out fraction
CREATE TEMP TABLE es AS
SELECT ecomml.model_info(ecomml.train_gbdt(x, y, '{"rounds": 500, "learning_rate": 0.5, "max_depth": 4,
        "validation_fraction": 0.3, "early_stopping_rounds": 5, "seed": 3}')) AS info
FROM public.fx_gbdt;
SELECT ok((SELECT (info->>'trees')::int < 100 FROM es), 'noisy labels stop early: ' || (SELECT info->>'trees' FROM es) || ' trees');
SELECT is((SELECT jsonb_array_length(info->'validation_curve') FROM es), (SELECT (info->>'best_round')::int + 5 FROM es),
    'the curve runs early_stopping_rounds past the best round');
SELECT is((SELECT (info->>'best_round')::int FROM es), (SELECT (info->>'trees')::int FROM es), 'the model keeps the best round''s trees');
SELECT is((SELECT min(v::float8) FROM es, jsonb_array_elements_text(info->'validation_curve') v),
          (SELECT (info->>'best_validation')::float8 FROM es), 'best_validation is the curve''s minimum');
SELECT is((SELECT info->>'validation_metric' FROM es), 'log_loss', 'binary validates on log loss');
SELECT ok((SELECT (info->>'validation_rows')::int BETWEEN 130 AND 230 AND (info->>'rows')::int + (info->>'validation_rows')::int = 600 FROM es),
    'about 30% of the rows held out');

-- Missing values learn their side: NULL where the label is true, or where it is false
CREATE TEMP TABLE miss AS
SELECT ecomml.train_gbdt(ARRAY[CASE WHEN y AND id % 3 = 0 THEN NULL ELSE x[3] END], y, '{"rounds": 5, "max_depth": 1, "learning_rate": 0.5}') AS pos,
       ecomml.train_gbdt(ARRAY[CASE WHEN NOT y AND id % 3 = 0 THEN NULL ELSE x[3] END], y, '{"rounds": 5, "max_depth": 1, "learning_rate": 0.5}') AS neg
FROM public.fx_gbdt;
SELECT ok((SELECT ecomml.score(pos, '{NULL}') > ecomml.score(pos, '{0.5}') FROM miss), 'missing values go with the positives');
SELECT ok((SELECT ecomml.score(neg, '{NULL}') < ecomml.score(neg, '{0.5}') FROM miss), 'missing values go with the negatives');

-- Sampling is seeded
SELECT is((SELECT ecomml.train_gbdt(x, y, '{"subsample": 0.7, "colsample": 0.5, "seed": 9, "rounds": 10}') FROM public.fx_gbdt) IS NOT NULL
          AND (SELECT substring(ecomml.train_gbdt(x, y, '{"subsample": 0.7, "colsample": 0.5, "seed": 9, "rounds": 10}') FROM 41) FROM public.fx_gbdt)
            = (SELECT substring(ecomml.train_gbdt(x, y, '{"subsample": 0.7, "colsample": 0.5, "seed": 9, "rounds": 10}') FROM 41) FROM public.fx_gbdt),
    true, 'same seed, same model');
SELECT isnt((SELECT substring(ecomml.train_gbdt(x, y, '{"subsample": 0.7, "seed": 9, "rounds": 10}') FROM 41) FROM public.fx_gbdt),
            (SELECT substring(ecomml.train_gbdt(x, y, '{"subsample": 0.7, "seed": 10, "rounds": 10}') FROM 41) FROM public.fx_gbdt),
    'another seed, another sample');
SELECT ok((SELECT avg(ecomml.score(w.m, f.x)) > avg(ecomml.score(u.m, f.x))
           FROM public.fx_gbdt f,
                (SELECT ecomml.train_gbdt(x, y, '{"rounds": 10, "scale_pos_weight": 5}') AS m FROM public.fx_gbdt) w,
                (SELECT ecomml.train_gbdt(x, y, '{"rounds": 10}') AS m FROM public.fx_gbdt) u),
    'scale_pos_weight raises the scores');
SELECT ok((SELECT (ecomml.model_info(ecomml.train_gbdt(x, y, '{"rounds": 5, "min_samples_leaf": 100}'))->>'nodes')::int
                < (ecomml.model_info(ecomml.train_gbdt(x, y, '{"rounds": 5}'))->>'nodes')::int FROM public.fx_gbdt),
    'min_samples_leaf prunes the trees');
SELECT is((SELECT (ecomml.model_info(ecomml.train_gbdt(x, y, '{"rounds": 5, "gamma": 1e9}'))->>'nodes')::int FROM public.fx_gbdt), 5,
    'a huge gamma leaves one leaf per tree');
SELECT ok((SELECT (ecomml.model_info(ecomml.train_gbdt(x, y, '{"growth": "leafwise", "num_leaves": 5, "rounds": 3}'))->>'nodes')::int <= 27
           FROM public.fx_gbdt), 'leafwise growth stops at num_leaves');
SELECT ok((SELECT ecomml.score(ecomml.train_gbdt(x, units, '{"objective": "tweedie", "rounds": 30}'), '{0.9,0.9,0.9,0.5}') > 3 FROM public.fx_gbdt),
    'tweedie predicts a mean count');
SELECT ok((SELECT abs(ecomml.score(ecomml.train_gbdt(x, units, '{"rounds": 200, "learning_rate": 0.3}'), '{0.5,0.2,0.5,0.5}')
                 - (SELECT avg(units) FROM public.fx_gbdt WHERE x[2] <= 0.5 AND x[3] BETWEEN 0.4 AND 0.6)) < 1 FROM public.fx_gbdt),
    'regression predicts a conditional mean');

-- Parallel plans: same rows, same model up to floating-point summation order
CREATE TEMP TABLE serial AS
SELECT ecomml.train_gbdt(x, y, '{"rounds": 10, "max_depth": 3}') AS m FROM public.fx_gbdt;
SELECT is((SELECT count(*) FROM (SELECT id % 2, ecomml.train_gbdt(x, y, '{"rounds": 2}') FROM public.fx_gbdt GROUP BY 1) g),
    2::bigint, 'GROUP BY trains one model per group');
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_text('SELECT ecomml.train_gbdt(x, y) FROM public.fx_gbdt'),
    'Partial Aggregate', 'gbdt trains partially in workers');
CREATE TEMP TABLE parallel AS
SELECT ecomml.train_gbdt(x, y, '{"rounds": 10, "max_depth": 3}') AS m FROM public.fx_gbdt;
SELECT cmp_ok((SELECT max(abs(ecomml.score(p.m, f.x) - ecomml.score(s.m, f.x))) FROM public.fx_gbdt f, parallel p, serial s),
    '<', 1e-12::float8, 'the parallel model scores as the serial one');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- Bad input
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"depth": 3}') FROM public.fx_gbdt$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"objective": "poisson"}') FROM public.fx_gbdt$$, '22023',
    'a boolean label needs objective "binary", not "poisson"', 'boolean label, count objective');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"max_bins": 256}') FROM public.fx_gbdt$$, '22023', NULL, 'max_bins above 255');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"num_leaves": 1}') FROM public.fx_gbdt$$, '22023', NULL, 'num_leaves 1');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"learning_rate": 0}') FROM public.fx_gbdt$$, '22023', NULL, 'learning_rate 0');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"base_score": 1.5}') FROM public.fx_gbdt$$, '22023', NULL, 'binary base_score outside (0, 1)');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, 0.5::float8, '{"objective": "binary"}') FROM public.fx_gbdt$$, '22000',
    'train_gbdt label 0.5 is not 0 or 1, as objective "binary" needs', 'binary label not 0/1');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, -units, '{"objective": "poisson"}') FROM public.fx_gbdt WHERE units > 0$$, '22000', NULL,
    'negative counts for poisson');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, 'NaN'::float8) FROM public.fx_gbdt$$, '22000', NULL, 'NaN label');
SELECT throws_ok($$SELECT ecomml.train_gbdt(ARRAY[x[1], 'Infinity'], y) FROM public.fx_gbdt$$, '22000', NULL, 'infinite feature');
SELECT throws_ok($$SELECT ecomml.train_gbdt(CASE WHEN id = 7 THEN x[1:2] ELSE x END, y) FROM public.fx_gbdt$$, '2202E', NULL,
    'inconsistent feature lengths');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y) FROM public.fx_gbdt WHERE false$$, '22000',
    'cannot train a gbdt model on zero rows', 'no rows');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, true) FROM public.fx_gbdt$$, '22000',
    'cannot train a binary gbdt model on labels of one class', 'one class');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, 0::float8, '{"objective": "poisson"}') FROM public.fx_gbdt$$, '22000', NULL,
    'poisson labels all zero');
SELECT throws_ok($$SELECT ecomml.train_gbdt(x, y, '{"validation_fraction": 0.5}') FROM public.fx_gbdt WHERE id = 1$$, '22000', NULL,
    'validation leaves no training or validation rows');
SELECT throws_ok($$SELECT ecomml.score(bin, '{1,2}') FROM m$$, '2202E', NULL, 'scoring with the wrong feature count');
SELECT throws_ok($$SELECT ecomml.score(ecomml.train_mean(1), '{1,2}')$$, '22023',
    'expected a logreg, iforest or gbdt model, got a constant model', 'scoring another kind');

SELECT * FROM finish();
ROLLBACK;
