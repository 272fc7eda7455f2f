-- Road graphs: build, shortest paths, trees, cost matrices, TSP
\pset footer off
CREATE TEMP TABLE roads(source bigint, target bigint, cost float8, reverse_cost float8,
                        x1 float8, y1 float8, x2 float8, y2 float8);
-- a 4 x 4 grid, one-way streets on the top row, a closed road (both costs negative)
INSERT INTO roads
SELECT i * 4 + j + 1, i * 4 + j + 2, 1 + ((i * 7 + j * 3) % 5), CASE WHEN i = 0 THEN -1 ELSE 1 + ((i + j) % 3) END,
       j, i, j + 1, i
FROM generate_series(0, 3) i, generate_series(0, 2) j
UNION ALL
SELECT i * 4 + j + 1, (i + 1) * 4 + j + 1, 2 + ((i + j * 5) % 4), 2 + ((i + j * 5) % 4), j, i, j, i + 1
FROM generate_series(0, 2) i, generate_series(0, 3) j
UNION ALL
SELECT 100, 101, -1, -1, 9, 9, 10, 9;

CREATE TEMP TABLE g AS SELECT ecomml.build_graph(source, target, cost, reverse_cost) AS m FROM roads;
CREATE TEMP TABLE gc AS
SELECT ecomml.build_graph(source, target, cost, reverse_cost, x1, y1, x2, y2) AS m FROM roads;
SELECT ecomml.model_info(m) - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes' AS info FROM g;
SELECT ecomml.model_info(m) - 'model_id' - 'created_at' - 'size_bytes' - 'payload_bytes' AS info FROM gc;

-- one path, all three algorithms
SELECT * FROM ecomml.shortest_path((SELECT m FROM g), 1, 16);
SELECT alg, (SELECT max(agg_cost) FROM ecomml.shortest_path((SELECT m FROM gc), 1, 16,
                                                            jsonb_build_object('algorithm', alg))) AS cost
FROM unnest(ARRAY['bidirectional', 'dijkstra', 'astar']) alg;
-- one-way street: 2 -> 1 must go around
SELECT max(agg_cost) AS forward, (SELECT max(agg_cost) FROM ecomml.shortest_path((SELECT m FROM g), 2, 1)) AS backward
FROM ecomml.shortest_path((SELECT m FROM g), 1, 2);
-- same node; unreachable (empty)
SELECT * FROM ecomml.shortest_path((SELECT m FROM g), 6, 6);
SELECT count(*) AS unreachable_rows FROM ecomml.shortest_path((SELECT m FROM g), 1, 100);
-- isochrone
SELECT node, parent, agg_cost FROM ecomml.shortest_path_tree((SELECT m FROM g), 1, 5) ORDER BY agg_cost, node;
-- cost matrix (duplicates dropped)
SELECT * FROM ecomml.cost_matrix((SELECT m FROM g), ARRAY[1, 16, 4, 16]) ORDER BY 1, 2;
-- undirected build ignores one-way
SELECT max(agg_cost) AS undirected_2_to_1
FROM ecomml.shortest_path((SELECT ecomml.build_graph(source, target, cost, reverse_cost, '{"directed": false}') FROM roads), 2, 1);

-- TSP: 12 points on a circle, optimum is the polygon
SELECT seq, id, round(agg_cost::numeric, 4) AS agg_cost
FROM ecomml.solve_tsp(ARRAY(SELECT g::bigint FROM generate_series(1, 12) g),
                      ARRAY(SELECT cos(2 * pi() * ((g * 5) % 12) / 12) FROM generate_series(1, 12) g),
                      ARRAY(SELECT sin(2 * pi() * ((g * 5) % 12) / 12) FROM generate_series(1, 12) g),
                      '{"seed": 1, "start": 3}');
SELECT round((24 * sin(pi() / 12))::numeric, 4) AS optimum;
-- TSP on the road graph
SELECT seq, id, cost, agg_cost FROM ecomml.solve_tsp((SELECT m FROM g), ARRAY[1, 4, 13, 16, 7], '{"start": 16}');

-- VRP: six orders, two vans; order 7 is too heavy, order 8's window is unreachable
SELECT vehicle, seq, order_id, round(arrival::numeric, 2) AS arrival, round(departure::numeric, 2) AS departure,
       load, round(distance::numeric, 2) AS distance
FROM ecomml.solve_vrp(
    '[{"id": 1, "x": 10, "y": 0, "demand": 4, "service": 2, "open": 0, "close": 30},
      {"id": 2, "x": 10, "y": 10, "demand": 4, "service": 2},
      {"id": 3, "x": 0, "y": 10, "demand": 4, "service": 2, "open": 40, "close": 60},
      {"id": 4, "x": -10, "y": 0, "demand": 4, "service": 2},
      {"id": 5, "x": -10, "y": -10, "demand": 4, "service": 2},
      {"id": 6, "x": 0, "y": -10, "demand": 4, "service": 2},
      {"id": 7, "x": 1, "y": 1, "demand": 50},
      {"id": 8, "x": 100, "y": 100, "demand": 1, "close": 20}]',
    '[{"id": 101, "capacity": 12, "shift_end": 100}, {"id": 102, "capacity": 12, "shift_end": 100}]',
    '{"seed": 1, "max_iterations": 50}')
ORDER BY vehicle NULLS LAST, seq, order_id;

-- NULL arguments are errors naming them; NULL options mean the defaults
SELECT count(*) AS null_rows FROM ecomml.shortest_path(NULL, 1, 2);
SELECT count(*) AS null_rows FROM ecomml.solve_tsp(NULL::bigint[], NULL, NULL);
SELECT count(*) AS default_options FROM ecomml.shortest_path((SELECT m FROM g), 1, 2, NULL);

-- errors
SELECT * FROM ecomml.shortest_path((SELECT m FROM g), 1, 999);
SELECT * FROM ecomml.shortest_path((SELECT m FROM g), 1, 2, '{"algorithm": "astar"}');
SELECT * FROM ecomml.shortest_path((SELECT m FROM g), 1, 2, '{"algoritm": "astar"}');
SELECT ecomml.build_graph(source, target, cost, reverse_cost) FROM roads WHERE false;
SELECT ecomml.build_graph(1, 2, 'NaN'::float8, 1);
SELECT * FROM ecomml.shortest_path_tree((SELECT m FROM g), 1, -1);
SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2, 3]::bigint[], ARRAY[0, 1]::float8[], ARRAY[0, 1, 2]::float8[]);
SELECT * FROM ecomml.solve_tsp(ARRAY[1, 2, 1]::bigint[], ARRAY[0, 1, 2]::float8[], ARRAY[0, 1, 2]::float8[]);
SELECT * FROM ecomml.solve_tsp(ARRAY[]::bigint[], ARRAY[]::float8[], ARRAY[]::float8[]);
SELECT * FROM ecomml.solve_tsp((SELECT m FROM g), ARRAY[1, 100]);
SELECT * FROM ecomml.predict((SELECT m FROM g));
SELECT * FROM ecomml.solve_vrp('[{"id": 1, "x": 0, "y": 0, "open": 10, "close": 5}]', '[{"capacity": 1}]');
