-- Road TSP without a dense matrix (src/stop_costs.c, "matrix": false) and
-- shortest-path trees by PHAST on a contraction hierarchy (src/ch_tree.c):
-- valid tours with exact road costs, quality beside the dense path, trees
-- equal to plain Dijkstra's.
BEGIN;
SELECT plan(17);
SET client_min_messages = warning;
SELECT setseed(0.17);
CREATE SCHEMA sp;

-- the one-way grid of test/fixtures/routes.sql and its models
CREATE TABLE sp.g AS SELECT plain, ch FROM public.fx_oneway_graph;

-- trees: PHAST (no budget, or a tree beyond half the nodes of a contracted graph) and
-- Dijkstra (small budgets) against plain Dijkstra, node, parent, edge, costs
CREATE TABLE sp.t1 AS SELECT src, t.* FROM sp.g, (VALUES (0), (457), (899)) v(src),
    ecomml.shortest_path_tree(g.plain, src) t;
CREATE TABLE sp.t2 AS SELECT src, t.* FROM sp.g, (VALUES (0), (457), (899)) v(src),
    ecomml.shortest_path_tree(g.ch, src) t;
SELECT is((SELECT count(*) FROM sp.t1 FULL JOIN sp.t2 USING (src, node)
           WHERE t1.agg_cost IS DISTINCT FROM t2.agg_cost OR t1.parent IS DISTINCT FROM t2.parent
              OR t1.edge_index IS DISTINCT FROM t2.edge_index OR t1.cost IS DISTINCT FROM t2.cost),
          0::bigint, 'full trees: PHAST gives Dijkstra''s nodes, parents, edges and costs bit for bit');
SELECT is((SELECT count(*) FROM sp.t2 WHERE src = 457), (SELECT count(*) FROM sp.t1 WHERE src = 457),
          'full tree: every reachable node once');
SELECT is((SELECT array_agg(DISTINCT (node = src) ORDER BY (node = src)) FROM sp.t2 WHERE parent IS NULL AND edge_index IS NULL),
          '{t}'::bool[], 'only the source has no parent and no edge');
CREATE TABLE sp.b1 AS SELECT budget, t.* FROM sp.g, (VALUES (2), (12), (25)) v(budget),
    ecomml.shortest_path_tree(g.plain, 457, budget) t;
CREATE TABLE sp.b2 AS SELECT budget, t.* FROM sp.g, (VALUES (2), (12), (25)) v(budget),
    ecomml.shortest_path_tree(g.ch, 457, budget) t;
SELECT is((SELECT count(*) FROM sp.b1 FULL JOIN sp.b2 USING (budget, node)
           WHERE b1.agg_cost IS DISTINCT FROM b2.agg_cost OR b1.parent IS DISTINCT FROM b2.parent),
          0::bigint, 'isochrones of 2, 12 and 25 (Dijkstra and PHAST sizes): the same nodes, parents and costs');
SELECT ok((SELECT min(c) FROM (SELECT count(*) AS c FROM sp.b2 GROUP BY budget) x) < 450
          AND (SELECT max(c) FROM (SELECT count(*) AS c FROM sp.b2 GROUP BY budget) x) > 450,
          'the budgets cover both sides of the switch to PHAST (900 / 2 nodes)');
SELECT is((SELECT count(*) FROM (SELECT agg_cost, lag(agg_cost) OVER () AS prev
                                  FROM sp.g, ecomml.shortest_path_tree(g.ch, 457) t) x
           WHERE agg_cost < prev), 0::bigint, 'PHAST rows come in order of cost');

-- integer costs, parallel edges, loops, zero-cost arcs, undirected
CREATE TABLE sp.ei AS
SELECT (random() * 300)::bigint AS s, (random() * 300)::bigint AS t, floor(random() * 6)::float8 AS c
FROM generate_series(1, 1200);
CREATE TABLE sp.gi AS SELECT ecomml.build_graph(s, t, c, c, '{"directed": false}') AS plain FROM sp.ei;
ALTER TABLE sp.gi ADD COLUMN ch bytea;
UPDATE sp.gi SET ch = ecomml.contract_graph(plain);
SELECT is((SELECT count(*) FROM
              (SELECT node, agg_cost FROM sp.gi, ecomml.shortest_path_tree(gi.plain, (SELECT min(s) FROM sp.ei)) t) a
              FULL JOIN
              (SELECT node, agg_cost FROM sp.gi, ecomml.shortest_path_tree(gi.ch, (SELECT min(s) FROM sp.ei)) t) b
              USING (node)
           WHERE a.agg_cost IS DISTINCT FROM b.agg_cost), 0::bigint,
          'integer costs with zero-cost arcs, parallel edges and loops: the same nodes and costs');

-- sparse TSP on the one-way grid: 300 stops
CREATE TABLE sp.stops AS SELECT array_agg(n ORDER BY r) AS s
FROM (SELECT n::bigint AS n, random() AS r FROM generate_series(0, 899) n ORDER BY r LIMIT 300) x;
CREATE TABLE sp.tour AS SELECT t.* FROM sp.g, sp.stops,
    ecomml.solve_tsp(g.ch, stops.s, '{"matrix": false, "seed": 3, "max_kicks": 400, "time_limit_ms": 60000}') t;
CREATE TABLE sp.tour_dense AS SELECT t.* FROM sp.g, sp.stops,
    ecomml.solve_tsp(g.ch, stops.s, '{"matrix": true, "seed": 3, "max_kicks": 400, "time_limit_ms": 60000}') t;
SELECT is((SELECT count(*) FROM sp.tour), 301::bigint, 'sparse tour: n + 1 rows');
SELECT is((SELECT array_agg(id ORDER BY id) FROM sp.tour WHERE seq > 1),
          (SELECT array_agg(x::bigint ORDER BY x) FROM sp.stops, unnest(s) x), 'sparse tour: every stop once');
SELECT is((SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY seq) AS prev, cost FROM sp.tour) l, sp.g
           WHERE prev IS NOT NULL
             AND cost IS DISTINCT FROM (SELECT max(agg_cost) FROM ecomml.shortest_path(g.plain, prev, id, '{"algorithm": "dijkstra"}'))),
          0::bigint, 'sparse tour: every leg costs exactly Dijkstra''s least cost');
-- quality beside the n x n matrix with the same kicks and seed
SELECT ok((SELECT max(agg_cost) FROM sp.tour) <= 1.03 * (SELECT max(agg_cost) FROM sp.tour_dense),
          'sparse tour within 3 % of the dense-matrix tour');

-- without a hierarchy: lists by Dijkstra, pairs by bidirectional Dijkstra
CREATE TABLE sp.tour_plain AS SELECT t.* FROM sp.g, sp.stops,
    ecomml.solve_tsp(g.plain, stops.s, '{"matrix": false, "seed": 3, "max_kicks": 400, "time_limit_ms": 60000}') t;
SELECT is((SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY seq) AS prev, cost FROM sp.tour_plain) l, sp.g
           WHERE prev IS NOT NULL
             AND cost IS DISTINCT FROM (SELECT max(agg_cost) FROM ecomml.shortest_path(g.plain, prev, id, '{"algorithm": "dijkstra"}'))),
          0::bigint, 'sparse tour on an uncontracted graph: exact legs');
SELECT ok((SELECT max(agg_cost) FROM sp.tour_plain) <= 1.03 * (SELECT max(agg_cost) FROM sp.tour_dense),
          'sparse tour on an uncontracted graph within 3 % of the dense one');

-- beyond the old 5 000-stop wall: 5 500 stops of a 75 x 75 grid
CREATE TABLE sp.big AS SELECT ecomml.build_graph(i * 75 + j, i * 75 + j + d, 1 + ((i * 7 + j * 13 + d) % 5), 1 + ((i * 11 + j * 3 + d) % 5)) AS g
FROM generate_series(0, 74) i, generate_series(0, 74) j, (VALUES (1), (75)) v(d)
WHERE (d = 1 AND j < 74) OR (d = 75 AND i < 74);
SELECT is((SELECT count(DISTINCT id) FROM sp.big,
               ecomml.solve_tsp(big.g, ARRAY(SELECT generate_series(0, 5499)::bigint), '{"time_limit_ms": 300}')),
          5500::bigint, '5 500 stops on a graph: a tour through all (sparse costs by default)');

-- errors
SELECT throws_ok($$SELECT * FROM sp.g, ecomml.solve_tsp(g.ch, ARRAY(SELECT generate_series(1, 5001)::bigint), '{"matrix": true}')$$,
                 '54000', NULL, '"matrix": true above 5 000 stops');
SELECT throws_ok($$SELECT * FROM ecomml.solve_tsp('{1,2,3}', '{0,1,2}', '{0,1,0}', '{"matrix": false}')$$,
                 '22023', NULL, '"matrix" is an option of the graph form only');
-- two components: the tour must cross
CREATE TABLE sp.two AS SELECT ecomml.build_graph(s, s + 1, 1, 1) AS g
FROM generate_series(0, 18) s WHERE s <> 9;
SELECT throws_ok($$SELECT * FROM sp.two, ecomml.solve_tsp(two.g, ARRAY(SELECT generate_series(0, 19)::bigint), '{"matrix": false}')$$,
                 '22000', NULL, 'sparse: a stop that cannot reach another is an error');
SELECT * FROM finish();
ROLLBACK;
