-- ecomml demo: per-SKU demand forecasts and replenishment from shop.daily_sales
\pset footer off
SET timezone = 'UTC';
\echo
\echo '== Forecasting: one model per SKU in a single GROUP BY (automatic method choice)'
CREATE TEMP TABLE sku_models AS
SELECT sku, ecomml.fit_forecast(day, qty) AS model
FROM shop.daily_sales GROUP BY sku;
SELECT i->>'method' AS method, coalesce(i->>'model', '') AS ets_model, count(*) AS skus,
       round(avg((i->>'mase')::numeric), 2) AS avg_insample_mase,
       round(avg((i->>'interval_scale')::numeric), 2) AS avg_interval_scale  -- calibration's widening
FROM sku_models, LATERAL (SELECT ecomml.model_info(model) AS i) x
GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2;

\echo '== SKU 3 by every smooth-demand method: ETS, ARIMA (automatic orders), Theta, dynamic optimised Theta'
SELECT meth AS method, coalesce(i->>'model', '') AS model, round((i->>'mase')::numeric, 3) AS insample_mase,
       round((SELECT mean FROM ecomml.forecast(mdl, 7) WHERE step = 7)::numeric, 1) AS day7
FROM unnest(ARRAY['ets', 'arima', 'theta', 'dotm']) meth,
     LATERAL (SELECT ecomml.fit_forecast(day, qty, jsonb_build_object('method', meth)) AS mdl
              FROM shop.daily_sales WHERE sku = 3) f,
     LATERAL (SELECT ecomml.model_info(mdl) AS i) x;

\echo '== Save the models of two SKUs in the registry'
SELECT ecomml.model_save('demand_sku_' || sku, model) AS version, 'demand_sku_' || sku AS name
FROM sku_models WHERE sku IN (3, 5) ORDER BY sku;

\echo '== Next week for SKU 3 (smooth, weekly pattern) and SKU 5 (intermittent), 80% intervals'
SELECT 'sku ' || s AS sku, f.period::date AS day, round(f.mean::numeric, 1) AS forecast,
       round(f.lo[1]::numeric, 1) AS lo80, round(f.hi[1]::numeric, 1) AS hi80
FROM unnest(ARRAY[3, 5]) s,
     LATERAL ecomml.forecast(ecomml.model('demand_sku_' || s), 7, '{80}') f
WHERE f.step <= 4
ORDER BY 1, 2;

\echo '== Stock plan for SKU 3: 150 on hand, 120 arriving on 2026-11-04, 3 days lead time'
SELECT step, period::date AS day, round(demand::numeric, 1) AS demand, receipts,
       round(projected_on_hand::numeric, 1) AS on_hand, round(stockout_probability::numeric, 3) AS p_stockout
FROM ecomml.stock_plan(ecomml.model('demand_sku_3'), 150, 3, 0.95,
                       '{"orders":[{"period":"2026-11-04","qty":120}], "horizon":7}');

\echo '== Replenishment for every SKU (on hand = last week''s sales, 95% service, 5 days lead time)'
SELECT m.sku, round(r.safety_stock::numeric, 1) AS safety_stock, round(r.reorder_point::numeric, 1) AS reorder_point,
       round(r.order_qty::numeric, 0) AS order_qty, r.stockout_period::date, round(r.days_of_cover::numeric, 1) AS days_of_cover
FROM sku_models m
JOIN (SELECT sku, sum(qty) AS on_hand FROM shop.daily_sales WHERE day > date '2026-10-24' GROUP BY sku) s USING (sku),
     LATERAL ecomml.reorder_point(m.model, s.on_hand, 5, 0.95, '{"order_cost":40, "holding_cost":0.05}') r
WHERE m.sku <= 6 OR m.sku % 5 = 0
ORDER BY m.sku;
