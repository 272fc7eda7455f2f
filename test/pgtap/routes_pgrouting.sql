-- Shortest paths against pgRouting's pgr_dijkstra as the oracle, when the
-- pgRouting package (postgresql-15-pgrouting) is installed; skipped otherwise.
BEGIN;
SELECT plan(6);
SET client_min_messages = warning;
CREATE SCHEMA pt;
CREATE TABLE pt.avail AS SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') AS ok;
DO $$ BEGIN IF (SELECT ok FROM pt.avail) THEN CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE; END IF; END $$;

-- a sparse random graph with one-way streets, so some pairs are unreachable
SELECT setseed(0.77);
CREATE TABLE pt.e AS
SELECT row_number() OVER () AS id, 1 + floor(random() * 60)::bigint AS source, 1 + floor(random() * 60)::bigint AS target,
       CASE WHEN random() < 0.3 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END AS cost,
       CASE WHEN random() < 0.6 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END AS reverse_cost
FROM generate_series(1, 110);
CREATE TABLE pt.roads AS SELECT row_number() OVER () AS id, * FROM fx_roads;
CREATE TABLE pt.pairs AS
SELECT s.source AS s, t.target AS t FROM
    (SELECT source, row_number() OVER () AS k FROM (SELECT source FROM fx_roads ORDER BY random() LIMIT 40) x) s
    JOIN (SELECT target, row_number() OVER () AS k FROM (SELECT target FROM fx_roads ORDER BY random() LIMIT 40) y) t USING (k);

-- mismatches between ecomml and pgr_dijkstra over pairs (NULL when pgRouting is missing)
CREATE FUNCTION pt.mismatches(tbl text, pairs text, directed bool, contracted bool DEFAULT false) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE g bytea; n bigint;
BEGIN
    IF NOT (SELECT ok FROM pt.avail) THEN RETURN NULL; END IF;
    EXECUTE format('SELECT ecomml.build_graph(source, target, cost, reverse_cost, %L::jsonb) FROM %s',
                   json_build_object('directed', directed), tbl) INTO g;
    IF contracted THEN g := ecomml.contract_graph(g); END IF;
    EXECUTE format($q$
        SELECT count(*) FROM %s p,
            LATERAL (SELECT max(agg_cost) AS c FROM ecomml.shortest_path($1, p.s, p.t)) e,
            LATERAL (SELECT max(agg_cost) AS c FROM pgr_dijkstra('SELECT id, source, target, cost, reverse_cost FROM %s',
                                                                 p.s, p.t, %L)) r
        WHERE p.s <> p.t AND (e.c IS DISTINCT FROM r.c) AND NOT abs(e.c - r.c) < 1e-9 $q$, pairs, tbl, directed)
        USING g INTO n;
    RETURN n;
END $$;
CREATE TABLE pt.allpairs AS SELECT a AS s, b AS t FROM generate_series(1, 60) a, generate_series(1, 60) b
WHERE a IN (SELECT source FROM pt.e UNION SELECT target FROM pt.e) AND b IN (SELECT source FROM pt.e UNION SELECT target FROM pt.e);

SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.roads', 'pt.pairs', true), 0::bigint, 'grid, directed: path costs equal pgr_dijkstra')
            ELSE skip('pgRouting is not installed', 1) END;
SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.roads', 'pt.pairs', false), 0::bigint, 'grid, undirected: path costs equal pgr_dijkstra')
            ELSE skip('pgRouting is not installed', 1) END;
SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.e', 'pt.allpairs', true), 0::bigint,
                    'random one-way graph, all pairs: same costs, and unreachable exactly where pgr_dijkstra finds nothing')
            ELSE skip('pgRouting is not installed', 1) END;
SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.e', 'pt.allpairs', false), 0::bigint, 'random graph, undirected, all pairs')
            ELSE skip('pgRouting is not installed', 1) END;
-- the contraction hierarchy (src/contraction.c) against the same oracle
SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.e', 'pt.allpairs', true, true), 0::bigint,
                    'contracted random one-way graph, all pairs: CH costs equal pgr_dijkstra, unreachable alike')
            ELSE skip('pgRouting is not installed', 1) END;
SELECT CASE WHEN (SELECT ok FROM pt.avail)
            THEN is(pt.mismatches('pt.roads', 'pt.pairs', false, true), 0::bigint,
                    'contracted grid, undirected: CH costs equal pgr_dijkstra')
            ELSE skip('pgRouting is not installed', 1) END;

SELECT * FROM finish();
ROLLBACK;
