
-- Road graphs (src/routes.c, src/tsp.c): graph models, shortest paths,
-- cost matrices, travelling-salesman tours.

CREATE FUNCTION ecomml.build_graph_transfn(ecomml.agg_state, bigint, bigint, float8, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'build_graph_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.build_graph_transfn(ecomml.agg_state, bigint, bigint, float8, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'build_graph_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.build_graph_transfn(ecomml.agg_state, bigint, bigint, float8, float8,
                                           float8, float8, float8, float8)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'build_graph_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.build_graph_transfn(ecomml.agg_state, bigint, bigint, float8, float8,
                                           float8, float8, float8, float8, jsonb)
RETURNS ecomml.agg_state
AS 'MODULE_PATHNAME', 'build_graph_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION ecomml.build_graph_finalfn(ecomml.agg_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'build_graph_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE ecomml.build_graph(source bigint, target bigint, cost float8, reverse_cost float8) (
    SFUNC = ecomml.build_graph_transfn, STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.build_graph_finalfn, COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE ecomml.build_graph(source bigint, target bigint, cost float8, reverse_cost float8,
                                    options jsonb) (
    SFUNC = ecomml.build_graph_transfn, STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.build_graph_finalfn, COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE ecomml.build_graph(source bigint, target bigint, cost float8, reverse_cost float8,
                                    x1 float8, y1 float8, x2 float8, y2 float8) (
    SFUNC = ecomml.build_graph_transfn, STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.build_graph_finalfn, COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE ecomml.build_graph(source bigint, target bigint, cost float8, reverse_cost float8,
                                    x1 float8, y1 float8, x2 float8, y2 float8, options jsonb) (
    SFUNC = ecomml.build_graph_transfn, STYPE = ecomml.agg_state,
    FINALFUNC = ecomml.build_graph_finalfn, COMBINEFUNC = ecomml.agg_state_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE ecomml.build_graph(bigint, bigint, float8, float8) IS
    'build a road-graph model from edges; a negative or null cost means no arc in that direction';
COMMENT ON AGGREGATE ecomml.build_graph(bigint, bigint, float8, float8, jsonb) IS
    'build a road-graph model from edges; options {"directed": true}';
COMMENT ON AGGREGATE ecomml.build_graph(bigint, bigint, float8, float8, float8, float8, float8, float8) IS
    'build a road-graph model from edges with end-point coordinates (enables A*)';
COMMENT ON AGGREGATE ecomml.build_graph(bigint, bigint, float8, float8, float8, float8, float8, float8, jsonb) IS
    'build a road-graph model from edges with end-point coordinates (enables A*); options {"directed": true}';

CREATE FUNCTION ecomml.shortest_path(graph bytea, source bigint, target bigint,
                                     options jsonb DEFAULT '{}')
RETURNS TABLE(seq int, node bigint, edge_index bigint, cost float8, agg_cost float8)
AS 'MODULE_PATHNAME', 'graph_shortest_path' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION ecomml.shortest_path(bytea, bigint, bigint, jsonb) IS
    'least-cost path between two nodes of a graph model; options {"algorithm": "ch"|"bidirectional"|"dijkstra"|"astar"} ("ch", the default on a contracted graph); no rows if unreachable';

CREATE FUNCTION ecomml.shortest_path_tree(graph bytea, source bigint,
                                          max_cost float8 DEFAULT 'Infinity')
RETURNS TABLE(node bigint, parent bigint, edge_index bigint, cost float8, agg_cost float8)
AS 'MODULE_PATHNAME', 'graph_shortest_path_tree' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION ecomml.shortest_path_tree(bytea, bigint, float8) IS
    'every node reachable from source within max_cost, with its parent in the shortest-path tree';

CREATE FUNCTION ecomml.cost_matrix(graph bytea, nodes bigint[])
RETURNS TABLE(from_node bigint, to_node bigint, cost float8)
AS 'MODULE_PATHNAME', 'graph_cost_matrix_srf' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION ecomml.cost_matrix(bytea, bigint[]) IS
    'least costs between every ordered pair of distinct nodes; unreachable pairs are left out';

CREATE FUNCTION ecomml.solve_tsp(ids bigint[], x float8[], y float8[], options jsonb DEFAULT '{}')
RETURNS TABLE(seq int, id bigint, cost float8, agg_cost float8)
AS 'MODULE_PATHNAME', 'solve_tsp_points' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_tsp(bigint[], float8[], float8[], jsonb) IS
    'closed Euclidean tour through the points; options {"start", "time_limit_ms", "max_kicks", "seed"}';

CREATE FUNCTION ecomml.solve_tsp(graph bytea, stops bigint[], options jsonb DEFAULT '{}')
RETURNS TABLE(seq int, id bigint, cost float8, agg_cost float8)
AS 'MODULE_PATHNAME', 'solve_tsp_graph' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_tsp(bytea, bigint[], jsonb) IS
    'closed tour through stops of a graph model by road cost (asymmetric allowed); options {"start", "time_limit_ms", "max_kicks", "seed", "matrix"} ("matrix": false, the default above 1000 stops, keeps no n x n matrix)';

-- Vehicle routing (src/vrp.c, src/vrp_input.c).  Orders and vehicles are
-- read in C so that unknown keys are errors and ids keep 64 bits.
CREATE FUNCTION ecomml.solve_vrp(graph bytea, orders jsonb, vehicles jsonb, options jsonb)
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_graph' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(bytea, jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows over a graph model; orders [{"id","node","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end","start_node","end_node","cost_per_distance","fixed_cost","max_route_duration","max_stops"}], options {"depot", "time_limit_ms", "max_iterations", "seed"}';

CREATE FUNCTION ecomml.solve_vrp(orders jsonb, vehicles jsonb, options jsonb DEFAULT '{}')
RETURNS TABLE(vehicle bigint, seq int, order_id bigint, arrival float8, departure float8, load float8, distance float8)
AS 'MODULE_PATHNAME', 'solve_vrp_points' LANGUAGE C VOLATILE PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION ecomml.solve_vrp(jsonb, jsonb, jsonb) IS
    'capacitated vehicle routes with time windows, Euclidean; orders [{"id","x","y","demand","service","open","close"}], vehicles [{"id","capacity","shift_start","shift_end","start_x","start_y","end_x","end_y","cost_per_distance","fixed_cost","max_route_duration","max_stops"}], options {"depot_x", "depot_y", "time_limit_ms", "max_iterations", "seed"}';

-- Contraction hierarchies (src/contraction.c, src/ch_query.c, src/ch_tree.c)
CREATE FUNCTION ecomml.contract_graph(graph bytea)
RETURNS bytea
AS 'MODULE_PATHNAME', 'contract_graph' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.contract_graph(bytea) IS
    'the graph model with a contraction hierarchy: shortest_path, shortest_path_tree and cost matrices (also of solve_tsp and solve_vrp) then use it, with the same costs';
