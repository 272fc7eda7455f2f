-- Training aggregates under forced parallel plans: the combine path runs and
-- the result equals the serial one.  fx_numbers is a committed fixture.
BEGIN;
SELECT plan(4);

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT grp, ecomml.predict(ecomml.train_mean(x)) AS mean FROM public.fx_numbers GROUP BY grp;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_text('SELECT ecomml.train_mean(x) FROM public.fx_numbers'),
    'Partial Aggregate', 'workers run partial train_mean aggregates');
SELECT matches(pg_temp.plan_text('SELECT grp, ecomml.train_mean(x) FROM public.fx_numbers GROUP BY grp'),
    'Partial (Hash|Group)Aggregate', 'grouped training runs partially in workers');
SELECT is((SELECT count(*) FROM public.fx_numbers f
            JOIN (SELECT grp, ecomml.predict(ecomml.train_mean(x)) AS mean
                  FROM public.fx_numbers GROUP BY grp) p USING (grp)
            JOIN serial s USING (grp)
           WHERE abs(p.mean - s.mean) > 1e-9 * abs(s.mean) AND f.id = 1), 0::bigint,
    'parallel grouped models equal serial ones');
SELECT ok(abs((SELECT ecomml.predict(ecomml.train_mean(x)) FROM public.fx_numbers) - 50000.25) < 1e-6,
    'parallel mean is exact');

SELECT * FROM finish();
ROLLBACK;
