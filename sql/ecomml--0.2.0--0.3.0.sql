-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

-- routes: solve_vrp reads orders and vehicles in C (unknown keys and duplicate
-- vehicle ids are errors) and returns vehicle ids as bigint; the result type
-- changes, so the functions are replaced (nothing in the extension depends on
-- them).  The library keeps solve_vrp_internal for databases not yet updated.
DROP FUNCTION ecomml.solve_vrp(jsonb, jsonb, jsonb);
DROP FUNCTION ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb);
DROP FUNCTION ecomml.solve_vrp_internal(bytea, bigint[], float8[], float8[], bigint[], float8[], float8[],
                                        float8[], float8[], bigint[], float8[], float8[], float8[], jsonb);
-- Vehicle routing (src/vrp.c, src/vrp_input.c).  Orders and vehicles are
-- read in C so that unknown keys are errors and ids keep 64 bits.
CREATE FUNCTION ecomml.solve_vrp(graph bytea, orders jsonb, vehicles jsonb, options jsonb)
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_graph' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows over a graph model; orders [{"id","node","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end"}], options {"depot", "time_limit_ms", "max_iterations", "seed"}';

CREATE FUNCTION ecomml.solve_vrp(orders jsonb, vehicles jsonb, options jsonb DEFAULT '{}')
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_points' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows, Euclidean; orders [{"id","x","y","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end"}], options {"depot_x", "depot_y", "time_limit_ms", "max_iterations", "seed"}';

-- Contraction hierarchies (src/contraction.c, src/ch_query.c)
CREATE FUNCTION ecomml.contract_graph(graph bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'contract_graph' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.contract_graph(bytea) IS
    'the graph model with a contraction hierarchy: shortest_path and cost matrices (also of solve_tsp and solve_vrp) then use it, with the same costs';
COMMENT ON FUNCTION ecomml.shortest_path(bytea, bigint, bigint, jsonb) IS
    'least-cost path between two nodes of a graph model; options {"algorithm": "ch"|"bidirectional"|"dijkstra"|"astar"} ("ch", the default on a contracted graph); no rows if unreachable';
