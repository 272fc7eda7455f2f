-- Foundation: model codec, registry, cache, options, training-state type.
BEGIN;
SELECT plan(50);

CREATE TEMP TABLE good AS SELECT ecomml.train_mean(x) AS m FROM (VALUES (1.0), (2.0), (6.0)) v(x);

-- training input
SELECT throws_ok($$SELECT ecomml.train_mean(x) FROM (SELECT 1.0::float8 AS x WHERE false) s$$,
    '22000', 'cannot train a constant model on zero rows', 'empty input');
SELECT throws_ok($$SELECT ecomml.train_mean(NULL::float8) FROM generate_series(1, 3)$$,
    '22000', 'cannot train a constant model on zero rows', 'all-NULL input');
SELECT throws_ok($$SELECT ecomml.train_mean(x) FROM (VALUES (1.0), ('NaN'::float8)) v(x)$$,
    '22000', 'train_mean input must be finite, not NaN', 'NaN input');
SELECT throws_ok($$SELECT ecomml.train_mean(x) FROM (VALUES ('Infinity'::float8)) v(x)$$,
    '22000', NULL, 'infinite input');
SELECT is((SELECT ecomml.predict(ecomml.train_mean(g::float8)) FROM generate_series(1, 1000000) g),
    500000.5::float8, 'one million rows, exact mean');

-- options
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '{"min_row": 2}')$$,
    '22023', 'unknown option "min_row"', 'unknown option key');
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '{"min_rows": "two"}')$$,
    '22023', 'option "min_rows" must be a number', 'option of the wrong type');
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '{"min_rows": 0}')$$,
    '22023', 'option "min_rows" is out of range: 0', 'option out of range');
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '{"min_rows": 1.5}')$$,
    '22023', 'option "min_rows" must be an integer, not 1.5', 'fractional integer option');
SELECT throws_ok($$SELECT ecomml.train_mean(1.0, '[1]')$$,
    '22023', 'options must be a JSON object', 'options not an object');
SELECT throws_ok($$SELECT ecomml.train_mean(x, '{"min_rows": 5}') FROM (VALUES (1.0)) v(x)$$,
    '22000', 'cannot train a constant model on 1 rows', 'min_rows not met');
SELECT is((SELECT ecomml.predict(ecomml.train_mean(x, NULL)) FROM (VALUES (4.0)) v(x)),
    4.0::float8, 'NULL options mean defaults');

-- model bytes
SELECT throws_ok($$SELECT ecomml.model_info('\x00')$$,
    'XX001', 'value is not an ecomml model', 'foreign bytes');
SELECT throws_ok($$SELECT ecomml.model_info(decode(repeat('ab', 100), 'hex'))$$,
    'XX001', 'value is not an ecomml model', 'random bytes');
SELECT throws_ok($$SELECT ecomml.predict(substring(m FROM 1 FOR length(m) - 3)) FROM good$$,
    'XX001', 'invalid ecomml model', 'truncated model');
SELECT throws_ok($$SELECT ecomml.predict(substring(m FROM 1 FOR 20)) FROM good$$,
    'XX001', 'value is not an ecomml model', 'truncated header');
SELECT throws_ok($$SELECT ecomml.predict(set_byte(m, 45, get_byte(m, 45) # 1)) FROM good$$,
    'XX001', 'invalid ecomml model', 'altered payload fails the checksum');
SELECT throws_ok($$SELECT ecomml.predict(set_byte(m, 6, 99)) FROM good$$,
    'XX001', 'invalid ecomml model', 'unknown model kind');
SELECT throws_ok($$SELECT ecomml.predict(set_byte(m, 4, 9)) FROM good$$,
    'XX001', 'unsupported ecomml model format version 9', 'future format version');
SELECT throws_ok($$SELECT ecomml.model_info(m || '\x00'::bytea) FROM good$$,
    'XX001', 'invalid ecomml model', 'trailing bytes');
SELECT is(ecomml.predict(NULL), NULL, 'NULL model gives NULL');

-- registry
SELECT throws_ok($$SELECT ecomml.model('no such model')$$,
    '42704', 'no active model named "no such model"', 'unknown model name');
SELECT throws_ok($$SELECT ecomml.model_save(NULL, m) FROM good$$,
    '22004', NULL, 'NULL name');
SELECT throws_ok($$SELECT ecomml.model_save('x', NULL)$$,
    '22004', NULL, 'NULL model');
SELECT throws_ok($$SELECT ecomml.model_save('x', '\x0102')$$,
    'XX001', NULL, 'saving a corrupt model');
SELECT is((SELECT ecomml.model_save('t', m) FROM good), 1, 'first save is version 1');
SELECT throws_ok($$SELECT ecomml.model_activate('t', 7)$$,
    '42704', 'model "t" has no version 7', 'activating a missing version');
SELECT throws_ok($$SELECT ecomml.model_drop('t', -1)$$,
    '22023', 'keep must be zero or more, not -1', 'negative keep');
SELECT is(ecomml.model_drop('t'), 0, 'the active version is never pruned by default');

SELECT throws_ok($$CALL ecomml.retrain('t', 'SELECT ecomml.train_mean(x) FROM (SELECT 1.0::float8 x WHERE false) s')$$,
    '22000', 'cannot train a constant model on zero rows', 'retrain on an empty source fails');
SELECT is((SELECT version FROM ecomml.model WHERE name = 't' AND active), 1,
    'a failed retrain leaves the active version');
SELECT throws_ok($$CALL ecomml.retrain('t', 'SELECT m FROM good, generate_series(1, 2)')$$,
    'P0003', NULL, 'retrain query returning two rows');
CALL ecomml.retrain('t', 'SELECT ecomml.train_mean(g::float8) FROM generate_series(1, 3) g');
SELECT is((SELECT version FROM ecomml.model WHERE name = 't' AND active), 2,
    'retrain saves and activates the next version');

-- training-state type
SELECT throws_ok($$SELECT ecomml.train_mean_transfn(NULL, 1.0)$$,
    '0A000', NULL, 'transition function outside an aggregate');
SELECT throws_ok($$SELECT ecomml.agg_state_combine(NULL, NULL)$$,
    '0A000', NULL, 'combine function outside an aggregate');
SELECT throws_ok($$SELECT 'not base64!'::ecomml.agg_state$$,
    '22P02', 'invalid input syntax for type agg_state', 'state text not base64');
SELECT throws_ok($$SELECT encode('\x58585858010001000200', 'base64')::ecomml.agg_state$$,
    'XX001', 'invalid ecomml aggregate state', 'state with a foreign header');
SELECT throws_ok($$SELECT encode('\x456341530100010002000000', 'base64')::ecomml.agg_state$$,
    'XX001', 'invalid ecomml aggregate state', 'truncated state');
SELECT throws_ok($$SELECT encode('\x4563415301000100020000000000000000000000'
    '0000f83f000000000000e0bf0100000000000000'::bytea, 'base64')::ecomml.agg_state$$,
    'XX001', 'invalid ecomml aggregate state', 'state with a negative sum of squares');
-- metric aggregates share the type: kinds are checked, payloads validated
SELECT throws_ok($$SELECT ecomml.roc_auc_finalfn(encode('\x4563415301000100'::bytea, 'base64')::ecomml.agg_state)$$,
    '22023', 'expected a roc_auc/pr_auc aggregate state, got a constant aggregate state',
    'a training state handed to a metric final function');
SELECT throws_ok($$SELECT encode('\x456341530100e903020000000000'::bytea, 'base64')::ecomml.agg_state$$,
    'XX001', 'invalid ecomml aggregate state', 'truncated roc_auc state');
SELECT throws_ok($$SELECT encode('\x456341530100e9030100000000000000000000000000f87f01'::bytea,
    'base64')::ecomml.agg_state$$,
    'XX001', 'invalid ecomml aggregate state', 'roc_auc state with a NaN score');

-- decoded-model cache: a per-row scoring call decodes once per query, also
-- when the model comes out of line from TOAST through ecomml.model()
ALTER TABLE ecomml.model SET (toast_tuple_target = 128);
-- incompressible metrics push the row past the TOAST threshold
SELECT ecomml.model_save('toasted', ecomml.train_mean(g::float8),
    (SELECT jsonb_build_object('pad', string_agg(md5(i::text), '')) FROM generate_series(1, 100) i))
FROM generate_series(1, 9) g;
CREATE FUNCTION pg_temp.toast_rows() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s',
        (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'ecomml.model'::regclass)) INTO n;
    RETURN n;
END $$;
SELECT ok(pg_temp.toast_rows() > 0, 'the saved model went out of line to TOAST');
SELECT ecomml.model_cache_reset();
SELECT is((SELECT sum(ecomml.predict(ecomml.model('toasted'))) FROM generate_series(1, 5000)),
    25000::float8, 'per-row model() + predict() gives the right answer');
SELECT is((SELECT misses FROM ecomml.model_cache_stats()), 1::bigint,
    '5000 calls decoded the model once');
SELECT is((SELECT sum(ecomml.predict(m)) FROM good, generate_series(1, 5000)),
    15000::float8, 'inline model per row');
SELECT is((SELECT misses FROM ecomml.model_cache_stats()), 2::bigint,
    'a second model is one more decode');

-- the LRU is bounded by ecomml.model_cache_size
SET LOCAL ecomml.model_cache_size = 2;
SELECT ecomml.model_cache_reset();
CREATE TEMP TABLE three AS
SELECT k, ecomml.train_mean(g::float8 + k) AS m FROM generate_series(1, 3) k, generate_series(1, 10) g GROUP BY k;
SELECT ecomml.predict(m) FROM three WHERE k = 1;
SELECT ecomml.predict(m) FROM three WHERE k = 2;
SELECT ecomml.predict(m) FROM three WHERE k = 3;
SELECT ecomml.predict(m) FROM three WHERE k = 3;
SELECT is((SELECT entries FROM ecomml.model_cache_stats()), 2, 'cache holds at most model_cache_size models');
SELECT is((SELECT (misses, evictions)::text FROM ecomml.model_cache_stats()), '(3,1)',
    'three models, one evicted, the repeated one served from cache');
SELECT is((SELECT array_agg(ecomml.predict(m) ORDER BY k) FROM three), '{6.5,7.5,8.5}'::float8[],
    'every model still predicts right after eviction');

SELECT * FROM finish();
ROLLBACK;
