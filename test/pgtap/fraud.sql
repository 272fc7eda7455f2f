-- Fraud scoring: quality on planted data, agreement with scikit-learn, bad
-- input, determinism, parallel plans.  Tables: test/fixtures/fraud.sql.
-- Expected scikit-learn figures: /usr/bin/python3 test/fraud_expected.py
BEGIN;
SELECT plan(73);

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;
CREATE FUNCTION pg_temp.coef(m bytea, i int) RETURNS float8 LANGUAGE sql AS
    $$ SELECT (ecomml.model_info(m)->'coef'->>(i - 1))::float8 $$;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE m AS
SELECT (SELECT ecomml.train_logreg(x, is_fraud) FROM fx_fraud_tx) AS lr,
       (SELECT ecomml.train_iforest(x, '{"seed": 7}') FROM fx_fraud_gauss) AS iso,
       (SELECT ecomml.train_iforest(x, '{"seed": 7, "extended": true}') FROM fx_fraud_gauss) AS eiso,
       (SELECT ecomml.train_logreg(x, y, '{"lambda": 1}') FROM fx_fraud_fixed) AS fixed_plain,
       (SELECT ecomml.train_logreg(x, y, '{"lambda": 1, "class_weight": "balanced"}') FROM fx_fraud_fixed) AS fixed_bal;

-- quality on planted data
SELECT cmp_ok((SELECT ecomml.roc_auc(ecomml.score(lr, x), is_fraud) FROM fx_fraud_tx, m), '>=', 0.99::float8,
    'logreg finds the planted fraud: AUC >= 0.99');
SELECT cmp_ok((SELECT ecomml.pr_auc(ecomml.score(lr, x), is_fraud) FROM fx_fraud_tx, m), '>=', 0.9::float8,
    'logreg average precision on planted fraud >= 0.9');
SELECT ok((SELECT abs((ecomml.model_info(lr)->>'train_auc')::float8
                      - (SELECT ecomml.roc_auc(ecomml.score(lr, x), is_fraud) FROM fx_fraud_tx)) < 1e-12 FROM m),
    'model_info train_auc equals roc_auc of the scores');
-- the training AUC counts ranks over the smaller class (src/binmetrics.c): tied scores (12 distinct
-- rows), positives the majority and then the minority.  scikit-learn 1.2.1:
--   i = np.arange(1, 3001); X = np.column_stack([i % 2, i % 3, i % 5 == 0]).astype(float)
--   y = np.sin(i * 7.1) + (i % 2) * 0.8 + (i % 3) * 0.3 > 0.5       # 1710 positives
--   Z = StandardScaler().fit_transform(X)
--   roc_auc_score(y, LogisticRegression(C=1 / (1e-4 * 3000)).fit(Z, y).decision_function(Z))
--   = the same with ~y = 0.70150505462622958
SELECT ok((SELECT abs((ecomml.model_info(ecomml.train_logreg(x, y))->>'train_auc')::float8 - 0.70150505462622958) < 1e-12
              AND abs((ecomml.model_info(ecomml.train_logreg(x, NOT y))->>'train_auc')::float8 - 0.70150505462622958) < 1e-12
           FROM (SELECT ARRAY[(i % 2)::float8, (i % 3)::float8, (i % 5 = 0)::int::float8] AS x,
                        sin(i * 7.1) + (i % 2) * 0.8 + (i % 3) * 0.3 > 0.5 AS y
                 FROM generate_series(1, 3000) i) t),
    'train_auc on tied scores equals roc_auc_score, positives the majority or the minority');
SELECT ok((SELECT (ecomml.model_info(lr)->>'converged')::bool AND (ecomml.model_info(lr)->>'iterations')::int BETWEEN 3 AND 30 FROM m),
    'logreg converges in a few Newton iterations');
SELECT cmp_ok((SELECT ecomml.roc_auc(ecomml.score(iso, x), outlier) FROM fx_fraud_gauss, m), '>=', 0.97::float8,
    'iforest separates outliers from a Gaussian cloud: AUC >= 0.97');
SELECT cmp_ok((SELECT ecomml.roc_auc(ecomml.score(eiso, x), outlier) FROM fx_fraud_gauss, m), '>=', 0.97::float8,
    'extended iforest: AUC >= 0.97');
SELECT ok((SELECT bool_and(s > 0 AND s < 1) FROM (SELECT ecomml.score(iso, x) s FROM fx_fraud_gauss, m) t),
    'anomaly scores lie in (0, 1)');
SELECT ok((SELECT ecomml.score(iso, '{6,6,6,6}') > 0.6 AND ecomml.score(iso, '{0,0,0,0}') < 0.5 FROM m),
    'a far point scores high, the center low');

-- 120,000 rows: the warm start on a subsample, then full passes with the subsample's Hessian
-- and unstandardized rows (src/logreg.c).  scikit-learn 1.2.1 on the same data:
--   i = np.arange(1, 120001.0); X = np.column_stack([np.sin(i * 0.37), np.cos(i * 0.11), np.sin(i * 1.7) * 2 + 5])
--   y = np.sin(i * 0.37) + 0.5 * np.cos(i * 0.11) + 0.3 * np.sin(i * 2.9) > 0.4
--   LogisticRegression(C=1 / (1e-4 * 120000), tol=1e-10, max_iter=10000).fit(StandardScaler().fit_transform(X), y)
--   coef_ [5.75545761, 2.93285112, -0.01223094], intercept_ -3.293485
SELECT ok((SELECT abs(pg_temp.coef(m, 1) - 5.75545761) < 1e-4 AND abs(pg_temp.coef(m, 2) - 2.93285112) < 1e-4
              AND abs(pg_temp.coef(m, 3) - (-0.01223094)) < 1e-4
              AND abs((ecomml.model_info(m)->>'intercept')::float8 - (-3.293485)) < 1e-4
           FROM (SELECT ecomml.train_logreg(ARRAY[sin(i * 0.37), cos(i * 0.11), sin(i * 1.7) * 2 + 5],
                                            sin(i * 0.37) + 0.5 * cos(i * 0.11) + 0.3 * sin(i * 2.9) > 0.4) AS m
                 FROM generate_series(1, 120000) i) q),
    'logreg on 120,000 rows (warm start, fixed-Hessian passes) equals scikit-learn''s to 1e-4');

-- agreement with scikit-learn 1.2.1 (LogisticRegression C=1 on StandardScaler output)
SELECT ok((SELECT abs(pg_temp.coef(fixed_plain, 1) - 1.0473402779) < 1e-4
              AND abs(pg_temp.coef(fixed_plain, 2) - 1.5133997842) < 1e-4
              AND abs(pg_temp.coef(fixed_plain, 3) - (-1.6397328343)) < 1e-4
              AND abs((ecomml.model_info(fixed_plain)->>'intercept')::float8 - (-3.5887771043)) < 1e-4 FROM m),
    'logreg coefficients equal scikit-learn''s to 1e-4');
SELECT ok((SELECT abs(pg_temp.coef(fixed_bal, 1) - 1.1542447321) < 1e-4
              AND abs(pg_temp.coef(fixed_bal, 2) - 1.6788662223) < 1e-4
              AND abs(pg_temp.coef(fixed_bal, 3) - (-2.1854276522)) < 1e-4
              AND abs((ecomml.model_info(fixed_bal)->>'intercept')::float8 - (-1.8960667733)) < 1e-4 FROM m),
    'balanced class weights equal scikit-learn''s to 1e-4');
SELECT ok((SELECT abs(pg_temp.coef(m, 1) - 1.0473402779) < 1e-4
              AND abs(pg_temp.coef(m, 2) - 1.5133997842) < 1e-4
              AND abs(pg_temp.coef(m, 3) - (-1.6397328343)) < 1e-4
              AND abs((ecomml.model_info(m)->>'intercept')::float8 - (-3.5887771043)) < 1e-4
              AND ecomml.model_info(m)->>'solver' = 'lbfgs'
           FROM (SELECT ecomml.train_logreg(x, y, '{"lambda": 1, "solver": "lbfgs"}') AS m FROM fx_fraud_fixed) t),
    'the L-BFGS solver also equals scikit-learn to 1e-4');
SELECT is((SELECT ecomml.model_info(ecomml.train_logreg(x || ARRAY(SELECT sin(id * j) FROM generate_series(1, 500) j), y))->>'solver'
           FROM fx_fraud_fixed), 'lbfgs', 'solver auto picks L-BFGS above 500 features');
SELECT ok(abs((SELECT ecomml.roc_auc(score, label) FROM fx_fraud_ties) - 0.74687500000000007) < 1e-12,
    'roc_auc with ties equals roc_auc_score to 1e-12');
SELECT ok(abs((SELECT ecomml.pr_auc(score, label) FROM fx_fraud_ties) - 0.73598967657328296) < 1e-12,
    'pr_auc with ties equals average_precision_score to 1e-12');
-- 60,000 rows (the bucket sort of binmetrics.c, from 8,192 rows), 20,980 distinct scores, many tied:
-- g = np.arange(1, 60001); score = ((g * 7919) % 1000) / 1000.0 + np.where(g % 3 == 0, ((g * 104729) % 997) / 1e6, 0.0)
-- label = (((g * 7919) % 1000) + (g * 13 % 400)) > 800
-- roc_auc_score(label, score) 0.9718828332449146, average_precision_score(label, score) 0.9595926011484608
CREATE TEMP TABLE many_ties AS
SELECT ((g * 7919) % 1000) / 1000.0::float8 + CASE WHEN g % 3 = 0 THEN ((g * 104729) % 997) / 1e6::float8 ELSE 0 END AS score,
       (((g * 7919) % 1000) + (g * 13 % 400)) > 800 AS label
FROM generate_series(1::bigint, 60000) g;
SELECT ok(abs((SELECT ecomml.roc_auc(score, label) FROM many_ties) - 0.9718828332449146) < 1e-12,
    'roc_auc of 60,000 rows with ties equals roc_auc_score to 1e-12');
SELECT ok(abs((SELECT ecomml.pr_auc(score, label) FROM many_ties) - 0.9595926011484608) < 1e-12,
    'pr_auc of 60,000 rows with ties equals average_precision_score to 1e-12');

-- metric properties
SELECT is((SELECT ecomml.roc_auc(s, l) FROM (VALUES (0.5, true), (0.5, false)) v(s, l)), 0.5::float8,
    'a tie between a positive and a negative counts one half');
SELECT is((SELECT ecomml.roc_auc(s, l) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, l)),
    0.75::float8, 'roc_auc of a small example');
SELECT ok(abs((SELECT ecomml.pr_auc(s, l) FROM (VALUES (0.1, false), (0.4, false), (0.35, true), (0.8, true)) v(s, l))
              - (0.5 + 0.5 * 2.0 / 3)) < 1e-15, 'pr_auc of a small example');
SELECT is((SELECT ecomml.roc_auc(s, l) FROM (VALUES (0.1, true), (0.4, true)) v(s, l)), NULL::float8,
    'roc_auc is NULL with one class');
SELECT is((SELECT ecomml.pr_auc(s, l) FROM (VALUES (0.1, false)) v(s, l)), NULL::float8,
    'pr_auc is NULL without positives');
SELECT is((SELECT ecomml.roc_auc(s, l) FROM (VALUES (NULL, true), (0.2, NULL), (0.3, true), (0.1, false)) v(s, l)),
    1::float8, 'rows with a NULL score or label are skipped');
SELECT is((SELECT ecomml.binary_metrics(s, l, 0.5) FROM (VALUES (0.9, true), (0.5, false), (0.2, true), (0.1, false)) v(s, l)),
    '{"threshold": 0.5, "tp": 1, "fp": 1, "tn": 1, "fn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5, "accuracy": 0.5}'::jsonb,
    'binary_metrics predicts true at score >= threshold');
SELECT is((SELECT ecomml.binary_metrics(s, l, 2) ->> 'precision' FROM (VALUES (0.9, true)) v(s, l)), '0',
    'precision without predicted positives is 0, as scikit-learn''s zero_division default');

-- explanations
SELECT ok((SELECT abs(ln(ecomml.score(lr, x) / (1 - ecomml.score(lr, x)))
                      - (ecomml.model_info(lr)->>'intercept')::float8
                      - (SELECT sum(contribution) FROM ecomml.explain_score(lr, x))) < 1e-9
           FROM m, fx_fraud_tx WHERE id = 17),
    'logreg contributions add up to the logit minus the intercept');
SELECT is((SELECT array_agg(feature) FROM ecomml.explain_score((SELECT lr FROM m), '{3.5,1,1,5,0.5}')),
    '{1,4,3,2,5}'::int[], 'logreg explanation ranks the planted features first');
SELECT is((SELECT feature FROM ecomml.explain_score((SELECT iso FROM m), '{0,9,0,0}') LIMIT 1), 2,
    'iforest explanation names the outlying feature first');
SELECT ok((SELECT bool_and(contribution >= 0) AND count(*) = 4 FROM ecomml.explain_score((SELECT eiso FROM m), '{0,9,0,0}')),
    'extended iforest explanation: four non-negative contributions');

-- determinism
SELECT ok((SELECT bool_and(ecomml.score(iso, x) = ecomml.score(
                (SELECT ecomml.train_iforest(x, '{"seed": 7}') FROM fx_fraud_gauss), x)) FROM fx_fraud_gauss, m),
    'the same seed gives the same forest');
SELECT ok((SELECT bool_or(ecomml.score(iso, x) <> ecomml.score(
                (SELECT ecomml.train_iforest(x, '{"seed": 8}') FROM fx_fraud_gauss), x)) FROM fx_fraud_gauss, m),
    'another seed gives another forest');
SELECT is((SELECT ecomml.model_info(ecomml.train_logreg(x, y, '{"lambda": 1}'))->'coef' FROM fx_fraud_fixed),
    (SELECT ecomml.model_info(fixed_plain)->'coef' FROM m), 'logreg training is deterministic');

-- options and edge cases
SET LOCAL client_min_messages = error;	-- the constant-feature warning
SELECT is((SELECT (ecomml.model_info(ecomml.train_logreg(x || 5.0::float8, y, '{"lambda": 1}'))->>'constant_features')::int
           FROM fx_fraud_fixed), 1, 'a constant feature is kept (warning) ...');
SELECT is((SELECT pg_temp.coef(ecomml.train_logreg(x || 5.0::float8, y, '{"lambda": 1}'), 4) FROM fx_fraud_fixed),
    0::float8, '... with a zero coefficient');
SELECT ok((SELECT abs(ecomml.score(ecomml.train_logreg(x, y, '{"impute": "mean"}'), '{NULL,0,0}')
                  - ecomml.score(ecomml.train_logreg(x, y, '{"impute": "mean"}'), ARRAY[avg(x[1]), 0, 0]::float8[])) < 1e-12
           FROM (SELECT CASE WHEN id % 10 = 0 THEN '{NULL,1,1}' ELSE x END AS x, y FROM fx_fraud_fixed) t),
    'impute mean: a NULL element scores as the feature''s mean');
SELECT ok((SELECT abs((ecomml.model_info(ecomml.train_logreg(x, y, '{"fit_intercept": false, "lambda": 0}'))->>'intercept')::float8) = 0
           FROM fx_fraud_fixed), 'fit_intercept false, lambda 0');
SELECT ok((SELECT (ecomml.model_info(ecomml.train_logreg(x, y, '{"class_weight": [1, 5]}'))->'class_weight') = '[1, 5]'
           FROM fx_fraud_fixed), 'explicit class weights');
SELECT is((SELECT ecomml.model_info(ecomml.train_iforest(x, '{"trees": 3, "sample_size": 16}'))->>'rows_per_tree'
           FROM fx_fraud_gauss), '16', 'sample_size option');
SELECT is((SELECT ecomml.score((SELECT ecomml.train_iforest('{1,2}'::float8[])), '{1,2}')), 0.5::float8,
    'one training row: every score is 0.5');
SELECT is((SELECT ecomml.score(lr, NULL) FROM m), NULL::float8, 'score of NULL features is NULL');

-- bad input
SELECT throws_ok($$SELECT ecomml.train_logreg(x, y) FROM fx_fraud_fixed WHERE false$$,
    '22000', 'cannot train a logreg model on zero rows', 'logreg on zero rows');
SELECT throws_ok($$SELECT ecomml.train_logreg(NULL::float8[], true) FROM generate_series(1, 3)$$,
    '22000', 'cannot train a logreg model on zero rows', 'logreg on NULL arrays only');
SELECT throws_ok($$SELECT ecomml.train_logreg(x, true) FROM fx_fraud_fixed$$,
    '22000', 'cannot train a logreg model on labels of one class', 'single-class labels');
SELECT throws_ok($$SELECT ecomml.train_logreg(x, l) FROM (VALUES ('{1,2}'::float8[], true), ('{1,NaN}', false)) v(x, l)$$,
    '22000', 'train_logreg feature 2 must be finite, not NaN', 'NaN feature');
SELECT throws_ok($$SELECT ecomml.train_logreg(x, l) FROM (VALUES ('{Infinity}'::float8[], true)) v(x, l)$$,
    '22000', 'train_logreg feature 1 must be finite, not Infinity', 'infinite feature');
SELECT throws_ok($$SELECT ecomml.train_logreg(x, l) FROM (VALUES ('{1,2}'::float8[], true), ('{1,2,3}', false)) v(x, l)$$,
    '2202E', 'train_logreg features have 3 elements, expected 2', 'mismatched lengths');
SELECT throws_ok($$SELECT ecomml.train_logreg(array_fill(1.0::float8, ARRAY[10001]), true)$$,
    '54000', 'train_logreg features have 10001 elements, more than the limit of 10000', 'too many features');
SELECT throws_ok($$SELECT ecomml.train_logreg('{}'::float8[], true)$$,
    '2202E', 'train_logreg features must not be an empty array', 'empty array');
SELECT throws_ok($$SELECT ecomml.train_logreg('{{1,2},{3,4}}'::float8[], true)$$,
    '2202E', 'train_logreg features must be a one-dimensional array, not 2-dimensional', 'two-dimensional array');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1,NULL}'::float8[], true)$$,
    '22004', 'train_logreg feature 2 is NULL', 'NULL element without impute');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1}'::float8[], true, '{"lamda": 1}')$$,
    '22023', 'unknown option "lamda"', 'unknown option');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1}'::float8[], true, '{"lambda": -1}')$$,
    '22023', 'option "lambda" is out of range: -1', 'negative lambda');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1}'::float8[], true, '{"class_weight": "even"}')$$,
    '22023', 'invalid value for option "class_weight"', 'bad class_weight');
SELECT throws_ok($$SELECT ecomml.train_logreg(array_fill(g::float8, ARRAY[5000]), g % 2 = 0, '{"solver": "newton"}') FROM generate_series(1, 2) g$$,
    '54000', 'solver "newton" supports at most 4095 features, not 5000', 'explicit Newton on too many features');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1}'::float8[], true, '{"solver": "sgd"}')$$,
    '22023', 'invalid value for option "solver"', 'bad solver');
SELECT throws_ok($$SELECT ecomml.train_logreg('{1}'::float8[], true, '{"impute": "zero"}')$$,
    '22023', 'invalid value for option "impute"', 'bad impute');
SELECT throws_ok($$SELECT ecomml.train_iforest(x) FROM fx_fraud_gauss WHERE false$$,
    '22000', 'cannot train an iforest model on zero rows', 'iforest on zero rows');
SELECT throws_ok($$SELECT ecomml.train_iforest(x) FROM (VALUES ('{1,2}'::float8[]), ('{1}')) v(x)$$,
    '2202E', 'train_iforest features have 1 elements, expected 2', 'iforest mismatched lengths');
SELECT throws_ok($$SELECT ecomml.train_iforest('{1}'::float8[], '{"sample_size": 1}')$$,
    '22023', 'option "sample_size" is out of range: 1', 'iforest sample_size too small');
SELECT throws_ok($$SELECT ecomml.train_iforest('{1,NULL}'::float8[])$$,
    '22004', 'train_iforest feature 2 is NULL', 'iforest NULL element');
SELECT throws_ok($$SELECT ecomml.score(ecomml.train_mean(1.0), '{1}')$$,
    '22023', 'expected a logreg, iforest or gbdt model, got a constant model', 'score of a constant model');
SELECT throws_ok($$SELECT ecomml.score(lr, '{1,2}') FROM m$$,
    '2202E', 'score features have 2 elements, expected 5', 'score with the wrong length');
SELECT throws_ok($$SELECT ecomml.score(iso, '{1,NaN,1,1}') FROM m$$,
    '22000', 'score feature 2 must be finite, not NaN', 'score of NaN');
SELECT throws_ok($$SELECT ecomml.score(lr, '{1,NULL,1,1,1}') FROM m$$,
    '22004', 'score feature 2 is NULL', 'score with a NULL element');
SELECT throws_ok($$SELECT * FROM ecomml.explain_score((SELECT ecomml.train_mean(1.0)), '{1}')$$,
    '22023', 'expected a logreg, iforest or gbdt model, got a constant model', 'explain_score of a constant model');
SELECT throws_ok($$SELECT ecomml.roc_auc(s, true) FROM (VALUES ('NaN'::float8)) v(s)$$,
    '22000', 'score must not be NaN', 'roc_auc of NaN');
SELECT throws_ok($$SELECT ecomml.binary_metrics(0.5, true, NULL)$$,
    '22004', 'binary_metrics threshold must not be NULL', 'NULL threshold');
SELECT throws_ok($$SELECT ecomml.binary_metrics(0.5, true, t) FROM (VALUES (0.1), (0.2)) v(t)$$,
    '22023', 'binary_metrics threshold must be the same on every row: 0.1, then 0.2', 'varying threshold');

-- parallel plans: partial states in workers, combined in the leader
CREATE TEMP TABLE serial AS
SELECT (SELECT ecomml.train_logreg(x, is_fraud) FROM fx_fraud_tx) AS lr,
       (SELECT ecomml.roc_auc(x[1], is_fraud) FROM fx_fraud_tx) AS auc;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT ok(pg_temp.plan_text('SELECT ecomml.train_logreg(x, is_fraud) FROM fx_fraud_tx') ~ 'Partial Aggregate'
      AND pg_temp.plan_text('SELECT ecomml.train_iforest(x) FROM fx_fraud_gauss') ~ 'Partial Aggregate'
      AND pg_temp.plan_text('SELECT ecomml.roc_auc(x[1], is_fraud), ecomml.binary_metrics(x[1], is_fraud, 0) FROM fx_fraud_tx') ~ 'Partial Aggregate',
    'training and metric aggregates run partially in workers');
SELECT ok((SELECT bool_and(abs(pg_temp.coef(p.lr, i) - pg_temp.coef(s.lr, i)) < 1e-9)
           FROM (SELECT ecomml.train_logreg(x, is_fraud) AS lr FROM fx_fraud_tx) p, serial s, generate_series(1, 5) i),
    'parallel logreg equals serial (same rows, sums in another order)');
SELECT ok((SELECT ecomml.roc_auc(x[1], is_fraud) FROM fx_fraud_tx) = (SELECT auc FROM serial),
    'parallel roc_auc equals serial exactly');
SELECT cmp_ok((SELECT ecomml.roc_auc(ecomml.score(p.m, x), outlier)
               FROM fx_fraud_gauss, (SELECT ecomml.train_iforest(x, '{"seed": 7}') AS m FROM fx_fraud_gauss) p),
    '>=', 0.97::float8, 'parallel iforest (merged reservoirs) keeps AUC >= 0.97');

SELECT * FROM finish();
ROLLBACK;
