-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

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

-- assoc_rules: association rules
CREATE FUNCTION ecomml.train_association_rules_transfn(ecomml.agg_state, bigint, bigint)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_association_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_association_rules_transfn(ecomml.agg_state, bigint, bigint, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_association_rules_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_association_rules_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_association_rules_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_association_rules(transaction_id bigint, item_id bigint) (
    SFUNC = ecomml.train_association_rules_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_association_rules_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_association_rules(transaction_id bigint, item_id bigint,
                                                options jsonb) (
    SFUNC = ecomml.train_association_rules_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_association_rules_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_association_rules(bigint, bigint) IS
    'mine association rules from (transaction, item) rows: support 0.1, confidence 0.8 (arules defaults)';
COMMENT ON AGGREGATE ecomml.train_association_rules(bigint, bigint, jsonb) IS
    'mine association rules; options {"min_support", "min_confidence", "max_length", "min_lift", "max_itemsets"}';

CREATE FUNCTION ecomml.association_rules(model bytea)
RETURNS TABLE(antecedent bigint[], consequent bigint, support float8, confidence float8,
              lift float8, count bigint)
AS 'MODULE_PATHNAME', 'association_rules' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION ecomml.association_rules(bytea) IS
    'the rules of an association rules model, by lift, then confidence, then count';

CREATE FUNCTION ecomml.frequently_bought_with(model bytea, items bigint[], k int DEFAULT 10,
                                              by text DEFAULT 'lift')
RETURNS TABLE(item bigint, confidence float8, lift float8, support float8, antecedent bigint[])
AS 'MODULE_PATHNAME', 'frequently_bought_with' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ecomml.frequently_bought_with(bytea, bigint[], int, text) IS
    'the k items not in a basket with the best rule (by lift or confidence) the basket triggers';
