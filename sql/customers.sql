-- Customer analytics: k-means segmentation, RFM, price elasticity.

-- k-means: three planted groups on a deterministic grid of offsets
CREATE TABLE km AS
SELECT g, ARRAY[cx + 0.5 * sin(g), cy + 0.5 * cos(3 * g)]::float8[] AS x
FROM generate_series(1, 90) g,
     LATERAL (VALUES ((ARRAY[0, 10, 0])[1 + g % 3], (ARRAY[0, 10, 10])[1 + g % 3])) c(cx, cy);
SELECT ecomml.train_kmeans(x, '{"k": 3, "seed": 1}') AS km_model FROM km \gset
SELECT cluster, (SELECT array_agg(round(v::numeric, 2)) FROM unnest(center) v) AS center, size
FROM ecomml.cluster_centers(:'km_model') ORDER BY cluster;
SELECT ecomml.model_info(:'km_model') - 'model_id' - 'created_at' - 'inertia' - 'iterations' AS info;
SELECT round((ecomml.model_info(:'km_model')->>'inertia')::numeric, 4) AS inertia;
-- every planted group lands in one cluster
SELECT g % 3 AS planted, array_agg(DISTINCT ecomml.assign_cluster(:'km_model', x)) AS clusters
FROM km GROUP BY 1 ORDER BY 1;
SELECT ecomml.assign_cluster(:'km_model', '{9.5, 9.2}') AS near_10_10;
-- standardize: centers still come back in input units
SELECT cluster, (SELECT array_agg(round(v::numeric, 2)) FROM unnest(center) v) AS center, size
FROM ecomml.cluster_centers((SELECT ecomml.train_kmeans(ARRAY[x[1], 100 * x[2]], '{"k": 3, "standardize": true}') FROM km))
ORDER BY cluster;
-- errors
SELECT ecomml.train_kmeans(x, '{"k": 100}') FROM km;
SELECT ecomml.train_kmeans(x, '{"clusters": 3}') FROM km;
SELECT ecomml.train_kmeans(x) FROM km WHERE false;
SELECT ecomml.train_kmeans(x) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(x);
SELECT ecomml.train_kmeans(x) FROM (VALUES ('{1,NaN}'::float8[])) v(x);
SELECT ecomml.assign_cluster(:'km_model', '{1}');
SELECT ecomml.assign_cluster(ecomml.train_mean(1), '{1,2}');
