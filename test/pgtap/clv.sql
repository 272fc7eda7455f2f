-- Customer lifetime value: BG/NBD + Gamma-Gamma against the numpy/scipy
-- maximum likelihood of the same formulas, parameter recovery on simulated
-- data, a holdout check, summaries, parallel plans, bad input.
-- fx_clv_orders: test/data/clv_sim.csv (test/bench/clv_reference.py simulate 2000 7).
BEGIN;
SELECT plan(45);

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;

-- largest relative difference between model_info figures and reference ones
CREATE FUNCTION pg_temp.max_rel(info jsonb, ref jsonb) RETURNS float8 LANGUAGE sql AS $$
SELECT max(abs((info->>k)::float8 / (ref->>k)::float8 - 1)) FROM jsonb_object_keys(ref) k
$$;

-- equal counts, parameters, standard errors and log-likelihoods to 1e-9
CREATE FUNCTION pg_temp.same_model(x jsonb, y jsonb) RETURNS bool LANGUAGE sql AS $$
SELECT bool_and(CASE WHEN jsonb_typeof(x->k) = 'number'
                     THEN abs((x->>k)::float8 - (y->>k)::float8) <= 1e-9 * abs((y->>k)::float8)
                     ELSE x->k = y->k END)
FROM jsonb_object_keys(y - 'model_id' - 'created_at') k
$$;

SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ecomml.train_clv(customer_id, ordered_at, amount) AS m FROM public.fx_clv_orders \gset
SELECT ecomml.model_info(:'m') AS info \gset

-- Reference: /usr/bin/python3 test/bench/clv_reference.py fit test/data/clv_sim.csv week
-- (scipy 1.10.1 Nelder-Mead + BFGS on log-parameters, finite-difference Hessian)
SELECT cmp_ok(pg_temp.max_rel(:'info', '{"r": 0.25603304889382916, "alpha": 4.707771859309321,
        "a": 1.1015795150566765, "b": 3.5982783957575584}'), '<', 1e-4::float8,
    'BG/NBD r, alpha, a, b equal the scipy maximum likelihood to 1e-4');
SELECT cmp_ok(pg_temp.max_rel(:'info', '{"p": 4.925768876193644, "q": 4.207060720117548,
        "v": 22.357985983614164}'), '<', 1e-4::float8,
    'Gamma-Gamma p, q, v equal the scipy maximum likelihood to 1e-4');
SELECT cmp_ok(pg_temp.max_rel(:'info', '{"r_se": 0.011943823886368055, "alpha_se": 0.375500293764063,
        "a_se": 0.21389289014309915, "b_se": 0.9108552644343407, "p_se": 0.7433264914418862,
        "q_se": 0.32802569136835613, "v_se": 5.0150707859942765}'), '<', 1e-3::float8,
    'standard errors equal the reference''s finite-difference Hessian to 1e-3');
SELECT cmp_ok(pg_temp.max_rel(:'info', '{"bgnbd_log_likelihood": -12551.519355044169,
        "gamma_gamma_log_likelihood": -4174.346446696802,
        "frequency_spend_correlation": -0.018958999521470104}'), '<', 1e-8::float8,
    'log-likelihoods and the frequency-spend correlation equal the reference');
SELECT is(ARRAY[(:'info'::jsonb->>'customers')::int, (:'info'::jsonb->>'repeat_customers')::int,
                (:'info'::jsonb->>'gamma_gamma_customers')::int, (:'info'::jsonb->>'orders')::int],
          ARRAY[2000, 977, 977, 5184], 'customer and order counts as the reference summaries');
SELECT is((:'info'::jsonb->>'purchase_days')::int,
          (SELECT count(DISTINCT (customer_id, (ordered_at AT TIME ZONE 'UTC')::date))::int
           FROM public.fx_clv_orders), 'purchase days are distinct UTC customer-days');
SELECT ok((:'info'::jsonb->>'bgnbd_converged')::bool AND (:'info'::jsonb->>'gamma_gamma_converged')::bool,
    'both fits converged');

-- The simulation's true parameters (r 0.243, alpha 4.414, a 0.793, b 2.426,
-- p 6.25, q 3.74, v 15.44) lie within two standard errors of the estimates
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_each_text('{"r": 0.243, "alpha": 4.414, "a": 0.793,
             "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}') t(k, truth)
           WHERE abs((:'info'::jsonb->>k)::float8 - truth::float8) > 2 * (:'info'::jsonb->>(k || '_se'))::float8),
          NULL, 'true parameters recovered within two standard errors');

-- Predictions for customers 1..3 at horizon 52 weeks, from the same reference run
-- (scipy.special.hyp2f1 for the expected purchases)
SELECT results_eq($$
    SELECT customer_id, frequency, round(p_alive::numeric, 7), round(expected_purchases::numeric, 6),
           round(expected_spend::numeric, 5)
    FROM ecomml.customer_value((SELECT ecomml.train_clv(customer_id, ordered_at, amount)
                                FROM public.fx_clv_orders), 52) ORDER BY customer_id LIMIT 3 $$,
    $$ VALUES (1::bigint, 7, 0.0847294, 0.407491, 14.45783), (2, 1, 0.1252145, 0.103059, 35.26059),
              (3, 1, 0.6003830, 0.437718, 20.49448) $$,
    'p_alive, expected purchases and spend equal the reference formulas');
SELECT is((SELECT count(*) FROM ecomml.customer_value(:'m') cv
            WHERE abs(cv.p_alive - ecomml.p_alive(:'m', cv.frequency, cv.recency, cv."T")) > 1e-12
               OR abs(cv.expected_purchases - ecomml.expected_purchases(:'m', cv.frequency, cv.recency, cv."T", 365.25 / 7)) > 1e-12
               OR abs(cv.expected_spend - ecomml.expected_spend(:'m', cv.frequency, cv.monetary)) > 1e-9
               OR abs(cv.clv - ecomml.clv(:'m', cv.frequency, cv.recency, cv."T", cv.monetary, 365.25 / 7, 0)) > 1e-9),
          0::bigint, 'customer_value agrees with the scalar functions (default horizon: one year)');
SELECT ok((SELECT bool_and(p_alive > 0 AND p_alive <= 1 AND expected_purchases >= 0 AND clv >= 0)
           FROM ecomml.customer_value(:'m')), 'probabilities in (0, 1], values not negative');
SELECT cmp_ok((SELECT abs(ecomml.clv(:'m', 2, 30, 50, 20, 52, 0)
                 - ecomml.expected_purchases(:'m', 2, 30, 50, 52) * ecomml.expected_spend(:'m', 2, 20))),
    '<', 1e-9::float8, 'undiscounted clv = expected purchases x expected spend');
SELECT cmp_ok(ecomml.clv(:'m', 2, 30, 50, 20, 52, 0.01), '<', ecomml.clv(:'m', 2, 30, 50, 20, 52, 0),
    'discounting lowers the value');
SELECT is(ecomml.p_alive(:'m', 0, 0, 40), 1::float8, 'a customer without repeat purchases is alive (BG/NBD)');
SELECT cmp_ok(ecomml.p_alive(:'m', 5, 10, 60), '<', ecomml.p_alive(:'m', 5, 55, 60),
    'a recent buyer is more likely alive');

-- Holdout: calibrate to 2025-06-30 and predict the 26 weeks after it.  The
-- simulated purchase days in those weeks: 966; the model predicts 951.06.
SELECT ecomml.train_clv(customer_id, ordered_at, amount, '{"end": "2025-06-30 23:59:59+00"}') AS mh
FROM public.fx_clv_orders \gset
SELECT is((ecomml.model_info(:'mh')->>'orders_after_end')::bigint,
          (SELECT count(*) FROM public.fx_clv_orders WHERE ordered_at > '2025-06-30 23:59:59+00'),
    'orders after end are counted');
SELECT is((ecomml.model_info(:'mh')->>'orders')::bigint,
          (SELECT count(*) FROM public.fx_clv_orders WHERE ordered_at <= '2025-06-30 23:59:59+00'),
    'and left out of the calibration');
SELECT cmp_ok(abs((SELECT sum(expected_purchases) FROM ecomml.customer_value(:'mh', 26))
                  / (SELECT count(DISTINCT (customer_id, (ordered_at AT TIME ZONE 'UTC')::date))
                     FROM public.fx_clv_orders WHERE ordered_at > '2025-06-30 23:59:59+00') - 1),
    '<', 0.05::float8, 'holdout purchases predicted within 5%');

-- Time units rescale alpha only: the BG/NBD likelihood is invariant to the clock
SELECT ecomml.model_info(ecomml.train_clv(customer_id, ordered_at, amount, '{"time_unit": "day"}')) AS dinfo
FROM public.fx_clv_orders \gset
SELECT cmp_ok(greatest(abs((:'dinfo'::jsonb->>'alpha')::float8 / (7 * (:'info'::jsonb->>'alpha')::float8) - 1),
                       abs((:'dinfo'::jsonb->>'r')::float8 / (:'info'::jsonb->>'r')::float8 - 1),
                       abs((:'dinfo'::jsonb->>'b')::float8 / (:'info'::jsonb->>'b')::float8 - 1)),
    '<', 1e-5::float8, 'days instead of weeks: alpha x 7, r and b unchanged');
SELECT cmp_ok((ecomml.model_info(ecomml.train_clv(customer_id, ordered_at, amount, '{"penalizer": 0.01}'))->>'r')::float8,
    '<', (:'info'::jsonb->>'r')::float8, 'the penalizer shrinks the parameters')
FROM public.fx_clv_orders;

-- Summaries on a tiny history: three orders on one day are one purchase
CREATE TEMP TABLE tiny(c bigint, t timestamptz, a float8);
INSERT INTO tiny VALUES (1, '2025-01-01 09:00+00', 10), (1, '2025-01-01 17:00+00', 5), (1, '2025-01-01 23:00+00', 1),
    (2, '2025-01-01 10:00+00', 20), (2, '2025-01-15 10:00+00', 30), (2, '2025-01-29 10:00+00', 50),
    (3, '2025-01-08 10:00+00', 7), (3, '2025-01-22 10:00+00', 9), (4, '2025-01-29 08:00+00', 4);
SELECT results_eq($$ SELECT customer_id, frequency, recency, "T", monetary
    FROM ecomml.customer_value((SELECT ecomml.train_clv(c, t, a, '{"penalizer": 0.1}') FROM tiny)) ORDER BY 1 $$,
    $$ VALUES (1::bigint, 0, 0::float8, 4::float8, 0::float8), (2, 2, 4, 4, 40), (3, 1, 2, 3, 9), (4, 0, 0, 0, 0) $$,
    'frequency counts repeat days, recency and T in weeks, monetary = mean repeat spend');
SELECT is((ecomml.model_info(ecomml.train_clv(c, t, a, '{"keep_customers": false}')) ->> 'keeps_customers')::bool,
          false, 'keep_customers false leaves the customers out') FROM tiny;

-- Parallel plan = serial
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_text('SELECT ecomml.train_clv(customer_id, ordered_at, amount) FROM public.fx_clv_orders'),
    'Partial Aggregate', 'workers run partial train_clv aggregates');
-- same customers and counts; parameters equal up to the order in which same-day amounts were added
SELECT ok(pg_temp.same_model(ecomml.model_info(ecomml.train_clv(customer_id, ordered_at, amount)), :'info'),
    'the parallel model equals the serial one')
FROM public.fx_clv_orders;
SET LOCAL max_parallel_workers_per_gather = 0;

-- Citus's two-phase plan, emulated as in test/pgtap/citus.sql: partial states per "shard"
-- (rows split by the minute of the order, so one customer's day lands on several shards)
-- shipped as text, combined and finished
CREATE AGGREGATE pg_temp.clv_partial(bigint, timestamptz, float8) (
    SFUNC = ecomml.train_clv_transfn, STYPE = ecomml.agg_state);
CREATE AGGREGATE pg_temp.clv_combine(ecomml.agg_state) (
    SFUNC = ecomml.agg_state_combine, STYPE = ecomml.agg_state, FINALFUNC = ecomml.train_clv_finalfn);
SELECT ok(pg_temp.same_model(ecomml.model_info(pg_temp.clv_combine(s::ecomml.agg_state)), :'info'),
    'train_clv: shard states through text, combined, give the single-node model')
FROM (SELECT pg_temp.clv_partial(customer_id, ordered_at, amount)::text AS s
      FROM public.fx_clv_orders GROUP BY extract(minute FROM ordered_at)::int % 4) w;

-- Bad input
SELECT throws_ok($$ SELECT ecomml.train_clv(1, now(), -5) $$, '22023', NULL, 'negative amounts are refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(1, now(), 'NaN') $$, '22023', NULL, 'NaN amounts are refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(NULL, now(), 5) $$, '22004', NULL, 'NULL customer_id is refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(1, NULL, 5) $$, '22004', NULL, 'NULL ordered_at is refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(1, now(), NULL) $$, '22004', NULL, 'NULL amount is refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(1, 'infinity', 5) $$, '22008', NULL, 'infinite times are refused');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a) FROM tiny WHERE false $$, '22000', NULL, 'no orders: an error');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a, '{"end": "2020-01-01"}') FROM tiny $$, '22000', NULL,
    'every order after end: an error');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a) FROM tiny WHERE c IN (1, 4) $$, '22000', NULL,
    'no repeat buyer: an error');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a, '{"time_unit": "year"}') FROM tiny $$, '22023', NULL,
    'unknown time unit');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a, '{"penalizer": -1}') FROM tiny $$, '22023', NULL,
    'negative penalizer');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a, '{"end": "soon"}') FROM tiny $$, '22007', NULL,
    'unreadable end');
SELECT throws_ok($$ SELECT ecomml.train_clv(c, t, a, '{"horizon": 3}') FROM tiny $$, '22023', NULL,
    'unknown option');
SELECT throws_ok(format($$ SELECT ecomml.p_alive(%L, 2, 10, 5) $$, :'m'), '22023', NULL, 'recency after T');
SELECT throws_ok(format($$ SELECT ecomml.p_alive(%L, -1, 0, 5) $$, :'m'), '22023', NULL, 'negative frequency');
SELECT throws_ok(format($$ SELECT ecomml.clv(%L, 1, 1, 5, 10, 52, 1) $$, :'m'), '22023', NULL,
    'discount rate outside [0, 1)');
SELECT throws_ok(format($$ SELECT ecomml.expected_purchases(%L, 1, 1, 5, 'Infinity') $$, :'m'), '22023', NULL,
    'infinite horizon');
SELECT throws_ok(format($$ SELECT ecomml.expected_spend(%L, 1, -3) $$, :'m'), '22023', NULL, 'negative monetary');
SELECT throws_ok($$ SELECT ecomml.p_alive(ecomml.train_mean(x), 1, 1, 2) FROM (VALUES (1.0::float8)) v(x) $$,
    '22023', NULL, 'a model of another kind');
SELECT throws_ok($$ SELECT * FROM ecomml.customer_value((SELECT ecomml.train_clv(c, t, a, '{"keep_customers": false}') FROM tiny)) $$,
    '22023', NULL, 'customer_value needs the customers');

SELECT * FROM finish();
ROLLBACK;
