-- A small generated shop: customers, products, ratings, daily sales,
-- card transactions with planted fraud, a road grid, and the customers'
-- orders with their items.
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

-- Card transactions over 300 days of 2026, about 1% fraud planted the way it happens
-- (doc/fraud.md, "The sample shop"): a large amount at night from a new device is
-- fraud three times in four, but each of the three alone barely matters (an
-- interaction a linear model cannot express); stolen cards are used 3 to 5 times
-- within half an hour (card velocity); the rest is label noise, a base rate of
-- chargebacks no feature explains.  This section seeds its own random numbers.
SELECT setseed(0.43) \gset
CREATE TABLE shop.transactions AS
WITH everyday AS (
    SELECT t, 1 + (t % 500) AS customer_id, random() < 0.3 AS second_card,
           round((10 + exp(3.4 + 0.9 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::numeric, 2)::float8 AS amount,
           floor(random() * 24) AS hour,
           (random() < 0.10)::int::float8 AS new_device,
           floor(random() * 300) AS day, floor(random() * 60) AS minute, random() AS u
    FROM generate_series(1, 19400) t
), episodes AS (
    SELECT e, 1 + floor(random() * 500)::int AS customer_id, floor(random() * 24) AS hour,
           floor(random() * 300) AS day, 3 + floor(random() * 3)::int AS uses
    FROM generate_series(1, 30) e
), stolen AS (
    SELECT 19400 + row_number() OVER (ORDER BY e.e, k) AS t, e.customer_id, false AS second_card,
           round((20 + random() * 180)::numeric, 2)::float8 AS amount, e.hour,
           (random() < 0.5)::int::float8 AS new_device, e.day, floor(k * 6 + random() * 6) AS minute,
           random() AS u
    FROM episodes e, generate_series(1, 5) k WHERE k <= e.uses
)
SELECT t AS tx_id, customer_id, customer_id * 2 + second_card::int AS card_id,
       timestamptz '2026-01-01 00:00+00' + day * interval '1 day' + hour * interval '1 hour' + minute * interval '1 minute' AS ts,
       u < CASE WHEN stolen THEN 0.6
                WHEN amount > 80 AND hour < 6 AND new_device = 1 THEN 0.75
                ELSE 0.002 + 0.002 * (hour < 6)::int + 0.003 * new_device END AS is_fraud,
       amount, hour, new_device
FROM (SELECT *, false AS stolen FROM everyday UNION ALL SELECT *, true FROM stolen) x
ORDER BY t;

-- Road grid 20 x 20 with a depot at node 1; costs are minutes.
SELECT setseed(0.44) \gset
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

-- Orders (doc/customers.md, "The sample shop's orders"): customers join over
-- the first 78 weeks of 2025-2026 and place their first order then; each buys
-- at a rate lambda ~ Gamma(1.2, rate 6) per week and, after every repeat order,
-- lapses for good with probability p ~ Beta(3, 12) (a BG/NBD process), until
-- 2026-10-31.  Baskets: 1-6 products, mostly from the customer's taste
-- category, long-tail popularity, and planted bundles (5 -> 9, 10 -> 14,
-- 15 -> 19 + 23, 20 -> 24).  Some customers prefer to shop at night.
SELECT setseed(0.17) \gset
CREATE FUNCTION pg_temp.rnorm() RETURNS float8 LANGUAGE sql VOLATILE
AS $$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;
-- Gamma(shape, rate 1) by Marsaglia & Tsang (2000)
CREATE FUNCTION pg_temp.rgamma(shape float8) RETURNS float8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE d float8 := greatest(shape, 1) - 1.0 / 3; c float8 := 1 / sqrt(9 * d); x float8; v float8;
BEGIN
    LOOP
        x := pg_temp.rnorm();
        v := (1 + c * x) ^ 3;
        IF v > 0 AND ln(1 - random()) < 0.5 * x * x + d - d * v + d * ln(v) THEN
            RETURN d * v * CASE WHEN shape < 1 THEN (1 - random()) ^ (1 / shape) ELSE 1 END;
        END IF;
    END LOOP;
END $$;
CREATE TABLE shop.orders (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL,
                          ordered_at timestamptz NOT NULL, amount float8 NOT NULL);
CREATE TABLE shop.order_items (order_id bigint NOT NULL, product_id bigint NOT NULL,
                               qty int NOT NULL, price float8 NOT NULL);
DO $$
DECLARE
    c record;
    o bigint := 0;
    lam float8; p float8; night float8; basket float8; t float8; first bool; g float8;
    n int; prod int; at timestamptz;
BEGIN
    FOR c IN SELECT customer_id, taste FROM shop.customers ORDER BY customer_id LOOP
        lam := pg_temp.rgamma(1.2) / 6;
        g := pg_temp.rgamma(3);
        p := g / (g + pg_temp.rgamma(12));
        night := random() ^ 4;
        basket := 1 + 2 * random();
        t := random() * 78;
        first := true;
        LOOP
            o := o + 1;
            at := timestamptz '2025-01-01 00:00+00' + floor(t * 7) * interval '1 day'
                  + CASE WHEN random() < night THEN floor(random() * 6) ELSE 8 + floor(random() * 14) END
                    * interval '1 hour' + floor(random() * 60) * interval '1 minute';
            n := least(6, 1 + floor(-ln(1 - random()) * basket)::int);
            FOR i IN 1 .. n LOOP
                prod := 4 * floor(50 * random() ^ 2)::int
                        + CASE WHEN random() < 0.7 THEN c.taste ELSE floor(random() * 4)::int END;
                prod := CASE WHEN prod = 0 THEN 4 ELSE prod END;
                INSERT INTO shop.order_items SELECT o, prod, 1 + (random() < 0.2)::int, price
                    FROM shop.products WHERE product_id = prod;
                IF prod IN (5, 10, 15, 20) AND random() < 0.6 THEN
                    INSERT INTO shop.order_items SELECT o, product_id, 1, price FROM shop.products
                    WHERE product_id = prod + 4 OR (prod = 15 AND product_id = 23);
                END IF;
            END LOOP;
            INSERT INTO shop.orders SELECT o, c.customer_id, at, round(sum(qty * price)::numeric, 2)
                FROM shop.order_items WHERE order_id = o;
            EXIT WHEN NOT first AND random() < p;
            first := false;
            t := t - ln(1 - random()) / lam;
            EXIT WHEN t >= 95.4;     -- 2026-10-31
        END LOOP;
    END LOOP;
END $$;

ANALYZE;
