-- Contraction hierarchies vs pgRouting on a generated road-like graph
-- (see doc/benchmarks-routes.md): a :side x :side grid of local streets with
-- an arterial every 10th row and column (0.3 x the cost), random costs per
-- direction.  ecomml contracts once; pgRouting reads the edge SQL per call.
\pset footer off
SET client_min_messages = warning;
-- keep the models decoded between statements, as a user of a large graph
-- would: the hierarchy of the 1M-node grid is ~300 MB, over the default 64 MB,
-- and would be decoded again by every statement (~1 s each)
SET ecomml.model_cache_memory = '1GB';
CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE;
SELECT setseed(0.7);
\if :{?side}
\else
\set side 316
\endif
\ir routes_grid.sql

DROP TABLE IF EXISTS bench_ch;
CREATE TABLE bench_ch(task text, ecomml_ms float8, pgrouting_ms float8, note text);
DO $$
DECLARE
    g bytea; gc bytea; t0 timestamptz; ms float8; e_ms float8 := 0; p_ms float8 := 0; d_ms float8 := 0;
    edges bigint; r record; cp float8; bad int := 0; nodes bigint[]; srcs bigint[];
    sql text := 'SELECT id, source, target, cost, reverse_cost FROM bench_road'; m_e float8; m_p float8;
BEGIN
    SELECT count(*) INTO edges FROM bench_road;
    SELECT ecomml.build_graph(source, target, cost, reverse_cost) INTO g FROM bench_road;
    t0 := clock_timestamp();
    gc := ecomml.contract_graph(g);
    ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    INSERT INTO bench_ch VALUES ('contract_graph (once)', ms, NULL,
        format('%s nodes, %s edges, %s shortcuts; %s s and %s MB per million edges (graph alone: %s MB)',
               ecomml.model_info(gc) ->> 'nodes', edges, ecomml.model_info(gc) ->> 'shortcuts',
               round((ms / 1000 / (edges / 1e6))::numeric, 1),
               round((length(gc) / 1e6 / (edges / 1e6))::numeric, 1),
               round((length(g) / 1e6 / (edges / 1e6))::numeric, 1)));
    -- the models as a user keeps them: in a table, read once per statement
    -- (a 30 MB PL/pgSQL variable would be copied into every call)
    -- (unlogged, not temporary: routes_scale.sql reuses it)
    DROP TABLE IF EXISTS bench_models;
    CREATE UNLOGGED TABLE bench_models AS SELECT g AS plain, gc AS ch;
    DROP TABLE IF EXISTS bench_pairs;
    CREATE TEMP TABLE bench_pairs AS
    SELECT k, (random() * (SELECT max(target) FROM bench_road))::bigint AS s,
              (random() * (SELECT max(target) FROM bench_road))::bigint AS t
    FROM generate_series(1, 50) k;
    -- warm the model cache (decoding is once per backend)
    PERFORM * FROM ecomml.shortest_path((SELECT ch FROM bench_models), 0, 1);
    PERFORM * FROM ecomml.shortest_path((SELECT plain FROM bench_models), 0, 1);
    t0 := clock_timestamp();
    CREATE TEMP TABLE bench_ce AS
    SELECT k, (SELECT coalesce(max(agg_cost), -1) FROM ecomml.shortest_path((SELECT ch FROM bench_models), s, t)) AS c
    FROM bench_pairs;
    e_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    t0 := clock_timestamp();
    CREATE TEMP TABLE bench_cd AS
    SELECT k, (SELECT coalesce(max(agg_cost), -1) FROM ecomml.shortest_path((SELECT plain FROM bench_models), s, t)) AS c
    FROM bench_pairs;
    d_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    FOR r IN SELECT p.*, ce.c AS ce, cd.c AS cd FROM bench_pairs p JOIN bench_ce ce USING (k) JOIN bench_cd cd USING (k) LOOP
        t0 := clock_timestamp();
        SELECT coalesce(max(agg_cost), -1) INTO cp FROM pgr_dijkstra(sql, r.s, r.t);
        p_ms := p_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
        IF abs(r.ce - cp) > 1e-9 * cp OR r.ce <> r.cd THEN bad := bad + 1; END IF;
    END LOOP;
    INSERT INTO bench_ch VALUES ('50 one-to-one paths (CH)', e_ms, p_ms,
        bad || ' cost mismatches vs pgr_dijkstra and ecomml bidirectional Dijkstra');
    INSERT INTO bench_ch VALUES ('50 one-to-one paths (bidirectional Dijkstra, no CH)', d_ms, p_ms, NULL);
    -- 1000 x 1000 matrix; pgRouting: the first 100 sources against all 1000
    -- targets with pgr_dijkstraCost (one Dijkstra per source, as its matrix
    -- function), times 10
    nodes := (SELECT array_agg(n) FROM (SELECT n FROM generate_series(0, (SELECT max(target) FROM bench_road)) n
                                       ORDER BY random() LIMIT 1000) x);
    srcs := nodes[1:100];
    t0 := clock_timestamp();
    SELECT sum(cost) FILTER (WHERE from_node = ANY (srcs)) INTO m_e FROM ecomml.cost_matrix((SELECT ch FROM bench_models), nodes);
    e_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
    t0 := clock_timestamp();
    SELECT sum(agg_cost) INTO m_p FROM pgr_dijkstraCost(sql, srcs, nodes) WHERE start_vid <> end_vid;
    p_ms := 10 * 1000 * extract(epoch FROM clock_timestamp() - t0);
    INSERT INTO bench_ch VALUES (cardinality(nodes) || ' x ' || cardinality(nodes) || ' cost matrix (CH buckets)', e_ms, p_ms,
        'pgRouting: 100 x 1000 timed, x 10; ' ||
        CASE WHEN abs(m_e - m_p) <= 1e-9 * m_p THEN 'same 100 x 1000 total' ELSE 'totals differ: ' || m_e || ' vs ' || m_p END);
    -- (without a hierarchy ecomml runs one Dijkstra per source: see the
    -- 100 x 100 matrices of routes.sql)
END $$;
SELECT task, round(ecomml_ms::numeric, 1) AS ecomml_ms, round(pgrouting_ms::numeric, 1) AS pgrouting_ms,
       round((pgrouting_ms / nullif(ecomml_ms, 0))::numeric, 1) AS speedup, note
FROM bench_ch;
