-- The constant model: the reference training aggregate.
SELECT ecomml.predict(ecomml.train_mean(x)) FROM (VALUES (1.0), (2.0), (NULL), (6.0)) v(x);
SELECT ecomml.predict(ecomml.train_mean(x, '{"min_rows": 3}'))
FROM (VALUES (1.0), (2.0), (6.0)) v(x);

-- one model per group
SELECT g % 3 AS grp, ecomml.predict(ecomml.train_mean(g::float8))
FROM generate_series(1, 30) g GROUP BY 1 ORDER BY 1;

-- the state type has a text form, base64 (how Citus <= 13 moves partial
-- states); this one is n = 2, sum = 3, m2 = 0.5, min_rows = 1
SELECT encode('\x4563415301000100020000000000000000000000'
              '00000840000000000000e03f0100000000000000'::bytea, 'base64') AS state \gset
SELECT :'state'::ecomml.agg_state::text = :'state' AS round_trip;
SELECT ecomml.model_info(ecomml.train_mean_finalfn(:'state'::ecomml.agg_state))
       - 'model_id' - 'created_at' AS model;

-- parallel plan: workers run Partial Aggregate, the leader combines
CREATE TABLE nums AS SELECT g, (g % 5) AS grp, (g * 0.25)::float8 AS x FROM generate_series(1, 100000) g;
ANALYZE nums;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT ecomml.train_mean(x) FROM nums;
SELECT round(ecomml.predict(ecomml.train_mean(x))::numeric, 6) AS parallel_mean FROM nums;
SELECT grp, round(ecomml.predict(ecomml.train_mean(x))::numeric, 6) FROM nums GROUP BY grp ORDER BY grp;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT round(ecomml.predict(ecomml.train_mean(x))::numeric, 6) AS serial_mean FROM nums;
