-- Fraud scoring: logistic regression, isolation forest, metrics (doc/fraud.md)
SET extra_float_digits = 0;
CREATE TEMP TABLE tx AS
SELECT i AS id, (i % 10 = 0) AS fraud,
       ARRAY[CASE WHEN i % 10 = 0 THEN 3 + (i % 7) * 0.3 ELSE (i % 13) * 0.2 END,
             (i % 3)::float8,
             CASE WHEN i % 10 = 0 OR i % 17 = 0 THEN 1 ELSE 0 END]::float8[] AS x
FROM generate_series(1, 500) i;

-- supervised: probabilities, model_info
CREATE TEMP TABLE lr AS SELECT ecomml.train_logreg(x, fraud, '{"lambda": 1}') AS m FROM tx;
SELECT info->>'kind' AS kind, info->>'features' AS features, info->>'rows' AS rows,
       info->>'positives' AS positives, info->>'converged' AS converged,
       round((info->>'train_auc')::numeric, 4) AS train_auc,
       round((info->>'log_loss')::numeric, 4) AS log_loss
FROM (SELECT ecomml.model_info(m) AS info FROM lr) i;
SELECT id, fraud, round(ecomml.score(m, x)::numeric, 3) AS p
FROM tx, lr WHERE id IN (10, 11, 17, 20) ORDER BY id;
SELECT feature, round(contribution::numeric, 3) AS contribution
FROM lr, ecomml.explain_score(m, '{4.0, 1, 1}');

-- class weights and imputation
SELECT (ecomml.model_info(ecomml.train_logreg(x, fraud, '{"class_weight": "balanced"}'))->>'class_weight') AS balanced
FROM tx;
SELECT round(ecomml.score(ecomml.train_logreg(x, fraud, '{"impute": "mean"}'), '{NULL, 1, 0}')::numeric, 3) AS imputed
FROM tx;

-- constant features: kept with coefficient 0, one warning
SELECT ecomml.model_info(ecomml.train_logreg(x || ARRAY[1.0, 2.0]::float8[], fraud))->>'constant_features' AS constant_features
FROM tx;
SELECT ecomml.model_info(ecomml.train_logreg(x, fraud, '{"solver": "lbfgs", "lambda": 1}'))->>'solver' AS solver FROM tx;

-- unsupervised
CREATE TEMP TABLE iso AS SELECT ecomml.train_iforest(x, '{"trees": 50, "seed": 1}') AS m FROM tx;
SELECT info->>'kind' AS kind, info->>'trees' AS trees, info->>'rows_per_tree' AS rows_per_tree,
       info->>'height_limit' AS height_limit
FROM (SELECT ecomml.model_info(m) AS info FROM iso) i;
SELECT ecomml.score(m, '{20, 1, 1}') > ecomml.score(m, '{1, 1, 0}') AS outlier_scores_higher FROM iso;

-- metrics
SELECT round(ecomml.roc_auc(ecomml.score(lr.m, x), fraud)::numeric, 4) AS logreg_auc,
       round(ecomml.pr_auc(ecomml.score(lr.m, x), fraud)::numeric, 4) AS logreg_ap,
       round(ecomml.roc_auc(ecomml.score(iso.m, x), fraud)::numeric, 4) AS iforest_auc
FROM tx, lr, iso;
SELECT ecomml.binary_metrics(s, l, 0.5)
FROM (VALUES (0.9, true), (0.7, false), (0.5, true), (0.2, true), (0.1, false)) v(s, l);
SELECT ecomml.roc_auc(s, l) AS auc, ecomml.pr_auc(s, l) AS ap
FROM (VALUES (0.8, true), (0.8, false), (0.3, true), (0.1, false)) v(s, l);

-- errors
SELECT ecomml.train_logreg(x, true) FROM tx;
SELECT ecomml.train_logreg(x, l) FROM (VALUES ('{1,2}'::float8[], true), ('{1}', false)) v(x, l);
SELECT ecomml.score(m, '{1, 2}') FROM lr;
SELECT ecomml.score(ecomml.train_mean(1.0), '{1}');
SELECT ecomml.train_iforest('{1}'::float8[], '{"trees": 0}');
