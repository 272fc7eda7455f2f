
-- Fraud scoring (src/logreg.c, src/iforest.c, src/binmetrics.c, src/scoring.c, doc/fraud.md)

CREATE FUNCTION ecomml.train_logreg_transfn(ecomml.agg_state, float8[], boolean)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_logreg_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_logreg_transfn(ecomml.agg_state, float8[], boolean, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_logreg_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_logreg_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_logreg_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_logreg(features float8[], label boolean) (
    SFUNC = ecomml.train_logreg_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_logreg_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_logreg(features float8[], label boolean, options jsonb) (
    SFUNC = ecomml.train_logreg_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_logreg_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_logreg(float8[], boolean) IS
    'train an L2-penalized logistic regression (Newton/IRLS on standardized features)';
COMMENT ON AGGREGATE ecomml.train_logreg(float8[], boolean, jsonb) IS
    'train an L2-penalized logistic regression; options lambda, class_weight, fit_intercept, solver, max_iter, tol, impute';

CREATE FUNCTION ecomml.train_iforest_transfn(ecomml.agg_state, float8[])
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_iforest_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_iforest_transfn(ecomml.agg_state, float8[], jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_iforest_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_iforest_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_iforest_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_iforest(features float8[]) (
    SFUNC = ecomml.train_iforest_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_iforest_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_iforest(features float8[], options jsonb) (
    SFUNC = ecomml.train_iforest_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_iforest_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_iforest(float8[]) IS
    'train an isolation forest from per-tree reservoir samples';
COMMENT ON AGGREGATE ecomml.train_iforest(float8[], jsonb) IS
    'train an isolation forest; options trees, sample_size, seed, extended';

CREATE FUNCTION ecomml.score(model bytea, features float8[]) RETURNS float8
AS 'MODULE_PATHNAME', 'fraud_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.score(bytea, float8[]) IS
    'fraud probability (logreg model) or anomaly score in (0, 1) (iforest model) of one feature vector';

CREATE FUNCTION ecomml.explain_score(model bytea, features float8[])
RETURNS TABLE (feature int, contribution float8)
AS 'MODULE_PATHNAME', 'fraud_explain_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 20;
COMMENT ON FUNCTION ecomml.explain_score(bytea, float8[]) IS
    'per-feature contributions to a logreg or iforest score, largest |contribution| first';

-- Metrics: scikit-learn's roc_auc_score, average_precision_score, confusion
-- counts.  Their state is ecomml.agg_state, as for training, so Citus can run
-- them partially on its workers.
CREATE FUNCTION ecomml.score_label_transfn(ecomml.agg_state, float8, boolean) RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'score_label_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.roc_auc_finalfn(ecomml.agg_state) RETURNS float8
AS 'MODULE_PATHNAME', 'roc_auc_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.pr_auc_finalfn(ecomml.agg_state) RETURNS float8
AS 'MODULE_PATHNAME', 'pr_auc_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- READ_WRITE: the final functions sort the pairs in place
CREATE AGGREGATE ecomml.roc_auc(score float8, label boolean) (
    SFUNC = ecomml.score_label_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.roc_auc_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.roc_auc(float8, boolean) IS
    'area under the ROC curve, ties as in scikit-learn; NULL unless both classes occur';

CREATE AGGREGATE ecomml.pr_auc(score float8, label boolean) (
    SFUNC = ecomml.score_label_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.pr_auc_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.pr_auc(float8, boolean) IS
    'average precision (area under the precision-recall curve as scikit-learn computes it); NULL without positives';

CREATE FUNCTION ecomml.binary_metrics_transfn(ecomml.agg_state, float8, boolean, float8) RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'binary_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.binary_metrics_finalfn(ecomml.agg_state) RETURNS jsonb
AS 'MODULE_PATHNAME', 'binary_metrics_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.binary_metrics(score float8, label boolean, threshold float8) (
    SFUNC = ecomml.binary_metrics_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.binary_metrics_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.binary_metrics(float8, boolean, float8) IS
    'confusion counts, precision, recall, F1 and accuracy of predicting true when score >= threshold';
