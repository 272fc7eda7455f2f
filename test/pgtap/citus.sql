-- Citus's two-phase plan, emulated: worker_partial_agg runs the transition
-- function on each shard and ships the state as text; coord_combine_agg reads
-- it back, merges with the combine function and runs the final function.
-- pg_temp aggregates built from ecomml's own support functions do the same
-- here, over four "shards" (id % 4), and must match the single-node result.
BEGIN;
SELECT plan(10);

CREATE FUNCTION pg_temp.two_phase(agg text, transfn text, args text, finalfn text,
                                  modify text DEFAULT 'READ_ONLY') RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE AGGREGATE pg_temp.%I_partial(%s) (SFUNC = %s, STYPE = ecomml.agg_state)',
                   agg, args, transfn);
    EXECUTE format('CREATE AGGREGATE pg_temp.%I_combine(ecomml.agg_state) (SFUNC = ecomml.agg_state_combine, '
                   'STYPE = ecomml.agg_state, FINALFUNC = %s, FINALFUNC_MODIFY = %s)', agg, finalfn, modify);
END $$;
SELECT pg_temp.two_phase('mean', 'ecomml.train_mean_transfn', 'float8', 'ecomml.train_mean_finalfn');
SELECT pg_temp.two_phase('roc', 'ecomml.score_label_transfn', 'float8, boolean', 'ecomml.roc_auc_finalfn', 'READ_WRITE');
SELECT pg_temp.two_phase('ap', 'ecomml.score_label_transfn', 'float8, boolean', 'ecomml.pr_auc_finalfn', 'READ_WRITE');
SELECT pg_temp.two_phase('conf', 'ecomml.binary_metrics_transfn', 'float8, boolean, float8', 'ecomml.binary_metrics_finalfn');
SELECT pg_temp.two_phase('rfm', 'ecomml.rfm_transfn', 'bigint, timestamptz, float8, timestamptz', 'ecomml.rfm_finalfn');
SELECT pg_temp.two_phase('logreg', 'ecomml.train_logreg_transfn', 'float8[], boolean', 'ecomml.train_logreg_finalfn');
SELECT pg_temp.two_phase('knn', 'ecomml.train_item_knn_transfn', 'bigint, bigint, float8', 'ecomml.train_item_knn_finalfn');
SELECT pg_temp.two_phase('graph', 'ecomml.build_graph_transfn', 'bigint, bigint, float8, float8', 'ecomml.build_graph_finalfn');
SELECT pg_temp.two_phase('gbdt', 'ecomml.train_gbdt_transfn', 'float8[], boolean, jsonb', 'ecomml.train_gbdt_finalfn');
SELECT pg_temp.two_phase('ease', 'ecomml.train_ease_transfn', 'bigint, bigint, float8', 'ecomml.train_ease_finalfn');

SELECT ok(abs(ecomml.predict((SELECT pg_temp.mean_combine(s::ecomml.agg_state) FROM
                (SELECT pg_temp.mean_partial(x)::text AS s FROM public.fx_numbers GROUP BY id % 4) w))
              - ecomml.predict((SELECT ecomml.train_mean(x) FROM public.fx_numbers))) < 1e-9,
    'train_mean: shard states through text, combined, give the single-node mean');

CREATE TEMP TABLE fraud_shards AS
SELECT id % 4 AS shard, pg_temp.roc_partial(x[1], is_fraud)::text AS roc,
       pg_temp.conf_partial(x[1], is_fraud, 1.0)::text AS conf,
       pg_temp.logreg_partial(x, is_fraud)::text AS logreg
FROM public.fx_fraud_tx GROUP BY 1;
SELECT is((SELECT pg_temp.roc_combine(roc::ecomml.agg_state) FROM fraud_shards),
          (SELECT ecomml.roc_auc(x[1], is_fraud) FROM public.fx_fraud_tx),
    'roc_auc: two-phase equals single-node exactly');
SELECT is((SELECT pg_temp.ap_combine(roc::ecomml.agg_state) FROM fraud_shards),
          (SELECT ecomml.pr_auc(x[1], is_fraud) FROM public.fx_fraud_tx),
    'pr_auc: two-phase equals single-node exactly (the same pair states)');
SELECT is((SELECT pg_temp.conf_combine(conf::ecomml.agg_state) FROM fraud_shards),
          (SELECT ecomml.binary_metrics(x[1], is_fraud, 1.0) FROM public.fx_fraud_tx),
    'binary_metrics: two-phase equals single-node');
SELECT ok((SELECT max(abs((ecomml.model_info(p.m)->'coef'->>i)::float8 - (ecomml.model_info(s.m)->'coef'->>i)::float8))
           FROM (SELECT pg_temp.logreg_combine(logreg::ecomml.agg_state) AS m FROM fraud_shards) p,
                (SELECT ecomml.train_logreg(x, is_fraud) AS m FROM public.fx_fraud_tx) s,
                generate_series(0, 4) i) < 1e-8,
    'train_logreg: two-phase coefficients equal single-node ones');

SELECT is((SELECT count(*) FROM
             unnest((SELECT pg_temp.rfm_combine(s::ecomml.agg_state) FROM
                       (SELECT pg_temp.rfm_partial(customer_id, ordered_at, amount, '2026-11-01 00:00+00')::text AS s
                        FROM public.fx_orders GROUP BY order_id % 4) w)) p
             FULL JOIN unnest((SELECT ecomml.rfm(customer_id, ordered_at, amount, '2026-11-01 00:00+00')
                               FROM public.fx_orders)) o USING (customer_id)
           WHERE (o.recency_days, o.frequency, o.rfm) IS DISTINCT FROM (p.recency_days, p.frequency, p.rfm)
              OR NOT abs(o.monetary - p.monetary) <= 1e-9 * abs(o.monetary)), 0::bigint,
    'rfm: two-phase equals single-node for every customer');

SELECT results_eq(
    $$SELECT item_id, round(score::numeric, 12) FROM ecomml.similar_items(
        (SELECT pg_temp.knn_combine(s::ecomml.agg_state) FROM
           (SELECT pg_temp.knn_partial(user_id, item_id, qty)::text AS s
            FROM public.fx_recs_purchases GROUP BY user_id % 4) w), 7, 10)$$,
    $$SELECT item_id, round(score::numeric, 12) FROM ecomml.similar_items(
        (SELECT ecomml.train_item_knn(user_id, item_id, qty) FROM public.fx_recs_purchases), 7, 10)$$,
    'train_item_knn: two-phase neighbours equal single-node ones');

SELECT is((SELECT round(max(agg_cost)::numeric, 9) FROM ecomml.shortest_path(
             (SELECT pg_temp.graph_combine(s::ecomml.agg_state) FROM
                (SELECT pg_temp.graph_partial(source, target, cost, reverse_cost)::text AS s
                 FROM public.fx_roads GROUP BY source % 4) w), 0, 9999)),
          (SELECT round(max(agg_cost)::numeric, 9) FROM ecomml.shortest_path(
             (SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM public.fx_roads), 0, 9999)),
    'build_graph: two-phase graph gives the single-node shortest path cost');

-- 0.3.0's trainers (clv and association rules have theirs in clv.sql and assoc_rules.sql)
SELECT cmp_ok((SELECT max(abs(ecomml.score(p.m, f.x) - ecomml.score(s.m, f.x)))
               FROM public.fx_gbdt f,
                    (SELECT pg_temp.gbdt_combine(st::ecomml.agg_state) AS m FROM
                       (SELECT pg_temp.gbdt_partial(x, y, '{"rounds": 10, "max_depth": 3}')::text AS st
                        FROM public.fx_gbdt GROUP BY id % 4) w) p,
                    (SELECT ecomml.train_gbdt(x, y, '{"rounds": 10, "max_depth": 3}') AS m FROM public.fx_gbdt) s),
    '<', 1e-12::float8, 'train_gbdt: the two-phase model scores as the single-node one');
SELECT results_eq(
    $$SELECT item_id, round(score::numeric, 9) FROM ecomml.recommend(
        (SELECT pg_temp.ease_combine(s::ecomml.agg_state) FROM
           (SELECT pg_temp.ease_partial(user_id, item_id, qty)::text AS s
            FROM public.fx_recs_purchases GROUP BY user_id % 4) w), 3, 10)$$,
    $$SELECT item_id, round(score::numeric, 9) FROM ecomml.recommend(
        (SELECT ecomml.train_ease(user_id, item_id, qty) FROM public.fx_recs_purchases), 3, 10)$$,
    'train_ease: two-phase recommendations equal single-node ones');

SELECT * FROM finish();
ROLLBACK;
