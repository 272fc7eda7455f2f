-- Privileges: every function runs as its caller; an ordinary role trains and
-- scores on its own tables, and saves models once granted the registry.
BEGIN;
SELECT plan(7);

SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
            JOIN pg_extension e ON e.oid = d.refobjid
           WHERE e.extname = 'ecomml' AND p.prosecdef), 0::bigint,
    'no ecomml function is SECURITY DEFINER');

CREATE ROLE ecomml_analyst NOLOGIN;
GRANT USAGE ON SCHEMA ecomml TO ecomml_analyst;
CREATE SCHEMA analyst AUTHORIZATION ecomml_analyst;
SET LOCAL ROLE ecomml_analyst;
CREATE TABLE analyst.tx AS
SELECT ARRAY[g % 10, g % 7]::float8[] AS f, (g % 10 = 0) AS fraud FROM generate_series(1, 500) g;

SELECT lives_ok($$CREATE TABLE analyst.m AS SELECT ecomml.train_logreg(f, fraud) AS model FROM analyst.tx$$,
    'an ordinary role trains on its own table');
SELECT ok((SELECT ecomml.roc_auc(ecomml.score(m.model, t.f), t.fraud) FROM analyst.tx t, analyst.m m) > 0.9,
    'and scores with the model');
SELECT throws_ok($$SELECT ecomml.model_save('analyst_fraud', model) FROM analyst.m$$,
    '42501', NULL, 'saving needs privileges on the registry');
SELECT throws_ok($$CALL ecomml.retrain('x', 'SELECT model FROM ecomml.model LIMIT 1')$$,
    '42501', NULL, 'retrain runs its query with the caller''s privileges');

RESET ROLE;
GRANT SELECT, INSERT, UPDATE ON ecomml.model TO ecomml_analyst;
SET LOCAL ROLE ecomml_analyst;
SELECT is((SELECT ecomml.model_save('analyst_fraud', model) FROM analyst.m), 1,
    'with SELECT, INSERT, UPDATE on ecomml.model it saves');
SELECT ok(ecomml.score(ecomml.model('analyst_fraud'), '{0,3}') >= 0, 'and scores from the registry');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
