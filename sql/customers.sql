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

-- RFM: ten customers; ties share a score, 1 + floor(5 * lower / n): the
-- frequencies 1,1,1,2,2,2,3,3,3,4 score 1,1,1,2,2,2,4,4,4,5
CREATE TABLE orders (customer_id bigint, ordered_at timestamptz, amount float8);
INSERT INTO orders
SELECT c, timestamptz '2026-10-01 00:00+00' - (c * d) * interval '1 day', 10.0 * c
FROM generate_series(1, 10) c, generate_series(1, (c + 2) / 3) d;
INSERT INTO orders VALUES (1, '2026-10-05 00:00+00', 1000),  -- after as_of: ignored
                          (11, NULL, 5), (NULL, '2026-09-01', 5), (12, '2026-09-01', NULL);  -- skipped
SELECT r.* FROM unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-10-01 00:00+00')
                        FROM orders)) r;
-- the same scores from window functions
SELECT customer_id,
       1 + 5 * (rank() OVER (ORDER BY recency_days DESC) - 1) / count(*) OVER () AS r,
       1 + 5 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER () AS f,
       1 + 5 * (rank() OVER (ORDER BY monetary) - 1) / count(*) OVER () AS m
FROM unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-10-01 00:00+00') FROM orders)) r
ORDER BY customer_id;
-- segment counts, one RFM run per group
SELECT customer_id % 2 AS grp, array_length(ecomml.rfm(customer_id, ordered_at, amount, '2026-10-01 00:00+00'), 1) AS customers
FROM orders WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1;
SELECT ecomml.rfm(customer_id, ordered_at, amount, now()) FROM orders WHERE false;
SELECT ecomml.rfm(customer_id, ordered_at, amount, NULL) FROM orders;
SELECT ecomml.rfm(customer_id, ordered_at, amount, ordered_at) FROM orders WHERE ordered_at IS NOT NULL;
SELECT ecomml.rfm(1, 'infinity', 1, now());
SELECT ecomml.rfm(1, now(), 'NaN', now());

-- price elasticity: demand q = 500 p^-2 with a deterministic +-2% wobble
CREATE TABLE sales AS
SELECT p::float8 AS price, 500 * p ^ -2 * (1 + 0.02 * sin(7 * p)) AS qty, (p % 2)::float8 AS promo
FROM generate_series(5, 40) p;
SELECT ecomml.train_elasticity(price, qty) AS el_model FROM sales \gset
SELECT term, round(estimate::numeric, 4) AS estimate, round(std_error::numeric, 4) AS std_error,
       round(ci_low::numeric, 4) AS ci_low, round(ci_high::numeric, 4) AS ci_high
FROM ecomml.elasticity_coefficients(:'el_model');
SELECT i->>'kind' AS kind, i->'rows' AS rows, i->'skipped_rows' AS skipped, i->'features' AS features,
       round((i->>'elasticity')::numeric, 4) AS elasticity, round((i->>'r2')::numeric, 4) AS r2,
       i->'price_min' AS price_min, i->'price_max' AS price_max
FROM (SELECT ecomml.model_info(:'el_model') AS i) q;
-- profit-maximizing price for unit cost 4: c b / (1 + b) = 8, within bounds
SELECT round(ecomml.optimal_price(:'el_model', 4, 1, 100)::numeric, 2) AS best_price,
       round(ecomml.optimal_price(:'el_model', 4, 10, 100)::numeric, 2) AS best_price_at_least_10,
       round(ecomml.predict_demand(:'el_model', 8)::numeric, 3) AS demand_at_8;
-- with a feature; predict_demand uses the training mean when features are omitted
SELECT round(ecomml.predict_demand(m, 10)::numeric, 3) AS at_mean,
       round(ecomml.predict_demand(m, 10, '{1}')::numeric, 3) AS with_promo
FROM (SELECT ecomml.train_elasticity(price, qty, ARRAY[promo]) AS m FROM sales) q;
SELECT ecomml.train_elasticity(price, 0) FROM sales;
SELECT ecomml.train_elasticity(7, qty) FROM sales;
SELECT ecomml.optimal_price(:'el_model', 4, 10, 5);

-- text classifier: naive Bayes over tsvectors ('english' stems: "arrived" = "arrive")
CREATE TABLE msgs (body text, label text);
INSERT INTO msgs VALUES
  ('Great product, works perfectly, love it', 'praise'),
  ('Excellent quality and I love the colour', 'praise'),
  ('Fantastic, would recommend to friends', 'praise'),
  ('My package has not arrived, where is my order?', 'delivery'),
  ('The courier lost the parcel, tracking shows nothing', 'delivery'),
  ('Delivery is late again, order still not shipped', 'delivery'),
  ('Item broken, I want a refund', 'refund'),
  ('Please refund me, the size is wrong and I returned it', 'refund'),
  (NULL, 'refund'), ('ignored: no label', NULL);
SELECT ecomml.train_text_classifier(to_tsvector('english', body), label) AS nb_model FROM msgs \gset
SELECT ecomml.model_info(:'nb_model') - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes' AS info;
SELECT label, round(probability::numeric, 4) AS probability
FROM ecomml.classify(:'nb_model', to_tsvector('english', 'the parcel never arrives, tracking is stuck'));
SELECT m.body, c.label
FROM (VALUES ('I love it, great'), ('refund please, it is broken'), ('where is my delivery')) m(body),
     LATERAL (SELECT label FROM ecomml.classify(:'nb_model', to_tsvector('english', m.body)) LIMIT 1) c;
SELECT ecomml.train_text_classifier(to_tsvector('english', body), label, '{"alpha": -1}') FROM msgs;
SELECT ecomml.train_text_classifier(to_tsvector('english', body), label) FROM msgs WHERE false;
-- the same over text: words as scikit-learn's CountVectorizer finds them, no tsvector
SELECT label, round(probability::numeric, 4) AS probability
FROM ecomml.classify((SELECT ecomml.train_text_classifier(body, label) FROM msgs),
                     'The PARCEL never arrives; tracking is stuck!');
