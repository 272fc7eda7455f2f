-- The road-like grid of routes_grid.sql (:side, default 316: 99 856 nodes)
-- and its models, plain and contracted, in bench_models; kept if already
-- there (routes_ch.sql made them earlier in the same run).
SELECT to_regclass('bench_models') IS NULL AS need_grid \gset
\if :need_grid
\if :{?side}
\else
\set side 316
\endif
SELECT setseed(0.7);
\ir routes_grid.sql
CREATE UNLOGGED TABLE bench_models AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS plain FROM bench_road;
ALTER TABLE bench_models ADD COLUMN ch bytea;
UPDATE bench_models SET ch = ecomml.contract_graph(plain);
\endif
