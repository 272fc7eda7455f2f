-- Training aggregates under forced parallel plans: the combine path runs and
-- the result equals the serial one.  fx_numbers is a committed fixture.
BEGIN;
SELECT plan(5);

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

-- What Citus needs to push an aggregate down to its workers, for every one
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1)
           FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_type t ON t.oid = a.aggtranstype
           WHERE p.pronamespace = 'ecomml'::regnamespace
             AND (a.aggcombinefn = 0 OR t.typtype = 'p' OR p.proparallel <> 's')), NULL,
    'every ecomml aggregate has a combine function, a non-pseudo state type and is parallel safe');

SELECT * FROM finish();
ROLLBACK;
