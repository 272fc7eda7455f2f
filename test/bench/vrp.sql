-- test/bench/vrp.sql - solve_vrp against best-known solutions (run by test/bench/vrp.sh)
--
-- CVRPLIB sets A, B (Augerat et al. 1995) and X (Uchoa et al. 2017): Euclidean
-- distances rounded to the nearest integer per edge, as the best-known values
-- are published; the solver drives exact Euclidean distances and the bench
-- prices its routes in the instance's own convention.  Solomon (1987) VRPTW:
-- unrounded Euclidean distances; best-known values rank vehicles first, then
-- distance, so every van costs fixed_cost 10 000 (more than any distance saved).
-- Variables: ms (time per customer, default 10), total_ms (time per instance,
-- instead of ms when above 0), iters (iterations per customer instead of a
-- time limit when above 0: the same result whatever the machine's load), only
-- (regex on instance names), seeds (solver seeds, comma-separated: every
-- instance is solved once per seed).
\set QUIET 1
\pset footer off
SELECT set_config('vrpbench.ms', :'ms', false), set_config('vrpbench.total_ms', :'total_ms', false), set_config('vrpbench.only', :'only', false),
       set_config('vrpbench.iters', :'iters', false),
       set_config('vrpbench.seeds', :'seeds', false) \gset
-- CPU seconds of this backend so far (utime + stime of /proc/PID/stat, fields 14 and 15, in ticks of 10 ms): on a shared
-- machine the solver gets less than the wall-clock limit, so both are shown
CREATE FUNCTION pg_temp.cpu_s() RETURNS float8 LANGUAGE sql AS
$$ SELECT (split_part(s, ' ', 12)::float8 + split_part(s, ' ', 13)::float8) / 100
   FROM (SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2) AS s) z $$;
CREATE TEMP TABLE cvrp(instance text, id bigint, x float8, y float8, demand float8, depot bool);
\copy cvrp FROM 'test/data/cvrp_bench.csv' CSV
CREATE TEMP TABLE cvrp_bks(instance text PRIMARY KEY, n int, capacity float8, min_vehicles int, best_known float8);
\copy cvrp_bks FROM 'test/data/cvrp_bench_bks.csv' CSV
CREATE TEMP TABLE sol(instance text, id bigint, x float8, y float8, demand float8, ready float8, due float8, service float8);
\copy sol FROM 'test/data/solomon.csv' CSV
CREATE TEMP TABLE sol_bks(instance text PRIMARY KEY, capacity float8, fleet int, best_vehicles int, best_distance float8);
\copy sol_bks FROM 'test/data/solomon_bks.csv' CSV
CREATE TEMP TABLE out(instance text, seed int, vehicle bigint, seq int, order_id bigint, arrival float8, departure float8,
                      load float8, distance float8);
CREATE TEMP TABLE res(kind text, instance text, seed int, n int, best_known text, ecomml text, gap float8, vgap float8,
                      ms int, cpu_ms int, feasible bool);

DO $$
DECLARE
    i record;
    t0 timestamptz;
    c0 float8;
    cpu_ms int;
    ms int;
    cost float8;
    bad bigint;
    ms_per float8 := current_setting('vrpbench.ms')::float8;
    total_ms float8 := current_setting('vrpbench.total_ms')::float8;
    iters bigint := current_setting('vrpbench.iters')::bigint;
    limits jsonb;
    pick text := current_setting('vrpbench.only');
    seed int;
BEGIN
  FOREACH seed IN ARRAY string_to_array(current_setting('vrpbench.seeds'), ',')::int[] LOOP
    DELETE FROM out;
    FOR i IN SELECT * FROM cvrp_bks WHERE instance ~ pick ORDER BY left(instance, 1), n LOOP
        limits := CASE WHEN iters > 0 THEN jsonb_build_object('max_iterations', iters * i.n, 'time_limit_ms', 3600000)
                       WHEN total_ms > 0 THEN jsonb_build_object('time_limit_ms', total_ms)
                       ELSE jsonb_build_object('time_limit_ms', ms_per * i.n) END;
        t0 := clock_timestamp();
        c0 := pg_temp.cpu_s();
        INSERT INTO out SELECT i.instance, seed, s.* FROM ecomml.solve_vrp(
            (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand) ORDER BY id)
             FROM cvrp WHERE instance = i.instance AND NOT depot),
            -- A and B: the optima use at most k vans; X: the fleet is free (Uchoa et al.)
            (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', i.capacity))
             FROM generate_series(1, CASE WHEN i.instance LIKE 'X%' THEN 2 * i.min_vehicles ELSE i.min_vehicles END) g),
            (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'seed', seed) || limits
             FROM cvrp WHERE instance = i.instance AND depot)) s;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        cpu_ms := 1000 * (pg_temp.cpu_s() - c0);
        -- every leg priced as CVRPLIB does: nint(Euclidean distance)
        SELECT sum(round(sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2))) INTO cost
        FROM (SELECT order_id, lag(order_id) OVER w AS prev, seq FROM out
              WHERE instance = i.instance AND vehicle IS NOT NULL WINDOW w AS (PARTITION BY vehicle ORDER BY seq)) s
        JOIN cvrp a ON a.instance = i.instance AND (a.id = s.order_id OR (s.order_id IS NULL AND a.depot))
        JOIN cvrp b ON b.instance = i.instance AND (b.id = s.prev OR (s.prev IS NULL AND b.depot))
        WHERE s.seq > 0;
        -- infeasible: a customer missing, unassigned or served twice, or a route over capacity
        SELECT (SELECT count(*) FROM cvrp c LEFT JOIN out o ON o.instance = i.instance AND o.order_id = c.id
                                                         AND o.vehicle IS NOT NULL
                WHERE c.instance = i.instance AND NOT c.depot GROUP BY c.id HAVING count(o.vehicle) <> 1)
             + (SELECT count(*) FROM out o WHERE o.instance = i.instance AND o.load > i.capacity)
             + (SELECT count(*) FROM (SELECT vehicle, sum(c.demand) AS d FROM out o JOIN cvrp c
                                      ON c.instance = i.instance AND c.id = o.order_id
                                      WHERE o.instance = i.instance AND o.vehicle IS NOT NULL GROUP BY vehicle) r
                WHERE r.d > i.capacity) INTO bad;
        INSERT INTO res VALUES ('CVRP', i.instance, seed, i.n, i.best_known::text, cost::text,
                                100 * (cost - i.best_known) / i.best_known, NULL, ms, cpu_ms, coalesce(bad, 0) = 0);
    END LOOP;

    FOR i IN SELECT * FROM sol_bks WHERE instance ~ pick ORDER BY instance LOOP
        limits := CASE WHEN iters > 0 THEN jsonb_build_object('max_iterations', iters * 100, 'time_limit_ms', 3600000)
                       WHEN total_ms > 0 THEN jsonb_build_object('time_limit_ms', total_ms)
                       ELSE jsonb_build_object('time_limit_ms', ms_per * 100) END;
        t0 := clock_timestamp();
        c0 := pg_temp.cpu_s();
        INSERT INTO out SELECT i.instance, seed, s.* FROM ecomml.solve_vrp(
            (SELECT jsonb_agg(jsonb_build_object('id', id, 'x', x, 'y', y, 'demand', demand, 'open', ready,
                                                 'close', due, 'service', service) ORDER BY id)
             FROM sol WHERE instance = i.instance AND id > 0),
            (SELECT jsonb_agg(jsonb_build_object('id', g, 'capacity', i.capacity, 'shift_start', d.ready,
                                                 'shift_end', d.due, 'fixed_cost', 10000))
             FROM generate_series(1, i.fleet) g, sol d WHERE d.instance = i.instance AND d.id = 0),
            (SELECT jsonb_build_object('depot_x', x, 'depot_y', y, 'seed', seed) || limits
             FROM sol WHERE instance = i.instance AND id = 0)) s;
        ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
        cpu_ms := 1000 * (pg_temp.cpu_s() - c0);
        -- feasibility recomputed from the coordinates, not from the solver's own columns
        WITH s AS (
            SELECT o.*, coalesce(c.x, d.x) AS x, coalesce(c.y, d.y) AS y, c.ready, c.due, c.service, c.demand,
                   d.due AS depot_due
            FROM out o JOIN sol d ON d.instance = i.instance AND d.id = 0
            LEFT JOIN sol c ON c.instance = i.instance AND c.id = o.order_id AND c.id > 0
            WHERE o.instance = i.instance AND o.vehicle IS NOT NULL),
        l AS (SELECT s.*, sqrt((x - lag(x) OVER w) ^ 2 + (y - lag(y) OVER w) ^ 2) AS leg, lag(departure) OVER w AS pdep
              FROM s WINDOW w AS (PARTITION BY vehicle ORDER BY seq))
        SELECT sum(leg),
               count(*) FILTER (WHERE seq > 0 AND (abs(arrival - pdep - leg) > 1e-6 OR arrival > coalesce(due, depot_due) + 1e-6
                                                   OR (order_id IS NOT NULL AND departure < greatest(arrival, ready) + service - 1e-6)))
        INTO cost, bad FROM l;
        bad := bad + (SELECT count(*) FROM sol c LEFT JOIN out o ON o.instance = i.instance AND o.order_id = c.id
                                                               AND o.vehicle IS NOT NULL
                      WHERE c.instance = i.instance AND c.id > 0 GROUP BY c.id HAVING count(o.vehicle) <> 1)
                   + (SELECT count(*) FROM out o WHERE o.instance = i.instance AND o.load > i.capacity + 1e-9);
        INSERT INTO res
        SELECT 'VRPTW', i.instance, seed, 100, i.best_vehicles || ' / ' || i.best_distance,
               v || ' / ' || round(cost::numeric, 2), 100 * (cost - i.best_distance) / i.best_distance,
               100.0 * (v - i.best_vehicles) / i.best_vehicles, ms, cpu_ms, coalesce(bad, 0) = 0
        FROM (SELECT count(DISTINCT vehicle) AS v FROM out WHERE instance = i.instance AND vehicle IS NOT NULL) z;
    END LOOP;
  END LOOP;
END $$;

SELECT kind, instance, seed, n, best_known, ecomml, round(gap::numeric, 2) AS "gap %",
       round(vgap::numeric, 1) AS "vehicles gap %", ms, cpu_ms AS "CPU ms", feasible
FROM res ORDER BY kind, n, instance, seed;
-- per instance over the seeds, then per set: the mean over instances of the mean over seeds
CREATE TEMP TABLE per AS
SELECT kind, instance, n, avg(gap) AS gap, avg(vgap) AS vgap, avg(ms) AS ms, avg(cpu_ms) AS cpu_ms,
       bool_and(feasible) AS feasible,
       count(*) AS runs
FROM res GROUP BY kind, instance, n;
SELECT kind, instance, n, runs AS seeds, round(gap::numeric, 2) AS "mean gap %",
       round(vgap::numeric, 1) AS "mean vehicles gap %", round(ms) AS "mean ms", round(cpu_ms) AS "mean CPU ms", feasible
FROM per ORDER BY kind, n, instance;
SELECT kind, CASE WHEN kind = 'VRPTW' THEN left(instance, length(instance) - 2) ELSE left(instance, 1) END AS set,
       count(*) AS instances, round(avg(gap)::numeric, 2) AS "mean gap %", round(max(gap)::numeric, 2) AS "worst instance %",
       round(avg(vgap)::numeric, 1) AS "mean vehicles gap %", bool_and(feasible) AS all_feasible
FROM per GROUP BY ROLLUP (kind, 2) ORDER BY kind NULLS LAST, 2 NULLS LAST;
-- the spread over seeds: each seed's mean over the instances of a set
SELECT kind, CASE WHEN kind = 'VRPTW' THEN left(instance, length(instance) - 2) ELSE left(instance, 1) END AS set,
       seed, round(avg(gap)::numeric, 2) AS "mean gap %", round(avg(vgap)::numeric, 1) AS "mean vehicles gap %"
FROM res GROUP BY kind, 2, seed ORDER BY kind, 2, seed;
