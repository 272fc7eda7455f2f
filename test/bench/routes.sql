-- ecomml routing vs pgRouting on the same server and data (see doc/benchmarks-routes.md)
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE;
SELECT 'pgRouting ' || pgr_version() AS anchor;
SELECT setseed(0.5);

-- a 300 x 300 grid with random costs (both directions, different costs)
DROP TABLE IF EXISTS bench_grid;
CREATE TABLE bench_grid AS
SELECT row_number() OVER () AS id, e.* FROM (
    SELECT i * 300 + j AS source, i * 300 + j + 1 AS target, 1 + random() * 9 AS cost, 1 + random() * 9 AS reverse_cost
    FROM generate_series(0, 299) i, generate_series(0, 298) j
    UNION ALL
    SELECT i * 300 + j, (i + 1) * 300 + j, 1 + random() * 9, 1 + random() * 9
    FROM generate_series(0, 298) i, generate_series(0, 299) j) e;
-- a random geometric graph: 30 000 points in the unit square, joined within radius r
DROP TABLE IF EXISTS bench_pts, bench_geo;
CREATE TABLE bench_pts AS
SELECT p AS id, random() AS x, random() AS y FROM generate_series(1, 30000) p;
CREATE TABLE bench_geo AS
WITH c AS (SELECT id, x, y, floor(x / 0.0095)::int AS cx, floor(y / 0.0095)::int AS cy FROM bench_pts)
SELECT row_number() OVER () AS id, a.id AS source, b.id AS target,
       sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) * (1 + random()) AS cost,
       sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) * (1 + random()) AS reverse_cost,
       a.x AS x1, a.y AS y1, b.x AS x2, b.y AS y2
FROM c a JOIN c b ON b.cx BETWEEN a.cx - 1 AND a.cx + 1 AND b.cy BETWEEN a.cy - 1 AND a.cy + 1
 AND a.id < b.id AND (a.x - b.x) ^ 2 + (a.y - b.y) ^ 2 < 0.0095 ^ 2;
ANALYZE bench_grid; ANALYZE bench_geo;
SELECT (SELECT count(*) FROM bench_grid) AS grid_edges, (SELECT count(*) FROM bench_geo) AS geo_edges;

DROP TABLE IF EXISTS bench_tsplib;
CREATE TABLE bench_tsplib(instance text, id bigint, x float8, y float8);
\copy bench_tsplib FROM 'test/data/tsplib.csv' CSV

DROP TABLE IF EXISTS bench_result;
CREATE TABLE bench_result(graph text, task text, ecomml_ms float8, pgrouting_ms float8, check_ text);

CREATE OR REPLACE FUNCTION pg_temp.bench_paths(tbl text, coords bool, nq int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    g bytea; t0 timestamptz; build_ms float8; e_ms float8 := 0; a_ms float8 := 0; p_ms float8 := 0; m_e float8; m_p float8;
    r record; ce float8; ca float8; cp float8; bad int := 0; nodes bigint[]; sql text;
BEGIN
    sql := format('SELECT id, source, target, cost, reverse_cost FROM %s', tbl);
    t0 := clock_timestamp();
    IF coords THEN
        EXECUTE format('SELECT ecomml.build_graph(source, target, cost, reverse_cost, x1, y1, x2, y2) FROM %s', tbl) INTO g;
    ELSE
        EXECUTE format('SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM %s', tbl) INTO g;
    END IF;
    build_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    INSERT INTO bench_result VALUES (tbl, 'build_graph (once)', build_ms, NULL, (ecomml.model_info(g)->>'nodes') || ' nodes');
    PERFORM * FROM ecomml.shortest_path(g, (SELECT min(source) FROM bench_grid), (SELECT min(source) FROM bench_grid))
        WHERE tbl = 'bench_grid';   -- warm the model cache
    FOR r IN EXECUTE format('SELECT s.source AS s, t.target AS t FROM (SELECT source, row_number() OVER () k FROM (SELECT source FROM %1$s ORDER BY random() LIMIT %2$s) x) s
                             JOIN (SELECT target, row_number() OVER () k FROM (SELECT target FROM %1$s ORDER BY random() LIMIT %2$s) y) t USING (k)', tbl, nq) LOOP
        t0 := clock_timestamp();
        SELECT coalesce(max(agg_cost), -1) INTO ce FROM ecomml.shortest_path(g, r.s, r.t);
        e_ms := e_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
        IF coords THEN
            t0 := clock_timestamp();
            SELECT coalesce(max(agg_cost), -1) INTO ca FROM ecomml.shortest_path(g, r.s, r.t, '{"algorithm": "astar"}');
            a_ms := a_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
            IF abs(ca - ce) > 1e-6 THEN bad := bad + 1; END IF;
        END IF;
        t0 := clock_timestamp();
        SELECT coalesce(max(agg_cost), -1) INTO cp FROM pgr_dijkstra(sql, r.s, r.t);
        p_ms := p_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
        IF abs(ce - cp) > 1e-6 THEN bad := bad + 1; END IF;
    END LOOP;
    INSERT INTO bench_result VALUES (tbl, nq || ' one-to-one paths (bidirectional)', e_ms, p_ms, bad || ' cost mismatches');
    IF coords THEN
        INSERT INTO bench_result VALUES (tbl, nq || ' one-to-one paths (A*)', a_ms, p_ms, NULL);
    END IF;
    -- 100 x 100 cost matrix
    EXECUTE format('SELECT array_agg(source) FROM (SELECT DISTINCT source FROM %s ORDER BY 1 LIMIT 100000) x', tbl) INTO nodes;
    nodes := (SELECT array_agg(n) FROM (SELECT n FROM unnest(nodes) n ORDER BY random() LIMIT 100) x);
    t0 := clock_timestamp();
    SELECT sum(cost) INTO m_e FROM ecomml.cost_matrix(g, nodes);
    e_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    t0 := clock_timestamp();
    SELECT sum(agg_cost) INTO m_p FROM pgr_dijkstraCostMatrix(sql, nodes);
    p_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    INSERT INTO bench_result VALUES (tbl, '100 x 100 cost matrix', e_ms, p_ms,
        CASE WHEN abs(m_e - m_p) <= 1e-6 * m_p THEN 'same total' ELSE 'totals differ: ' || m_e || ' vs ' || m_p END);
END $$;

SELECT pg_temp.bench_paths('bench_grid', false, 100);
SELECT pg_temp.bench_paths('bench_geo', true, 100);

SELECT graph, task, round(ecomml_ms::numeric, 1) AS ecomml_ms, round(pgrouting_ms::numeric, 1) AS pgrouting_ms,
       round((pgrouting_ms / nullif(ecomml_ms, 0))::numeric, 1) AS speedup, check_ AS "check"
FROM bench_result;

-- TSP on TSPLIB instances: tour length in TSPLIB distance (rounded per edge) and time
CREATE OR REPLACE FUNCTION pg_temp.tsplib_len(inst text, tour bigint[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT sum(round(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2)))
    FROM generate_series(1, cardinality(tour) - 1) k
    JOIN bench_tsplib a ON a.instance = inst AND a.id = tour[k]
    JOIN bench_tsplib b ON b.instance = inst AND b.id = tour[k + 1] $$;
DROP TABLE IF EXISTS bench_tsp;
CREATE TABLE bench_tsp(instance text, n int, optimum float8, ecomml_len float8, ecomml_ms float8, pgr_len float8, pgr_ms float8);
DO $$
DECLARE r record; t0 timestamptz; te bigint[]; tp bigint[]; e_ms float8; p_ms float8;
BEGIN
    FOR r IN SELECT * FROM (VALUES ('berlin52', 7542), ('kroA100', 21282), ('ch150', 6528), ('rd400', 15281),
                                   ('pcb442', 50778), ('rl1304', 252948)) v(instance, optimum) LOOP
        t0 := clock_timestamp();
        SELECT array_agg(id ORDER BY seq) INTO te FROM ecomml.solve_tsp(
            (SELECT array_agg(id ORDER BY id) FROM bench_tsplib WHERE instance = r.instance),
            (SELECT array_agg(x ORDER BY id) FROM bench_tsplib WHERE instance = r.instance),
            (SELECT array_agg(y ORDER BY id) FROM bench_tsplib WHERE instance = r.instance),
            '{"time_limit_ms": 1000}');
        e_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        -- pgr_TSPeuclidean grows about as n^3.4 here and cannot be cancelled
        -- (no interrupt checks): it ran over 12 minutes on rl1304, so skip n > 500
        tp := NULL;
        p_ms := NULL;
        IF (SELECT count(*) FROM bench_tsplib WHERE instance = r.instance) <= 500 THEN
            t0 := clock_timestamp();
            SELECT array_agg(node ORDER BY seq) INTO tp
            FROM pgr_TSPeuclidean(format('SELECT id, x, y FROM bench_tsplib WHERE instance = %L', r.instance));
            p_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        END IF;
        INSERT INTO bench_tsp VALUES (r.instance, cardinality(te) - 1, r.optimum,
            pg_temp.tsplib_len(r.instance, te), e_ms, pg_temp.tsplib_len(r.instance, tp), p_ms);
    END LOOP;
END $$;
SELECT instance, n, optimum,
       ecomml_len, round((100 * (ecomml_len / optimum - 1))::numeric, 2) AS ecomml_gap_pct, round(ecomml_ms::numeric) AS ecomml_ms,
       pgr_len, round((100 * (pgr_len / optimum - 1))::numeric, 2) AS pgr_gap_pct, round(pgr_ms::numeric) AS pgr_ms
FROM bench_tsp;
