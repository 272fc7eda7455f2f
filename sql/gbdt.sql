-- Gradient-boosted trees: fraud-like interactions, Poisson counts, explanations (doc/fraud.md)
SET extra_float_digits = 0;
-- fraud when the amount is high AND it is night, or on a new device with a burst
CREATE TEMP TABLE tx AS
SELECT i AS id,
       ((i % 13) >= 9 AND i % 4 = 0) OR (i % 7 = 0 AND (i % 5) >= 3) AS fraud,
       ARRAY[(i % 13)::float8, (i % 4 = 0)::int, (i % 7 = 0)::int,
             CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 5)::float8 END]::float8[] AS x
FROM generate_series(1, 2000) i;

CREATE TEMP TABLE m AS
SELECT ecomml.train_gbdt(x, fraud, '{"rounds": 30, "max_depth": 3, "learning_rate": 0.3}') AS trees,
       ecomml.train_logreg(x, fraud, '{"impute": "mean"}') AS linear
FROM tx;
SELECT info->>'kind' AS kind, info->>'objective' AS objective, info->>'trees' AS trees,
       info->>'rows' AS rows, info->>'depth' AS depth, info->'importance_splits' AS splits
FROM (SELECT ecomml.model_info(trees) AS info FROM m) i;

-- trees find the interactions a linear model cannot
SELECT round(ecomml.roc_auc(ecomml.score(trees, x), fraud)::numeric, 4) AS trees_auc,
       round(ecomml.roc_auc(ecomml.score(linear, x), fraud)::numeric, 4) AS linear_auc
FROM tx, m;
SELECT id, fraud, round(ecomml.score(trees, x)::numeric, 3) AS p
FROM tx, m WHERE id IN (12, 36, 35, 70, 77, 5) ORDER BY id;

-- TreeSHAP: contributions plus expected_margin give the logit of the score
SELECT feature, round(contribution::numeric, 3) AS contribution
FROM m, ecomml.explain_score(trees, '{12, 1, 0, NULL}');
SELECT round((s.total + (ecomml.model_info(trees)->>'expected_margin')::float8
              - ln(p / (1 - p)))::numeric, 10) AS additivity_gap
FROM m, LATERAL (SELECT ecomml.score(trees, '{12, 1, 0, NULL}') AS p) sc,
     LATERAL (SELECT sum(contribution) AS total FROM ecomml.explain_score(trees, '{12, 1, 0, NULL}')) s;

-- Poisson: units sold per SKU-day
CREATE TEMP TABLE demand AS
SELECT i AS id, ARRAY[(i % 7)::float8, (i % 3)::float8]::float8[] AS x,
       ((i % 7 + 1) * (1 + (i % 3 = 0)::int) + (i % 2))::float8 AS units
FROM generate_series(1, 1000) i;
SELECT round(ecomml.score(m, '{6, 0}')::numeric, 2) AS saturday_promo,
       round(ecomml.score(m, '{0, 1}')::numeric, 2) AS monday_plain,
       ecomml.model_info(m)->>'objective' AS objective
FROM (SELECT ecomml.train_gbdt(x, units, '{"objective": "poisson", "rounds": 100, "learning_rate": 0.3}') AS m FROM demand) t;

-- early stopping
SELECT (info->>'trees')::int < 200 AS stopped_early, info->>'validation_metric' AS metric,
       jsonb_array_length(info->'validation_curve') - (info->>'best_round')::int AS rounds_past_best
FROM (SELECT ecomml.model_info(ecomml.train_gbdt(x, fraud, '{"rounds": 200, "learning_rate": 0.5,
        "validation_fraction": 0.25, "early_stopping_rounds": 8}')) AS info FROM tx) i;

-- errors
SELECT ecomml.train_gbdt(x, fraud, '{"objective": "poisson"}') FROM tx;
SELECT ecomml.train_gbdt(x, -1::float8, '{"objective": "poisson"}') FROM tx;
SELECT ecomml.train_gbdt(x, fraud, '{"max_depth": 40}') FROM tx;
SELECT ecomml.score(trees, '{1, 2, 3}') FROM m;
