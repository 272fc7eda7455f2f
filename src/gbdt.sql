
-- Gradient-boosted trees (src/gbdt.c, src/gbdt_model.c, src/scoring.c, doc/fraud.md)

CREATE FUNCTION ecomml.train_gbdt_transfn(ecomml.agg_state, float8[], float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_gbdt_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_gbdt_transfn(ecomml.agg_state, float8[], float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_gbdt_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_gbdt_transfn(ecomml.agg_state, float8[], boolean)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_gbdt_bool_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_gbdt_transfn(ecomml.agg_state, float8[], boolean, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_gbdt_bool_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_gbdt_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_gbdt_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_gbdt(features float8[], label float8) (
    SFUNC = ecomml.train_gbdt_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_gbdt_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_gbdt(features float8[], label float8, options jsonb) (
    SFUNC = ecomml.train_gbdt_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_gbdt_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_gbdt(features float8[], label boolean) (
    SFUNC = ecomml.train_gbdt_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_gbdt_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_gbdt(features float8[], label boolean, options jsonb) (
    SFUNC = ecomml.train_gbdt_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_gbdt_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_gbdt(float8[], float8) IS
    'train gradient-boosted trees (histogram algorithm) on a numeric label, squared error';
COMMENT ON AGGREGATE ecomml.train_gbdt(float8[], float8, jsonb) IS
    'train gradient-boosted trees; options objective (regression, binary, poisson, tweedie), rounds, learning_rate, max_depth, num_leaves, growth, min_child_weight, min_samples_leaf, lambda, gamma, max_delta_step, subsample, colsample, seed, max_bins, scale_pos_weight, base_score, validation_fraction, early_stopping_rounds, tweedie_variance_power, progress_every';
COMMENT ON AGGREGATE ecomml.train_gbdt(float8[], boolean) IS
    'train gradient-boosted trees (histogram algorithm) for a binary label, log loss';
COMMENT ON AGGREGATE ecomml.train_gbdt(float8[], boolean, jsonb) IS
    'train gradient-boosted trees for a binary label; options as for the float8 label';

COMMENT ON FUNCTION ecomml.score(bytea, float8[]) IS
    'fraud probability (logreg, binary gbdt), anomaly score in (0, 1) (iforest) or prediction (other gbdt objectives) of one feature vector';
COMMENT ON FUNCTION ecomml.explain_score(bytea, float8[]) IS
    'per-feature contributions to a logreg, iforest or gbdt (TreeSHAP) score, largest |contribution| first';
