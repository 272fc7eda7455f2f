-- statement_timeout cancels long calls promptly: the longest routing calls
-- (a TSP with a generous time limit, a large cost matrix) and a long training.
BEGIN;
SELECT plan(7);
SELECT setseed(0.3);

CREATE FUNCTION pg_temp.cancel_secs(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE q;
    RETURN -1;                       -- finished: not cancelled
EXCEPTION WHEN query_canceled THEN
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;

CREATE TEMP TABLE pts AS
SELECT array_agg(g::bigint) AS ids, array_agg(random()) AS x, array_agg(random()) AS y
FROM generate_series(1, 3000) g;
CREATE TEMP TABLE grid AS
SELECT ecomml.build_graph(s, t, c, c) AS g FROM (
    SELECT i * 200 + j AS s, i * 200 + j + 1 AS t, 1 + random() AS c FROM generate_series(0, 199) i, generate_series(0, 198) j
    UNION ALL
    SELECT i * 200 + j, (i + 1) * 200 + j, 1 + random() FROM generate_series(0, 198) i, generate_series(0, 199) j) e;
CREATE TEMP TABLE rows AS
SELECT ARRAY[random(), random(), random(), random()] AS f FROM generate_series(1, 100000);

SET LOCAL statement_timeout = '500ms';
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM pts, ecomml.solve_tsp(ids, x, y,
    '{"time_limit_ms": 600000, "max_kicks": 1000000000}')$$) AS tsp \gset
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM grid, ecomml.cost_matrix(g,
    (SELECT array_agg(n * 97 % 40000) FROM generate_series(1, 2000) n))$$) AS matrix \gset
SELECT pg_temp.cancel_secs($$SELECT ecomml.train_kmeans(f, '{"k": 200, "max_iter": 100000, "tol": 0, "n_init": 50}') FROM rows$$) AS kmeans \gset
-- issue 16: co-located orders and points (the insertion and neighbour
-- searches went quadratic between interrupt checks: 22 s to cancel)
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'x', 5, 'y', 5, 'demand', 1)) FROM generate_series(1, 3000) g),
    (SELECT jsonb_agg(jsonb_build_object('capacity', 1000)) FROM generate_series(1, 30)),
    '{"time_limit_ms": 600000, "max_iterations": 1000000000}')$$) AS vrp_colocated \gset
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'x', 0, 'y', 0, 'demand', 1)) FROM generate_series(1, 2000) g),
    (SELECT jsonb_agg(jsonb_build_object('capacity', 1000)) FROM generate_series(1, 30)),
    '{"time_limit_ms": 600000, "max_iterations": 1000000000}')$$) AS vrp_depot \gset
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM ecomml.solve_tsp(
    (SELECT array_agg(g::bigint) FROM generate_series(1, 40000) g),
    array_fill(0.5::float8, ARRAY[40000]), array_fill(0.5::float8, ARRAY[40000]),
    '{"time_limit_ms": 600000, "max_kicks": 1000000000}')$$) AS tsp_colocated \gset
-- and time_limit_ms is kept: 100 ms asked, well within 10 s given
SET LOCAL statement_timeout = '10s';
SELECT pg_temp.cancel_secs($$SELECT count(*) FROM ecomml.solve_vrp(
    (SELECT jsonb_agg(jsonb_build_object('id', g, 'x', 5, 'y', 5, 'demand', 1)) FROM generate_series(1, 3000) g),
    (SELECT jsonb_agg(jsonb_build_object('capacity', 1000)) FROM generate_series(1, 30)),
    '{"time_limit_ms": 100}')$$) AS vrp_limit \gset
RESET statement_timeout;

SELECT ok(:tsp BETWEEN 0 AND 2, format('TSP on 3000 points cancelled after %s s', round(:tsp::numeric, 2)));
SELECT ok(:matrix BETWEEN 0 AND 2, format('2000 x 2000 cost matrix cancelled after %s s', round(:matrix::numeric, 2)));
SELECT ok(:kmeans BETWEEN 0 AND 2, format('k-means training cancelled after %s s', round(:kmeans::numeric, 2)));
SELECT ok(:vrp_colocated BETWEEN 0 AND 2, format('VRP on 3000 co-located orders cancelled after %s s', round(:vrp_colocated::numeric, 2)));
SELECT ok(:vrp_depot BETWEEN 0 AND 2, format('VRP on 2000 orders at the depot cancelled after %s s', round(:vrp_depot::numeric, 2)));
SELECT ok(:tsp_colocated BETWEEN 0 AND 2, format('TSP on 40000 identical points cancelled after %s s', round(:tsp_colocated::numeric, 2)));
SELECT ok(:vrp_limit = -1, 'VRP on 3000 co-located orders with time_limit_ms 100 finishes within 10 s');

SELECT * FROM finish();
ROLLBACK;
