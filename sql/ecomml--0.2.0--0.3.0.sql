-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

-- ---------------------------------------------------------------------------
-- Recommendations (src/recs.sql): shop rules in serving, EASE, lambda "auto"
-- ---------------------------------------------------------------------------
-- recommend, recommend_for_items and recommend_all gain defaulted arguments
-- (candidates, exclude, fallback); the old signatures go so that calls stay
-- unambiguous.  A view on one of them would block the update: say which.
DO $$
DECLARE deps text;
BEGIN
    SELECT string_agg(DISTINCT c.oid::regclass::text, ', ') INTO deps
    FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    JOIN pg_class c ON c.oid = r.ev_class
    WHERE d.refclassid = 'pg_proc'::regclass
      AND d.refobjid IN ('ecomml.recommend(bytea, bigint, int, bool)'::regprocedure,
                         'ecomml.recommend_for_items(bytea, bigint[], int)'::regprocedure,
                         'ecomml.recommend_all(bytea, int, bool)'::regprocedure);
    IF deps IS NOT NULL THEN
        RAISE EXCEPTION 'views use ecomml.recommend, recommend_for_items or recommend_all: %', deps
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Drop these views, run ALTER EXTENSION ecomml UPDATE, then create them again with the same SQL.';
    END IF;
END $$;
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
