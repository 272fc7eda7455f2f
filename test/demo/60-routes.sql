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

\echo '== Contraction hierarchy: contracted once (node order + shortcuts in the model), same costs, far fewer nodes searched'
SELECT ecomml.model_save('roads_ch', ecomml.contract_graph(ecomml.model('roads'))) AS version;
SELECT params->>'shortcuts' AS shortcuts, pg_size_pretty(length(ecomml.model('roads_ch'))::bigint) AS size_with_ch,
       pg_size_pretty(length(ecomml.model('roads'))::bigint) AS size_without
FROM ecomml.model WHERE name = 'roads_ch';
SELECT round(max(agg_cost)::numeric, 2) AS minutes_ch, count(*) - 1 AS legs
FROM ecomml.shortest_path(ecomml.model('roads_ch'), 1, 400);

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

\echo '== Every crossing (400 stops) in one round: the n x n matrix, or none ("matrix": false: nearest stops by road, other pairs on demand)'
SELECT m AS matrix, count(*) - 1 AS stops, round(max(agg_cost)::numeric, 1) AS tour_minutes
FROM unnest(ARRAY[true, false]) m,
     ecomml.solve_tsp(ecomml.model('roads_ch'), ARRAY(SELECT generate_series(1, 400)::bigint),
                      jsonb_build_object('matrix', m, 'seed', 1, 'max_kicks', 2000, 'time_limit_ms', 5000))
GROUP BY m ORDER BY m DESC;
\echo '-- whole-grid isochrone on the contracted graph (PHAST): the same crossings and minutes as Dijkstra'
SELECT count(*) AS crossings, round(max(agg_cost)::numeric, 2) AS farthest_minutes,
       (SELECT count(*) FROM ecomml.shortest_path_tree(ecomml.model('roads'), 1) d
        JOIN ecomml.shortest_path_tree(ecomml.model('roads_ch'), 1) c USING (node)
        WHERE c.agg_cost = d.agg_cost) AS same_minutes_as_dijkstra
FROM ecomml.shortest_path_tree(ecomml.model('roads_ch'), 1);

\echo '== Dispatch: 40 deliveries for today (customers at road crossings, time windows), 4 vans of 60 units, 8-hour shifts'
CREATE TEMP TABLE todays_orders AS
SELECT c.customer_id AS order_id, 1 + (c.customer_id * 37) % 400 AS node,
       1 + c.customer_id % 9 AS demand, 4 AS service,
       CASE WHEN c.customer_id % 24 = 0 THEN 120 ELSE 0 END AS open,
       CASE WHEN c.customer_id % 24 = 0 THEN 240 ELSE 480 END AS close
FROM shop.customers c WHERE c.customer_id % 12 = 0 LIMIT 40;
CREATE TEMP TABLE routes AS
SELECT * FROM ecomml.solve_vrp(ecomml.model('roads'),
    (SELECT jsonb_agg(jsonb_build_object('id', order_id, 'node', node, 'demand', demand, 'service', service,
                                         'open', open, 'close', close) ORDER BY order_id) FROM todays_orders),
    (SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', 60, 'shift_end', 480)) FROM generate_series(1, 4) v),
    '{"depot": 1, "seed": 1, "time_limit_ms": 1000}');
SELECT vehicle AS van, count(order_id) AS stops, max(load) AS load,
       round(max(distance)::numeric, 1) AS drive_minutes, round(max(arrival)::numeric, 1) AS back_at_minute
FROM routes WHERE vehicle IS NOT NULL GROUP BY vehicle ORDER BY vehicle;
SELECT count(*) AS unassigned_orders FROM routes WHERE vehicle IS NULL;
\echo '-- van 1, stop by stop'
SELECT seq, order_id, round(arrival::numeric, 1) AS arrive, round(departure::numeric, 1) AS leave, load
FROM routes WHERE vehicle = 1 ORDER BY seq;

\echo '== Two warehouses (road crossings 1 and 400): 4 vans from each, hired vans cost double per minute, 12 stops at most each'
CREATE TEMP TABLE fleet_routes AS
SELECT * FROM ecomml.solve_vrp(ecomml.model('roads'),
    (SELECT jsonb_agg(jsonb_build_object('id', order_id, 'node', node, 'demand', demand, 'service', service,
                                         'open', open, 'close', close) ORDER BY order_id) FROM todays_orders),
    (SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', 60, 'shift_end', 480,
                                         'start_node', CASE WHEN v <= 4 THEN 1 ELSE 400 END,
                                         'end_node', CASE WHEN v <= 4 THEN 1 ELSE 400 END,
                                         'cost_per_distance', CASE WHEN v % 4 = 0 THEN 2 ELSE 1 END,
                                         'fixed_cost', 30, 'max_stops', 12)) FROM generate_series(1, 8) v),
    '{"seed": 1, "time_limit_ms": 1000}');
SELECT vehicle AS van, CASE WHEN vehicle <= 4 THEN 'crossing 1' ELSE 'crossing 400' END AS warehouse,
       CASE WHEN vehicle % 4 = 0 THEN 'hired' ELSE 'own' END AS kind,
       count(order_id) AS stops, max(load) AS load, round(max(distance)::numeric, 1) AS drive_minutes
FROM fleet_routes WHERE vehicle IS NOT NULL GROUP BY vehicle ORDER BY vehicle;
SELECT (SELECT count(*) FROM fleet_routes WHERE vehicle IS NULL) AS unassigned_orders,
       round(sum(drive)::numeric, 1) AS total_drive_minutes,
       round(sum(30 + CASE WHEN vehicle % 4 = 0 THEN 2 ELSE 1 END * drive)::numeric, 1) AS total_cost
FROM (SELECT vehicle, max(distance) AS drive FROM fleet_routes WHERE vehicle IS NOT NULL GROUP BY vehicle) r;
