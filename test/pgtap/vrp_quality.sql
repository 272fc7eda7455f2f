-- Vehicle routing quality against published best-known solutions (src/vrp_ruin.c).
-- An iteration budget (max_iterations, with a generous time limit) makes each
-- run repeatable: the annealing schedule follows the iterations, not the clock.
BEGIN;
SELECT plan(10);
SET client_min_messages = warning;
CREATE SCHEMA vq;

-- CVRPLIB X-n101-k25 (Uchoa et al. 2017): 100 customers, capacity 206, best
-- known 27591 (proven optimal) in CVRPLIB's distances, nint(Euclidean) per leg.
CREATE TABLE vq.x AS SELECT s.* FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand) ORDER BY id)
     FROM fx_cvrp WHERE instance = 'X-n101-k25' AND NOT depot),
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', 206)) FROM generate_series(1, 50) g),
    (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'seed', 1, 'max_iterations', 60000,
                               'time_limit_ms', 120000)
     FROM fx_cvrp WHERE instance = 'X-n101-k25' AND depot)) s;
CREATE TABLE vq.xcost AS
SELECT sum(round(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2))) AS cost
FROM (SELECT order_id, lag(order_id) OVER w AS prev, seq FROM vq.x WHERE vehicle IS NOT NULL
      WINDOW w AS (PARTITION BY vehicle ORDER BY seq)) s
JOIN fx_cvrp a ON a.instance = 'X-n101-k25' AND (a.id = s.order_id OR (s.order_id IS NULL AND a.depot))
JOIN fx_cvrp b ON b.instance = 'X-n101-k25' AND (b.id = s.prev OR (s.prev IS NULL AND b.depot))
WHERE s.seq > 0;
SELECT is((SELECT count(DISTINCT order_id) FROM vq.x WHERE vehicle IS NOT NULL), 100::bigint,
          'X-n101-k25: every customer served once');
SELECT is((SELECT count(*) FROM (SELECT vehicle FROM vq.x s JOIN fx_cvrp c ON c.instance = 'X-n101-k25' AND c.id = s.order_id
                                 GROUP BY vehicle HAVING sum(c.demand) > 206) z), 0::bigint,
          'X-n101-k25: no route over capacity 206');
-- recorded: 27 694 (+0.37 %) with seed 1 and 60 000 iterations (0.6 s of CPU; before SWAP*:
-- 27 657); over seeds 1-3 at 200 iterations per customer the X instances of 100-400 customers
-- average 1.24 % (1.32 % before SWAP*): the bound holds for this seed, not for every one
SELECT cmp_ok((SELECT cost FROM vq.xcost), '<=', 27591 * 1.01::float8,
              'X-n101-k25 within 1 % of the best known 27591');

-- Solomon R101 (VRPTW, 100 customers): best known 19 vehicles / 1650.80
-- (Homberger 2000, SINTEF's list), vehicles first, so every van costs 10 000.
CREATE TABLE vq.r AS SELECT s.* FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand, 'open', ready,
                                         'close', due, 'service', service) ORDER BY id)
     FROM fx_solomon WHERE instance = 'R101' AND id > 0),
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', 200, 'shift_start', 0, 'shift_end', d.due,
                                         'fixed_cost', 10000))
     FROM generate_series(1, 25) g, fx_solomon d WHERE d.instance = 'R101' AND d.id = 0),
    (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'seed', 1, 'max_iterations', 60000,
                               'time_limit_ms', 120000)
     FROM fx_solomon WHERE instance = 'R101' AND id = 0)) s;
CREATE TABLE vq.rl AS
SELECT s.*, sqrt((coalesce(c.x, d.x) - lag(coalesce(c.x, d.x)) OVER w) ^ 2
                 + (coalesce(c.y, d.y) - lag(coalesce(c.y, d.y)) OVER w) ^ 2) AS leg,
       lag(s.departure) OVER w AS pdep, c.ready, coalesce(c.due, d.due) AS due, c.service
FROM vq.r s JOIN fx_solomon d ON d.instance = 'R101' AND d.id = 0
LEFT JOIN fx_solomon c ON c.instance = 'R101' AND c.id = s.order_id AND c.id > 0
WHERE s.vehicle IS NOT NULL
WINDOW w AS (PARTITION BY s.vehicle ORDER BY s.seq);
SELECT is((SELECT count(DISTINCT order_id) FROM vq.r WHERE vehicle IS NOT NULL), 100::bigint,
          'R101: every customer served once');
SELECT is((SELECT count(*) FROM vq.rl WHERE seq > 0 AND (abs(arrival - pdep - leg) > 1e-6 OR arrival > due + 1e-6
                                                        OR departure < greatest(arrival, ready) + service - 1e-6)),
          0::bigint, 'R101: legs, windows and the depot''s closing time hold, recomputed from the coordinates');
SELECT is((SELECT max(load) <= 200 FROM vq.r), true, 'R101: no route over capacity 200');
-- recorded: 19 vehicles, 1 668.65 (+1.08 %) with seed 1 and 60 000 iterations (fleet phase up
-- to 80 % of the run; at 40 %: 1 653.53; before the fleet phase's ejections: 1 650.80, the best known)
SELECT cmp_ok((SELECT count(DISTINCT vehicle) FROM vq.r WHERE vehicle IS NOT NULL), '<=', 19::bigint,
              'R101: as few vehicles as the best known 19');
SELECT cmp_ok((SELECT sum(leg) FROM vq.rl WHERE seq > 0), '<=', 1650.80 * 1.02::float8,
              'R101: distance within 2 % of the best known 1650.80');

-- Solomon RC101 (best known 14 vehicles / 1696.95, SINTEF's list): mixed random and clustered
-- customers with tight windows, where taking vans off the road is hardest.  Seeds 1-3 with
-- 60 000 iterations each; recorded: 15, 14, 14 vehicles (distances 1658.62, 1735.39, 1738.99;
-- with the fleet phase at 40 % of the run: 15, 14, 14, 1689.25, 1739.05, 1730.59); before the
-- fleet phase's fixes (cost after a dropped route, ejections): 15 in all three
CREATE TABLE vq.rc AS
SELECT g AS seed, s.* FROM generate_series(1, 3) g, ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand, 'open', ready,
                                         'close', due, 'service', service) ORDER BY id)
     FROM fx_solomon WHERE instance = 'RC101' AND id > 0),
    (SELECT jsonb_agg(jsonb_build_object('id', v, 'capacity', 200, 'shift_start', 0, 'shift_end', d.due,
                                         'fixed_cost', 10000))
     FROM generate_series(1, 25) v, fx_solomon d WHERE d.instance = 'RC101' AND d.id = 0),
    (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'seed', g, 'max_iterations', 60000,
                               'time_limit_ms', 120000)
     FROM fx_solomon WHERE instance = 'RC101' AND id = 0)) s;
SELECT is((SELECT count(*) FROM (SELECT seed FROM vq.rc WHERE vehicle IS NOT NULL GROUP BY seed
                                 HAVING count(DISTINCT order_id) = 100) z), 3::bigint,
          'RC101: every customer served, with every seed');
SELECT cmp_ok((SELECT count(*) FROM (SELECT seed FROM vq.rc WHERE vehicle IS NOT NULL GROUP BY seed
                                     HAVING count(DISTINCT vehicle) <= 14) z), '>=', 2::bigint,
              'RC101: the best-known 14 vehicles with at least two seeds of three');

SELECT * FROM finish();
ROLLBACK;
