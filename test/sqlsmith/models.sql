-- What SQLsmith (test/sqlsmith.sh) gets to call ecomml with: small tables of
-- every argument type ecomml takes, and one saved model of every kind, so that
-- random queries reach the decoders and scoring paths with real models.
CREATE TABLE public.smith_rows AS
SELECT g::bigint AS id, (g % 17)::bigint AS item, (g % 5 + 1)::float8 AS rating,
       ARRAY[g % 7, g % 3, g / 10.0]::float8[] AS features, g % 2 = 0 AS label,
       timestamptz '2025-01-01' + g * interval '1 day' AS at,
       to_tsvector('english', CASE WHEN g % 2 = 0 THEN 'red shoe sale' ELSE 'blue shirt refund' END) AS doc,
       CASE WHEN g % 2 = 0 THEN 'sale' ELSE 'refund' END AS topic,
       ARRAY[g, g + 1, g % 17]::bigint[] AS ids,
       '{}'::jsonb AS options
FROM generate_series(1, 60) g;

CREATE TABLE public.smith_models (kind text PRIMARY KEY, model bytea NOT NULL);
INSERT INTO public.smith_models
SELECT 'constant', ecomml.train_mean(rating) FROM smith_rows
UNION ALL SELECT 'als', ecomml.train_als(id % 12, item, rating, '{"factors": 4, "iterations": 3}') FROM smith_rows
UNION ALL SELECT 'als_implicit', ecomml.train_als_implicit(id % 12, item, rating, '{"factors": 4, "iterations": 3}') FROM smith_rows
UNION ALL SELECT 'item_knn', ecomml.train_item_knn(id % 12, item, rating) FROM smith_rows
UNION ALL SELECT 'forecast', ecomml.fit_forecast(at, rating + id % 7) FROM smith_rows
UNION ALL SELECT 'logreg', ecomml.train_logreg(features, label) FROM smith_rows
UNION ALL SELECT 'iforest', ecomml.train_iforest(features, '{"trees": 10}') FROM smith_rows
UNION ALL SELECT 'graph', ecomml.build_graph(id, id % 60 + 1, rating, rating) FROM smith_rows
UNION ALL SELECT 'kmeans', ecomml.train_kmeans(features, '{"k": 3}') FROM smith_rows
UNION ALL SELECT 'elasticity', ecomml.train_elasticity(rating + id % 3, 100 / rating, NULL) FROM smith_rows
UNION ALL SELECT 'text_nb', ecomml.train_text_classifier(doc, topic) FROM smith_rows
UNION ALL SELECT 'gbdt', ecomml.train_gbdt(features, label, '{"rounds": 5}') FROM smith_rows
UNION ALL SELECT 'ease', ecomml.train_ease(id % 12, item, rating) FROM smith_rows
UNION ALL SELECT 'clv', ecomml.train_clv(id % 12, at, rating) FROM smith_rows
UNION ALL SELECT 'assoc_rules', ecomml.train_association_rules(id % 12, item, '{"min_support": 0.2}') FROM smith_rows
UNION ALL SELECT 'graph_ch', ecomml.contract_graph(ecomml.build_graph(id, id % 60 + 1, rating, rating)) FROM smith_rows;
SELECT ecomml.model_save(kind, model) FROM public.smith_models;
ANALYZE public.smith_rows, public.smith_models;
