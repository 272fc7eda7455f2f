-- Stock projection and replenishment (doc/inventory.md)
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- 20 days alternating 8 and 12 units: the "mean" model forecasts 10 a day
-- with sigma^2 = 80/19 and independent days
CREATE TEMP TABLE alt AS
SELECT date '2026-10-01' + i AS day, (CASE WHEN i % 2 = 0 THEN 8 ELSE 12 END)::float8 AS qty
FROM generate_series(0, 19) i;
CREATE TEMP TABLE mdl AS SELECT ecomml.fit_forecast(day, qty, '{"method":"mean"}') AS m FROM alt;

-- 35 on hand, 20 more arriving on 2026-10-23, 4 days lead time
SELECT step, period::date, demand, receipts, projected_on_hand,
       round(stockout_probability::numeric, 3) AS p_stockout
FROM mdl, ecomml.stock_plan(m, 35, 4, 0.95, '{"orders":[{"period":"2026-10-23","qty":20}], "horizon":8}');

-- lead-time demand 40, safety stock 1.645 * sqrt(4 * 80/19) = 6.75
SELECT round(lead_time_demand::numeric, 2) AS ltd, round(safety_stock::numeric, 2) AS ss,
       round(reorder_point::numeric, 2) AS rop, round(order_up_to::numeric, 2) AS upto,
       inventory_position AS ip, round(order_qty::numeric, 2) AS qty, eoq,
       stockout_period::date, round(days_of_cover::numeric, 2) AS cover
FROM mdl, ecomml.reorder_point(m, 35, 4, 0.95, '{"orders":[{"period":"2026-10-23","qty":20}]}');
-- nothing to order above the reorder point; EOQ = sqrt(2 * 10 * 50 / 0.1) = 100
SELECT round(order_qty::numeric, 2) AS qty, round(eoq::numeric, 2) AS eoq
FROM mdl, ecomml.reorder_point(m, 80, 4, 0.95, '{"order_cost":50, "holding_cost":0.1}');
SELECT round(order_qty::numeric, 2) AS qty, round(eoq::numeric, 2) AS eoq
FROM mdl, ecomml.reorder_point(m, 10, 4, 0.95, '{"order_cost":50, "holding_cost":0.1}');

-- one plan per SKU
SELECT sku, round(r.reorder_point::numeric, 1) AS rop, r.stockout_period::date
FROM (SELECT 1 AS sku, ecomml.fit_forecast(day, qty, '{"method":"mean"}') AS m FROM alt
      UNION ALL
      SELECT 2, ecomml.fit_forecast(day, 2 * qty, '{"method":"mean"}') FROM alt) f,
     ecomml.reorder_point(f.m, 50, 3, 0.9) r
ORDER BY sku;

-- bad input
SELECT * FROM mdl, ecomml.stock_plan(m, 10, 2, 1.0);
SELECT * FROM mdl, ecomml.stock_plan(m, 10, -1, 0.9);
SELECT * FROM mdl, ecomml.reorder_point(m, 10, 2, 0.9, '{"orders":[{"qty":5}]}');
SELECT * FROM mdl, ecomml.reorder_point(m, 10, 2, 0.9, '{"order_cost":5}');
