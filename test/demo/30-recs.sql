-- ecomml demo: recommendations on the sample shop (doc/recommendations.md)
\pset footer off
SET client_min_messages = warning;

\echo '== Recommendations: explicit ALS on star ratings, implicit ALS and item kNN on "liked" items'
SELECT (SELECT ecomml.model_save('shop_als',
                 ecomml.train_als(user_id, item_id, rating,
                                  '{"factors": 8, "iterations": 10, "lambda": 0.1, "validation": 0.2, "seed": 1}'))
        FROM shop.ratings) AS als_version,
       (SELECT ecomml.model_save('shop_implicit',
                 ecomml.train_als_implicit(user_id, item_id, rating - 3, '{"factors": 8, "iterations": 10, "seed": 1}'))
        FROM shop.ratings WHERE rating >= 4) AS implicit_version,
       (SELECT ecomml.model_save('shop_knn', ecomml.train_item_knn(user_id, item_id, rating, '{"neighbors": 20}'))
        FROM shop.ratings WHERE rating >= 4) AS knn_version,
       (SELECT ecomml.model_save('shop_ease', ecomml.train_ease(user_id, item_id, 1, '{"lambda": 50}'))
        FROM shop.ratings WHERE rating >= 4) AS ease_version;
SELECT name, kind, params->>'users' AS users, params->>'items' AS items,
       params->>'interactions' AS interactions,
       round((params->>'validation_rmse')::numeric, 3) AS validation_rmse
FROM ecomml.model WHERE name LIKE 'shop\_%' AND active ORDER BY name;

\echo '== EASE with lambda "auto": the ridge chosen on held-out purchases (validation ndcg@10 of each value tried)'
SELECT i->>'lambda' AS chosen_lambda, i->'lambda_tried' AS tried,
       (SELECT jsonb_agg(round(v::numeric, 3)) FROM jsonb_array_elements_text(i->'lambda_validation_ndcg') v) AS validation_ndcg
FROM (SELECT ecomml.model_info(ecomml.train_ease(user_id, item_id, 1, '{"lambda": "auto"}')) AS i
      FROM shop.ratings WHERE rating >= 4) x;

\echo '== Top 5 for customer 1 (taste = category 1): recommended products and their category'
SELECT r.rank, r.item_id AS product_id, p.category, round(r.score::numeric, 2) AS predicted_stars
FROM ecomml.recommend(ecomml.model('shop_als'), 1, 5) r JOIN shop.products p ON p.product_id = r.item_id
ORDER BY r.rank;

\echo '== Share of top-5 recommendations in the customer''s favourite category (random: 25%)'
SELECT m.name, round(100.0 * avg((p.category = c.taste)::int), 1) AS pct_in_taste
FROM (VALUES ('shop_als'), ('shop_implicit'), ('shop_knn'), ('shop_ease')) m(name)
CROSS JOIN shop.customers c
CROSS JOIN LATERAL ecomml.recommend(ecomml.model(m.name), c.customer_id, 5) r
JOIN shop.products p ON p.product_id = r.item_id
GROUP BY m.name ORDER BY m.name;

\echo '== Basket of products 4 and 8 (category 0): what to add'
SELECT r.rank, r.item_id AS product_id, p.category
FROM ecomml.recommend_for_items(ecomml.model('shop_implicit'), ARRAY[4, 8], 5) r
JOIN shop.products p ON p.product_id = r.item_id ORDER BY r.rank;

\echo '== Explicit ALS with default options: lambda "auto" chosen on held-out ratings'
SELECT i->>'lambda' AS chosen_lambda, i->'lambda_tried' AS tried,
       (SELECT jsonb_agg(round(v::numeric, 3)) FROM jsonb_array_elements_text(i->'lambda_validation_rmse') v) AS validation_rmse,
       i->>'iterations_run' AS iterations
FROM (SELECT ecomml.model_info(ecomml.train_als(user_id, item_id, rating, '{"factors": 8}')) i FROM shop.ratings) x;

\echo '== Shop rules: customer 1 (likes category 1) on the category 2 page, products 2 and 6 out of stock'
SELECT r.rank, r.item_id AS product_id, p.category, round(r.score::numeric, 2) AS predicted_stars
FROM ecomml.recommend(ecomml.model('shop_als'), 1, 5,
         candidates => (SELECT array_agg(product_id::bigint) FROM shop.products WHERE category = 2),
         exclude => ARRAY[2, 6]::bigint[]) r
JOIN shop.products p ON p.product_id = r.item_id ORDER BY r.rank;

\echo '== A new customer (id 9999) gets the most popular products with fallback => ''popular'''
SELECT r.rank, r.item_id AS product_id, r.score AS customers_who_liked_it
FROM ecomml.recommend(ecomml.model('shop_implicit'), 9999, 3, fallback => 'popular') r ORDER BY r.rank;

\echo '== recommend_all for every customer, as a materialized view'
\set QUIET on
CREATE MATERIALIZED VIEW shop.top_recs AS
SELECT * FROM ecomml.recommend_all(ecomml.model('shop_implicit'), 10);
\set QUIET off
SELECT count(*) AS rows, count(DISTINCT user_id) AS customers FROM shop.top_recs;
