-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

-- forecast (src/forecast.sql): method "arima" and its options
COMMENT ON AGGREGATE ecomml.fit_forecast(timestamptz, float8, jsonb) IS
    'fit a forecasting model to one series; options method, model, order, seasonal_order, constant, freq, fill, season_length, strict, seed, nsim, zero_share';
