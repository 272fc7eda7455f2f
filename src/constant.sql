
-- Constant model (src/constant.c): the reference training aggregate.

CREATE FUNCTION ecomml.train_mean_transfn(ecomml.agg_state, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_mean_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_mean_transfn(ecomml.agg_state, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_mean_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_mean_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_mean_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_mean(x float8) (
    SFUNC = ecomml.train_mean_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_mean_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_mean(x float8, options jsonb) (
    SFUNC = ecomml.train_mean_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_mean_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_mean(float8) IS 'train a constant model: the mean of x';
COMMENT ON AGGREGATE ecomml.train_mean(float8, jsonb) IS
    'train a constant model: the mean of x; options {"min_rows": n}';

CREATE FUNCTION ecomml.predict(model bytea) RETURNS float8
AS 'MODULE_PATHNAME', 'predict_constant' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.predict(bytea) IS 'the value a constant model predicts';
