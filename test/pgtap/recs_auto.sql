-- Explicit ALS defaults: lambda "auto" (chosen on held-out training pairs,
-- then refit on all) and early stopping, on generated low-rank ratings.
BEGIN;
SELECT plan(9);
SET client_min_messages = warning;

-- r = 3 + b_u + b_i + p_u.q_i + N(0, 0.5^2), rank 3, 3,000 users x 1,500 items,
-- 5 % density: about 75 ratings a user, 60 of them for training, 20 % held out.
SELECT setseed(0.17);
CREATE TEMP TABLE lr_u AS SELECT g AS u, random() * 2 - 1 AS p1, random() * 2 - 1 AS p2,
    random() * 2 - 1 AS p3, random() - 0.5 AS b FROM generate_series(1, 3000) g;
CREATE TEMP TABLE lr_i AS SELECT g AS i, random() * 2 - 1 AS q1, random() * 2 - 1 AS q2,
    random() * 2 - 1 AS q3, random() - 0.5 AS b FROM generate_series(1, 1500) g;
CREATE TEMP TABLE lr AS
SELECT u.u::bigint AS user_id, i.i::bigint AS item_id,
       3 + u.b + i.b + u.p1 * i.q1 + u.p2 * i.q2 + u.p3 * i.q3
         + 0.5 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS rating,
       random() < 0.2 AS test
FROM lr_u u, lr_i i WHERE random() < 0.05;

CREATE TEMP TABLE m AS
SELECT ecomml.train_als(user_id, item_id, rating, '{"factors": 16}') AS auto,
       ecomml.train_als(user_id, item_id, rating, '{"factors": 16, "lambda": 0.05}') AS fixed
FROM lr WHERE NOT test;
CREATE TEMP TABLE err AS
SELECT ecomml.rmse(ecomml.predict(auto, user_id, item_id), rating) / 0.5 AS auto_sigma,
       ecomml.rmse(ecomml.predict(fixed, user_id, item_id), rating) / 0.5 AS fixed_sigma
FROM lr, m WHERE test;
-- recorded: auto 1.090 sigma (lambda 0.0707), fixed lambda 0.05 (the 0.2.0 default) 1.121 sigma
SELECT diag(format('held-out RMSE: lambda auto %s sigma (lambda %s), lambda 0.05 %s sigma',
                   round(auto_sigma::numeric, 3), round((ecomml.model_info(auto)->>'lambda')::numeric, 4),
                   round(fixed_sigma::numeric, 3))) FROM err, m;
SELECT cmp_ok((SELECT auto_sigma FROM err), '<=', 1.10::float8,
              'default options: held-out RMSE within 1.10 sigma');
SELECT cmp_ok((SELECT auto_sigma FROM err), '<', (SELECT fixed_sigma FROM err),
              'lambda auto beats the fixed lambda of 0.2.0');
SELECT ok((SELECT (i->>'lambda')::float8 = ANY (ARRAY(SELECT jsonb_array_elements_text(i->'lambda_tried')::float8))
                  AND (i->>'lambda')::float8 BETWEEN 0.0004 AND 7
           FROM (SELECT ecomml.model_info(auto) i FROM m) x),
          'the chosen lambda is one of the values tried, in range');
SELECT ok((SELECT (i->>'lambda')::float8 = (SELECT (l->>0)::float8 FROM jsonb_array_elements(i->'lambda_tried') WITH ORDINALITY t(v, o),
                                            LATERAL (SELECT jsonb_build_array(v) l) y
                                            ORDER BY (i->'lambda_validation_rmse'->>(o::int - 1))::float8 LIMIT 1)
           FROM (SELECT ecomml.model_info(auto) i FROM m) x),
          'the chosen lambda has the lowest validation RMSE of the curve');
SELECT is((SELECT jsonb_array_length(i->'lambda_tried') = jsonb_array_length(i->'lambda_validation_rmse')
                  AND jsonb_array_length(i->'lambda_tried') >= 3
           FROM (SELECT ecomml.model_info(auto) i FROM m) x), true, 'validation curve in model_info');
SELECT ok((SELECT (i->>'iterations_run')::int BETWEEN 1 AND 15
                  AND jsonb_array_length(i->'loss_history') = (i->>'iterations_run')::int
           FROM (SELECT ecomml.model_info(auto) i FROM m) x),
          'early stopping: the refit runs the iterations that were best on validation');
SELECT is((SELECT ecomml.model_info(fixed) ? 'lambda_tried' FROM m), false, 'a fixed lambda searches nothing');
SELECT throws_ok($$SELECT ecomml.train_als(1, 1, 1, '{"lambda": "best"}')$$, '22023',
                 'option "lambda" must be a number or "auto"', 'lambda must be a number or auto');
SELECT lives_ok($$SELECT ecomml.train_als(u, i, 1, '{"lambda": "auto", "factors": 2}') FROM generate_series(1, 3) u, generate_series(1, 2) i$$,
                'lambda auto on a tiny input');

SELECT * FROM finish();
ROLLBACK;
