-- ecomml demo: customer analytics on the sample shop.
\pset footer off
\echo
\echo '== Customer features from the order history: orders, spend, average basket, share of night orders'
\set QUIET on
CREATE TEMP TABLE cust_features AS
SELECT customer_id,
       ARRAY[count(*), sum(amount), avg(amount),
             avg((extract(hour FROM ordered_at AT TIME ZONE 'UTC') < 6)::int)]::float8[] AS x
FROM shop.orders GROUP BY customer_id;
\set QUIET off

\echo '== k-means segmentation (k = 4, standardized features), saved in the registry'
SELECT ecomml.model_save('segments',
         ecomml.train_kmeans(x, '{"k": 4, "standardize": true, "n_init": 5, "seed": 1}')) AS version
FROM cust_features;
SELECT params->>'k' AS k, params->>'iterations' AS iterations, params->'sizes' AS sizes,
       round((params->>'inertia')::numeric, 1) AS inertia
FROM ecomml.model WHERE name = 'segments' AND active;
SELECT cluster, size,
       round(center[1]::numeric, 1) AS orders, round(center[2]::numeric, 0) AS spend,
       round(center[3]::numeric, 1) AS avg_basket, round(center[4]::numeric, 3) AS night_share
FROM ecomml.cluster_centers(ecomml.model('segments')) ORDER BY cluster;
\echo '-- segment of the first five customers'
SELECT customer_id, ecomml.assign_cluster((SELECT ecomml.model('segments')), x) AS segment
FROM cust_features ORDER BY customer_id LIMIT 5;

\echo '== RFM as of 2026-11-01'
\set QUIET on
CREATE TEMP TABLE demo_rfm AS
SELECT r.* FROM unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-11-01 00:00+00')
                        FROM shop.orders)) r;
\set QUIET off
SELECT customer_id, round(recency_days::numeric, 1) AS recency_days, frequency,
       round(monetary::numeric, 2) AS monetary, rfm
FROM demo_rfm ORDER BY rfm DESC, customer_id LIMIT 5;
\echo '-- customers per R score'
SELECT r_score, count(*) AS customers, round(avg(monetary)::numeric, 2) AS avg_monetary
FROM demo_rfm GROUP BY r_score ORDER BY r_score;

\echo '== Price elasticity per category (weekly prices varied by +-20% around list price; true -1.5 - 0.4 category)'
\set QUIET on
CREATE TEMP TABLE demo_price_sales AS
SELECT p.category, w AS week, x.price / p.price AS rel_price, (w % 4 = 0)::int::float8 AS promo,
       greatest(1, round(200 * (x.price / p.price) ^ (-1.5 - 0.4 * p.category)
                         * exp(0.3 * (w % 4 = 0)::int + 0.15 * sin(w * 12.9898 + p.product_id * 78.233))))::float8 AS units
FROM shop.products p, generate_series(1, 52) w,
     LATERAL (SELECT p.price * (0.8 + 0.4 * ((w * 37 + p.product_id * 11) % 10) / 9.0) AS price) x;
\set QUIET off
SELECT ecomml.model_save('elasticity_cat' || category,
         ecomml.train_elasticity(rel_price, units, ARRAY[promo])) AS version
FROM demo_price_sales GROUP BY category ORDER BY category;
SELECT name, round((params->>'elasticity')::numeric, 3) AS elasticity,
       round((params->>'ci_low')::numeric, 3) AS ci_low, round((params->>'ci_high')::numeric, 3) AS ci_high,
       round((params->>'r2')::numeric, 3) AS r2
FROM ecomml.model WHERE name LIKE 'elasticity_cat%' AND active ORDER BY name;
\echo '-- profit-maximizing relative price for a unit cost of 0.5 x list price, within 0.8 .. 1.2'
SELECT name, round(ecomml.optimal_price(model, 0.5, 0.8, 1.2)::numeric, 3) AS best_relative_price
FROM ecomml.model WHERE name LIKE 'elasticity_cat%' AND active ORDER BY name;

\echo '== Review sentiment: naive Bayes over tsvectors (english configuration)'
\set QUIET on
CREATE TEMP TABLE demo_reviews AS
SELECT r, s.label,
       s.opening || ' ' || (ARRAY['the product', 'this item', 'my order', 'the delivery'])[1 + r % 4]
       || ' ' || s.closing AS body
FROM generate_series(1, 300) r,
     LATERAL (SELECT (ARRAY['positive', 'negative', 'neutral'])[1 + r % 3] AS label) l,
     LATERAL (SELECT l.label,
                     CASE l.label WHEN 'positive' THEN (ARRAY['Love', 'Really happy with', 'Great,'])[1 + r % 3]
                                  WHEN 'negative' THEN (ARRAY['Disappointed by', 'Terrible:', 'Returned'])[1 + r % 3]
                                  ELSE (ARRAY['Received', 'Ordered', 'Got'])[1 + r % 3] END AS opening,
                     CASE l.label WHEN 'positive' THEN (ARRAY['works perfectly', 'excellent quality', 'will buy again'])[1 + r / 3 % 3]
                                  WHEN 'negative' THEN (ARRAY['broke after a day', 'poor quality', 'want a refund'])[1 + r / 3 % 3]
                                  ELSE (ARRAY['as described', 'on tuesday', 'nothing special'])[1 + r / 3 % 3] END AS closing) s;
\set QUIET off
SELECT ecomml.model_save('review_sentiment',
         ecomml.train_text_classifier(to_tsvector('english', body), label)) AS version
FROM demo_reviews;
SELECT params->'labels' AS labels, params->'vocabulary' AS vocabulary, params->'documents' AS documents
FROM ecomml.model WHERE name = 'review_sentiment' AND active;
SELECT t.review, c.label, round(c.probability::numeric, 3) AS probability
FROM (VALUES ('Absolutely love it, excellent quality'), ('It broke, I want my money back, refund please'),
             ('Arrived on tuesday as described')) t(review),
     LATERAL (SELECT * FROM ecomml.classify((SELECT ecomml.model('review_sentiment')),
                                            to_tsvector('english', t.review)) LIMIT 1) c;
\echo '-- the same on the text itself (words as scikit-learn''s CountVectorizer finds them, no tsvector)'
SELECT t.review, c.label, round(c.probability::numeric, 3) AS probability
FROM (VALUES ('Absolutely LOVE it, excellent quality!'), ('It broke, I want my money back, refund please'),
             ('Arrived on Tuesday as described')) t(review),
     LATERAL (SELECT * FROM ecomml.classify((SELECT ecomml.train_text_classifier(body, label) FROM demo_reviews),
                                            t.review) LIMIT 1) c;

\echo '== Customer lifetime value: BG/NBD + Gamma-Gamma, calibrated to 2026-06-30, weeks'
SELECT ecomml.model_save('clv', ecomml.train_clv(customer_id, ordered_at, amount,
                                                 '{"end": "2026-06-30 23:59:59+00"}')) AS version
FROM shop.orders;
SELECT round((params->>'r')::numeric, 3) AS r, round((params->>'alpha')::numeric, 2) AS alpha,
       round((params->>'a')::numeric, 3) AS a, round((params->>'b')::numeric, 2) AS b,
       round((params->>'p')::numeric, 2) AS p, round((params->>'q')::numeric, 2) AS q,
       round((params->>'v')::numeric, 1) AS v,
       round((params->>'frequency_spend_correlation')::numeric, 3) AS freq_spend_corr,
       params->>'customers' AS customers, params->>'orders_after_end' AS orders_after_end
FROM ecomml.model WHERE name = 'clv' AND active;
\echo '-- the 17 weeks after calibration: predicted purchase days against those that happened'
SELECT round(sum(cv.expected_purchases)::numeric, 1) AS predicted,
       (SELECT count(DISTINCT (customer_id, (ordered_at AT TIME ZONE 'UTC')::date))
        FROM shop.orders WHERE ordered_at > '2026-06-30 23:59:59+00') AS actual
FROM ecomml.customer_value((SELECT ecomml.model('clv')), 17) cv;
\echo '-- most valuable customers over the next year (1% discount per week) and their chance to be active'
SELECT customer_id, frequency, round(recency::numeric, 1) AS recency_weeks, round("T"::numeric, 1) AS age_weeks,
       round(p_alive::numeric, 3) AS p_alive, round(expected_purchases::numeric, 2) AS purchases_next_year,
       round(expected_spend::numeric, 2) AS spend_per_order, round(clv::numeric, 2) AS clv
FROM ecomml.customer_value((SELECT ecomml.model('clv')), 52, 0.01)
ORDER BY clv DESC LIMIT 5;
\echo '-- customers with several orders who have probably lapsed (p_alive < 0.2)'
SELECT count(*) AS lapsed_repeat_buyers, round(avg(monetary)::numeric, 2) AS their_avg_spend
FROM ecomml.customer_value((SELECT ecomml.model('clv'))) WHERE frequency >= 2 AND p_alive < 0.2;

\echo '== Baskets: association rules over order items (support 0.5%, confidence 30%)'
SELECT ecomml.model_save('bought_together', ecomml.train_association_rules(order_id, product_id,
         '{"min_support": 0.005, "min_confidence": 0.3}')) AS version
FROM shop.order_items;
SELECT params->>'transactions' AS baskets, params->>'frequent_itemsets' AS frequent_itemsets,
       params->>'rules' AS rules
FROM ecomml.model WHERE name = 'bought_together' AND active;
SELECT antecedent, consequent, round(support::numeric, 4) AS support,
       round(confidence::numeric, 3) AS confidence, round(lift::numeric, 1) AS lift
FROM ecomml.association_rules((SELECT ecomml.model('bought_together'))) LIMIT 6;
\echo '-- "frequently bought together" box for a cart holding products 15 and 2'
SELECT item, round(confidence::numeric, 3) AS confidence, round(lift::numeric, 1) AS lift, antecedent
FROM ecomml.frequently_bought_with((SELECT ecomml.model('bought_together')), ARRAY[15, 2], 3);
