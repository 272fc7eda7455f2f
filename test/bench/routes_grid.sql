-- The road-like grid of the routing benchmarks: a :side x :side grid of local
-- streets with an arterial every 10th row and column (0.3 x the cost), random
-- costs per direction.
DROP TABLE IF EXISTS bench_road;
CREATE TABLE bench_road AS
SELECT row_number() OVER () AS id, e.* FROM (
    SELECT i * :side + j AS source, i * :side + j + 1 AS target,
           (CASE WHEN i % 10 = 0 THEN 0.3 ELSE 1 END) * (1 + random()) AS cost,
           (CASE WHEN i % 10 = 0 THEN 0.3 ELSE 1 END) * (1 + random()) AS reverse_cost
    FROM generate_series(0, :side - 1) i, generate_series(0, :side - 2) j
    UNION ALL
    SELECT i * :side + j, (i + 1) * :side + j,
           (CASE WHEN j % 10 = 0 THEN 0.3 ELSE 1 END) * (1 + random()),
           (CASE WHEN j % 10 = 0 THEN 0.3 ELSE 1 END) * (1 + random())
    FROM generate_series(0, :side - 2) i, generate_series(0, :side - 1) j) e;
ANALYZE bench_road;
