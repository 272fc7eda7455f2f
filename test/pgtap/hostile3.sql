-- Hostile input against this round's new SQL surface (brief hostile3): plain
-- text naive Bayes and its tokenizer, road TSP without a matrix, PHAST trees,
-- forecast intervals, EASE lambda "auto", contraction at a hub.
BEGIN;
SELECT plan(25);

-- seconds a statement runs, finished or cancelled
CREATE FUNCTION pg_temp.secs(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    EXECUTE q;
    RETURN extract(epoch FROM clock_timestamp() - t0);
EXCEPTION WHEN query_canceled THEN
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
CREATE FUNCTION pg_temp.plan_text(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; out text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || r || E'\n'; END LOOP;
    RETURN out;
END $$;

-- a hub of 100 000 two-way arcs (directed model); a path cut in two; a one-way path
CREATE TEMP TABLE star AS
SELECT ecomml.build_graph(0, i, 1.0, 1.0) AS g FROM generate_series(1, 100000) i;
CREATE TEMP TABLE cut AS
SELECT ecomml.build_graph(s, s + 1, 1.0, 1.0) AS g FROM generate_series(1, 20) s WHERE s <> 10;
CREATE TEMP TABLE oneway AS
SELECT ecomml.build_graph(s, s + 1, 1.0, -1) AS g FROM generate_series(1, 20) s;

-- solve_tsp without a matrix: whether costs are symmetric was checked arc
-- against every arc of the same node (10^10 steps at the hub, no
-- interrupt check: 5.9 s to cancel at 2 s with 60 000); now linear in the arcs
SET LOCAL statement_timeout = '500ms';
SELECT cmp_ok(pg_temp.secs($$SELECT count(*) FROM star, ecomml.solve_tsp(g, ARRAY[1, 2, 3, 4]::bigint[], '{"matrix": false}')$$),
    '<', 2::float8, 'sparse solve_tsp next to a hub of 100 000 arcs ends or is cancelled within 2 s');
SET LOCAL statement_timeout = 0;
SELECT is((SELECT count(*) FROM star, ecomml.solve_tsp(g, ARRAY[1, 2, 3, 4]::bigint[], '{"matrix": false}')),
    5::bigint, 'sparse solve_tsp by a hub: a closed tour of 4 stops');
SELECT is((SELECT max(agg_cost) FROM star, ecomml.solve_tsp(g, ARRAY[1, 2, 3, 4]::bigint[], '{"matrix": false}')),
    8::float8, 'sparse solve_tsp by a hub: every leg through the hub');

-- unreachable stops: two stops asked for no cost before the legs were summed,
-- so the tour came back with Infinity costs instead of the error of every
-- other size and of "matrix": true
SELECT throws_ok($$SELECT * FROM cut, ecomml.solve_tsp(g, ARRAY[1, 15]::bigint[], '{"matrix": false}')$$,
    '22000', 'stop 1 cannot reach stop 15 in the graph', 'sparse solve_tsp: two stops apart');
SELECT throws_ok($$SELECT * FROM cut, ecomml.solve_tsp(g, ARRAY[1, 15]::bigint[], '{"matrix": true}')$$,
    '22000', 'stop 1 cannot reach stop 15 in the graph', 'matrix solve_tsp: the same error');
SELECT throws_ok($$SELECT * FROM oneway, ecomml.solve_tsp(g, ARRAY[1, 15]::bigint[], '{"matrix": false}')$$,
    '22000', 'stop 15 cannot reach stop 1 in the graph', 'sparse solve_tsp: no way back on a one-way road');
SELECT throws_ok($$SELECT * FROM cut, ecomml.solve_tsp(g, ARRAY[1, 5, 15]::bigint[], '{"matrix": false}')$$,
    '22000', NULL, 'sparse solve_tsp: three stops, one apart');
SELECT is((SELECT array_agg(id ORDER BY seq) FROM cut, ecomml.solve_tsp(g, ARRAY[7]::bigint[], '{"matrix": false}')),
    ARRAY[7, 7]::bigint[], 'sparse solve_tsp: one stop is a tour of itself');
SELECT throws_ok($$SELECT * FROM cut, ecomml.solve_tsp(g, ARRAY[1, 1]::bigint[], '{"matrix": false}')$$,
    '22023', NULL, 'sparse solve_tsp: a duplicate stop');
SELECT throws_ok($$SELECT * FROM cut, ecomml.solve_tsp(g, ARRAY[1, 5]::bigint[], '{"matrix": "no"}')$$,
    '22023', 'option "matrix" must be true or false', 'solve_tsp: "matrix" is a boolean');

-- shortest_path_tree by PHAST: zero-cost cycles, a one-node graph, bad budgets
SELECT is((SELECT count(*) FROM (SELECT ecomml.contract_graph(ecomml.build_graph(s, t, 0, 0)) AS g
                                  FROM (VALUES (1, 2), (2, 3), (3, 1), (3, 4)) v(s, t)) x,
                                 ecomml.shortest_path_tree(g, 1, NULL)),
    4::bigint, 'PHAST tree over a cycle of zero costs: every node once');
SELECT is((SELECT count(*) FROM (SELECT ecomml.contract_graph(ecomml.build_graph(1, 1, 0, 0)) AS g) x,
                                 ecomml.shortest_path_tree(g, 1, NULL)),
    1::bigint, 'PHAST tree of a one-node graph with a loop');
SELECT throws_ok($$SELECT * FROM (SELECT ecomml.contract_graph(g) AS g FROM cut) x, ecomml.shortest_path_tree(g, 1, 'NaN')$$,
    '22023', NULL, 'shortest_path_tree: NaN max_cost');

-- the tokenizer: a 1 MB word, only separators, emoji, a word that grows when lowercased
CREATE TEMP TABLE nb AS
SELECT ecomml.train_text_classifier(body, label) AS m
FROM (VALUES (repeat('a', 1000000) || ' cheap', 'spam'), ('noon meeting 😀', 'ham'), ('buy cheap', 'spam'), ('lunch', 'ham')) v(body, label);
SELECT is((SELECT (ecomml.model_info(m)->>'vocabulary')::int FROM nb), 6, 'a 1 MB word is one word of the vocabulary');
SELECT is((SELECT label FROM nb, ecomml.classify(m, upper(repeat('a', 1000000))) LIMIT 1), 'spam',
    'the 1 MB word found again, uppercased');
SELECT is((SELECT label FROM (SELECT ecomml.train_text_classifier(b, l) AS m
                               FROM (VALUES (repeat('Ⱥ', 200000), 'x'), ('yy', 'y')) v(b, l)) x,
                              ecomml.classify(m, repeat('ⱥ', 200000)) LIMIT 1),
    'x', 'a 400 kB word that lowercases to 600 kB is found again');
SELECT is((SELECT array_agg(round(probability::numeric, 9) ORDER BY label) FROM nb, ecomml.classify(m, ' ,.;!? 😀😀 ¿ ')),
    ARRAY[0.5, 0.5]::numeric[], 'only separators and emoji: the priors');
SELECT is((SELECT count(*) FROM nb, ecomml.classify(m, '')), 2::bigint, 'empty text: a row per label');
SELECT throws_ok($$SELECT ecomml.train_text_classifier(b, 'x') FROM (VALUES ('😀 , .'), ('a b c')) v(b)$$,
    '22000', NULL, 'training on texts without words is refused');
SELECT throws_ok($$SELECT * FROM cut, ecomml.classify(g, 'cheap'::text)$$, '22023', NULL, 'classify: a graph model');
SELECT throws_ok($$SELECT * FROM nb, ecomml.classify(substring(m FROM 1 FOR length(m) - 3), 'cheap'::text)$$,
    'XX001', NULL, 'classify: a truncated model');

-- parallel plan of the text form (workers tokenize, states combine)
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_text('SELECT ecomml.train_text_classifier(body, label) FROM public.fx_reviews_mixed'),
    'Partial Aggregate', 'train_text_classifier(text, text) runs partially in workers');
CREATE TEMP TABLE par AS SELECT ecomml.train_text_classifier(body, label) AS m FROM public.fx_reviews_mixed;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser AS SELECT ecomml.train_text_classifier(body, label) AS m FROM public.fx_reviews_mixed;
SELECT is((SELECT max(abs(a.probability - b.probability)) < 1e-12
           FROM (SELECT r.* FROM par, ecomml.classify(m, 'great product, arrived late') r) a
           JOIN (SELECT r.* FROM ser, ecomml.classify(m, 'great product, arrived late') r) b USING (label)),
    true, 'parallel and serial text classifiers give the same probabilities');

-- EASE lambda "auto" when no held-out user kept a training pair: the default, not a validated choice
SET LOCAL client_min_messages = warning;
SELECT is((SELECT ecomml.model_info(ecomml.train_ease(u, 1, 1, '{"lambda": "auto"}'))->>'lambda_chosen_by'
             FROM generate_series(1, 300) u),
    NULL, 'EASE lambda "auto" with no rankable held-out user: the default, no validation curve');

-- contract_graph at a hub: the parallel-arc pass compared every arc with every
-- other and the hub's witness searches had no interrupt check (24 s to cancel at 1 s)
SET LOCAL statement_timeout = '1s';
SELECT cmp_ok(pg_temp.secs($$SELECT length(ecomml.contract_graph(g)) FROM star$$),
    '<', 2::float8, 'contract_graph of a hub of 100 000 arcs ends or is cancelled within 2 s');
SET LOCAL statement_timeout = 0;

SELECT * FROM finish();
ROLLBACK;
