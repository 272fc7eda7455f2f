-- Customer lifetime value (BG/NBD + Gamma-Gamma) and association rules.

-- 60 customers with deterministic histories: customer c orders every (c % 7 + 1)
-- weeks from week c % 20 for (c % 5) + 1 orders, amounts around 20 + c % 9
CREATE TABLE clv_orders AS
SELECT c AS customer_id,
       timestamptz '2025-01-06 10:00+00' + ((c % 20) + k * (c % 7 + 1)) * interval '1 week' AS ordered_at,
       round((20 + c % 9 + 5 * sin(c * k))::numeric, 2)::float8 AS amount
FROM generate_series(1, 60) c, generate_series(0, 4) k
WHERE k <= c % 5;
-- two orders on one day are one purchase
INSERT INTO clv_orders VALUES (1, '2025-01-13 18:00+00', 5);
SELECT ecomml.train_clv(customer_id, ordered_at, amount, '{"end": "2025-09-01 00:00+00", "penalizer": 0.001}') AS clv_model
FROM clv_orders \gset
SELECT key, round(value::numeric, 3) AS value
FROM jsonb_each_text(ecomml.model_info(:'clv_model'))
WHERE key IN ('r', 'alpha', 'a', 'b', 'p', 'q', 'v') ORDER BY key;
SELECT ecomml.model_info(:'clv_model') - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes'
       - ARRAY['r', 'alpha', 'a', 'b', 'p', 'q', 'v', 'r_se', 'alpha_se', 'a_se', 'b_se', 'p_se', 'q_se', 'v_se',
               'bgnbd_log_likelihood', 'gamma_gamma_log_likelihood', 'bgnbd_iterations',
               'gamma_gamma_iterations', 'frequency_spend_correlation'] AS info;
SELECT customer_id, frequency, round(recency::numeric, 2) AS recency, round("T"::numeric, 2) AS "T",
       round(monetary::numeric, 2) AS monetary, round(p_alive::numeric, 3) AS p_alive,
       round(expected_purchases::numeric, 3) AS purchases_52w, round(clv::numeric, 2) AS clv_52w
FROM ecomml.customer_value(:'clv_model', 52) ORDER BY customer_id LIMIT 6;
SELECT round(ecomml.p_alive(:'clv_model', 3, 10, 30)::numeric, 4) AS p_alive,
       round(ecomml.expected_purchases(:'clv_model', 3, 10, 30, 26)::numeric, 4) AS purchases_26w,
       round(ecomml.expected_spend(:'clv_model', 3, 25)::numeric, 4) AS spend,
       round(ecomml.clv(:'clv_model', 3, 10, 30, 25, 26, 0.005)::numeric, 4) AS clv_26w;
-- errors
SELECT ecomml.train_clv(customer_id, ordered_at, -amount) FROM clv_orders;
SELECT ecomml.train_clv(customer_id, ordered_at, amount, '{"time_unit": "fortnight"}') FROM clv_orders;
SELECT ecomml.train_clv(customer_id, ordered_at, amount) FROM clv_orders WHERE false;
SELECT ecomml.p_alive(:'clv_model', 2, 10, 5);
SELECT ecomml.clv(:'clv_model', 2, 1, 5, 10, 52, 1.5);

-- Association rules: 40 baskets; 1 and 2 go together, 3 joins them half of the time
CREATE TABLE baskets AS
SELECT b AS basket_id, i AS item_id
FROM generate_series(1, 40) b,
     LATERAL (SELECT unnest(CASE WHEN b % 4 = 0 THEN ARRAY[1, 2, 3] WHEN b % 4 = 1 THEN ARRAY[1, 2]
                                 WHEN b % 4 = 2 THEN ARRAY[1, 4 + b % 3] ELSE ARRAY[2, 5] END)) t(i);
SELECT ecomml.train_association_rules(basket_id, item_id, '{"min_support": 0.2, "min_confidence": 0.5}') AS rules_model
FROM baskets \gset
SELECT ecomml.model_info(:'rules_model') - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes' AS info;
SELECT antecedent, consequent, support, round(confidence::numeric, 4) AS confidence,
       round(lift::numeric, 4) AS lift, count
FROM ecomml.association_rules(:'rules_model');
SELECT item, round(confidence::numeric, 4) AS confidence, round(lift::numeric, 4) AS lift, antecedent
FROM ecomml.frequently_bought_with(:'rules_model', ARRAY[1], 3);
-- errors
SELECT ecomml.train_association_rules(basket_id, item_id, '{"min_support": 0}') FROM baskets;
SELECT ecomml.train_association_rules(basket_id, item_id, '{"min_confidence": 1.2}') FROM baskets;
SELECT * FROM ecomml.frequently_bought_with(:'rules_model', ARRAY[1], 3, 'price');
