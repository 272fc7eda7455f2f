-- Association rules (src/assoc_rules.c): frequent itemsets by Eclat, rules
-- with one consequent item as arules' apriori; see doc/customers.md.
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
