-- ecomml demo: fraud scoring on shop.transactions (doc/fraud.md)
\pset footer off
\echo
\echo '== Fraud: features per transaction (amount, its z-score within the customer, night, new device)'
CREATE TEMP VIEW tx_features AS
SELECT tx_id, is_fraud,
       ARRAY[amount,
             (amount - avg(amount) OVER w) / nullif(stddev_pop(amount) OVER w, 0),
             (hour < 6)::int,
             new_device]::float8[] AS features
FROM shop.transactions
WINDOW w AS (PARTITION BY customer_id);
SELECT count(*) AS transactions, count(*) FILTER (WHERE is_fraud) AS chargebacks FROM tx_features;

\echo '== Supervised: logistic regression with balanced class weights, and an isolation forest (no labels)'
SELECT ecomml.model_save('fraud_logreg', ecomml.train_logreg(features, is_fraud,
                                                                '{"class_weight": "balanced", "impute": "mean"}')) AS logreg_version,
       ecomml.model_save('fraud_iforest', ecomml.train_iforest(features, '{"seed": 1}')) AS iforest_version
FROM tx_features;
SELECT name, params->>'iterations' AS newton_iterations,
       round((params->>'train_auc')::numeric, 4) AS train_auc,
       round((params->>'log_loss')::numeric, 4) AS log_loss
FROM ecomml.model WHERE name = 'fraud_logreg' AND active;

\echo '== Ranking quality: ROC AUC and average precision of both scores'
WITH s AS (
    SELECT is_fraud,
           ecomml.score(ecomml.model('fraud_logreg'), features) AS p,
           ecomml.score(ecomml.model('fraud_iforest'), features) AS anomaly
    FROM tx_features)
SELECT round(ecomml.roc_auc(p, is_fraud)::numeric, 4) AS logreg_auc,
       round(ecomml.pr_auc(p, is_fraud)::numeric, 4) AS logreg_ap,
       round(ecomml.roc_auc(anomaly, is_fraud)::numeric, 4) AS iforest_auc,
       round(ecomml.pr_auc(anomaly, is_fraud)::numeric, 4) AS iforest_ap
FROM s;

\echo '== Choosing a threshold from binary_metrics'
SELECT t AS threshold, m->>'tp' AS tp, m->>'fp' AS fp, m->>'fn' AS fn,
       round((m->>'precision')::numeric, 3) AS precision, round((m->>'recall')::numeric, 3) AS recall,
       round((m->>'f1')::numeric, 3) AS f1
FROM (SELECT t, ecomml.binary_metrics(ecomml.score(ecomml.model('fraud_logreg'), features), is_fraud, t) AS m
      FROM tx_features, (VALUES (0.5), (0.9), (0.99)) th(t) GROUP BY t) x
ORDER BY t;

\echo '== The riskiest transactions, and why the top one scores high'
SELECT tx_id, is_fraud, round(ecomml.score(ecomml.model('fraud_logreg'), features)::numeric, 4) AS p_fraud
FROM tx_features ORDER BY p_fraud DESC, tx_id LIMIT 5;
SELECT (ARRAY['amount', 'amount_z', 'night', 'new_device'])[feature] AS feature, round(contribution::numeric, 3) AS contribution
FROM ecomml.explain_score(ecomml.model('fraud_logreg'),
                          (SELECT features FROM tx_features
                           ORDER BY ecomml.score(ecomml.model('fraud_logreg'), features) DESC, tx_id LIMIT 1));
