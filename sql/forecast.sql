-- Demand forecasting: ecomml.fit_forecast / ecomml.forecast (doc/forecasting.md)
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- a pure linear trend is recovered exactly by ETS(A,A,N)
CREATE TEMP TABLE trend AS
SELECT date '2025-01-01' + i AS day, (10 + 0.5 * i)::float8 AS qty FROM generate_series(0, 59) i;
SELECT step, period::date, round(mean::numeric, 3) AS mean
FROM ecomml.forecast((SELECT ecomml.fit_forecast(day, qty, '{"method":"ets","model":"AAN"}') FROM trend), 3);

-- input order does not matter; duplicate periods are summed, gaps filled
-- with zeros (default) or by linear interpolation; NULLs are skipped and counted
CREATE TEMP TABLE gappy(day date, qty float8);
INSERT INTO gappy VALUES ('2025-01-05', 5), ('2025-01-01', 1), ('2025-01-02', 1), ('2025-01-02', 1),
    ('2025-01-03', NULL), (NULL, 7), ('2025-01-06', 6);
SELECT m - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes' - 'mase' - 'sigma2' AS info
FROM (SELECT ecomml.model_info(ecomml.fit_forecast(day, qty, '{"method":"naive"}')) AS m FROM gappy) x;
SELECT fill, step, period::date, round(mean::numeric, 3) AS mean
FROM unnest(ARRAY['zero', 'interpolate']) fill,
     LATERAL ecomml.forecast((SELECT ecomml.fit_forecast(day, qty, jsonb_build_object('method', 'mean', 'fill', fill))
                              FROM gappy), 1)
ORDER BY fill;

-- the frequency is inferred (here: month) and future periods follow the calendar
CREATE TEMP TABLE monthly AS
SELECT (date '2024-01-31' + make_interval(months => i))::date AS month, (100 + i)::float8 AS qty
FROM generate_series(0, 23) i;
SELECT ecomml.model_info(ecomml.fit_forecast(month, qty, '{"method":"naive"}'))->>'freq' AS freq FROM monthly;
SELECT step, period::date, mean FROM ecomml.forecast(
    (SELECT ecomml.fit_forecast(month, qty, '{"method":"naive"}') FROM monthly), 3);
SELECT step, period::date FROM ecomml.forecast(
    (SELECT ecomml.fit_forecast(month, qty, '{"method":"naive", "freq":"quarter"}') FROM monthly), 2);

-- daily periods are local dates: no gap or duplicate across a daylight-saving change
SET timezone = 'Europe/Berlin';
SELECT ecomml.model_info(m)->>'periods' AS periods, ecomml.model_info(m)->>'filled_periods' AS filled
FROM (SELECT ecomml.fit_forecast(d::date, 1.0) AS m
      FROM generate_series(date '2026-03-01', date '2026-03-31', interval '1 day') d) x;
SELECT step, period FROM ecomml.forecast(
    (SELECT ecomml.fit_forecast(d::date, 1.0) FROM generate_series(date '2026-10-01', date '2026-10-24', interval '1 day') d), 3);
SET timezone = 'UTC';

-- seasonal naive repeats the last week
CREATE TEMP TABLE weekly AS
SELECT date '2025-03-03' + i AS day, (10 + (i % 7) * 2)::float8 AS qty FROM generate_series(0, 27) i;
SELECT step, mean FROM ecomml.forecast(
    (SELECT ecomml.fit_forecast(day, qty, '{"method":"seasonal_naive"}') FROM weekly), 8);

-- intermittent demand: Croston, SBA (debiased) and TSB on a fixed pattern
CREATE TEMP TABLE rare AS
SELECT date '2025-01-01' + i AS day, (CASE WHEN i % 4 = 0 THEN 2 + (i % 3) ELSE 0 END)::float8 AS qty
FROM generate_series(0, 99) i;
SELECT m AS method, round(mean::numeric, 3) AS mean, round(lo[1]::numeric, 3) AS lo80, round(hi[1]::numeric, 3) AS hi80,
       ecomml.model_info(model)->>'method' AS fitted
FROM unnest(ARRAY['croston', 'sba', 'tsb', 'auto']) m,
     LATERAL (SELECT ecomml.fit_forecast(day, qty, jsonb_build_object('method', m)) AS model FROM rare) f,
     LATERAL ecomml.forecast(model, 1, '{80}')
ORDER BY m;

-- trend + weekly season: prediction intervals widen with the horizon and nest by level
CREATE TEMP TABLE seasonal AS
SELECT date '2025-01-01' + i AS day,
       (50 + 0.3 * i + 8 * sin(2 * pi() * i / 7) + 2 * sin(i * 12.9898))::float8 AS qty
FROM generate_series(0, 139) i;
CREATE TEMP TABLE fc AS
SELECT m AS method, f.*
FROM unnest(ARRAY['ets', 'theta', 'auto']) m,
     LATERAL (SELECT ecomml.fit_forecast(day, qty, jsonb_build_object('method', m)) AS model FROM seasonal) x,
     LATERAL ecomml.forecast(model, 14, '{80,95}') f;
SELECT method,
       bool_and(lo[2] <= lo[1] AND lo[1] <= mean AND mean <= hi[1] AND hi[1] <= hi[2]) AS nested,
       (array_agg(hi[2] - lo[2] ORDER BY step))[14] > (array_agg(hi[2] - lo[2] ORDER BY step))[1] AS widening,
       -- the truth continues the generating formula without noise
       round(avg(abs(mean - (50 + 0.3 * (139 + step) + 8 * sin(2 * pi() * (139 + step) / 7))))::numeric, 0) AS mae
FROM fc GROUP BY method ORDER BY method;
SELECT (ecomml.model_info(ecomml.fit_forecast(day, qty, '{"method":"ets"}'))->>'model') ~ '^[AM]A(d)?[AM]$' AS seasonal_trend_model
FROM seasonal;

-- one model per SKU in one statement
SELECT sku, ecomml.model_info(ecomml.fit_forecast(day, qty))->>'method' AS method
FROM (SELECT 1 AS sku, * FROM seasonal UNION ALL SELECT 2, * FROM rare) s
GROUP BY sku ORDER BY sku;

-- too few periods: a simpler method, and model_info says so; strict makes it an error
SELECT ecomml.model_info(ecomml.fit_forecast(day, qty, '{"method":"ets"}'))->>'note' AS note,
       ecomml.model_info(ecomml.fit_forecast(day, qty, '{"method":"ets"}'))->>'method' AS method
FROM (SELECT * FROM trend LIMIT 3) t;
SELECT ecomml.fit_forecast(day, qty, '{"method":"ets", "strict":true}') FROM (SELECT * FROM trend LIMIT 3) t;

-- bad input
SELECT ecomml.fit_forecast(day, 'NaN'::float8) FROM trend;
SELECT * FROM ecomml.forecast((SELECT ecomml.fit_forecast(day, qty) FROM trend), -1);
SELECT ecomml.fit_forecast(day, qty, '{"model":"AXN"}') FROM trend;
SELECT ecomml.fit_forecast(day, qty, '{"method":"sarimax"}') FROM trend;
