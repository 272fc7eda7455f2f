
-- Decoded-model cache (src/model_cache.c)

CREATE FUNCTION ecomml.model_cache_stats(
    OUT entries int, OUT bytes bigint, OUT hits bigint, OUT misses bigint, OUT evictions bigint)
AS 'MODULE_PATHNAME', 'model_cache_stats' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION ecomml.model_cache_stats() IS
    'this backend''s decoded-model cache: entries, memory, hits, misses (= decodes), evictions';

CREATE FUNCTION ecomml.model_cache_reset() RETURNS void
AS 'MODULE_PATHNAME', 'model_cache_reset' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
