-- Road scale (issue 15): shortest-path trees by PHAST against pgRouting's
-- pgr_drivingDistance, and road TSP without an n x n matrix beside the dense
-- path, on the road-like grid of routes_ch.sql (run after it: bench_road,
-- bench_models).  See doc/benchmarks-routes.md.
\pset footer off
SET client_min_messages = warning;
SET jit = off;
-- keep the models decoded between statements, as a user of a large graph
-- would: the hierarchy of the 1M-node grid is ~300 MB, over the default 64 MB,
-- and would be decoded again by every statement (~1 s each)
SET ecomml.model_cache_memory = '1GB';
CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE;
-- alone (ROUTES_BENCH=scale): the grid and its models
\ir routes_models.sql
SELECT setseed(0.9);
DROP TABLE IF EXISTS bench_scale;
CREATE TABLE bench_scale(task text, ecomml_ms float8, anchor_ms float8, anchor text, note text);
DO $$
DECLARE
    t0 timestamptz; e_ms float8 := 0; d_ms float8 := 0; p_ms float8 := 0; bad int := 0;
    ce bigint; cd bigint; cp bigint; se float8; sp float8; src bigint; budget float8;
    sql text := 'SELECT id, source, target, cost, reverse_cost FROM bench_road';
    maxn bigint := (SELECT max(target) FROM bench_road);
BEGIN
    -- warm the model cache (decoding is once per backend)
    PERFORM count(*) FROM ecomml.shortest_path_tree((SELECT ch FROM bench_models), 0, 1);
    PERFORM count(*) FROM ecomml.shortest_path_tree((SELECT plain FROM bench_models), 0, 1);
    FOREACH budget IN ARRAY ARRAY['Infinity', 60]::float8[] LOOP
        e_ms := 0; d_ms := 0; p_ms := 0; bad := 0;
        FOR k IN 1..5 LOOP
            src := (random() * maxn)::bigint;
            t0 := clock_timestamp();
            SELECT count(*), sum(agg_cost) INTO ce, se FROM ecomml.shortest_path_tree((SELECT ch FROM bench_models), src, budget);
            e_ms := e_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
            t0 := clock_timestamp();
            SELECT count(*) INTO cd FROM ecomml.shortest_path_tree((SELECT plain FROM bench_models), src, budget);
            d_ms := d_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
            t0 := clock_timestamp();
            SELECT count(*), sum(agg_cost) INTO cp, sp FROM pgr_drivingDistance(sql, src, CASE WHEN budget = 'Infinity' THEN 1e12 ELSE budget END);
            p_ms := p_ms + 1000 * extract(epoch FROM clock_timestamp() - t0);
            IF ce <> cp OR ce <> cd OR abs(se - sp) > 1e-9 * sp THEN bad := bad + 1; END IF;
        END LOOP;
        INSERT INTO bench_scale VALUES (format('5 trees, max_cost %s (%s nodes each on average), CH/PHAST', budget, round(ce)),
            e_ms, p_ms, 'pgr_drivingDistance', bad || ' node-count or cost-sum mismatches vs pgRouting and ecomml Dijkstra');
        INSERT INTO bench_scale VALUES (format('5 trees, max_cost %s, plain Dijkstra (no CH)', budget), d_ms, p_ms, 'pgr_drivingDistance', NULL);
    END LOOP;
END $$;

-- TSP: sparse ("matrix": false) beside the dense matrix, same time limit
DROP TABLE IF EXISTS bench_tsp_stops;
CREATE TABLE bench_tsp_stops AS
SELECT n, (SELECT array_agg(x) FROM (SELECT x FROM generate_series(0, (SELECT max(target) FROM bench_road)) x
                                    ORDER BY random() LIMIT n) y) AS s
FROM (VALUES (1000), (5000), (10000), (20000)) v(n);
DO $$
DECLARE
    r record; t0 timestamptz; e_ms float8; d_ms float8; le float8; ld float8; lim int;
BEGIN
    FOR r IN SELECT * FROM bench_tsp_stops ORDER BY n LOOP
        lim := CASE WHEN r.n <= 1000 THEN 2000 ELSE 5000 END;
        t0 := clock_timestamp();
        SELECT max(agg_cost) INTO le FROM ecomml.solve_tsp((SELECT ch FROM bench_models), r.s,
            jsonb_build_object('matrix', false, 'time_limit_ms', lim, 'seed', 1));
        e_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
        IF r.n <= 5000 THEN
            t0 := clock_timestamp();
            SELECT max(agg_cost) INTO ld FROM ecomml.solve_tsp((SELECT ch FROM bench_models), r.s,
                jsonb_build_object('matrix', true, 'time_limit_ms', lim, 'seed', 1));
            d_ms := 1000 * extract(epoch FROM clock_timestamp() - t0);
            INSERT INTO bench_scale VALUES (format('TSP %s stops, sparse, time_limit_ms %s', r.n, lim), e_ms, d_ms,
                'dense n x n matrix, same limit',
                format('tour %s vs dense %s (%s %%)', round(le::numeric, 1), round(ld::numeric, 1),
                       round((100 * (le / ld - 1))::numeric, 2)));
        ELSE
            INSERT INTO bench_scale VALUES (format('TSP %s stops, sparse, time_limit_ms %s', r.n, lim), e_ms, NULL,
                'dense: n x n matrix over 5 000 stops refused', format('tour %s', round(le::numeric, 1)));
        END IF;
    END LOOP;
END $$;
SELECT task, round(ecomml_ms::numeric, 1) AS ecomml_ms, round(anchor_ms::numeric, 1) AS anchor_ms,
       round((anchor_ms / nullif(ecomml_ms, 0))::numeric, 1) AS speedup, anchor, note
FROM bench_scale;
-- memory of the sparse path per 10k stops (DEBUG1 line of solve_tsp)
SET client_min_messages = debug1;
SELECT n, max(agg_cost) FROM bench_tsp_stops, ecomml.solve_tsp((SELECT ch FROM bench_models), s,
    '{"matrix": false, "time_limit_ms": 5000, "seed": 1}') WHERE n IN (10000, 20000) GROUP BY n;
