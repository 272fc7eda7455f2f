-- After ALTER EXTENSION ecomml UPDATE on a database of an older release
-- (test/upgrade.sh made it; the release is in upgrade_from): models made by
-- that release still decode and give its answers, from
-- the fixture table and from the registry; the registry is untouched; user
-- views on the replaced aggregates still run and give the right values.
BEGIN;
SELECT plan(11 + 4 * (SELECT count(*)::int FROM upgrade_models));
-- the release the database started at, in the test descriptions
CREATE FUNCTION pg_temp.old() RETURNS text LANGUAGE sql AS 'SELECT version FROM upgrade_from';
-- as when the fixture was made (test/upgrade/make_models.sql)
SET extra_float_digits = 0;
SET timezone = 'UTC';

-- one query's single answer, or its error: a broken kind fails its own test
CREATE FUNCTION pg_temp.run(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE answer text;
BEGIN
    EXECUTE query INTO STRICT answer;
    RETURN answer;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR: ' || SQLERRM;
END $$;

SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'ecomml'),
          (SELECT default_version FROM pg_available_extensions WHERE name = 'ecomml'),
          'extension is at the default version');
SELECT is((SELECT count(*)::int FROM upgrade_models), 11, 'the fixture has a model of each of the 11 kinds');

-- the fixture's bytes, as a client would pass them
SELECT is(pg_temp.run(format($$SELECT ecomml.model_info(%L::bytea)->>'kind'$$, model)), kind,
          kind || ': model_info decodes the ' || pg_temp.old() || ' model')
FROM (SELECT * FROM upgrade_models ORDER BY kind) m;
SELECT is(pg_temp.run(format(probe, model)), expected, kind || ': probe gives the ' || pg_temp.old() || ' answer')
FROM (SELECT * FROM upgrade_models ORDER BY kind) m;

-- the same models saved under the old release, read back through ecomml.model(name)
-- inside the probe (the path views and jobs use)
SELECT is(pg_temp.run(format($$SELECT r.kind || '/' || (ecomml.model_info(ecomml.model(%L))->>'kind')
                                FROM ecomml.model r WHERE r.name = %L AND r.active$$, kind, kind)),
          kind || '/' || kind, kind || ': registry row and its model have the kind')
FROM (SELECT * FROM upgrade_models ORDER BY kind) m;
SELECT is(pg_temp.run(format(replace(probe, '%L::bytea', 'ecomml.model(%L)'), kind)), expected,
          kind || ': probe through ecomml.model() gives the ' || pg_temp.old() || ' answer')
FROM (SELECT * FROM upgrade_models ORDER BY kind) m;

SELECT results_eq(
    $$SELECT name, version, kind, created_at, params, metrics, md5(model), active
      FROM ecomml.model ORDER BY name, version$$,
    $$SELECT * FROM registry_before ORDER BY name, version$$,
    'registry rows, versions, metadata, model bytes and active flags unchanged');

-- trained by the old release's SQL just before the update; version 1 is active
SELECT results_eq(
    $$SELECT version, ecomml.score(model, '{2.3, 1}') FROM ecomml.model
      WHERE name = 'trained_old' ORDER BY version$$,
    $$SELECT version, score FROM scores_before ORDER BY version$$,
    'both versions of the model trained under ' || pg_temp.old() || ' score as before');
SELECT is(ecomml.score(ecomml.model('trained_old'), '{2.3, 1}'),
          (SELECT score FROM scores_before WHERE version = 1),
          'ecomml.model() serves the rolled-back version 1');

-- views made under the old release, checked against the definitions in plain SQL
SELECT is(round((SELECT auc FROM auc_view)::numeric, 12),
          (SELECT round((count(*) FILTER (WHERE p.score > n.score)
                         + 0.5 * count(*) FILTER (WHERE p.score = n.score)) / count(*), 12)
             FROM auc_data p JOIN auc_data n ON p.label AND NOT n.label),
          'view on roc_auc: the share of (positive, negative) pairs ranked right, ties half');
SELECT is((SELECT bm - 'precision' - 'recall' - 'f1' - 'accuracy' - 'threshold' FROM auc_view),
          (SELECT jsonb_build_object('tp', count(*) FILTER (WHERE score >= 0.5 AND label),
                                     'fp', count(*) FILTER (WHERE score >= 0.5 AND NOT label),
                                     'tn', count(*) FILTER (WHERE score < 0.5 AND NOT label),
                                     'fn', count(*) FILTER (WHERE score < 0.5 AND label))
           FROM auc_data),
          'view on binary_metrics: the confusion counts');
SELECT matches((SELECT plan FROM metrics_old_parallel), 'Partial Aggregate',
    'under ' || pg_temp.old() || ' the metric aggregates ran in a parallel plan on this library');
SELECT is((SELECT (auc, ap, bm)::text FROM metrics_old_parallel), (SELECT (auc, ap, bm)::text FROM auc_view),
    'their parallel ' || pg_temp.old() || ' results equal the updated serial ones');
SELECT results_eq(
    $$SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm
      FROM rfm_view ORDER BY customer_id$$,
    $$WITH c AS (
          SELECT customer_id, count(*) AS frequency, sum(amount) AS monetary,
                 extract(epoch FROM timestamptz '2026-01-01 00:00+00' - max(ordered_at))::float8 / 86400
                     AS recency_days
          FROM rfm_orders GROUP BY customer_id),
      s AS (
          SELECT c.*,
                 (1 + 5 * (rank() OVER (ORDER BY recency_days DESC) - 1) / count(*) OVER ())::int AS r,
                 (1 + 5 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER ())::int AS f,
                 (1 + 5 * (rank() OVER (ORDER BY monetary) - 1) / count(*) OVER ())::int AS m
          FROM c)
      SELECT customer_id, recency_days, frequency, monetary, r, f, m, r::text || f || m
      FROM s ORDER BY customer_id$$,
    'view on rfm: recency, frequency, monetary and quintile scores as doc/customers.md defines them');

-- the registry goes on from where the old release left it
SELECT is(ecomml.model_save('trained_old', (SELECT model FROM ecomml.model
                                            WHERE name = 'trained_old' AND version = 2)),
          3, 'model_save after the update saves version 3');

SELECT * FROM finish();
ROLLBACK;
