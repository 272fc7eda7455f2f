-- ecomml demo: customer analytics on the sample shop.
\pset footer off
\echo
\echo '== Customer features: orders, spend, average basket, share of night orders'
\set QUIET on
CREATE TEMP TABLE cust_features AS
SELECT customer_id,
       ARRAY[count(*), sum(amount), avg(amount), avg((hour < 6)::int)]::float8[] AS x
FROM shop.transactions GROUP BY customer_id;
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
