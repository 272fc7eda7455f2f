-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

-- Functions this update drops and re-creates (new defaulted arguments, a new
-- result type).  A user's view on one of them would make the DROP fail with
-- a bare dependency error: stop first, naming the views and what to do.
DO $$
DECLARE deps text;
BEGIN
    SELECT string_agg(DISTINCT c.oid::regclass::text, ', ') INTO deps
    FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    JOIN pg_class c ON c.oid = r.ev_class
    WHERE d.refclassid = 'pg_proc'::regclass
      AND d.refobjid IN ('ecomml.recommend(bytea, bigint, int, bool)'::regprocedure,
                         'ecomml.recommend_for_items(bytea, bigint[], int)'::regprocedure,
                         'ecomml.recommend_all(bytea, int, bool)'::regprocedure,
                         'ecomml.solve_vrp(jsonb, jsonb, jsonb)'::regprocedure,
                         'ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb)'::regprocedure);
    IF deps IS NOT NULL THEN
        RAISE EXCEPTION 'views use ecomml.recommend, recommend_for_items, recommend_all or solve_vrp: %', deps
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Drop these views, run ALTER EXTENSION ecomml UPDATE, then create them again with the same SQL.';
    END IF;
END $$;

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
-- ---------------------------------------------------------------------------
-- Recommendations (src/recs.sql): shop rules in serving, EASE, lambda "auto"
-- ---------------------------------------------------------------------------
-- recommend, recommend_for_items and recommend_all gain defaulted arguments
-- (candidates, exclude, fallback); the old signatures go so that calls stay
-- unambiguous (a user view on them stops the update: see the top).
DROP FUNCTION ecomml.recommend(bytea, bigint, int, bool);
DROP FUNCTION ecomml.recommend_for_items(bytea, bigint[], int);
DROP FUNCTION ecomml.recommend_all(bytea, int, bool);
CREATE FUNCTION ecomml.recommend(model bytea, user_id bigint, k int DEFAULT 10,
                                 exclude_seen bool DEFAULT true,
                                 candidates bigint[] DEFAULT NULL, exclude bigint[] DEFAULT NULL,
                                 fallback text DEFAULT NULL)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'rec_recommend' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ecomml.recommend(bytea, bigint, int, bool, bigint[], bigint[], text) IS
    'top k items for a user, only candidates and never exclude; an unknown user gets no rows, or the most popular items with fallback => ''popular''';

CREATE FUNCTION ecomml.recommend_for_items(model bytea, item_ids bigint[], k int DEFAULT 10,
                                           candidates bigint[] DEFAULT NULL,
                                           exclude bigint[] DEFAULT NULL, fallback text DEFAULT NULL)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'rec_recommend_for_items' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ecomml.recommend_for_items(bytea, bigint[], int, bigint[], bigint[], text) IS
    'top k items for an anonymous user folded in from a basket of items (the basket excluded; shop rules as in recommend)';

CREATE FUNCTION ecomml.recommend_all(model bytea, k int DEFAULT 10, exclude_seen bool DEFAULT true,
                                     candidates bigint[] DEFAULT NULL, exclude bigint[] DEFAULT NULL)
RETURNS TABLE(user_id bigint, item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'rec_recommend_all' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION ecomml.recommend_all(bytea, int, bool, bigint[], bigint[]) IS
    'top k items for every user of the model (blocked matrix products; shop rules as in recommend), for materialized views';

COMMENT ON FUNCTION ecomml.similar_items(bytea, bigint, int) IS
    'the k items most similar to an item: factor cosine (ALS), stored neighbors (item_knn) or EASE weights';
COMMENT ON FUNCTION ecomml.predict(bytea, bigint, bigint) IS
    'predicted rating (als) or score (als_implicit, item_knn, ease) of a user for an item';

CREATE FUNCTION ecomml.train_ease_transfn(ecomml.agg_state, bigint, bigint, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_ease_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_ease_transfn(ecomml.agg_state, bigint, bigint, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_ease_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_ease_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_ease_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_ease(user_id bigint, item_id bigint, weight float8) (
    SFUNC = ecomml.train_ease_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_ease_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_ease(user_id bigint, item_id bigint, weight float8, options jsonb) (
    SFUNC = ecomml.train_ease_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_ease_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_ease(bigint, bigint, float8) IS
    'train an EASE item x item recommender (Steck 2019: one closed-form inversion of the item Gram matrix)';
COMMENT ON AGGREGATE ecomml.train_ease(bigint, bigint, float8, jsonb) IS
    'train EASE; options {"lambda","blas_threads"}';
COMMENT ON AGGREGATE ecomml.train_als(bigint, bigint, float8, jsonb) IS
    'train explicit ALS; options {"factors","iterations","lambda" (number or "auto"),"seed","validation","blas_threads"}';
-- routes: solve_vrp reads orders and vehicles in C (unknown keys and duplicate
-- vehicle ids are errors) and returns vehicle ids as bigint; the result type
-- changes, so the functions are replaced (nothing in the extension depends on
-- them; a user view on them stops the update: see the top).  The library
-- keeps solve_vrp_internal for databases not yet updated.
DROP FUNCTION ecomml.solve_vrp(jsonb, jsonb, jsonb);
DROP FUNCTION ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb);
DROP FUNCTION ecomml.solve_vrp_internal(bytea, bigint[], float8[], float8[], bigint[], float8[], float8[],
                                        float8[], float8[], bigint[], float8[], float8[], float8[], jsonb);
-- Vehicle routing (src/vrp.c, src/vrp_input.c).  Orders and vehicles are
-- read in C so that unknown keys are errors and ids keep 64 bits.
CREATE FUNCTION ecomml.solve_vrp(graph bytea, orders jsonb, vehicles jsonb, options jsonb)
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_graph' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows over a graph model; orders [{"id","node","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end","start_node","end_node","cost_per_distance","fixed_cost","max_route_duration","max_stops"}], options {"depot", "time_limit_ms", "max_iterations", "seed"}';

CREATE FUNCTION ecomml.solve_vrp(orders jsonb, vehicles jsonb, options jsonb DEFAULT '{}')
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_points' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows, Euclidean; orders [{"id","x","y","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end","start_x","start_y","end_x","end_y","cost_per_distance","fixed_cost","max_route_duration","max_stops"}], options {"depot_x", "depot_y", "time_limit_ms", "max_iterations", "seed"}';

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
-- forecast (src/forecast.sql): method "arima" and its options
COMMENT ON AGGREGATE ecomml.fit_forecast(timestamptz, float8, jsonb) IS
    'fit a forecasting model to one series; options method, model, order, seasonal_order, constant, freq, fill, season_length, strict, seed, nsim, zero_share';
-- Contraction hierarchies (src/contraction.c, src/ch_query.c)
CREATE FUNCTION ecomml.contract_graph(graph bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'contract_graph' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.contract_graph(bytea) IS
    'the graph model with a contraction hierarchy: shortest_path and cost matrices (also of solve_tsp and solve_vrp) then use it, with the same costs';
-- hostile input (issue 16): NULL options mean the defaults everywhere; the
-- other arguments of these functions raise 22004 naming the argument
-- instead of returning no rows.
ALTER FUNCTION ecomml.shortest_path(bytea, bigint, bigint, jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.shortest_path_tree(bytea, bigint, float8) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.solve_tsp(bigint[], float8[], float8[], jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.solve_tsp(bytea, bigint[], jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.stock_plan(bytea, float8, int, float8, jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.reorder_point(bytea, float8, int, float8, jsonb) CALLED ON NULL INPUT;

-- hostile input: the registry names a NULL argument (22004)
CREATE OR REPLACE FUNCTION ecomml.model_save(name text, model bytea, metrics jsonb DEFAULT NULL)
RETURNS int LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb;
    next_version int;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'argument "name" of model_save must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model IS NULL THEN
        RAISE EXCEPTION 'argument "model" of model_save must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'A NULL model usually means the training query found no rows.';
    END IF;
    info := ecomml.model_info(model);   -- validates the whole model
    -- Serialize saves of one name: two sessions must not pick the same version.
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    SELECT coalesce(max(m.version), 0) + 1 INTO next_version
      FROM ecomml.model m WHERE m.name = model_save.name;
    UPDATE ecomml.model m SET active = false WHERE m.name = model_save.name AND m.active;
    INSERT INTO ecomml.model (name, version, kind, created_at, params, metrics, model, active)
    VALUES (name, next_version, info->>'kind', (info->>'created_at')::timestamptz,
            info - 'kind' - 'created_at', metrics, model, true);
    RETURN next_version;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_activate(name text, version int) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name IS NULL OR version IS NULL THEN
        RAISE EXCEPTION 'argument "%" of model_activate must not be NULL',
            CASE WHEN name IS NULL THEN 'name' ELSE 'version' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    IF NOT EXISTS (SELECT 1 FROM ecomml.model m
                    WHERE m.name = model_activate.name AND m.version = model_activate.version) THEN
        RAISE EXCEPTION 'model "%" has no version %', name, version
            USING ERRCODE = 'undefined_object';
    END IF;
    -- two statements: the one-active index is checked row by row
    UPDATE ecomml.model m SET active = false WHERE m.name = model_activate.name AND m.active;
    UPDATE ecomml.model m SET active = true
     WHERE m.name = model_activate.name AND m.version = model_activate.version;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_drop(name text, keep int DEFAULT 0, drop_active bool DEFAULT false)
RETURNS int LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped int;
BEGIN
    IF name IS NULL OR drop_active IS NULL THEN
        RAISE EXCEPTION 'argument "%" of model_drop must not be NULL',
            CASE WHEN name IS NULL THEN 'name' ELSE 'drop_active' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF keep IS NULL OR keep < 0 THEN
        RAISE EXCEPTION 'keep must be zero or more, not %', keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    DELETE FROM ecomml.model m
     WHERE m.name = model_drop.name
       AND (drop_active OR NOT m.active)
       AND m.version NOT IN (SELECT k.version FROM ecomml.model k
                              WHERE k.name = model_drop.name AND NOT k.active
                              ORDER BY k.version DESC LIMIT keep);
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_not_found(name text) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'argument "name" of model must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RAISE EXCEPTION 'no active model named "%"', name
        USING ERRCODE = 'undefined_object',
              HINT = 'Train one and store it with ecomml.model_save(), or activate a version with ecomml.model_activate().';
END
$$;
COMMENT ON FUNCTION ecomml.shortest_path(bytea, bigint, bigint, jsonb) IS
    'least-cost path between two nodes of a graph model; options {"algorithm": "ch"|"bidirectional"|"dijkstra"|"astar"} ("ch", the default on a contracted graph); no rows if unreachable';

-- ---------------------------------------------------------------------------
-- speed3 (issue 17): naive Bayes over text without to_tsvector (src/textnb.c,
-- src/tokenize.c); see doc/customers.md
-- ---------------------------------------------------------------------------
-- Text classifier over text: words tokenized in C as scikit-learn's CountVectorizer
-- does by default (src/tokenize.c), no tsvector built
CREATE FUNCTION ecomml.train_text_classifier_transfn(ecomml.agg_state, text, text)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_text_classifier_text_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_text_classifier_transfn(ecomml.agg_state, text, text, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_text_classifier_text_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE ecomml.train_text_classifier(body text, label text) (
    SFUNC = ecomml.train_text_classifier_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_text_classifier_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_text_classifier(body text, label text, options jsonb) (
    SFUNC = ecomml.train_text_classifier_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_text_classifier_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_text_classifier(text, text) IS
    'train a multinomial naive Bayes text classifier over the words of text (lowercased runs of 2+ letters, digits or _)';
COMMENT ON AGGREGATE ecomml.train_text_classifier(text, text, jsonb) IS
    'train a multinomial naive Bayes text classifier over the words of text; options {"alpha": 1}';

CREATE FUNCTION ecomml.classify(model bytea, body text)
RETURNS TABLE(label text, probability float8)
AS 'MODULE_PATHNAME', 'classify_plain_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION ecomml.classify(bytea, text) IS
    'label probabilities of a text under a text classifier trained on text, most probable first';
-- routes3 (issue 15, road scale): solve_tsp on a graph without an n x n
-- matrix ("matrix" option, src/stop_costs.c); shortest_path_tree by PHAST
-- on a contracted graph (src/ch_tree.c).  Only the comments change.
COMMENT ON FUNCTION ecomml.solve_tsp(bytea, bigint[], jsonb) IS
    'closed tour through stops of a graph model by road cost (asymmetric allowed); options {"start", "time_limit_ms", "max_kicks", "seed", "matrix"} ("matrix": false, the default above 1000 stops, keeps no n x n matrix)';
COMMENT ON FUNCTION ecomml.contract_graph(bytea) IS
    'the graph model with a contraction hierarchy: shortest_path, shortest_path_tree and cost matrices (also of solve_tsp and solve_vrp) then use it, with the same costs';
