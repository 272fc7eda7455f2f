-- ecomml 0.1.0 -> 0.2.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.2.0'" to load this file. \quit

-- roc_auc, pr_auc, binary_metrics and rfm move from an internal state to
-- ecomml.agg_state, so Citus can run them partially on its workers.  CREATE OR
-- REPLACE AGGREGATE keeps the aggregates' OIDs, so views and functions that
-- use them survive; then the internal-state support functions go.

CREATE FUNCTION ecomml.score_label_transfn(ecomml.agg_state, float8, boolean) RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'score_label_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.roc_auc_finalfn(ecomml.agg_state) RETURNS float8
AS 'MODULE_PATHNAME', 'roc_auc_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.pr_auc_finalfn(ecomml.agg_state) RETURNS float8
AS 'MODULE_PATHNAME', 'pr_auc_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.binary_metrics_transfn(ecomml.agg_state, float8, boolean, float8) RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'binary_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.binary_metrics_finalfn(ecomml.agg_state) RETURNS jsonb
AS 'MODULE_PATHNAME', 'binary_metrics_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.rfm_transfn(ecomml.agg_state, bigint, timestamptz, float8, timestamptz)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'rfm_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.rfm_finalfn(ecomml.agg_state)
RETURNS ecomml.rfm_score[]
AS 'MODULE_PATHNAME', 'rfm_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE AGGREGATE ecomml.roc_auc(score float8, label boolean) (
    SFUNC = ecomml.score_label_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.roc_auc_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE ecomml.pr_auc(score float8, label boolean) (
    SFUNC = ecomml.score_label_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.pr_auc_finalfn,
    FINALFUNC_MODIFY = READ_WRITE,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE ecomml.binary_metrics(score float8, label boolean, threshold float8) (
    SFUNC = ecomml.binary_metrics_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.binary_metrics_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE ecomml.rfm(customer_id bigint, order_time timestamptz, amount float8,
                                       as_of timestamptz) (
    SFUNC = ecomml.rfm_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.rfm_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);

DROP FUNCTION ecomml.score_label_transfn(internal, float8, boolean);
DROP FUNCTION ecomml.score_label_combine(internal, internal);
DROP FUNCTION ecomml.score_label_serialize(internal);
DROP FUNCTION ecomml.score_label_deserialize(bytea, internal);
DROP FUNCTION ecomml.roc_auc_finalfn(internal);
DROP FUNCTION ecomml.pr_auc_finalfn(internal);
DROP FUNCTION ecomml.binary_metrics_transfn(internal, float8, boolean, float8);
DROP FUNCTION ecomml.binary_metrics_combine(internal, internal);
DROP FUNCTION ecomml.binary_metrics_serialize(internal);
DROP FUNCTION ecomml.binary_metrics_deserialize(bytea, internal);
DROP FUNCTION ecomml.binary_metrics_finalfn(internal);
DROP FUNCTION ecomml.rfm_transfn(internal, bigint, timestamptz, float8, timestamptz);
DROP FUNCTION ecomml.rfm_combinefn(internal, internal);
DROP FUNCTION ecomml.rfm_serialfn(internal);
DROP FUNCTION ecomml.rfm_deserialfn(bytea, internal);
DROP FUNCTION ecomml.rfm_finalfn(internal, bigint, timestamptz, float8, timestamptz);
