-- Model format and registry: save, version, activate, prune, inspect.
CREATE TABLE amounts AS SELECT g::float8 AS amount FROM generate_series(1, 100) g;

-- train, save, read back
SELECT ecomml.model_save('baseline', ecomml.train_mean(amount)) FROM amounts;
SELECT ecomml.model_save('baseline', ecomml.train_mean(amount * 2), '{"note": "doubled"}')
FROM amounts;
SELECT name, version, kind, active, params->>'mean' AS mean, metrics
FROM ecomml.model ORDER BY version;
SELECT ecomml.predict(ecomml.model('baseline'));

-- the header: kind, format, a 32-hex-digit id, sizes
SELECT info->>'kind' AS kind, info->>'format_version' AS format,
       length(info->>'model_id') AS id_hex_digits,
       (info->>'size_bytes')::int AS size, (info->>'payload_bytes')::int AS payload,
       info->>'rows' AS rows, info->>'mean' AS mean, info->>'stddev' AS stddev
FROM (SELECT ecomml.model_info(ecomml.model('baseline')) AS info) s;

-- every training gets a fresh id
SELECT count(DISTINCT ecomml.model_info(model)->>'model_id') AS distinct_ids FROM ecomml.model;

-- roll back to version 1, then forward again
SELECT ecomml.model_activate('baseline', 1);
SELECT version, active FROM ecomml.model ORDER BY version;
SELECT ecomml.predict(ecomml.model('baseline'));
SELECT ecomml.model_activate('baseline', 2);

-- prune: the active version always stays unless asked
SELECT ecomml.model_save('baseline', ecomml.train_mean(amount + 1)) FROM amounts;
SELECT ecomml.model_drop('baseline', keep => 1);
SELECT version, active FROM ecomml.model ORDER BY version;
SELECT ecomml.model_drop('baseline');
SELECT version, active FROM ecomml.model ORDER BY version;
SELECT ecomml.model_drop('baseline', drop_active => true);
SELECT count(*) FROM ecomml.model;

-- registry rows are part of pg_dump
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) cfg(relid) JOIN pg_class c ON c.oid = cfg.relid
WHERE e.extname = 'ecomml';

-- the model column is stored out of line, uncompressed
SELECT attstorage FROM pg_attribute
WHERE attrelid = 'ecomml.model'::regclass AND attname = 'model';
