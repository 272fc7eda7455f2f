-- Stock projection and replenishment: formulas on a model with known
-- distribution, properties on every model family, bad input.
BEGIN;
SELECT plan(25);
SET LOCAL timezone = 'UTC';

-- "mean" model: daily demand 10, sigma^2 = 80/19, independent days
CREATE TEMP TABLE alt AS
SELECT date '2026-10-01' + i AS day, (CASE WHEN i % 2 = 0 THEN 8 ELSE 12 END)::float8 AS qty
FROM generate_series(0, 19) i;
CREATE TEMP TABLE mdl AS SELECT ecomml.fit_forecast(day, qty, '{"method":"mean"}') AS m FROM alt;

SELECT ok((SELECT abs(safety_stock - 1.6448536269514722 * sqrt(7 * 80.0 / 19)) < 1e-9
           FROM mdl, ecomml.reorder_point(m, 0, 7, 0.95)),
          'safety stock = z * sigma * sqrt(lead time) for independent periods');
SELECT ok((SELECT abs(reorder_point - (70 + 2.3263478740408408 * sqrt(7 * 80.0 / 19))) < 1e-9
           FROM mdl, ecomml.reorder_point(m, 0, 7, 0.99)),
          'reorder point = lead-time demand + safety stock');
SELECT ok((SELECT abs(order_up_to - (80 + 1.6448536269514722 * sqrt(8 * 80.0 / 19))) < 1e-9
           FROM mdl, ecomml.reorder_point(m, 0, 7, 0.95)),
          'order-up-to level covers lead time plus one review period');
SELECT ok((SELECT abs(order_qty - (order_up_to - 30)) < 1e-9
           FROM mdl, ecomml.reorder_point(m, 20, 7, 0.95, '{"orders":[{"period":"2026-12-01","qty":10}]}')),
          'order quantity brings the inventory position (on hand + open orders) up to the order-up-to level');
SELECT is((SELECT stockout_period::date FROM mdl, ecomml.reorder_point(m, 35, 2, 0.95)), date '2026-10-24',
          '35 units at 10 a day run out in the fourth day');
SELECT ok((SELECT abs(days_of_cover - 3.5) < 1e-9 FROM mdl, ecomml.reorder_point(m, 35, 2, 0.95)),
          '35 units at 10 a day cover 3.5 days');
SELECT ok((SELECT abs(days_of_cover - 5.5) < 1e-9
           FROM mdl, ecomml.reorder_point(m, 35, 2, 0.95, '{"orders":[{"period":"2026-10-22","qty":20}]}')),
          'an open order extends the cover');
SELECT ok((SELECT abs(stockout_probability - 0.5) < 1e-9 FROM mdl, ecomml.stock_plan(m, 30, 2, 0.95) WHERE step = 3),
          'stockout probability is 1/2 when expected demand equals the stock');
SELECT ok((SELECT bool_and(safety_stock > 0) AND count(DISTINCT round(safety_stock::numeric, 6)) = 3
           FROM mdl, unnest(ARRAY[0.8, 0.9, 0.99]) sl, ecomml.reorder_point(m, 0, 5, sl)),
          'safety stock grows with the service level');

-- every model family: probabilities in [0,1] and non-decreasing, stock falls
CREATE TEMP TABLE fam AS
SELECT meth || '/' || mdl AS meth, ecomml.fit_forecast(day, y, jsonb_build_object('method', meth, 'model', mdl)) AS m
FROM (VALUES ('ets', 'MAM'), ('ets', 'AAdA'), ('theta', 'auto'), ('tsb', 'auto'), ('seasonal_naive', 'auto'),
             ('naive', 'auto'), ('croston', 'auto')) v(meth, mdl),
     (SELECT date '2026-01-01' + i AS day,
             (CASE WHEN i % 3 = 0 THEN 0 ELSE 30 + 5 * sin(2 * pi() * i / 7) + i * 0.05 END)
               + (CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END) * 2 * sin(i * 7.1) + 0.5 AS y
      FROM generate_series(0, 139) i) s
GROUP BY meth, mdl;
SELECT ok((SELECT bool_and(ok) FROM (
             SELECT bool_and(stockout_probability BETWEEN 0 AND 1) AND
                    bool_and(stockout_probability >= coalesce(prev, 0)) AS ok
             FROM (SELECT meth, stockout_probability,
                          lag(stockout_probability) OVER (PARTITION BY meth ORDER BY step) AS prev
                   FROM fam, ecomml.stock_plan(m, 200, 5, 0.95)) x GROUP BY meth) y),
          'stockout probabilities are probabilities and never decrease');
SELECT is((SELECT count(*) FROM fam, ecomml.reorder_point(m, 200, 5, 0.95) r
           WHERE r.safety_stock >= 0 AND r.reorder_point >= r.lead_time_demand AND r.order_up_to >= r.reorder_point),
          7::bigint, 'every family gives safety stock >= 0 and order-up-to >= reorder point');
SELECT is((SELECT count(*) FROM fam, ecomml.stock_plan(m, 100, 3, 0.9, '{"horizon":30}')), 210::bigint,
          'horizon option sets the number of rows');
SELECT is((SELECT count(*) FROM mdl, ecomml.stock_plan(m, 100, 3, 0.9)), 8::bigint,
          'default horizon is twice lead time plus review period');

-- bad input
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 10, 2, 0)$$, '22023', NULL, 'service level 0');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 10, 2, 1)$$, '22023', NULL, 'service level 1');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.reorder_point(m, 10, 2, 'NaN')$$, '22023', NULL, 'service level NaN');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 10, -1, 0.9)$$, '22023', NULL, 'negative lead time');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 'Infinity', 2, 0.9)$$, '22023', NULL, 'infinite on hand');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 10, 2, 0.9, '{"orders":{"qty":3}}')$$, '22023', NULL, 'orders not an array');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.stock_plan(m, 10, 2, 0.9, '{"orders":[{"period":"2026-10-25","qty":-3}]}')$$,
                 '22023', NULL, 'negative order quantity');
SELECT throws_ok($$SELECT * FROM mdl, ecomml.reorder_point(m, 10, 2, 0.9, '{"holding_cost":1}')$$, '22023', NULL,
                 'holding cost without order cost');
SELECT throws_ok($$SELECT * FROM ecomml.stock_plan((SELECT ecomml.train_mean(1.0)), 10, 2, 0.9)$$, '22023', NULL,
                 'a model of another kind');

-- demand is never negative (issue 16, item 7): a falling trend heading below zero
CREATE TEMP TABLE falling AS
SELECT ecomml.fit_forecast(date '2026-01-01' + i, 100 - 2.5 * i + (i % 3), '{"method":"ets","model":"AAN"}') AS m
FROM generate_series(0, 35) i;
SELECT ok((SELECT min(mean) < 0 FROM falling, ecomml.forecast(m, 60)), 'the fitted trend heads below zero');
SELECT ok((SELECT bool_and(demand >= 0) AND min(projected_on_hand) >= 0 AND max(projected_on_hand) <= 50
           FROM falling, ecomml.stock_plan(m, 50, 2, 0.95, '{"horizon":60}')),
          'stock_plan: demand clamped at zero, stock never grows without receipts');
SELECT ok((SELECT lead_time_demand >= 0 AND safety_stock >= 0 AND reorder_point >= 0
           FROM falling, ecomml.reorder_point(m, 50, 40, 0.95)),
          'reorder_point: lead-time demand is not negative');

SELECT * FROM finish();
ROLLBACK;
