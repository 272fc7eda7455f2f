-- ecomml demo: delivery routes on the sample road grid (shop.roads, 20 x 20, minutes)
\pset footer off
\echo
\echo '== Routes: the road table becomes a graph model (with coordinates for A*), saved in the registry'
SELECT ecomml.model_save('roads', ecomml.build_graph(source, target, cost, reverse_cost, x1, y1, x2, y2)) AS version
FROM shop.roads;
SELECT params->>'nodes' AS nodes, params->>'arcs' AS arcs, params->>'heuristic_scale' AS astar_scale
FROM ecomml.model WHERE name = 'roads';

\echo '== Fastest drive from the depot (node 1) to the far corner (node 400)'
SELECT count(*) - 1 AS legs, round(max(agg_cost)::numeric, 2) AS minutes
FROM ecomml.shortest_path(ecomml.model('roads'), 1, 400);
SELECT alg, round((SELECT max(agg_cost) FROM ecomml.shortest_path(ecomml.model('roads'), 1, 400,
                                                                   jsonb_build_object('algorithm', alg)))::numeric, 2) AS minutes
FROM unnest(ARRAY['bidirectional', 'dijkstra', 'astar']) alg;

\echo '== Isochrone: crossings reachable from the depot within 10 and 20 minutes'
SELECT count(*) FILTER (WHERE agg_cost <= 10) AS within_10_min, count(*) AS within_20_min
FROM ecomml.shortest_path_tree(ecomml.model('roads'), 1, 20);

\echo '== Driving-time matrix between the depot and three stops'
SELECT from_node, to_node, round(cost::numeric, 2) AS minutes
FROM ecomml.cost_matrix(ecomml.model('roads'), ARRAY[1, 57, 233, 388])
ORDER BY from_node, to_node;

\echo '== Morning tour: the depot and twelve stops, by road'
SELECT seq, id AS node, round(cost::numeric, 2) AS minutes, round(agg_cost::numeric, 2) AS total
FROM ecomml.solve_tsp(ecomml.model('roads'), ARRAY[1, 19, 57, 88, 126, 145, 203, 233, 260, 311, 355, 388, 397],
                      '{"start": 1, "seed": 1}');
