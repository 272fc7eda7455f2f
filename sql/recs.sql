-- Recommendations: the worked example of doc/recommendations.md.
SET client_min_messages = warning;
SET extra_float_digits = 0;

-- 40 customers and 24 products in 4 segments: customers buy within their
-- segment (4-5 of its 6 products).  Every fifth purchase is held out to evaluate.
CREATE TABLE purchases AS
SELECT u AS customer_id, i AS product_id, (1 + (u * i) % 3)::float8 AS qty,
       (u + 2 * i) % 5 = 0 AS held_out
FROM generate_series(1, 40) u, generate_series(1, 24) i
WHERE u % 4 = i % 4 AND (u + i) % 3 <> 0;
SELECT count(*) AS purchases, count(*) FILTER (WHERE held_out) AS held_out FROM purchases;

-- Train and save: one statement each.
SELECT ecomml.model_save('shop_recs',
         ecomml.train_als_implicit(customer_id, product_id, qty,
                                   '{"factors": 4, "iterations": 10, "seed": 1}')) AS version
FROM purchases WHERE NOT held_out;
SELECT ecomml.model_save('shop_knn',
         ecomml.train_item_knn(customer_id, product_id, qty, '{"neighbors": 10}')) AS version
FROM purchases WHERE NOT held_out;
SELECT name, version, kind, params->>'users' AS users, params->>'items' AS items,
       params->>'interactions' AS interactions
FROM ecomml.model ORDER BY name;

-- A view reporting tools select from.
CREATE VIEW customer_recs AS
SELECT c.customer_id, r.item_id, r.rank
FROM (SELECT DISTINCT customer_id FROM purchases) c,
     LATERAL ecomml.recommend(ecomml.model('shop_recs'), c.customer_id, 2) r;
SELECT customer_id, count(*) AS recs, bool_and(item_id % 4 = customer_id % 4) AS own_segment
FROM customer_recs WHERE customer_id <= 6 GROUP BY customer_id ORDER BY customer_id;

-- Item kNN output is exact (no floating-point BLAS), so it is shown in full;
-- kNN returns fewer than k rows when fewer unseen items are reachable.
SELECT item_id, round(score::numeric, 4) AS score, rank
FROM ecomml.recommend(ecomml.model('shop_knn'), 1, 3);
SELECT item_id, round(score::numeric, 4) AS score, rank
FROM ecomml.similar_items(ecomml.model('shop_knn'), 5, 3);
SELECT item_id, round(score::numeric, 4) AS score, rank
FROM ecomml.recommend_for_items(ecomml.model('shop_knn'), ARRAY[2, 6], 3);

-- Evaluate against the held-out purchases.
WITH relevant AS (
    SELECT customer_id, array_agg(product_id) AS items FROM purchases WHERE held_out GROUP BY customer_id
)
SELECT m.name, (x->>'users')::int AS users, round((x->>'precision')::numeric, 2) >= 0.2 AS precision_ok,
       round((x->>'hit_rate')::numeric, 2) AS hit_rate
FROM (VALUES ('shop_recs'), ('shop_knn')) m(name),
LATERAL (SELECT ecomml.ranking_metrics(
             (SELECT array_agg(r.item_id ORDER BY r.rank)
              FROM ecomml.recommend(ecomml.model(m.name), rel.customer_id, 3) r),
             rel.items, 3) AS x
         FROM relevant rel) e
ORDER BY m.name;

-- Batch recommendations for every customer in a materialized view.
CREATE MATERIALIZED VIEW all_recs AS
SELECT * FROM ecomml.recommend_all(ecomml.model('shop_recs'), 3);
SELECT count(*) AS rows, count(DISTINCT user_id) AS customers FROM all_recs;
REFRESH MATERIALIZED VIEW all_recs;

-- Explicit ratings: rating = 3 + segment match bonus; RMSE and predictions.
CREATE TABLE ratings AS
SELECT u AS customer_id, i AS product_id,
       CASE WHEN u % 4 = i % 4 THEN 4.5 ELSE 2.0 END + ((u * 7 + i * 3) % 5 - 2) * 0.1 AS rating
FROM generate_series(1, 40) u, generate_series(1, 24) i
WHERE (u * i) % 3 <> 1;
SELECT ecomml.model_save('shop_ratings',
         ecomml.train_als(customer_id, product_id, rating,
                          '{"factors": 4, "iterations": 10, "lambda": 0.05, "validation": 0.1}')) AS version
FROM ratings;
SELECT (params->>'validation_rmse')::float8 < 0.3 AS validation_rmse_ok,
       jsonb_array_length(params->'validation_rmse_history') AS iterations
FROM ecomml.model WHERE name = 'shop_ratings';
SELECT round(ecomml.rmse(ecomml.predict(ecomml.model('shop_ratings'), customer_id, product_id), rating)::numeric, 1)
       AS train_rmse_1dp
FROM ratings;
SELECT round(ecomml.predict(ecomml.model('shop_ratings'), 1, 5)::numeric, 0) AS liked,
       round(ecomml.predict(ecomml.model('shop_ratings'), 1, 6)::numeric, 0) AS disliked;

-- Unknown users get no rows; errors name the problem.
SELECT count(*) AS rows FROM ecomml.recommend(ecomml.model('shop_recs'), 999);
SELECT ecomml.train_als(1, 1, 'NaN');
SELECT ecomml.train_als_implicit(1, 1, -2);
SELECT ecomml.train_als(1, 1, 1, '{"factors": 0}');
WITH c AS (SELECT ecomml.train_mean(1) AS m) SELECT r.* FROM c, ecomml.recommend(c.m, 1) r;
