
-- Demand forecasting (src/forecast.c, doc/forecasting.md)

CREATE FUNCTION ecomml.fit_forecast_transfn(ecomml.agg_state, timestamptz, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'fit_forecast_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.fit_forecast_transfn(ecomml.agg_state, timestamptz, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'fit_forecast_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- STABLE: periods are put on the calendar grid in the session time zone
CREATE FUNCTION ecomml.fit_forecast_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'fit_forecast_finalfn' LANGUAGE C STABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.fit_forecast(period timestamptz, value float8) (
    SFUNC = ecomml.fit_forecast_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.fit_forecast_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.fit_forecast(period timestamptz, value float8, options jsonb) (
    SFUNC = ecomml.fit_forecast_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.fit_forecast_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.fit_forecast(timestamptz, float8) IS
    'fit a forecasting model to one series (method auto: TSB, ETS or Theta)';
COMMENT ON AGGREGATE ecomml.fit_forecast(timestamptz, float8, jsonb) IS
    'fit a forecasting model to one series; options method, model, order, seasonal_order, constant, freq, fill, season_length, strict, seed, nsim, zero_share';

-- STABLE: future periods are computed by calendar arithmetic in the session time zone
CREATE FUNCTION ecomml.forecast(model bytea, horizon int, levels float8[] DEFAULT '{80,95}',
    OUT step int, OUT period timestamptz, OUT mean float8, OUT lo float8[], OUT hi float8[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'forecast_srf' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 28;
COMMENT ON FUNCTION ecomml.forecast(bytea, int, float8[]) IS
    'point forecasts and prediction intervals (lo[i], hi[i] at levels[i] percent) for horizon periods';
