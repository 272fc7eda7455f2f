-- Association rules: the exact rule sets of a reference Apriori, parallel
-- plans, frequently_bought_with, bad input.
-- fx_baskets: test/data/baskets_sim.csv (test/bench/apriori_reference.py generate 2000 169 5).
BEGIN;
SELECT plan(31);

CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;

-- the rules in the reference's line format, sorted, as one md5
CREATE FUNCTION pg_temp.rules_md5(model bytea) RETURNS text LANGUAGE sql AS $$
SELECT md5(string_agg(line, E'\n' ORDER BY line COLLATE "C") || E'\n')
FROM (SELECT array_to_string(antecedent, ' ') || '|' || consequent || '|' || count || '|' || support
             || '|' || confidence || '|' || lift AS line
      FROM ecomml.association_rules(model)) r
$$;
CREATE FUNCTION pg_temp.train(opts jsonb) RETURNS bytea LANGUAGE sql AS $$
SELECT ecomml.train_association_rules(transaction_id, item_id, opts) FROM public.fx_baskets
$$;

SET LOCAL max_parallel_workers_per_gather = 0;

-- Reference: /usr/bin/python3 test/bench/apriori_reference.py rules test/data/baskets_sim.csv S C L [LIFT]
--   | grep -v '^#' | LC_ALL=C sort | md5sum     (level-wise Apriori on transaction bitsets)
-- 0.005 0.3 10:     itemsets 827 by length [141, 377, 254, 51, 4, 0...], rules 771
-- 0.01 0.2 3 1.5:   itemsets 319 by length [84, 157, 78], rules 51
-- 0.002 0.6 10:     itemsets 2796 by length [166, 1040, 1122, 407, 57, 4, 0...], rules 1688
-- 0.05 0.1 10:      itemsets 36 by length [17, 17, 2, 0...], rules 37
SELECT is(pg_temp.rules_md5(pg_temp.train('{"min_support": 0.005, "min_confidence": 0.3}')),
    'ae963a6a36ecba4a460e91cfb57ecb61', 'support 0.005, confidence 0.3: the reference''s 771 rules exactly');
SELECT is(pg_temp.rules_md5(pg_temp.train('{"min_support": 0.01, "min_confidence": 0.2, "max_length": 3, "min_lift": 1.5}')),
    '0cc9822ef5205ca45abddf62cbf1364e', 'support 0.01, confidence 0.2, max_length 3, lift 1.5: the reference''s 51 rules');
SELECT is(pg_temp.rules_md5(pg_temp.train('{"min_support": 0.002, "min_confidence": 0.6}')),
    'f0f356b91a36a7f4b3d0f04dfd99f8bb', 'support 0.002, confidence 0.6: the reference''s 1688 rules');
SELECT is(pg_temp.rules_md5(pg_temp.train('{"min_support": 0.05, "min_confidence": 0.1}')),
    'fc3cde55701699646d6921cfde5b73cb', 'support 0.05, confidence 0.1: the reference''s 37 rules');
SELECT is(ecomml.model_info(pg_temp.train('{"min_support": 0.002, "min_confidence": 0.6}'))
            -> 'itemsets_by_length', '[166, 1040, 1122, 407, 57, 4, 0, 0, 0, 0]'::jsonb,
    'frequent itemsets by length as the reference');
SELECT is((ecomml.model_info(pg_temp.train('{"min_support": 0.005, "min_confidence": 0.3}'))->>'frequent_itemsets')::int,
    827, 'frequent itemset count as the reference');
SELECT is((ecomml.model_info(pg_temp.train('{"min_support": 0.05, "min_confidence": 0.1}')) - 'model_id' - 'created_at'
           - 'size_bytes' - 'payload_bytes' - 'itemsets_by_length' - 'min_support' - 'min_confidence'),
    '{"kind": "assoc_rules", "format_version": 1, "max_length": 10, "min_lift": 0, "transactions": 2000, "items": 169, "frequent_items": 17, "min_count": 100,
      "frequent_itemsets": 36, "rules": 37}'::jsonb, 'model_info');

SELECT pg_temp.train('{"min_support": 0.005, "min_confidence": 0.3}') AS m \gset
SELECT ok((SELECT bool_and(support >= 0.005 AND confidence >= 0.3 AND count = round(support * 2000)
                           AND cardinality(antecedent) BETWEEN 1 AND 9 AND NOT consequent = ANY (antecedent))
           FROM ecomml.association_rules(:'m')), 'every rule meets the thresholds');
SELECT is((SELECT array_agg(lift ORDER BY ord) = array_agg(lift ORDER BY lift DESC, ord)
           FROM ecomml.association_rules(:'m') WITH ORDINALITY r(a, c, s, cf, lift, n, ord)), true,
    'rules come by lift, highest first');
SELECT is(ecomml.model_info(ecomml.train_association_rules(transaction_id, item_id, '{"min_support": 0.005, "min_confidence": 0.3}'))->>'rules',
          '771', 'duplicate rows change nothing')
FROM (SELECT * FROM public.fx_baskets UNION ALL SELECT * FROM public.fx_baskets WHERE transaction_id % 3 = 0) d;

-- frequently_bought_with: the best rule per item outside the basket, as SQL over the rules
SELECT results_eq(
    format($$ SELECT item, lift FROM ecomml.frequently_bought_with(%L, ARRAY[1, 2, 3], 5) $$, :'m'),
    format($$ SELECT consequent, max(lift) FROM ecomml.association_rules(%L)
              WHERE antecedent <@ ARRAY[1, 2, 3]::bigint[] AND consequent <> ALL (ARRAY[1, 2, 3])
              GROUP BY consequent ORDER BY 2 DESC, 1 LIMIT 5 $$, :'m'),
    'frequently_bought_with by lift = the best applicable rules');
SELECT results_eq(
    format($$ SELECT item, confidence FROM ecomml.frequently_bought_with(%L, ARRAY[1, 5], 3, 'confidence') $$, :'m'),
    format($$ SELECT consequent, max(confidence) FROM ecomml.association_rules(%L)
              WHERE antecedent <@ ARRAY[1, 5]::bigint[] AND consequent <> ALL (ARRAY[1, 5])
              GROUP BY consequent ORDER BY 2 DESC LIMIT 3 $$, :'m'),
    'frequently_bought_with by confidence');
SELECT is((SELECT count(*) FROM ecomml.frequently_bought_with(:'m', ARRAY[999999]::bigint[], 5)), 0::bigint,
    'an unknown item triggers nothing');
SELECT is((SELECT count(*) FROM ecomml.frequently_bought_with(:'m', ARRAY[1, NULL]::bigint[], 5)),
          (SELECT count(*) FROM ecomml.frequently_bought_with(:'m', ARRAY[1]::bigint[], 5)), 'NULL items are skipped');

-- Parallel plan = serial
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_text('SELECT ecomml.train_association_rules(transaction_id, item_id) FROM public.fx_baskets'),
    'Partial Aggregate', 'workers run partial train_association_rules aggregates');
SELECT is(pg_temp.rules_md5(pg_temp.train('{"min_support": 0.005, "min_confidence": 0.3}')),
    'ae963a6a36ecba4a460e91cfb57ecb61', 'the parallel model has the same rules');
SET LOCAL max_parallel_workers_per_gather = 0;

-- Citus's two-phase plan, emulated as in test/pgtap/citus.sql (baskets split across "shards")
CREATE AGGREGATE pg_temp.rules_partial(bigint, bigint, jsonb) (
    SFUNC = ecomml.train_association_rules_transfn, STYPE = ecomml.agg_state);
CREATE AGGREGATE pg_temp.rules_combine(ecomml.agg_state) (
    SFUNC = ecomml.agg_state_combine, STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.train_association_rules_finalfn);
SELECT is(pg_temp.rules_md5(pg_temp.rules_combine(s::ecomml.agg_state)), 'ae963a6a36ecba4a460e91cfb57ecb61',
    'train_association_rules: shard states through text, combined, give the same rules')
FROM (SELECT pg_temp.rules_partial(transaction_id, item_id, '{"min_support": 0.005, "min_confidence": 0.3}')::text AS s
      FROM public.fx_baskets GROUP BY (transaction_id * 7 + item_id) % 4) w;

-- Bad input
SELECT throws_ok($$ SELECT pg_temp.train('{"min_support": 0}') $$, '22023', NULL, 'min_support 0');
SELECT throws_ok($$ SELECT pg_temp.train('{"min_support": 1.5}') $$, '22023', NULL, 'min_support above 1');
SELECT throws_ok($$ SELECT pg_temp.train('{"min_confidence": -0.2}') $$, '22023', NULL, 'negative min_confidence');
SELECT throws_ok($$ SELECT pg_temp.train('{"min_confidence": 0}') $$, '22023', NULL, 'min_confidence 0');
SELECT throws_ok($$ SELECT pg_temp.train('{"max_length": 1}') $$, '22023', NULL, 'max_length below 2');
SELECT throws_ok($$ SELECT pg_temp.train('{"min_lift": -1}') $$, '22023', NULL, 'negative min_lift');
SELECT throws_ok($$ SELECT pg_temp.train('{"support": 0.1}') $$, '22023', NULL, 'unknown option');
SELECT throws_ok($$ SELECT pg_temp.train('{"min_support": 0.001, "max_itemsets": 100}') $$, '54000', NULL,
    'too many frequent itemsets: refused, not allocated');
SELECT throws_ok($$ SELECT ecomml.train_association_rules(NULL, 1) $$, '22004', NULL, 'NULL transaction');
SELECT throws_ok($$ SELECT ecomml.train_association_rules(1, NULL) $$, '22004', NULL, 'NULL item');
SELECT throws_ok($$ SELECT ecomml.train_association_rules(transaction_id, item_id) FROM public.fx_baskets WHERE false $$,
    '22000', NULL, 'no transactions');
SELECT throws_ok(format($$ SELECT * FROM ecomml.frequently_bought_with(%L, ARRAY[1], 0) $$, :'m'), '22023', NULL, 'k 0');
SELECT throws_ok(format($$ SELECT * FROM ecomml.frequently_bought_with(%L, ARRAY[1], 3, 'support') $$, :'m'), '22023', NULL,
    'unknown ranking');
SELECT throws_ok($$ SELECT * FROM ecomml.association_rules((SELECT ecomml.train_mean(1.0))) $$, '22023', NULL,
    'a model of another kind');

SELECT * FROM finish();
ROLLBACK;
