-- Vehicle routing with capacities and time windows (src/vrp.c)
BEGIN;
SELECT plan(36);
SET client_min_messages = warning;
CREATE SCHEMA vt;

-- feasibility of a solve_vrp result over Euclidean orders (o) and vehicles (v):
-- returns one text per violation
CREATE FUNCTION vt.violations(res regclass, o regclass, v regclass, dx float8, dy float8)
RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
    WITH r AS (
        SELECT s.*, coalesce(o.x, %4$s) AS x, coalesce(o.y, %5$s) AS y,
               o.demand, o.service, o.open, o.close,
               lag(s.departure) OVER w AS prev_dep, lag(coalesce(o.x, %4$s)) OVER w AS px,
               lag(coalesce(o.y, %5$s)) OVER w AS py, lag(s.load) OVER w AS prev_load,
               lag(s.distance) OVER w AS prev_dist, max(s.seq) OVER (PARTITION BY s.vehicle) AS last
        FROM %1$s s LEFT JOIN %2$s o ON o.id = s.order_id
        WHERE s.vehicle IS NOT NULL
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
SELECT throws_ok($$SELECT * FROM ecomml.solve_vrp('{"id": 1}', '[{}]')$$,
                 '22023', 'orders must be a JSON array of objects', 'orders not an array');

SELECT * FROM finish();
ROLLBACK;
