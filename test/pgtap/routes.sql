-- Road graphs, shortest paths, cost matrices and TSP (src/routes.c, src/tsp.c)
BEGIN;
SELECT plan(52);
SET client_min_messages = warning;
CREATE SCHEMA rt;

-- A random directed graph on nodes 1..25: a ring (so every node exists) plus
-- random extra edges; about a fifth of the directions are closed (cost -1).
SELECT setseed(0.17);
CREATE TABLE rt.e AS
SELECT i AS source, i % 25 + 1 AS target,
       CASE WHEN random() < 0.2 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END AS cost,
       CASE WHEN random() < 0.5 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END AS reverse_cost
FROM generate_series(1, 25) i
UNION ALL
SELECT 1 + floor(random() * 25)::bigint, 1 + floor(random() * 25)::bigint,
       CASE WHEN random() < 0.2 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END,
       CASE WHEN random() < 0.4 THEN -1 ELSE round((1 + random() * 9)::numeric, 2)::float8 END
FROM generate_series(1, 45);

-- A random geometric graph on 40 points: costs at least the straight-line distance.
CREATE TABLE rt.pt AS SELECT p AS id, random() * 10 AS x, random() * 10 AS y FROM generate_series(1, 40) p;
CREATE TABLE rt.e2 AS
SELECT a.id AS source, b.id AS target,
       round((sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) * (1 + random()))::numeric, 3)::float8 AS cost,
       round((sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) * (1 + random()))::numeric, 3)::float8 AS reverse_cost,
       a.x AS x1, a.y AS y1, b.x AS x2, b.y AS y2
FROM rt.pt a JOIN rt.pt b ON a.id < b.id AND (a.x - b.x) ^ 2 + (a.y - b.y) ^ 2 < 9 OR b.id = a.id + 1;

-- Floyd-Warshall reference over an edge table (negative cost = no arc)
CREATE FUNCTION rt.apsp(tbl text, n int, directed bool)
RETURNS TABLE(i bigint, j bigint, d float8) LANGUAGE plpgsql AS $$
DECLARE
    dist float8[] := array_fill('Infinity'::float8, ARRAY[n * n]);
    e record;
    via float8;
BEGIN
    FOR a IN 1..n LOOP dist[(a - 1) * n + a] := 0; END LOOP;
    FOR e IN EXECUTE format('SELECT source::int AS source, target::int AS target, cost::float8 AS cost, reverse_cost::float8 AS reverse_cost FROM %s', tbl) LOOP
        IF e.cost >= 0 THEN
            dist[(e.source - 1) * n + e.target] := least(dist[(e.source - 1) * n + e.target], e.cost);
            IF NOT directed THEN
                dist[(e.target - 1) * n + e.source] := least(dist[(e.target - 1) * n + e.source], e.cost);
            END IF;
        END IF;
        IF e.reverse_cost >= 0 THEN
            dist[(e.target - 1) * n + e.source] := least(dist[(e.target - 1) * n + e.source], e.reverse_cost);
            IF NOT directed THEN
                dist[(e.source - 1) * n + e.target] := least(dist[(e.source - 1) * n + e.target], e.reverse_cost);
            END IF;
        END IF;
    END LOOP;
    FOR k IN 1..n LOOP
        FOR a IN 1..n LOOP
            FOR b IN 1..n LOOP
                via := dist[(a - 1) * n + k] + dist[(k - 1) * n + b];
                IF via < dist[(a - 1) * n + b] THEN dist[(a - 1) * n + b] := via; END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT a::bigint, b::bigint, dist[(a - 1) * n + b]
                 FROM generate_series(1, n) a, generate_series(1, n) b;
END $$;

CREATE TABLE rt.ref AS SELECT * FROM rt.apsp('rt.e', 25, true);
CREATE TABLE rt.ref_u AS SELECT * FROM rt.apsp('rt.e', 25, false);
CREATE TABLE rt.ref2 AS SELECT * FROM rt.apsp('rt.e2', 40, true);
CREATE TABLE rt.m AS
SELECT (SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM rt.e) AS g,
       (SELECT ecomml.build_graph(source, target, cost, reverse_cost, '{"directed": false}') FROM rt.e) AS gu,
       (SELECT ecomml.build_graph(source, target, cost, reverse_cost, x1, y1, x2, y2) FROM rt.e2) AS g2;

-- path cost of one algorithm, Infinity when there is no path
CREATE FUNCTION rt.sp(m bytea, s bigint, t bigint, alg text) RETURNS float8 LANGUAGE sql AS $$
    SELECT coalesce(max(agg_cost), 'Infinity')
    FROM ecomml.shortest_path(m, s, t, jsonb_build_object('algorithm', alg)) $$;
CREATE FUNCTION rt.same(a float8, b float8) RETURNS bool LANGUAGE sql AS $$
    SELECT a = b OR abs(a - b) < 1e-9 $$;

SELECT ok((SELECT count(*) FROM rt.ref WHERE d < 'Infinity' AND i <> j) > 300,
          'the random graph is well connected (reference has many finite pairs)');
SELECT is((SELECT count(*) FROM rt.ref r, rt.m WHERE NOT rt.same(rt.sp(m.g, r.i, r.j, 'bidirectional'), r.d)),
          0::bigint, 'bidirectional Dijkstra equals Floyd-Warshall on all 625 pairs (directed)');
SELECT is((SELECT count(*) FROM rt.ref r, rt.m WHERE NOT rt.same(rt.sp(m.g, r.i, r.j, 'dijkstra'), r.d)),
          0::bigint, 'Dijkstra equals Floyd-Warshall on all pairs (directed)');
SELECT is((SELECT count(*) FROM rt.ref_u r, rt.m WHERE NOT rt.same(rt.sp(m.gu, r.i, r.j, 'bidirectional'), r.d)),
          0::bigint, 'bidirectional Dijkstra equals Floyd-Warshall on all pairs (undirected)');
SELECT is((SELECT count(*) FROM rt.ref2 r, rt.m WHERE NOT rt.same(rt.sp(m.g2, r.i, r.j, 'astar'), r.d)),
          0::bigint, 'A* equals Floyd-Warshall on all 1600 pairs of a geometric graph');
SELECT is((SELECT count(*) FROM rt.ref2 r, rt.m WHERE NOT rt.same(rt.sp(m.g2, r.i, r.j, 'bidirectional'), r.d)),
          0::bigint, 'bidirectional Dijkstra equals Floyd-Warshall on the geometric graph');
SELECT ok((SELECT (ecomml.model_info(g2)->>'heuristic_scale')::float8 BETWEEN 1 AND 2 FROM rt.m),
          'A* scale is the minimum cost per unit distance (costs are 1-2 times the distance)');

-- every step of every path is an arc of the input with that cost, and
-- edge_index names that edge in the canonical (source, target, cost, reverse_cost) order
CREATE TABLE rt.steps AS
SELECT r.i, r.j, p.seq, p.node, lead(p.node) OVER w AS next, p.edge_index, p.cost, p.agg_cost,
       count(*) OVER (PARTITION BY r.i, r.j) AS len
FROM rt.ref r, rt.m, ecomml.shortest_path(m.g, r.i, r.j) p
WINDOW w AS (PARTITION BY r.i, r.j ORDER BY p.seq);
CREATE TABLE rt.canon AS
SELECT row_number() OVER (ORDER BY source, target, cost, reverse_cost) AS edge_index, * FROM rt.e;
SELECT is((SELECT count(*) FROM rt.steps s WHERE s.next IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM rt.canon c WHERE c.edge_index = s.edge_index
                AND ((c.source = s.node AND c.target = s.next AND c.cost = s.cost)
                  OR (c.target = s.node AND c.source = s.next AND c.reverse_cost = s.cost)))),
          0::bigint, 'every path step is an input edge, named by its canonical edge_index');
SELECT ok((SELECT bool_and(seq = 1 AND node = i AND agg_cost = 0) FROM rt.steps WHERE seq = 1)
          AND (SELECT bool_and(node = j AND edge_index = -1 AND cost = 0) FROM rt.steps WHERE seq = len),
          'paths start at the source with agg_cost 0 and end at the target with edge -1');
SELECT is((SELECT count(*) FROM rt.ref r, rt.m WHERE r.d = 'Infinity'
             AND EXISTS (SELECT 1 FROM ecomml.shortest_path(m.g, r.i, r.j))),
          0::bigint, 'unreachable pairs give an empty result');

-- shortest-path tree within a budget
SELECT is((SELECT count(*) FROM (SELECT node, agg_cost FROM rt.m, ecomml.shortest_path_tree(m.g, 3, 12)) t
           FULL JOIN (SELECT j, d FROM rt.ref WHERE i = 3 AND d <= 12) r ON r.j = t.node
           WHERE t.node IS NULL OR r.j IS NULL OR NOT rt.same(t.agg_cost, r.d)),
          0::bigint, 'shortest_path_tree returns exactly the nodes within max_cost, with their costs');
SELECT is((SELECT count(*) FROM rt.m, ecomml.shortest_path_tree(m.g, 3) t
           JOIN rt.ref r ON r.i = 3 AND r.j = t.node
           WHERE t.parent IS NOT NULL
             AND NOT rt.same(t.agg_cost, (SELECT d FROM rt.ref WHERE i = 3 AND j = t.parent) + t.cost)),
          0::bigint, 'tree parents are consistent: agg_cost = parent cost + arc cost');

-- cost matrix
SELECT is((SELECT count(*) FROM rt.m, ecomml.cost_matrix(m.g, ARRAY(SELECT generate_series(1, 25)::bigint)) c
           FULL JOIN (SELECT * FROM rt.ref WHERE i <> j AND d < 'Infinity') r ON r.i = c.from_node AND r.j = c.to_node
           WHERE c.from_node IS NULL OR r.i IS NULL OR NOT rt.same(c.cost, r.d)),
          0::bigint, 'cost_matrix equals Floyd-Warshall on every reachable ordered pair');
SELECT is((SELECT count(*) FROM rt.m, ecomml.cost_matrix(m.g, ARRAY[5, 9, 5, 9, 12]::bigint[])),
          (SELECT count(*) FROM rt.ref WHERE i IN (5, 9, 12) AND j IN (5, 9, 12) AND i <> j AND d < 'Infinity'),
          'cost_matrix drops duplicate nodes');

-- TSP: points on a circle, optimum is the polygon
CREATE TABLE rt.circle AS
SELECT k::bigint AS id, cos(2 * pi() * ((k * 17) % 50) / 50) AS x, sin(2 * pi() * ((k * 17) % 50) / 50) AS y
FROM generate_series(1, 50) k;
SELECT ok((SELECT abs(max(agg_cost) - 100 * sin(pi() / 50)) < 1e-9
           FROM ecomml.solve_tsp((SELECT array_agg(id ORDER BY id) FROM rt.circle),
                                 (SELECT array_agg(x ORDER BY id) FROM rt.circle),
                                 (SELECT array_agg(y ORDER BY id) FROM rt.circle), '{"seed": 3}')),
          '50 shuffled points on a circle: the tour is the polygon');

-- TSP: brute force on 8 random points
CREATE TABLE rt.p8 AS SELECT k::bigint AS id, random() AS x, random() AS y FROM generate_series(1, 8) k;
CREATE TABLE rt.d8 AS SELECT a.id AS i, b.id AS j, sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) AS d
FROM rt.p8 a, rt.p8 b;
SELECT ok((WITH RECURSIVE walk(last, seen, len) AS (
               SELECT 1::bigint, ARRAY[1::bigint], 0::float8
               UNION ALL
               SELECT d.j, w.seen || d.j, w.len + d.d FROM walk w JOIN rt.d8 d ON d.i = w.last
               WHERE NOT d.j = ANY (w.seen))
           SELECT abs(min(w.len + d.d) - (SELECT max(agg_cost) FROM ecomml.solve_tsp(
                      (SELECT array_agg(id ORDER BY id) FROM rt.p8), (SELECT array_agg(x ORDER BY id) FROM rt.p8),
                      (SELECT array_agg(y ORDER BY id) FROM rt.p8)))) < 1e-9
           FROM walk w JOIN rt.d8 d ON d.i = w.last AND d.j = 1 WHERE cardinality(w.seen) = 8),
          '8 random points: the tour length equals the brute-force optimum');

-- TSP: tour validity on 300 random points with a fixed start
CREATE TABLE rt.p300 AS SELECT k::bigint * 10 AS id, random() * 100 AS x, random() * 100 AS y
FROM generate_series(1, 300) k;
CREATE TABLE rt.t300 AS SELECT * FROM ecomml.solve_tsp(
    (SELECT array_agg(id ORDER BY id) FROM rt.p300), (SELECT array_agg(x ORDER BY id) FROM rt.p300),
    (SELECT array_agg(y ORDER BY id) FROM rt.p300), '{"start": 1500, "seed": 7, "time_limit_ms": 300}');
SELECT ok((SELECT count(*) = 301 AND min(seq) = 1 AND max(seq) = 301 FROM rt.t300)
          AND (SELECT id FROM rt.t300 WHERE seq = 1) = 1500 AND (SELECT id FROM rt.t300 WHERE seq = 301) = 1500
          AND (SELECT count(DISTINCT id) FROM rt.t300 WHERE seq <= 300) = 300
          AND NOT EXISTS (SELECT id FROM rt.p300 EXCEPT SELECT id FROM rt.t300),
          '300 points: closed tour from the start through every stop exactly once');
SELECT ok((SELECT bool_and(rt.same(t.cost, CASE WHEN t.seq = 1 THEN 0 ELSE sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) END))
           FROM rt.t300 t JOIN rt.p300 a ON a.id = t.id
           LEFT JOIN rt.t300 tp ON tp.seq = t.seq - 1 LEFT JOIN rt.p300 b ON b.id = tp.id)
          AND (SELECT rt.same(max(agg_cost), sum(cost)) FROM rt.t300),
          'tour costs are the leg distances and agg_cost their running sum');

-- TSP: TSPLIB instances within a stated gap of the published optimum (1 s each)
CREATE TABLE rt.tsplib AS
SELECT o.instance, o.optimum,
       (SELECT sum(round(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2)))
        FROM (SELECT t.id, lead(t.id) OVER (ORDER BY t.seq) AS nid
              FROM ecomml.solve_tsp((SELECT array_agg(id ORDER BY id) FROM fx_tsplib WHERE instance = o.instance),
                                    (SELECT array_agg(x ORDER BY id) FROM fx_tsplib WHERE instance = o.instance),
                                    (SELECT array_agg(y ORDER BY id) FROM fx_tsplib WHERE instance = o.instance),
                                    '{"time_limit_ms": 1000}') t) s
        JOIN fx_tsplib a ON a.instance = o.instance AND a.id = s.id
        JOIN fx_tsplib b ON b.instance = o.instance AND b.id = s.nid) AS len
FROM fx_tsplib_optimum o WHERE o.instance IN ('berlin52', 'kroA100', 'ch150', 'pcb442');
SELECT ok(len <= optimum * 1.01, instance || ': within 1% of the optimum') FROM rt.tsplib
WHERE instance IN ('berlin52', 'kroA100') ORDER BY instance;
SELECT ok(len <= optimum * 1.02, instance || ': within 2% of the optimum') FROM rt.tsplib
WHERE instance IN ('ch150', 'pcb442') ORDER BY instance;

-- TSP: the same seed and kick budget give the same tour
SELECT is((SELECT array_agg(id ORDER BY seq) FROM ecomml.solve_tsp(
              (SELECT array_agg(id ORDER BY id) FROM rt.p300), (SELECT array_agg(x ORDER BY id) FROM rt.p300),
              (SELECT array_agg(y ORDER BY id) FROM rt.p300), '{"seed": 11, "max_kicks": 300, "time_limit_ms": 60000}')),
          (SELECT array_agg(id ORDER BY seq) FROM ecomml.solve_tsp(
              (SELECT array_agg(id ORDER BY id) FROM rt.p300), (SELECT array_agg(x ORDER BY id) FROM rt.p300),
              (SELECT array_agg(y ORDER BY id) FROM rt.p300), '{"seed": 11, "max_kicks": 300, "time_limit_ms": 60000}')),
          'seeded TSP with a kick budget is deterministic');

-- TSP on the road graph (asymmetric), over the stops that can reach each other
CREATE TABLE rt.scc AS
SELECT j AS id FROM rt.ref r WHERE r.i = 7 AND r.d < 'Infinity'
   AND (SELECT d FROM rt.ref b WHERE b.i = r.j AND b.j = 7) < 'Infinity';
CREATE TABLE rt.s8 AS SELECT array_agg(id ORDER BY id) AS stops FROM (SELECT id FROM rt.scc ORDER BY id LIMIT 8) x;
CREATE TABLE rt.cm AS SELECT c.* FROM rt.m, rt.s8, ecomml.cost_matrix(m.g, s8.stops) c;
SELECT ok((WITH RECURSIVE walk(last, seen, len) AS (
               SELECT stops[1], ARRAY[stops[1]], 0::float8 FROM rt.s8
               UNION ALL
               SELECT c.to_node, w.seen || c.to_node, w.len + c.cost FROM walk w JOIN rt.cm c ON c.from_node = w.last
               WHERE NOT c.to_node = ANY (w.seen))
           SELECT rt.same(min(w.len + c.cost), (SELECT max(agg_cost) FROM rt.m, rt.s8, ecomml.solve_tsp(m.g, s8.stops)))
           FROM walk w JOIN rt.s8 ON true JOIN rt.cm c ON c.from_node = w.last AND c.to_node = s8.stops[1]
           WHERE cardinality(w.seen) = 8),
          'road-graph TSP on 8 stops equals the brute-force optimum over the asymmetric cost matrix');
SELECT ok((SELECT count(*) >= 15 FROM rt.scc), 'the strongly connected part has at least 15 stops');
CREATE TABLE rt.tg AS SELECT t.* FROM rt.m, ecomml.solve_tsp(m.g, ARRAY(SELECT id FROM rt.scc ORDER BY id),
                                                            '{"start": 7, "seed": 2}') t;
SELECT ok((SELECT count(*) = (SELECT count(*) + 1 FROM rt.scc) AND count(DISTINCT id) = (SELECT count(*) FROM rt.scc) FROM rt.tg)
          AND (SELECT id FROM rt.tg WHERE seq = 1) = 7 AND (SELECT id FROM rt.tg ORDER BY seq DESC LIMIT 1) = 7,
          'road-graph TSP: closed tour from the start through every stop once');
SELECT is((SELECT count(*) FROM rt.tg t JOIN rt.tg p ON p.seq = t.seq - 1
           JOIN rt.ref r ON r.i = p.id AND r.j = t.id WHERE NOT rt.same(r.d, t.cost)),
          0::bigint, 'road-graph tour legs cost the shortest-path cost in their direction');

-- parallel build equals a serial build (committed fixture table)
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE FUNCTION rt.plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN FOR r IN EXECUTE 'EXPLAIN ' || q LOOP out := out || r || E'\n'; END LOOP; RETURN out; END $$;
SELECT ok(rt.plan('SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM fx_roads') LIKE '%Partial Aggregate%',
          'build_graph runs as a parallel aggregate');
CREATE TABLE rt.par AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS g FROM fx_roads;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE rt.ser AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS g FROM fx_roads;
SELECT is((SELECT substring(g FROM 41) FROM rt.par), (SELECT substring(g FROM 41) FROM rt.ser),
          'parallel and serial builds give the same graph payload byte for byte');
SELECT is((SELECT array_agg(cost ORDER BY from_node, to_node) FROM rt.par, ecomml.cost_matrix(par.g, ARRAY[0, 4242, 9999, 5050]::bigint[])),
          (SELECT array_agg(cost ORDER BY from_node, to_node) FROM rt.ser, ecomml.cost_matrix(ser.g, ARRAY[0, 4242, 9999, 5050]::bigint[])),
          'parallel and serial graphs give the same cost matrix');

-- bad input
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.shortest_path(m.g, 1, 999)$$, '22023',
                 'target node 999 is not in the graph', 'unknown target node');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.shortest_path_tree(m.g, 999)$$, '22023', NULL, 'unknown tree source');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.cost_matrix(m.g, ARRAY[1, 999]::bigint[])$$, '22023', NULL, 'unknown matrix node');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.cost_matrix(m.g, ARRAY[]::bigint[])$$, '22023', NULL, 'empty node list');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.cost_matrix(m.g, ARRAY[1, NULL]::bigint[])$$, '22004', NULL, 'null node');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.shortest_path(m.g, 1, 2, '{"algorithm": "astar"}')$$, '22023', NULL,
                 'A* needs coordinates');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.shortest_path(m.g, 1, 2, '{"algorithm": "bfs"}')$$, '22023', NULL,
                 'unknown algorithm');
SELECT throws_ok($$SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM rt.e WHERE false$$, '22000', NULL,
                 'no edges');
SELECT throws_ok($$SELECT ecomml.build_graph(1, 2, 'NaN', 1)$$, '22000', NULL, 'NaN cost');
SELECT throws_ok($$SELECT ecomml.build_graph(1, 2, 1, '-Infinity')$$, '22000', NULL, 'infinite reverse cost');
SELECT throws_ok($$SELECT ecomml.build_graph(1, 2, 1, 1, 0, 0, NULL, 1)$$, '22004', NULL, 'null coordinate');
SELECT throws_ok($$SELECT ecomml.build_graph(1, 2, 1, 1, '{"directed": "yes"}')$$, '22023', NULL, 'bad option type');
SELECT throws_ok($$SELECT * FROM rt.m, ecomml.shortest_path_tree(m.g, 1, 'NaN')$$, '22023', NULL, 'NaN budget');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2]::bigint[], ARRAY[0, 1]::float8[], ARRAY[0]::float8[])$$,
                 '2202E', NULL, 'arrays of different lengths');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2, 1]::bigint[], ARRAY[0, 1, 2]::float8[], ARRAY[0, 1, 2]::float8[])$$,
                 '22023', 'stop 1 appears more than once', 'duplicate stop ids');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[]::bigint[], ARRAY[]::float8[], ARRAY[]::float8[])$$,
                 '22023', NULL, 'no stops');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY(SELECT generate_series(1, 100001)::bigint),
                   array_fill(0::float8, ARRAY[100001]), array_fill(0::float8, ARRAY[100001]))$$,
                 '54000', NULL, 'more than 100000 stops');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2]::bigint[], ARRAY[0, 'NaN']::float8[], ARRAY[0, 1]::float8[])$$,
                 '22000', NULL, 'NaN coordinate');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2]::bigint[], ARRAY[0, 1]::float8[], ARRAY[0, 1]::float8[], '{"start": 3}')$$,
                 '22023', NULL, 'start not among the stops');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2]::bigint[], ARRAY[0, 1]::float8[], ARRAY[0, 1]::float8[], '{"time_limit_ms": -5}')$$,
                 '22023', NULL, 'negative time limit');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp((SELECT ecomml.build_graph(1, 2, 1, -1)), ARRAY[1, 2]::bigint[])$$,
                 '22000', NULL, 'a stop that cannot be reached');
SELECT throws_ok($$SELECT * FROM ecomml.shortest_path((SELECT ecomml.train_mean(1)), 1, 2)$$, '22023', NULL, 'wrong model kind');

SELECT * FROM finish();
ROLLBACK;
