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

-- RFM scores
CREATE TYPE ecomml.rfm_score AS (
    customer_id bigint,
    recency_days float8,
    frequency bigint,
    monetary float8,
    r_score int,
    f_score int,
    m_score int,
    rfm text
);
COMMENT ON TYPE ecomml.rfm_score IS
    'one customer''s recency (days since the last order), frequency, monetary value and 1-5 scores';

CREATE FUNCTION ecomml.rfm_transfn(ecomml.agg_state, bigint, timestamptz, float8, timestamptz)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'rfm_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.rfm_finalfn(ecomml.agg_state)
RETURNS ecomml.rfm_score[]
AS 'MODULE_PATHNAME', 'rfm_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.rfm(customer_id bigint, order_time timestamptz, amount float8,
                            as_of timestamptz) (
    SFUNC = ecomml.rfm_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.rfm_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.rfm(bigint, timestamptz, float8, timestamptz) IS
    'RFM per customer as of a time: an ecomml.rfm_score[] ordered by customer_id (unnest it)';

-- Price elasticity: log-log demand regression
CREATE FUNCTION ecomml.train_elasticity_transfn(ecomml.agg_state, float8, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_elasticity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_elasticity_transfn(ecomml.agg_state, float8, float8, float8[])
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_elasticity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_elasticity_transfn(ecomml.agg_state, float8, float8, float8[], jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_elasticity_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_elasticity_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_elasticity_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_elasticity(price float8, quantity float8) (
    SFUNC = ecomml.train_elasticity_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_elasticity_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_elasticity(price float8, quantity float8, features float8[]) (
    SFUNC = ecomml.train_elasticity_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_elasticity_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_elasticity(price float8, quantity float8, features float8[], options jsonb) (
    SFUNC = ecomml.train_elasticity_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_elasticity_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_elasticity(float8, float8) IS
    'train a log-log demand model ln q = b0 + b1 ln p; b1 is the price elasticity';
COMMENT ON AGGREGATE ecomml.train_elasticity(float8, float8, float8[]) IS
    'train a log-log demand model ln q = b0 + b1 ln p + g . features';
COMMENT ON AGGREGATE ecomml.train_elasticity(float8, float8, float8[], jsonb) IS
    'train a log-log demand model; features may be NULL; options {"zero_quantity", "confidence"}';

CREATE FUNCTION ecomml.elasticity_coefficients(model bytea)
RETURNS TABLE(term text, estimate float8, std_error float8, ci_low float8, ci_high float8)
AS 'MODULE_PATHNAME', 'elasticity_coefficients' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION ecomml.elasticity_coefficients(bytea) IS
    'coefficients of an elasticity model with standard errors and confidence intervals';

CREATE FUNCTION ecomml.predict_demand(model bytea, price float8, features float8[] DEFAULT NULL)
RETURNS float8
AS 'MODULE_PATHNAME', 'predict_demand' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.predict_demand(bytea, float8, float8[]) IS
    'expected quantity at a price under an elasticity model (features NULL: training means)';

CREATE FUNCTION ecomml.optimal_price(model bytea, unit_cost float8, price_min float8, price_max float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'optimal_price' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.optimal_price(bytea, float8, float8, float8) IS
    'the price within bounds maximizing (price - unit_cost) * expected quantity under an elasticity model';

-- Text classifier: multinomial naive Bayes over tsvectors
CREATE FUNCTION ecomml.train_text_classifier_transfn(ecomml.agg_state, tsvector, text)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_text_classifier_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_text_classifier_transfn(ecomml.agg_state, tsvector, text, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'train_text_classifier_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.train_text_classifier_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'train_text_classifier_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.train_text_classifier(doc tsvector, label text) (
    SFUNC = ecomml.train_text_classifier_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_text_classifier_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE ecomml.train_text_classifier(doc tsvector, label text, options jsonb) (
    SFUNC = ecomml.train_text_classifier_transfn,
    STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_text_classifier_finalfn,
    COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE ecomml.train_text_classifier(tsvector, text) IS
    'train a multinomial naive Bayes text classifier over tsvector lexeme counts';
COMMENT ON AGGREGATE ecomml.train_text_classifier(tsvector, text, jsonb) IS
    'train a multinomial naive Bayes text classifier; options {"alpha": 1}';

CREATE FUNCTION ecomml.classify(model bytea, doc tsvector)
RETURNS TABLE(label text, probability float8)
AS 'MODULE_PATHNAME', 'classify_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION ecomml.classify(bytea, tsvector) IS
    'label probabilities of a document under a text classifier, most probable first';

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
