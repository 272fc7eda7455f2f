
-- Recommendations (src/recs.c, src/interactions.c, src/rank_metrics.c;
-- src/recs_serve.c, src/ease.c; doc/recommendations.md): explicit and implicit
-- ALS, item-item kNN, EASE; serving with shop rules.

CREATE FUNCTION ecomml.train_als_transfn(ecomml.agg_state, bigint, bigint, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_als_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_als_transfn(ecomml.agg_state, bigint, bigint, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_als_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_als_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_als_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_als(user_id bigint, item_id bigint, rating float8) (
    SFUNC = ecomml.train_als_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_als_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_als(user_id bigint, item_id bigint, rating float8, options jsonb) (
    SFUNC = ecomml.train_als_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_als_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_als(bigint, bigint, float8) IS
    'train a biased matrix-factorization recommender on explicit ratings by alternating least squares';
COMMENT ON AGGREGATE ecomml.train_als(bigint, bigint, float8, jsonb) IS
    'train explicit ALS; options {"factors","iterations","lambda" (number or "auto"),"seed","validation","blas_threads"}';

CREATE FUNCTION ecomml.train_als_implicit_transfn(ecomml.agg_state, bigint, bigint, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_als_implicit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_als_implicit_transfn(ecomml.agg_state, bigint, bigint, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_als_implicit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_als_implicit_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_als_implicit_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_als_implicit(user_id bigint, item_id bigint, weight float8) (
    SFUNC = ecomml.train_als_implicit_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_als_implicit_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_als_implicit(user_id bigint, item_id bigint, weight float8, options jsonb) (
    SFUNC = ecomml.train_als_implicit_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_als_implicit_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_als_implicit(bigint, bigint, float8) IS
    'train an implicit-feedback recommender (Hu-Koren-Volinsky ALS with conjugate gradient)';
COMMENT ON AGGREGATE ecomml.train_als_implicit(bigint, bigint, float8, jsonb) IS
    'train implicit ALS; options {"factors","iterations","lambda","alpha","cg_steps","seed","blas_threads"}';

CREATE FUNCTION ecomml.train_item_knn_transfn(ecomml.agg_state, bigint, bigint, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_item_knn_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_item_knn_transfn(ecomml.agg_state, bigint, bigint, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_item_knn_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_item_knn_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_item_knn_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_item_knn(user_id bigint, item_id bigint, weight float8) (
    SFUNC = ecomml.train_item_knn_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_item_knn_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_item_knn(user_id bigint, item_id bigint, weight float8, options jsonb) (
    SFUNC = ecomml.train_item_knn_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_item_knn_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_item_knn(bigint, bigint, float8) IS
    'train an item-item cosine-similarity recommender keeping the top neighbors per item';
COMMENT ON AGGREGATE ecomml.train_item_knn(bigint, bigint, float8, jsonb) IS
    'train item kNN; options {"neighbors","weighting":"none|tfidf|bm25","bm25_k1","bm25_b"}';

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

CREATE FUNCTION ecomml.similar_items(model bytea, item_id bigint, k int DEFAULT 10)
RETURNS TABLE(item_id bigint, score float8, rank int)
AS 'MODULE_PATHNAME', 'rec_similar_items' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION ecomml.similar_items(bytea, bigint, int) IS
    'the k items most similar to an item: factor cosine (ALS), stored neighbors (item_knn) or EASE weights';

CREATE FUNCTION ecomml.predict(model bytea, user_id bigint, item_id bigint) RETURNS float8
AS 'MODULE_PATHNAME', 'rec_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.predict(bytea, bigint, bigint) IS
    'predicted rating (als) or score (als_implicit, item_knn, ease) of a user for an item';

-- Evaluation aggregates (src/rank_metrics.c)
CREATE FUNCTION ecomml.ranking_metrics_transfn(float8[], bigint[], bigint[], int)
RETURNS float8[] AS 'MODULE_PATHNAME', 'ranking_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.ranking_metrics_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'ranking_metrics_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.ranking_metrics_finalfn(float8[])
RETURNS jsonb AS 'MODULE_PATHNAME', 'ranking_metrics_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE ecomml.ranking_metrics(recommended bigint[], relevant bigint[], k int) (
    SFUNC = ecomml.ranking_metrics_transfn,
    STYPE = float8[],
    FINALFUNC = ecomml.ranking_metrics_finalfn,
    COMBINEFUNC = ecomml.ranking_metrics_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.ranking_metrics(bigint[], bigint[], int) IS
    'precision@k, recall@k, ndcg@k, map@k and hit rate over users (one row each) with relevant items';

CREATE FUNCTION ecomml.error_metrics_transfn(float8[], float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'error_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.error_metrics_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'error_metrics_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.rmse_finalfn(float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'rmse_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.mae_finalfn(float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mae_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE ecomml.rmse(predicted float8, actual float8) (
    SFUNC = ecomml.error_metrics_transfn,
    STYPE = float8[],
    FINALFUNC = ecomml.rmse_finalfn,
    COMBINEFUNC = ecomml.error_metrics_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.rmse(float8, float8) IS 'root mean squared error of predictions; NULL pairs skipped';
CREATE AGGREGATE ecomml.mae(predicted float8, actual float8) (
    SFUNC = ecomml.error_metrics_transfn,
    STYPE = float8[],
    FINALFUNC = ecomml.mae_finalfn,
    COMBINEFUNC = ecomml.error_metrics_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.mae(float8, float8) IS 'mean absolute error of predictions; NULL pairs skipped';
