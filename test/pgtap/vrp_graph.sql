-- solve_vrp on a road graph without an n x n matrix (src/vrp_road.c): beyond
-- the 5 000 orders and depots of a dense matrix on a contracted graph, legs
-- priced by road, unreachable orders unassigned; the limits and their errors
BEGIN;
SELECT plan(13);
SET client_min_messages = warning;
CREATE SCHEMA vg;

-- a 75 x 75 grid, costs 1-5 differing by direction, plus an island (nodes
-- 9000 and 9001) that no van can reach
CREATE TABLE vg.road AS
SELECT i * 75 + j AS source, i * 75 + j + d AS target, 1.0 + ((i * 7 + j * 13 + d) % 5) AS cost,
       1.0 + ((i * 11 + j * 3 + d) % 5) AS reverse_cost
FROM generate_series(0, 74) i, generate_series(0, 74) j, (VALUES (1), (75)) v(d)
WHERE (d = 1 AND j < 74) OR (d = 75 AND i < 74)
UNION ALL SELECT 9000, 9001, 1, 1;
CREATE TABLE vg.g AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS plain FROM vg.road;
ALTER TABLE vg.g ADD COLUMN ch bytea;
UPDATE vg.g SET ch = ecomml.contract_graph(plain);

-- 5 500 orders at random nodes (some share one), demand 1-10; 110 vans with
-- 10 % more capacity in all than demand; depot in the middle (node 2812)
SELECT setseed(0.42);
CREATE TABLE vg.o AS SELECT k::bigint AS id, floor(random() * 5625)::bigint AS node, 1 + floor(random() * 10) AS demand
FROM generate_series(1, 5500) k;
SELECT ceil(sum(demand) * 1.1 / 110) AS cap FROM vg.o \gset
SELECT jsonb_agg(jsonb_build_object('id', id, 'node', node, 'demand', demand)) AS orders FROM vg.o \gset
SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', :cap)) AS vans FROM generate_series(1, 110) v \gset
CREATE TABLE vg.r AS SELECT s.* FROM vg.g, ecomml.solve_vrp(g.ch, :'orders', :'vans',
    '{"depot": 2812, "time_limit_ms": 1000, "seed": 1}') s;

SELECT is((SELECT count(*) FROM vg.r WHERE vehicle IS NOT NULL AND order_id IS NOT NULL), 5500::bigint,
          '5 500 orders on a contracted graph: every order served');
SELECT is_empty($$SELECT o.id FROM vg.o o LEFT JOIN vg.r r ON r.order_id = o.id GROUP BY o.id HAVING count(r.order_id) <> 1$$,
                '5 500 orders: every order appears exactly once');
SELECT is_empty(format($$SELECT vehicle FROM vg.r GROUP BY vehicle HAVING max(load) > %s$$, :cap),
                '5 500 orders: no route above capacity');
-- 300 legs checked against shortest_path (Dijkstra on the plain graph)
SELECT is((SELECT count(*) FROM (SELECT r.*, lag(o.node) OVER w AS pnode, lag(r.distance) OVER w AS pdist, o.node AS cnode
                                 FROM vg.r r LEFT JOIN vg.o o ON o.id = r.order_id WHERE r.vehicle IS NOT NULL
                                 WINDOW w AS (PARTITION BY r.vehicle ORDER BY r.seq)) s, vg.g
           WHERE s.seq > 0 AND s.vehicle <= 6
             AND abs(s.distance - s.pdist - (SELECT coalesce(max(agg_cost), 0)
                   FROM ecomml.shortest_path(g.plain, coalesce(s.pnode, 2812), coalesce(s.cnode, 2812),
                                             '{"algorithm": "dijkstra"}'))) > 1e-9 * s.distance),
          0::bigint, '5 500 orders: legs cost the least cost by road');
SELECT ok((SELECT count(*) FROM (SELECT r.*, lag(o.node) OVER w AS pnode FROM vg.r r LEFT JOIN vg.o o ON o.id = r.order_id
                                 WHERE r.vehicle IS NOT NULL WINDOW w AS (PARTITION BY r.vehicle ORDER BY r.seq)) s
           WHERE s.seq > 0 AND s.vehicle <= 6) >= 300, 'at least 300 legs checked');

-- no time at all: savings stop at once, so nearly every order is a left-over
-- inserted by the walk over the neighbour lists; all still find a route
SELECT is((SELECT count(*) FROM vg.g, ecomml.solve_vrp(g.ch, :'orders', :'vans', '{"depot": 2812, "time_limit_ms": 0}') s
           WHERE s.vehicle IS NOT NULL AND s.order_id IS NOT NULL), 5500::bigint,
          '5 500 orders, time_limit_ms 0: every order served');

-- an order on the island: unassigned, not an error
CREATE TABLE vg.island AS SELECT s.* FROM vg.g, ecomml.solve_vrp(g.ch,
    '[{"id": 1, "node": 10}, {"id": 2, "node": 9000}, {"id": 3, "node": 200}]', '[{"id": 1}]',
    '{"depot": 2812, "matrix": false, "time_limit_ms": 50}') s;
SELECT is((SELECT array_agg(order_id ORDER BY order_id) FROM vg.island WHERE vehicle IS NULL), '{2}'::bigint[],
          'without a matrix an unreachable order is unassigned');
SELECT is((SELECT count(*) FROM vg.island WHERE vehicle = 1 AND order_id IS NOT NULL), 2::bigint,
          'without a matrix the reachable orders are served');

-- a small plan, on an iteration budget (repeatable): as many orders served as
-- with the dense matrix, distance within 3 %
CREATE TABLE vg.small AS SELECT s.*, m FROM vg.g, (VALUES (true), (false)) v(m),
    ecomml.solve_vrp(g.ch, (SELECT jsonb_agg(jsonb_build_object('id', id, 'node', node, 'demand', demand)) FROM vg.o WHERE id <= 300),
                     (SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', 100)) FROM generate_series(1, 20) v),
                     jsonb_build_object('depot', 2812, 'matrix', m, 'max_iterations', 3000, 'time_limit_ms', 60000, 'seed', 1)) s;
SELECT ok((SELECT sum(distance) FILTER (WHERE NOT m) FROM vg.small WHERE order_id IS NULL AND seq > 0)
          <= 1.03 * (SELECT sum(distance) FILTER (WHERE m) FROM vg.small WHERE order_id IS NULL AND seq > 0)
          AND (SELECT count(*) FILTER (WHERE NOT m) = count(*) FILTER (WHERE m) FROM vg.small WHERE vehicle IS NOT NULL AND order_id IS NOT NULL),
          '300 orders: without a matrix as many served, distance within 3 % of the dense matrix''s');

-- limits
SELECT throws_ok(format($$SELECT * FROM vg.g, ecomml.solve_vrp(g.plain, %L, %L, '{"depot": 2812}')$$, :'orders', :'vans'),
                 '54000', 'solve_vrp without a cost matrix needs a contracted graph',
                 'above 5 000 orders on a graph without a hierarchy: refused with a hint to contract it');
SELECT throws_ok($$SELECT * FROM vg.g, ecomml.solve_vrp(g.plain, '[{"id": 1, "node": 10}]', '[{"id": 1}]',
                                                          '{"depot": 2812, "matrix": false}')$$,
                 '54000', 'solve_vrp without a cost matrix needs a contracted graph', '"matrix": false on a graph without a hierarchy');
SELECT throws_ok(format($$SELECT * FROM vg.g, ecomml.solve_vrp(g.ch, %L, %L, '{"depot": 2812, "matrix": true}')$$, :'orders', :'vans'),
                 '54000', 'solve_vrp with "matrix": true takes at most 5000 orders and depots, not 5501',
                 '"matrix": true above 5 000 orders and depots');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 1, "y": 1}]', '[{"id": 1}]', '{"matrix": false}')$$,
                 '22023', NULL, '"matrix" is an option of the graph form only');

SELECT * FROM finish();
ROLLBACK;
