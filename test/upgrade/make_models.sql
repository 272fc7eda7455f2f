-- Writes test/upgrade/models-<release>.sql: one small model of every kind,
-- made by that ecomml release, each with a probe query and the answer the
-- release gave.  The upgrade test decodes and scores them with the current
-- library, and upgrades a database from every release that has a fixture.
--   psql -X -q -d <db with ecomml R> -f make_models.sql > models-R.sql
-- (made once per release, on that release's build, when it is released).
SET client_min_messages = warning;
SET extra_float_digits = 0;
SET timezone = 'UTC';
CREATE TEMP TABLE made(kind text, model bytea, probe text);
CREATE FUNCTION pg_temp.run_probe(probe text, model bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE answer text;
BEGIN
    EXECUTE format(probe, model) INTO STRICT answer;
    RETURN answer;
END $$;

INSERT INTO made SELECT 'constant', ecomml.train_mean(x),
    $$SELECT round(ecomml.predict(%L::bytea)::numeric, 6)::text$$
FROM generate_series(1, 10) x;

CREATE TEMP TABLE tx AS
SELECT i, i % 10 = 0 AS fraud,
       ARRAY[CASE WHEN i % 10 = 0 THEN 3 + (i % 7) * 0.3 ELSE (i % 13) * 0.2 END,
             (i % 3)::float8, CASE WHEN i % 10 = 0 OR i % 17 = 0 THEN 1 ELSE 0 END]::float8[] AS x
FROM generate_series(1, 300) i;
INSERT INTO made SELECT 'logreg', ecomml.train_logreg(x, fraud, '{"lambda": 1}'),
    $$SELECT round(ecomml.score(%L::bytea, '{4, 1, 1}')::numeric, 6)::text$$ FROM tx;
INSERT INTO made SELECT 'iforest', ecomml.train_iforest(x, '{"trees": 20, "sample_size": 64, "seed": 3}'),
    $$SELECT round(ecomml.score(%L::bytea, '{9, 1, 1}')::numeric, 6)::text$$ FROM tx;

INSERT INTO made SELECT 'forecast', ecomml.fit_forecast(day, qty, '{"method": "ets", "model": "AAN"}'),
    $$SELECT string_agg(round(mean::numeric, 4)::text || '@' || period::date, ' ' ORDER BY step)
      FROM ecomml.forecast(%L::bytea, 3)$$
FROM (SELECT date '2025-01-01' + i AS day, (10 + 0.5 * i + (i % 7))::float8 AS qty
      FROM generate_series(0, 59) i) s;

CREATE TEMP TABLE buys AS
SELECT u, i, (1 + (u * i) % 3)::float8 AS qty
FROM generate_series(1, 30) u, generate_series(1, 16) i
WHERE u % 4 = i % 4 AND (u + i) % 3 <> 0;
INSERT INTO made SELECT 'als', ecomml.train_als(u, i, qty, '{"factors": 3, "iterations": 8, "seed": 1}'),
    $$SELECT round(ecomml.predict(%L::bytea, 5, 9)::numeric, 4)::text$$ FROM buys;
INSERT INTO made SELECT 'als_implicit', ecomml.train_als_implicit(u, i, qty, '{"factors": 3, "iterations": 8, "seed": 1}'),
    $$SELECT string_agg(item_id::text, ',' ORDER BY rank) FROM ecomml.recommend(%L::bytea, 1, 3)$$ FROM buys;
INSERT INTO made SELECT 'item_knn', ecomml.train_item_knn(u, i, qty),
    $$SELECT string_agg(item_id || ':' || round(score::numeric, 6), ',' ORDER BY rank)
      FROM ecomml.similar_items(%L::bytea, 5, 3)$$ FROM buys;

INSERT INTO made SELECT 'graph', ecomml.build_graph(s, s + 1, 1 + s % 3, 2 + s % 2),
    $$SELECT string_agg(node::text, '>' ORDER BY seq) || ' = ' || max(agg_cost)
      FROM ecomml.shortest_path(%L::bytea, 9, 2)$$
FROM generate_series(1, 12) s;

INSERT INTO made SELECT 'kmeans', ecomml.train_kmeans(ARRAY[10 * (g % 3) + sin(g), cos(g)], '{"k": 3, "seed": 1}'),
    $$SELECT ecomml.assign_cluster(%L::bytea, '{19.5, 0}')::text$$
FROM generate_series(1, 60) g;

INSERT INTO made SELECT 'elasticity', ecomml.train_elasticity(p, 1000 * p ^ -1.5 * (1 + 0.05 * sin(p))),
    $$SELECT round(ecomml.predict_demand(%L::bytea, 8)::numeric, 4)::text$$
FROM generate_series(5, 15, 0.5) p;

INSERT INTO made SELECT 'text_nb', ecomml.train_text_classifier(to_tsvector('english', body), label),
    $$SELECT string_agg(label || ':' || round(probability::numeric, 6), ',' ORDER BY probability DESC)
      FROM ecomml.classify(%L::bytea, to_tsvector('english', 'the parcel is late'))$$
FROM (VALUES ('parcel late again', 'delivery'), ('late parcel, no tracking', 'delivery'),
             ('great shoes, good fit', 'product'), ('the shoes are too small', 'product')) v(body, label);

\pset format unaligned
\pset tuples_only on
SELECT '-- made by test/upgrade/make_models.sql on ecomml ' || extversion || '; do not edit'
FROM pg_extension WHERE extname = 'ecomml';
SELECT 'CREATE TABLE upgrade_models(kind text PRIMARY KEY, model bytea NOT NULL, probe text NOT NULL, expected text NOT NULL);';
SELECT format('INSERT INTO upgrade_models VALUES (%L, %L, %L, %L);',
              kind, model, probe, pg_temp.run_probe(probe, model))
FROM made ORDER BY kind;
