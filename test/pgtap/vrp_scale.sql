-- solve_vrp beyond the old 10 000-order wall (src/vrp.c): a 12 000-order
-- Euclidean instance solves feasibly within a short time limit; the cap is
-- 100 000 orders
BEGIN;
SELECT plan(6);
SET client_min_messages = warning;
CREATE SCHEMA vs;

-- 12 000 orders in a 1000 x 1000 square, demand 1-10; 240 vans with 10 % more
-- capacity in all than demand (about 55 orders a route)
SELECT setseed(0.42);
CREATE TABLE vs.o AS SELECT k::bigint AS id, random() * 1000 AS x, random() * 1000 AS y,
                            1 + floor(random() * 10) AS demand
FROM generate_series(1, 12000) k;
SELECT ceil(sum(demand) * 1.1 / 240) AS cap FROM vs.o \gset
CREATE TABLE vs.r AS SELECT * FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand)) FROM vs.o),
    (SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', :cap)) FROM generate_series(1, 240) v),
    '{"depot_x": 500, "depot_y": 500, "time_limit_ms": 300, "seed": 1}');

SELECT is((SELECT count(*) FROM vs.r WHERE vehicle IS NOT NULL AND order_id IS NOT NULL), 12000::bigint,
          '12 000 orders: every order served');
SELECT is_empty($$SELECT o.id FROM vs.o o LEFT JOIN vs.r r ON r.order_id = o.id GROUP BY o.id HAVING count(r.order_id) <> 1$$,
                '12 000 orders: every order appears exactly once');
SELECT is_empty(format($$SELECT vehicle FROM vs.r GROUP BY vehicle HAVING max(load) > %s$$, :cap),
                '12 000 orders: no route above capacity');
SELECT is_empty($$
    WITH p AS (SELECT r.*, coalesce(o.x, 500) AS sx, coalesce(o.y, 500) AS sy, coalesce(o.demand, 0) AS dem
               FROM vs.r r LEFT JOIN vs.o o ON o.id = r.order_id WHERE r.vehicle IS NOT NULL),
         l AS (SELECT p.*, lag(sx) OVER w AS px, lag(sy) OVER w AS py, lag(distance) OVER w AS pd, lag(load) OVER w AS pl
               FROM p WINDOW w AS (PARTITION BY vehicle ORDER BY seq))
    SELECT vehicle, seq FROM l
    WHERE seq > 0 AND (abs(distance - pd - sqrt((sx - px) ^ 2 + (sy - py) ^ 2)) > 1e-6 OR abs(load - pl - dem) > 1e-9)$$,
                '12 000 orders: legs priced by Euclidean distance, loads summed');
SELECT cmp_ok((SELECT count(DISTINCT vehicle) FROM vs.r)::int, '<=', 240, '12 000 orders: at most the 240 vans');

SELECT throws_ok(
    $$SELECT * FROM ecomml.solve_vrp((SELECT jsonb_agg(jsonb_build_object('id', k, 'x', k, 'y', 0)) FROM generate_series(1, 100001) k),
                                     '[{"id": 1}]', '{"time_limit_ms": 0}')$$,
    '54000', 'solve_vrp takes at most 100000 orders, not 100001', 'more than 100 000 orders: refused');

SELECT * FROM finish();
ROLLBACK;
