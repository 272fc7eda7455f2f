-- Customer analytics (src/kmeans.c, src/rfm.c, src/elasticity.c): see doc/customers.md.

-- k-means segmentation
CREATE FUNCTION ecomml.train_kmeans_transfn(ecomml.agg_state, float8[])
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_kmeans_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_kmeans_transfn(ecomml.agg_state, float8[], jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_kmeans_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_kmeans_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_kmeans_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_kmeans(features float8[]) (
    SFUNC = ecomml.train_kmeans_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_kmeans_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_kmeans(features float8[], options jsonb) (
    SFUNC = ecomml.train_kmeans_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_kmeans_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_kmeans(float8[]) IS
    'train a k-means model (k = 8, k-means++ init, Lloyd iterations)';
COMMENT ON AGGREGATE ecomml.train_kmeans(float8[], jsonb) IS
    'train a k-means model; options {"k", "max_iter", "n_init", "seed", "tol", "standardize"}';

CREATE FUNCTION ecomml.assign_cluster(model bytea, features float8[]) RETURNS int
AS 'MODULE_PATHNAME', 'assign_cluster' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.assign_cluster(bytea, float8[]) IS
    'the number (0 = largest cluster) of the k-means center nearest to features';

CREATE FUNCTION ecomml.cluster_centers(model bytea)
RETURNS TABLE(cluster int, center float8[], size bigint)
AS 'MODULE_PATHNAME', 'cluster_centers' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION ecomml.cluster_centers(bytea) IS
    'the centers of a k-means model in input units, with their training-row counts';
