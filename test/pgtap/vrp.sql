-- Vehicle routing with capacities and time windows (src/vrp.c)
BEGIN;
SELECT plan(62);
SET client_min_messages = warning;
CREATE SCHEMA vt;

-- feasibility of a solve_vrp result over Euclidean orders (o) and vehicles (v):
-- returns one text per violation.  The vehicle columns start_x/y, end_x/y,
-- max_stops and max_route_duration are optional (read through to_jsonb).
CREATE FUNCTION vt.violations(res regclass, o regclass, v regclass, dx float8, dy float8)
RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH s AS (
        SELECT s.*, o.x AS ox, o.y AS oy, o.demand, o.service, o.open, o.close,
               max(s.seq) OVER (PARTITION BY s.vehicle) AS last,
               (to_jsonb(v) ->> CASE WHEN s.seq = 0 THEN 'start_x' ELSE 'end_x' END)::float8 AS vx,
               (to_jsonb(v) ->> CASE WHEN s.seq = 0 THEN 'start_y' ELSE 'end_y' END)::float8 AS vy
        FROM %1$s s LEFT JOIN %2$s o ON o.id = s.order_id LEFT JOIN %3$s v ON v.id = s.vehicle
        WHERE s.vehicle IS NOT NULL),
    r AS (
        SELECT s.*, coalesce(ox, vx, %4$s) AS x, coalesce(oy, vy, %5$s) AS y,
               lag(s.departure) OVER w AS prev_dep, lag(coalesce(ox, vx, %4$s)) OVER w AS px,
               lag(coalesce(oy, vy, %5$s)) OVER w AS py, lag(s.load) OVER w AS prev_load,
               lag(s.distance) OVER w AS prev_dist
        FROM s
        WINDOW w AS (PARTITION BY s.vehicle ORDER BY s.seq))
    SELECT 'leg ' || vehicle || '/' || seq || ' arrives at the wrong time' FROM r
    WHERE seq > 0 AND abs(arrival - prev_dep - sqrt((x - px) ^ 2 + (y - py) ^ 2)) > 1e-6
    UNION ALL
    SELECT 'leg ' || vehicle || '/' || seq || ' distance is wrong' FROM r
    WHERE seq > 0 AND abs(distance - prev_dist - sqrt((x - px) ^ 2 + (y - py) ^ 2)) > 1e-6
    UNION ALL
    SELECT 'order ' || order_id || ' served after its window closed' FROM r WHERE arrival > coalesce(close, 'Infinity') + 1e-6
    UNION ALL
    SELECT 'order ' || order_id || ' departure is wrong' FROM r
    WHERE order_id IS NOT NULL AND abs(departure - (greatest(arrival, coalesce(open, 0)) + coalesce(service, 0))) > 1e-6
    UNION ALL
    SELECT 'order ' || order_id || ' load is wrong' FROM r
    WHERE order_id IS NOT NULL AND abs(load - prev_load - coalesce(demand, 0)) > 1e-6
    UNION ALL
    SELECT 'vehicle ' || r.vehicle || ' over capacity' FROM r JOIN %3$s v ON v.id = r.vehicle
    WHERE r.load > coalesce(v.capacity, 'Infinity') + 1e-6
    UNION ALL
    SELECT 'vehicle ' || r.vehicle || ' back after its shift' FROM r JOIN %3$s v ON v.id = r.vehicle
    WHERE r.seq = r.last AND (r.arrival > coalesce(v.shift_end, 'Infinity') + 1e-6 OR r.order_id IS NOT NULL)
    UNION ALL
    SELECT 'route ' || vehicle || ' does not start at the depot' FROM r WHERE seq = 0 AND (order_id IS NOT NULL OR distance <> 0)
    UNION ALL
    SELECT 'vehicle ' || r.vehicle || ' makes more than max_stops stops' FROM r JOIN %3$s v ON v.id = r.vehicle
    WHERE r.seq = r.last AND r.seq - 1 > coalesce((to_jsonb(v) ->> 'max_stops')::int, 2147483647)
    UNION ALL
    SELECT 'vehicle ' || r.vehicle || ' is out longer than max_route_duration' FROM r JOIN %3$s v ON v.id = r.vehicle
    WHERE r.seq = r.last AND r.arrival - coalesce(v.shift_start, 0)
          > coalesce((to_jsonb(v) ->> 'max_route_duration')::float8, 'Infinity') + 1e-6
    UNION ALL
    SELECT 'order ' || o.id || ' appears ' || count(s.order_id) || ' times'
    FROM %2$s o LEFT JOIN %1$s s ON s.order_id = o.id GROUP BY o.id HAVING count(s.order_id) <> 1
    $q$, res, o, v, dx, dy);
END $$;

-- generated instance: 150 orders, windows of an hour over an 8-hour day,
-- one order too heavy for every vehicle, one whose window cannot be reached in time
SELECT setseed(0.31);
CREATE TABLE vt.o AS
SELECT k::bigint AS id, random() * 100 AS x, random() * 100 AS y, (1 + floor(random() * 9))::float8 AS demand,
       5::float8 AS service, w AS open, w + 60 AS close
FROM (SELECT k, random() * 400 AS w FROM generate_series(1, 150) k) z;
INSERT INTO vt.o VALUES (900, 60, 60, 1000, 0, 0, 480), (901, 100, 100, 1, 0, 0, 10);
CREATE TABLE vt.v AS SELECT v::bigint AS id, (CASE WHEN v % 3 = 0 THEN 80 ELSE 50 END)::float8 AS capacity,
                            0::float8 AS shift_start, 480::float8 AS shift_end
FROM generate_series(1, 15) v;
CREATE TABLE vt.r AS SELECT * FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY id) FROM vt.o),
    (SELECT jsonb_agg(to_jsonb(v) ORDER BY id) FROM vt.v),
    '{"depot_x": 50, "depot_y": 50, "time_limit_ms": 1000, "seed": 5}');
SELECT is_empty($$SELECT * FROM vt.violations('vt.r', 'vt.o', 'vt.v', 50, 50)$$,
                'generated instance: capacity, windows, shifts, times and loads all hold; every order once');
SELECT ok(EXISTS (SELECT 1 FROM vt.r WHERE order_id = 900 AND vehicle IS NULL),
          'an order heavier than every vehicle is returned unassigned');
SELECT ok(EXISTS (SELECT 1 FROM vt.r WHERE order_id = 901 AND vehicle IS NULL),
          'an order whose window closes before any vehicle can arrive is returned unassigned');
SELECT ok((SELECT count(*) FROM vt.r WHERE vehicle IS NULL) <= 10,
          'nearly every feasible order is served');
SELECT is((SELECT count(*) FROM vt.r WHERE vehicle IS NULL AND (seq IS NOT NULL OR arrival IS NOT NULL)), 0::bigint,
          'unassigned rows carry only the order id');

-- issue 15, a real fleet: two depots (some vans start at one and end at the
-- other), vans of three types (capacity, cost per distance, fixed cost),
-- at most 9 stops and 200 minutes per route for some
CREATE TABLE vt.fv AS
SELECT v::bigint AS id, (ARRAY[40, 60, 90])[1 + v % 3]::float8 AS capacity, 0::float8 AS shift_start,
       480::float8 AS shift_end,
       CASE WHEN v % 2 = 0 THEN 10 ELSE 90 END::float8 AS start_x, 50::float8 AS start_y,
       CASE WHEN v % 4 = 1 THEN 10 WHEN v % 2 = 0 THEN 10 ELSE 90 END::float8 AS end_x, 50::float8 AS end_y,
       (ARRAY[1.0, 1.5, 2.5])[1 + v % 3]::float8 AS cost_per_distance, (ARRAY[0, 50, 100])[1 + v % 3]::float8 AS fixed_cost,
       CASE WHEN v % 5 = 0 THEN 200 END::float8 AS max_route_duration, CASE WHEN v % 3 <> 2 THEN 9 END AS max_stops
FROM generate_series(1, 16) v;
CREATE TABLE vt.fr AS SELECT * FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(to_jsonb(o) ORDER BY id) FROM vt.o),
    (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(v)) ORDER BY id) FROM vt.fv v),
    '{"depot_x": 50, "depot_y": 50, "time_limit_ms": 1000, "seed": 3}');
SELECT is_empty($$SELECT * FROM vt.violations('vt.fr', 'vt.o', 'vt.fv', 50, 50)$$,
                'fleet: own depots, max_stops, max_route_duration, capacity, windows, shifts all hold; every order once');
SELECT ok((SELECT count(*) FROM vt.fr WHERE vehicle IS NULL) <= 10, 'fleet: nearly every feasible order is served');
SELECT ok((SELECT bool_and(r.seq = 0 OR r.seq = l.last) FROM vt.fr r
           JOIN (SELECT vehicle, max(seq) AS last FROM vt.fr GROUP BY vehicle) l USING (vehicle)
           WHERE r.order_id IS NULL AND r.vehicle IS NOT NULL),
          'fleet: depot rows only at the start and the end of a route');
-- a route's first leg is measured from its own start and its last to its own end
SELECT is((SELECT count(*) FROM vt.fr r JOIN vt.fv v ON v.id = r.vehicle
           JOIN (SELECT vehicle, max(seq) AS last FROM vt.fr GROUP BY vehicle) l USING (vehicle)
           JOIN vt.fr p ON p.vehicle = r.vehicle AND p.seq = r.seq - 1 LEFT JOIN vt.o o ON o.id = p.order_id
           WHERE r.seq = l.last
             AND abs(r.distance - p.distance - sqrt((o.x - v.end_x) ^ 2 + (o.y - v.end_y) ^ 2)) > 1e-6),
          0::bigint, 'fleet: every route ends at its own end depot');
SELECT is((SELECT count(*) FROM vt.fr r JOIN vt.fv v ON v.id = r.vehicle JOIN vt.o o ON o.id = r.order_id
           WHERE r.seq = 1 AND abs(r.distance - sqrt((o.x - v.start_x) ^ 2 + (o.y - v.start_y) ^ 2)) > 1e-6),
          0::bigint, 'fleet: every route starts at its own start depot');

-- two warehouses, (10, 50) and (90, 50), four vans at each, orders around both:
-- each order goes to a van of its own side
SELECT results_eq($$SELECT count(*) FILTER (WHERE (o.x < 50) <> (v.g % 2 = 0)) AS wrong_side, count(*) AS served
FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', CASE WHEN k % 2 = 0 THEN 10 ELSE 90 END + (k * 7) % 21 - 10,
                                         'y', 50 + (k * 13) % 41 - 20, 'demand', 1)) FROM generate_series(1, 80) k),
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', 15, 'start_x', CASE WHEN g % 2 = 0 THEN 10 ELSE 90 END,
                                         'start_y', 50, 'end_x', CASE WHEN g % 2 = 0 THEN 10 ELSE 90 END, 'end_y', 50))
     FROM generate_series(1, 8) g),
    '{"depot_x": 50, "depot_y": 50, "time_limit_ms": 300}') r
JOIN generate_series(1, 8) v(g) ON v.g = r.vehicle
JOIN (SELECT k AS id, CASE WHEN k % 2 = 0 THEN 10 ELSE 90 END + (k * 7) % 21 - 10 AS x FROM generate_series(1, 80) k) o ON o.id = r.order_id$$,
    $$VALUES (0::bigint, 80::bigint)$$, 'multi-depot: every order is served from its nearer warehouse');

-- one van leaving (10, 0) for (20, 0) through an order at (15, 5)
SELECT is((SELECT array_agg(round(distance::numeric, 6) ORDER BY seq) FROM ecomml.solve_vrp(
              '[{"id": 1, "x": 15, "y": 5}]', '[{"start_x": 10, "start_y": 0, "end_x": 20, "end_y": 0}]')),
          ARRAY[0, round(sqrt(50)::numeric, 6), round(2 * sqrt(50)::numeric, 6)], 'own start and end depot of a van');
-- cheaper vehicles first when capacity allows
SELECT is((SELECT array_agg(DISTINCT vehicle) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', k, 'y', 10 - k, 'demand', 2)) FROM generate_series(1, 5) k),
              '[{"id": 1, "capacity": 100, "cost_per_distance": 3}, {"id": 2, "capacity": 100, "cost_per_distance": 1},
                {"id": 3, "capacity": 100, "cost_per_distance": 2}]') WHERE vehicle IS NOT NULL),
          ARRAY[2::bigint], 'the vehicle with the lowest cost per distance drives');
SELECT is((SELECT array_agg(DISTINCT vehicle) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', k, 'y', 10 - k, 'demand', 2)) FROM generate_series(1, 5) k),
              '[{"id": 1, "capacity": 100, "fixed_cost": 500}, {"id": 2, "capacity": 100, "fixed_cost": 20}]')
           WHERE vehicle IS NOT NULL),
          ARRAY[2::bigint], 'the vehicle with the lowest fixed cost drives');
SELECT is((SELECT array_agg(DISTINCT vehicle) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', k, 'y', 10 - k, 'demand', 2)) FROM generate_series(1, 5) k),
              '[{"id": 1, "capacity": 100, "cost_per_distance": 10}, {"id": 2, "capacity": 6, "cost_per_distance": 1}]')
           WHERE vehicle IS NOT NULL ORDER BY 1),
          ARRAY[1::bigint, 2::bigint], 'the cheap van takes what it can carry, the dear one the rest');
SELECT is((SELECT count(DISTINCT vehicle) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', k, 'y', 10 - k)) FROM generate_series(1, 7) k),
              '[{"id": 1, "max_stops": 3}, {"id": 2, "max_stops": 3}, {"id": 3, "max_stops": 3}]')
           WHERE vehicle IS NOT NULL),
          3::bigint, 'max_stops 3 spreads 7 orders over 3 vans');
SELECT is((SELECT count(*) FROM ecomml.solve_vrp(
              '[{"id": 1, "x": 30, "y": 40}, {"id": 2, "x": 3, "y": 4}]', '[{"max_route_duration": 60}]')
           WHERE vehicle IS NULL AND order_id = 1),
          1::bigint, 'an order beyond max_route_duration is unassigned');

-- a route no free vehicle could take had its orders inserted into an unused
-- vehicle, which a later route then overwrote: orders marked served but on no
-- route, and a crash in local search (1000 orders, 60 vans of 60/100/150)
SELECT results_eq($$SELECT count(*), count(DISTINCT order_id) FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', k, 'x', (k * 7919) % 1000, 'y', (k * 104729) % 997, 'demand', 1 + k % 9))
     FROM generate_series(1, 1000) k),
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', (ARRAY[60, 100, 150])[1 + g % 3])) FROM generate_series(1, 60) g),
    '{"time_limit_ms": 300}') WHERE order_id IS NOT NULL$$,
    $$VALUES (1000::bigint, 1000::bigint)$$,
    'savings routes go only to empty vehicles: every order comes back once');

-- without windows or shifts: capacities only
CREATE TABLE vt.o2 AS SELECT id, x, y, demand, NULL::float8 AS service, NULL::float8 AS open, NULL::float8 AS close FROM vt.o
WHERE id < 900;
CREATE TABLE vt.v2 AS SELECT v::bigint AS id, 100::float8 AS capacity, NULL::float8 AS shift_start, NULL::float8 AS shift_end
FROM generate_series(1, 20) v;
CREATE TABLE vt.r2 AS SELECT * FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(o)) ORDER BY id) FROM vt.o2 o),
    (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(v)) ORDER BY id) FROM vt.v2 v),
    '{"time_limit_ms": 500, "depot_x": 50, "depot_y": 50}');
SELECT is_empty($$SELECT * FROM vt.violations('vt.r2', 'vt.o2', 'vt.v2', 50, 50)$$,
                'capacitated instance without windows: feasible, every order once');
SELECT is((SELECT count(*) FROM vt.r2 WHERE vehicle IS NULL), 0::bigint, 'every order is served');
SELECT ok((SELECT count(DISTINCT vehicle) FROM vt.r2) <= ceil((SELECT sum(demand) FROM vt.o2 o) / 100) + 2,
          'the fleet used is close to the capacity bound');

-- same seed and iteration budget: same routes
SELECT is((SELECT array_agg(order_id ORDER BY vehicle, seq) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(o)) ORDER BY id) FROM vt.o2 o),
              (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(v)) ORDER BY id) FROM vt.v2 v),
              '{"seed": 4, "max_iterations": 200, "time_limit_ms": 60000}')),
          (SELECT array_agg(order_id ORDER BY vehicle, seq) FROM ecomml.solve_vrp(
              (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(o)) ORDER BY id) FROM vt.o2 o),
              (SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(v)) ORDER BY id) FROM vt.v2 v),
              '{"seed": 4, "max_iterations": 200, "time_limit_ms": 60000}')),
          'seeded VRP with an iteration budget is deterministic');

-- CVRPLIB: within a stated gap of the published optimum (rounded distances), 1 s each
CREATE TABLE vt.cv AS
SELECT i.instance, s.*
FROM fx_cvrplib_optimum i,
     LATERAL ecomml.solve_vrp(
         (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand) ORDER BY id)
          FROM fx_cvrplib WHERE instance = i.instance AND NOT depot),
         (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', i.capacity)) FROM generate_series(1, i.vehicles) g),
         (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'time_limit_ms', 1000)
          FROM fx_cvrplib WHERE instance = i.instance AND depot)) s;
CREATE TABLE vt.cvlen AS
SELECT s.instance, sum(round(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2))) AS len, count(*) FILTER (WHERE s.vehicle IS NULL) AS unassigned
FROM (SELECT instance, vehicle, order_id, lag(order_id) OVER (PARTITION BY instance, vehicle ORDER BY seq) AS prev,
             seq FROM vt.cv) s
JOIN fx_cvrplib a ON a.instance = s.instance AND (a.id = s.order_id OR (s.order_id IS NULL AND a.depot))
JOIN fx_cvrplib b ON b.instance = s.instance AND (b.id = s.prev OR (s.prev IS NULL AND b.depot))
WHERE s.seq > 0
GROUP BY s.instance;
SELECT is((SELECT sum(unassigned) FROM vt.cvlen), 0::numeric, 'CVRPLIB: every customer served');
SELECT ok(len <= 784 * 1.02, 'A-n32-k5 within 2% of the optimum 784') FROM vt.cvlen WHERE instance = 'A-n32-k5';
SELECT ok(len <= 1763 * 1.04, 'A-n80-k10 within 4% of the optimum 1763') FROM vt.cvlen WHERE instance = 'A-n80-k10';

-- road graph: orders at nodes of the shop-like fixture grid
CREATE TABLE vt.g AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS g FROM fx_roads;
CREATE TABLE vt.go AS SELECT k::bigint AS id, (k * 7919 % 10000)::bigint AS node, 3::float8 AS demand FROM generate_series(1, 40) k;
CREATE TABLE vt.gr AS SELECT s.* FROM vt.g, ecomml.solve_vrp(g.g,
    (SELECT jsonb_agg(to_jsonb(go) ORDER BY id) FROM vt.go),
    '[{"capacity": 30}, {"capacity": 30}, {"capacity": 30}, {"capacity": 30}, {"capacity": 30}]',
    '{"depot": 5050, "time_limit_ms": 500}') s;
SELECT is((SELECT count(*) FROM vt.gr WHERE vehicle IS NULL), 0::bigint, 'road-graph VRP serves every order');
SELECT is((SELECT count(*) FROM (SELECT r.*, lag(go.node) OVER w AS pnode, lag(r.distance) OVER w AS pdist,
                                        go.node AS cnode
                                 FROM vt.gr r LEFT JOIN vt.go go ON go.id = r.order_id
                                 WINDOW w AS (PARTITION BY r.vehicle ORDER BY r.seq)) s, vt.g
           WHERE s.seq > 0 AND abs(s.distance - s.pdist - (SELECT coalesce(max(agg_cost), 0)
                   FROM ecomml.shortest_path(g.g, coalesce(s.pnode, 5050), coalesce(s.cnode, 5050)))) > 1e-6),
          0::bigint, 'road-graph VRP legs cost the shortest-path cost');
SELECT ok((SELECT max(load) FROM vt.gr) <= 30, 'road-graph VRP respects capacity');
-- road graph, vans with their own start and end nodes and no global depot
CREATE TABLE vt.gf AS SELECT s.* FROM vt.g, ecomml.solve_vrp(g.g,
    (SELECT jsonb_agg(to_jsonb(go) ORDER BY id) FROM vt.go),
    '[{"id": 1, "capacity": 60, "start_node": 1, "end_node": 5050}, {"id": 2, "capacity": 60, "start_node": 9999, "end_node": 9999},
      {"id": 3, "capacity": 60, "start_node": 1, "end_node": 1, "max_stops": 5}]',
    '{"time_limit_ms": 500}') s;
SELECT is((SELECT count(*) FROM vt.gf WHERE vehicle IS NULL), 0::bigint, 'road-graph fleet serves every order');
SELECT is((SELECT count(*) FROM (SELECT r.*, lag(go.node) OVER w AS pnode, lag(r.distance) OVER w AS pdist,
                                        go.node AS cnode, max(r.seq) OVER (PARTITION BY r.vehicle) AS last
                                 FROM vt.gf r LEFT JOIN vt.go go ON go.id = r.order_id
                                 WINDOW w AS (PARTITION BY r.vehicle ORDER BY r.seq)) s, vt.g
           WHERE s.seq > 0 AND abs(s.distance - s.pdist - (SELECT coalesce(max(agg_cost), 0)
                   FROM ecomml.shortest_path(g.g,
                        coalesce(s.pnode, CASE s.vehicle WHEN 2 THEN 9999 ELSE 1 END),
                        coalesce(s.cnode, CASE s.vehicle WHEN 1 THEN 5050 WHEN 2 THEN 9999 ELSE 1 END)))) > 1e-6),
          0::bigint, 'road-graph fleet legs run from each van''s start node to its end node');
SELECT ok((SELECT count(order_id) <= 5 FROM vt.gf WHERE vehicle = 3), 'road-graph fleet respects max_stops');

-- bad input
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0, "open": 10, "close": 5}]', '[{"capacity": 1}]')$$,
                 '22023', NULL, 'window that opens after it closes');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[]', '[{"capacity": 1}]')$$, '22023', NULL, 'no orders');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[]')$$, '22023', NULL, 'no vehicles');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}, {"id": 1, "x": 1, "y": 1}]', '[{}]')$$,
                 '22023', 'order "id" 1 appears more than once', 'duplicate order ids');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0}]', '[{}]')$$, '22004', NULL, 'missing coordinate');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0, "demand": -1}]', '[{}]')$$,
                 '22023', NULL, 'negative demand');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 5}]', '[{}]', '{}')$$,
                 '22023', NULL, 'graph VRP without a depot');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": -5}]', '[{}]', '{"depot": 1}')$$,
                 '22023', NULL, 'order at an unknown node');

-- issue 16: vehicle ids keep 64 bits (they came back as int: 5000000000 -> 705032704)
SELECT is((SELECT array_agg(DISTINCT vehicle) FROM ecomml.solve_vrp(
              '[{"id": 9007199254740993, "x": 1, "y": 0}]', '[{"id": 5000000000}]')),
          ARRAY[5000000000::bigint], 'vehicle id 5000000000 comes back unchanged');
SELECT is((SELECT max(order_id) FROM ecomml.solve_vrp(
              '[{"id": 9007199254740993, "x": 1, "y": 0}]', '[{"id": 5000000000}]')),
          9007199254740993::bigint, 'order id above 2^53 comes back exactly');
SELECT is(pg_typeof(vehicle)::text, 'bigint', 'vehicle is bigint')
FROM ecomml.solve_vrp('[{"id": 1, "x": 1, "y": 0}]', '[{}]') LIMIT 1;
-- issue 16: misspelled keys were ignored ("Demand": 10 served with load 0)
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0, "Demand": 10}]', '[{"capacity": 5}]')$$,
                 '22023', 'unknown key "Demand" in order 1', 'misspelled order key');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"capacity": 5, "shift_ends": 9}]')$$,
                 '22023', 'unknown key "shift_ends" in vehicle 1', 'misspelled vehicle key');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0, "node": 3}]', '[{}]')$$,
                 '22023', 'unknown key "node" in order 1', 'a graph key on the Euclidean form');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 1, "x": 3}]', '[{}]', '{"depot": 1}')$$,
                 '22023', 'unknown key "x" in order 1', 'a coordinate on the graph form');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{}]', '{"depot": 4}')$$,
                 '22023', 'option "depot" needs a graph', 'depot on the Euclidean form');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 1}]', '[{}]', '{"depot": 1, "depot_x": 2}')$$,
                 '22023', NULL, 'depot_x on the graph form');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"id": 7}, {"id": 7}]')$$,
                 '22023', 'vehicle "id" 7 appears more than once', 'duplicate vehicle ids');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1.5, "x": 0, "y": 0}]', '[{}]')$$,
                 '22023', NULL, 'fractional order id');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": "0", "y": 0}]', '[{}]')$$,
                 '22023', NULL, 'coordinate given as a string');
-- issue 15: fleet keys
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"cost_per_distance": -1}]')$$,
                 '22023', 'vehicle 1 has a negative cost_per_distance or fixed_cost', 'negative cost per distance');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{}, {"fixed_cost": -5}]')$$,
                 '22023', 'vehicle 2 has a negative cost_per_distance or fixed_cost', 'negative fixed cost');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"max_stops": 0}]')$$,
                 '22023', NULL, 'max_stops 0');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"max_stops": 2.5}]')$$,
                 '22023', NULL, 'fractional max_stops');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"max_route_duration": -1}]')$$,
                 '22023', 'vehicle 1 has a negative max_route_duration', 'negative max_route_duration');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"start_x": 4}]')$$,
                 '22023', 'vehicle 1 gives only one of "start_x" and "start_y"', 'start_x without start_y');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0}]', '[{"start_node": 4}]')$$,
                 '22023', 'unknown key "start_node" in vehicle 1', 'a graph vehicle key on the Euclidean form');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 1}]', '[{"end_x": 3}]', '{"depot": 1}')$$,
                 '22023', 'unknown key "end_x" in vehicle 1', 'a Euclidean vehicle key on the graph form');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 1}]', '[{"start_node": 1}]', '{}')$$,
                 '22023', NULL, 'graph VRP with a van without an end node and no depot');
SELECT throws_ok($$SELECT * FROM vt.g, ecomml.solve_vrp(g.g, '[{"id": 1, "node": 1}]', '[{"start_node": -7, "end_node": 1}]', '{}')$$,
                 '22023', NULL, 'vehicle start at an unknown node');
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('{"id": 1}', '[{}]')$$,
                 '22023', 'orders must be a JSON array of objects', 'orders not an array');

SELECT * FROM finish();
ROLLBACK;
