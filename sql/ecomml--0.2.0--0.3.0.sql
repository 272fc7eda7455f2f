-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

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
-- clv: customer lifetime value (src/clv.c, src/clv_fit.c): BG/NBD purchase
-- counts and Gamma-Gamma spend; see doc/customers.md.
CREATE FUNCTION ecomml.train_clv_transfn(ecomml.agg_state, bigint, timestamptz, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_clv_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_clv_transfn(ecomml.agg_state, bigint, timestamptz, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_clv_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_clv_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_clv_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_clv(customer_id bigint, ordered_at timestamptz, amount float8) (
    SFUNC = ecomml.train_clv_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_clv_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_clv(customer_id bigint, ordered_at timestamptz, amount float8,
                                  options jsonb) (
    SFUNC = ecomml.train_clv_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_clv_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_clv(bigint, timestamptz, float8) IS
    'fit BG/NBD (purchases) and Gamma-Gamma (spend) to an order history, weeks as time unit';
COMMENT ON AGGREGATE ecomml.train_clv(bigint, timestamptz, float8, jsonb) IS
    'fit BG/NBD and Gamma-Gamma; options {"end", "time_unit", "penalizer", "keep_customers"}';

CREATE FUNCTION ecomml.p_alive(model bytea, frequency float8, recency float8, "T" float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.p_alive(bytea, float8, float8, float8) IS
    'probability that a customer with this frequency, recency and age T is still active (BG/NBD)';

CREATE FUNCTION ecomml.expected_purchases(model bytea, frequency float8, recency float8,
                                          "T" float8, horizon float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.expected_purchases(bytea, float8, float8, float8, float8) IS
    'purchases a customer is expected to make in the next horizon time units (BG/NBD)';

CREATE FUNCTION ecomml.expected_spend(model bytea, frequency float8, monetary float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.expected_spend(bytea, float8, float8) IS
    'expected spend per future purchase given frequency and mean repeat spend (Gamma-Gamma)';

CREATE FUNCTION ecomml.clv(model bytea, frequency float8, recency float8, "T" float8,
                           monetary float8, horizon float8, discount_rate float8 DEFAULT 0)
RETURNS float8
AS 'MODULE_PATHNAME', 'clv_value_fn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.clv(bytea, float8, float8, float8, float8, float8, float8) IS
    'discounted expected spend over the next horizon time units (BG/NBD x Gamma-Gamma)';

CREATE FUNCTION ecomml.customer_value(model bytea, horizon float8 DEFAULT NULL,
                                      discount_rate float8 DEFAULT 0)
RETURNS TABLE(customer_id bigint, frequency int, recency float8, "T" float8, monetary float8,
              p_alive float8, expected_purchases float8, expected_spend float8, clv float8)
AS 'MODULE_PATHNAME', 'customer_value' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION ecomml.customer_value(bytea, float8, float8) IS
    'every training customer of a clv model with its summary, p_alive, expected purchases and value';
