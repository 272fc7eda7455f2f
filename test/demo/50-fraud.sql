-- ecomml demo: fraud scoring on shop.transactions, and a Poisson demand model (doc/fraud.md)
\pset footer off
\echo
\echo '== Fraud: features per transaction (amount, its z-score within the customer, night, new device,'
\echo '   the card''s transactions in the last hour and its spend in the last day)'
CREATE TEMP VIEW tx_features AS
SELECT tx_id, is_fraud, tx_id % 10 < 7 AS training,
       ARRAY[amount,
             (amount - avg(amount) OVER w) / nullif(stddev_pop(amount) OVER w, 0),
             (hour < 6)::int,
             new_device,
             count(*) OVER card_hour,
             sum(amount) OVER card_day]::float8[] AS features
FROM shop.transactions
WINDOW w AS (PARTITION BY customer_id),
       card_hour AS (PARTITION BY card_id ORDER BY ts RANGE BETWEEN interval '1 hour' PRECEDING AND CURRENT ROW),
       card_day AS (PARTITION BY card_id ORDER BY ts RANGE BETWEEN interval '1 day' PRECEDING AND CURRENT ROW);
SELECT count(*) AS transactions, count(*) FILTER (WHERE is_fraud) AS chargebacks,
       round(100.0 * avg(is_fraud::int), 2) AS fraud_pct,
       count(*) FILTER (WHERE training) AS training_rows
FROM tx_features;

\echo '== Three models on the same 70% of the rows: logistic regression, gradient-boosted trees'
\echo '   (early stopping on a held-out 20% of those), and an isolation forest (no labels)'
SELECT ecomml.model_save('fraud_logreg', ecomml.train_logreg(features, is_fraud,
                                                                '{"class_weight": "balanced", "impute": "mean"}')) AS logreg_version,
       ecomml.model_save('fraud_gbdt', ecomml.train_gbdt(features, is_fraud,
                                                            '{"rounds": 500, "max_depth": 3, "learning_rate": 0.1,
                                                              "validation_fraction": 0.2, "early_stopping_rounds": 50, "seed": 7}')) AS gbdt_version,
       ecomml.model_save('fraud_iforest', ecomml.train_iforest(features, '{"seed": 1}')) AS iforest_version
FROM tx_features WHERE training;
SELECT name, params->>'trees' AS trees, params->>'best_round' AS best_round,
       round((params->>'best_validation')::numeric, 4) AS validation_log_loss
FROM ecomml.model WHERE name = 'fraud_gbdt' AND active;

\echo '== Ranking quality on the 30% held out: trees find the interaction and the bursts'
WITH s AS (
    SELECT is_fraud,
           ecomml.score(ecomml.model('fraud_logreg'), features) AS logreg,
           ecomml.score(ecomml.model('fraud_gbdt'), features) AS gbdt,
           ecomml.score(ecomml.model('fraud_iforest'), features) AS iforest
    FROM tx_features WHERE NOT training)
SELECT model, round(auc::numeric, 4) AS roc_auc, round(ap::numeric, 4) AS average_precision
FROM (SELECT 'gbdt' AS model, ecomml.roc_auc(gbdt, is_fraud) AS auc, ecomml.pr_auc(gbdt, is_fraud) AS ap FROM s
      UNION ALL
      SELECT 'logreg', ecomml.roc_auc(logreg, is_fraud), ecomml.pr_auc(logreg, is_fraud) FROM s
      UNION ALL
      SELECT 'iforest', ecomml.roc_auc(iforest, is_fraud), ecomml.pr_auc(iforest, is_fraud) FROM s) m;

\echo '== Which features the trees use (total gain of their splits)'
SELECT (ARRAY['amount', 'amount_z', 'night', 'new_device', 'card_tx_1h', 'card_spend_24h'])[n] AS feature,
       round(gain::numeric, 1) AS gain, splits::int
FROM ecomml.model m,
     LATERAL jsonb_array_elements_text(m.params->'importance_gain') WITH ORDINALITY g(gain, n)
     JOIN LATERAL jsonb_array_elements_text(m.params->'importance_splits') WITH ORDINALITY c(splits, n2) ON n2 = n
WHERE m.name = 'fraud_gbdt' AND m.active
ORDER BY gain::float8 DESC;

\echo '== Choosing a threshold for the trees from binary_metrics (held-out rows)'
SELECT t AS threshold, m->>'tp' AS tp, m->>'fp' AS fp, m->>'fn' AS fn,
       round((m->>'precision')::numeric, 3) AS precision, round((m->>'recall')::numeric, 3) AS recall,
       round((m->>'f1')::numeric, 3) AS f1
FROM (SELECT t, ecomml.binary_metrics(ecomml.score(ecomml.model('fraud_gbdt'), features), is_fraud, t) AS m
      FROM tx_features, (VALUES (0.1), (0.3), (0.5)) th(t) WHERE NOT training GROUP BY t) x
ORDER BY t;

\echo '== The riskiest held-out transactions, and why the top one scores high (TreeSHAP, in log-odds)'
SELECT f.tx_id, f.is_fraud, round(ecomml.score(ecomml.model('fraud_gbdt'), f.features)::numeric, 4) AS p_gbdt,
       round(ecomml.score(ecomml.model('fraud_logreg'), f.features)::numeric, 4) AS p_logreg,
       t.amount, t.hour, t.new_device, f.features[5] AS card_tx_1h
FROM tx_features f JOIN shop.transactions t USING (tx_id)
WHERE NOT f.training ORDER BY p_gbdt DESC, f.tx_id LIMIT 5;
CREATE TEMP TABLE riskiest AS
SELECT features FROM tx_features WHERE NOT training
ORDER BY ecomml.score(ecomml.model('fraud_gbdt'), features) DESC, tx_id LIMIT 1;
SELECT (ARRAY['amount', 'amount_z', 'night', 'new_device', 'card_tx_1h', 'card_spend_24h'])[feature] AS feature,
       round(contribution::numeric, 3) AS contribution
FROM riskiest, ecomml.explain_score(ecomml.model('fraud_gbdt'), features);
\echo '-- the base value (the training rows'' mean log-odds) plus the contributions is the log-odds of the score'
SELECT round((ecomml.model_info(ecomml.model('fraud_gbdt'))->>'expected_margin')::numeric, 3) AS base_value,
       round(s.total::numeric, 3) AS contributions,
       round(((ecomml.model_info(ecomml.model('fraud_gbdt'))->>'expected_margin')::float8 + s.total)::numeric, 3) AS log_odds,
       round(ln(p / (1 - p))::numeric, 3) AS logit_of_score
FROM riskiest,
     LATERAL (SELECT ecomml.score(ecomml.model('fraud_gbdt'), features) AS p) sc,
     LATERAL (SELECT sum(contribution) AS total FROM ecomml.explain_score(ecomml.model('fraud_gbdt'), features)) s;

\echo
\echo '== Demand: units sold per SKU-day with a Poisson objective (train to 2026-08-31, test after)'
CREATE TEMP TABLE sku_days AS
SELECT sku, day, qty,
       ARRAY[sku, extract(dow FROM day), day - date '2025-01-01',
             lag(qty, 7) OVER s, avg(qty) OVER (s ROWS BETWEEN 28 PRECEDING AND 1 PRECEDING)]::float8[] AS x
FROM shop.daily_sales
WINDOW s AS (PARTITION BY sku ORDER BY day);
SELECT ecomml.model_save('demand_gbdt', ecomml.train_gbdt(x, qty, '{"objective": "poisson", "rounds": 200, "learning_rate": 0.1}')) AS version
FROM sku_days WHERE day <= date '2026-08-31' AND day >= date '2025-01-08';
\echo '-- mean Poisson deviance on Sept-Oct 2026 (lower is better): trees vs each SKU''s training mean'
WITH sku_mean AS (SELECT sku, avg(qty) AS mu FROM sku_days WHERE day <= date '2026-08-31' GROUP BY sku),
     t AS (SELECT d.qty AS y, ecomml.score(ecomml.model('demand_gbdt'), d.x) AS trees, m.mu AS baseline
           FROM sku_days d JOIN sku_mean m USING (sku) WHERE d.day > date '2026-08-31')
SELECT round(avg(2 * (CASE WHEN y > 0 THEN y * ln(y / trees) ELSE 0 END - (y - trees)))::numeric, 3) AS gbdt_deviance,
       round(avg(2 * (CASE WHEN y > 0 THEN y * ln(y / baseline) ELSE 0 END - (y - baseline)))::numeric, 3) AS sku_mean_deviance
FROM t;
SELECT day, sku, qty AS actual, round(ecomml.score(ecomml.model('demand_gbdt'), x)::numeric, 1) AS predicted
FROM sku_days WHERE day BETWEEN date '2026-10-25' AND date '2026-10-27' AND sku IN (3, 5) ORDER BY sku, day;
