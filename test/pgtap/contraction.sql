-- Contraction hierarchies (src/contraction.c, src/ch_query.c): the same
-- least costs and paths as plain Dijkstra on generated graphs.
BEGIN;
SELECT plan(12);
SET client_min_messages = warning;
SELECT setseed(0.42);
CREATE SCHEMA cht;

-- the one-way grid of test/fixtures/routes.sql (30 x 30, arterials, random
-- costs), built and contracted there
CREATE TABLE cht.e AS SELECT * FROM public.fx_oneway_grid;
CREATE TABLE cht.g AS SELECT plain, ch FROM public.fx_oneway_graph;
CREATE TABLE cht.pairs AS
SELECT (random() * 899)::bigint AS a, (random() * 899)::bigint AS b FROM generate_series(1, 150);

SELECT is((SELECT (ecomml.model_info(ch) ->> 'contracted')::bool FROM cht.g), true, 'model_info says contracted');
SELECT ok((SELECT (ecomml.model_info(ch) ->> 'shortcuts')::int > 0 FROM cht.g), 'shortcuts were added');
SELECT is((SELECT ecomml.model_info(plain) ? 'contracted' FROM cht.g), false,
          'an uncontracted graph describes as before');

-- one-to-one: costs summed along the unpacked path, exactly Dijkstra's
SELECT is((SELECT count(*) FROM cht.g, cht.pairs,
               LATERAL (SELECT max(agg_cost) AS c FROM ecomml.shortest_path(g.plain, a, b, '{"algorithm": "dijkstra"}')) d,
               LATERAL (SELECT max(agg_cost) AS c FROM ecomml.shortest_path(g.ch, a, b)) h
           WHERE d.c IS DISTINCT FROM h.c), 0::bigint, '150 random pairs: CH costs equal Dijkstra''s exactly');
-- the path is a real path: consecutive arcs of the input, costs as given
SELECT is((SELECT count(*) FROM cht.g, cht.pairs,
               LATERAL (SELECT p.*, lead(node) OVER (ORDER BY seq) AS nxt FROM ecomml.shortest_path(g.ch, a, b) p) p
           WHERE p.nxt IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM (SELECT row_number() OVER (ORDER BY s, t, c, rc) AS k, * FROM cht.e) e
               WHERE e.k = p.edge_index AND ((e.s = p.node AND e.t = p.nxt AND e.c = p.cost)
                                          OR (e.t = p.node AND e.s = p.nxt AND e.rc = p.cost)))),
          0::bigint, 'every arc of a CH path is an input edge in the right direction at its cost');
SELECT is((SELECT count(*) FROM cht.g, cht.pairs,
               LATERAL (SELECT count(*) AS n FROM ecomml.shortest_path(g.plain, a, b)) d,
               LATERAL (SELECT count(*) AS n FROM ecomml.shortest_path(g.ch, a, b)) h
           WHERE (d.n = 0) <> (h.n = 0)), 0::bigint, 'unreachable exactly when Dijkstra finds no path');

-- many-to-many by buckets: the same pairs, costs within rounding of the sums
CREATE TABLE cht.nodes AS SELECT array_agg(DISTINCT (random() * 899)::bigint) AS n FROM generate_series(1, 120);
CREATE TABLE cht.m1 AS SELECT m.* FROM cht.g, cht.nodes, ecomml.cost_matrix(g.plain, nodes.n) m;
CREATE TABLE cht.m2 AS SELECT m.* FROM cht.g, cht.nodes, ecomml.cost_matrix(g.ch, nodes.n) m;
SELECT is((SELECT count(*) FROM cht.m1 FULL JOIN cht.m2 USING (from_node, to_node)
           WHERE m1.cost IS NULL OR m2.cost IS NULL), 0::bigint, 'cost_matrix: the same reachable pairs');
SELECT ok((SELECT max(abs(m1.cost - m2.cost) / m1.cost) FROM cht.m1 JOIN cht.m2 USING (from_node, to_node)) < 1e-12,
          'cost_matrix: CH costs equal Dijkstra''s within 1e-12 (shortcut sums associate differently)');

-- integer costs, parallel edges and loops, undirected: exact everywhere
CREATE TABLE cht.ei AS
SELECT (random() * 200)::bigint AS s, (random() * 200)::bigint AS t, (1 + floor(random() * 9))::float8 AS c
FROM generate_series(1, 700);
CREATE TABLE cht.gi AS
SELECT ecomml.build_graph(s, t, c, c, '{"directed": false}') AS plain FROM cht.ei;
ALTER TABLE cht.gi ADD COLUMN ch bytea;
UPDATE cht.gi SET ch = ecomml.contract_graph(plain);
SELECT is((SELECT count(*) FROM (SELECT m.* FROM cht.gi, ecomml.cost_matrix(gi.plain, (SELECT array_agg(DISTINCT s) FROM cht.ei)) m) a
           FULL JOIN (SELECT m.* FROM cht.gi, ecomml.cost_matrix(gi.ch, (SELECT array_agg(DISTINCT s) FROM cht.ei)) m) b
           USING (from_node, to_node) WHERE a.cost IS DISTINCT FROM b.cost), 0::bigint,
          'integer costs with parallel edges and loops: CH matrix equals Dijkstra''s exactly');
-- contracting again starts from the graph, not from the old hierarchy
SELECT is((SELECT ecomml.model_info(ecomml.contract_graph(ch)) ->> 'shortcuts' FROM cht.gi),
          (SELECT ecomml.model_info(ch) ->> 'shortcuts' FROM cht.gi), 'contracting a contracted graph gives the same hierarchy');
-- TSP on the road graph uses the CH matrix: same tour cost
SELECT is((SELECT round(max(agg_cost)::numeric, 9) FROM cht.g, ecomml.solve_tsp(g.ch, ARRAY[1, 45, 300, 650, 899, 120]::bigint[], '{"seed": 1}')),
          (SELECT round(max(agg_cost)::numeric, 9) FROM cht.g, ecomml.solve_tsp(g.plain, ARRAY[1, 45, 300, 650, 899, 120]::bigint[], '{"seed": 1}')),
          'solve_tsp on a contracted graph: the same tour cost');
SELECT throws_ok($$SELECT * FROM cht.g, ecomml.shortest_path(g.plain, 1, 2, '{"algorithm": "ch"}')$$,
                 '22023', 'algorithm "ch" needs a contracted graph', 'algorithm ch without a hierarchy');

SELECT * FROM finish();
ROLLBACK;
