-- A small generated shop: customers, products, ratings, daily sales,
-- card transactions with a planted fraud pattern, and a road grid.
-- Deterministic (setseed), so the demo prints the same figures every run.
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA shop;
SELECT setseed(0.42) \gset

CREATE TABLE shop.customers AS
SELECT c AS customer_id,
       (ARRAY['DE','FR','NL','PL','ES'])[1 + (c % 5)] AS country,
       (c % 4) AS taste                      -- hidden segment driving ratings
FROM generate_series(1, 500) c;

CREATE TABLE shop.products AS
SELECT p AS product_id,
       (p % 4) AS category,
       round((5 + random() * 95)::numeric, 2)::float8 AS price
FROM generate_series(1, 200) p;

-- Ratings: customers like their taste's category (4-5 stars), others less.
CREATE TABLE shop.ratings AS
SELECT c.customer_id AS user_id, p.product_id AS item_id,
       least(5, greatest(1, round(CASE WHEN c.taste = p.category THEN 4.3 ELSE 2.2 END
                                  + random() - 0.5)))::float8 AS rating
FROM shop.customers c
JOIN shop.products p ON random() < 0.08;

-- Daily unit sales per SKU for two years: trend + weekly season + noise;
-- every fifth SKU sells rarely (intermittent demand).
CREATE TABLE shop.daily_sales AS
SELECT s AS sku, d::date AS day,
       CASE WHEN s % 5 = 0
            THEN (CASE WHEN random() < 0.15 THEN 1 + floor(random() * 4) ELSE 0 END)
            ELSE greatest(0, round(20 + s + 0.02 * (d::date - date '2025-01-01')
                                   + 6 * sin(2 * pi() * extract(dow FROM d) / 7)
                                   + 4 * (random() - 0.5)))
       END::float8 AS qty
FROM generate_series(1, 20) s,
     generate_series(date '2025-01-01', date '2026-10-31', interval '1 day') d;

-- Card transactions; fraud is planted as large amounts at night from a new device.
CREATE TABLE shop.transactions AS
SELECT t AS tx_id,
       1 + (t % 500) AS customer_id,
       f AS is_fraud,
       CASE WHEN f THEN 300 + random() * 700 ELSE 10 + random() * 150 END AS amount,
       CASE WHEN f THEN floor(random() * 5) ELSE floor(random() * 24) END AS hour,
       (CASE WHEN f THEN random() < 0.8 ELSE random() < 0.05 END)::int::float8 AS new_device
FROM (SELECT t, random() < 0.02 AS f FROM generate_series(1, 20000) t) x;

-- Road grid 20 x 20 with a depot at node 1; costs are minutes.
CREATE TABLE shop.roads AS
SELECT row_number() OVER () AS edge_id, source, target,
       cost, cost AS reverse_cost, x1, y1, x2, y2
FROM (
    SELECT i * 20 + j + 1 AS source, i * 20 + j + 2 AS target,
           1 + round((random() * 2)::numeric, 2)::float8 AS cost,
           j::float8 AS x1, i::float8 AS y1, (j + 1)::float8 AS x2, i::float8 AS y2
    FROM generate_series(0, 19) i, generate_series(0, 18) j
    UNION ALL
    SELECT i * 20 + j + 1, (i + 1) * 20 + j + 1,
           1 + round((random() * 2)::numeric, 2)::float8,
           j, i, j, i + 1
    FROM generate_series(0, 18) i, generate_series(0, 19) j
) e;

ANALYZE;
