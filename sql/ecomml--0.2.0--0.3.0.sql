-- ecomml 0.2.0 -> 0.3.0 (ALTER EXTENSION ecomml UPDATE)
\echo Use "ALTER EXTENSION ecomml UPDATE TO '0.3.0'" to load this file. \quit

-- Each change of 0.3.0 appends its section below, under a comment naming the
-- concern; the result must equal a fresh 0.3.0 install (test/upgrade.sh).

-- hostile input (issue 16): NULL options mean the defaults everywhere; the
-- other arguments of these functions raise 22004 naming the argument
-- instead of returning no rows.
ALTER FUNCTION ecomml.shortest_path(bytea, bigint, bigint, jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.shortest_path_tree(bytea, bigint, float8) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.solve_tsp(bigint[], float8[], float8[], jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.solve_tsp(bytea, bigint[], jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.stock_plan(bytea, float8, int, float8, jsonb) CALLED ON NULL INPUT;
ALTER FUNCTION ecomml.reorder_point(bytea, float8, int, float8, jsonb) CALLED ON NULL INPUT;

-- hostile input: the registry names a NULL argument (22004)
CREATE OR REPLACE FUNCTION ecomml.model_save(name text, model bytea, metrics jsonb DEFAULT NULL)
RETURNS int LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb;
    next_version int;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'argument "name" of model_save must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model IS NULL THEN
        RAISE EXCEPTION 'argument "model" of model_save must not be NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'A NULL model usually means the training query found no rows.';
    END IF;
    info := ecomml.model_info(model);   -- validates the whole model
    -- Serialize saves of one name: two sessions must not pick the same version.
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    SELECT coalesce(max(m.version), 0) + 1 INTO next_version
      FROM ecomml.model m WHERE m.name = model_save.name;
    UPDATE ecomml.model m SET active = false WHERE m.name = model_save.name AND m.active;
    INSERT INTO ecomml.model (name, version, kind, created_at, params, metrics, model, active)
    VALUES (name, next_version, info->>'kind', (info->>'created_at')::timestamptz,
            info - 'kind' - 'created_at', metrics, model, true);
    RETURN next_version;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_activate(name text, version int) RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name IS NULL OR version IS NULL THEN
        RAISE EXCEPTION 'argument "%" of model_activate must not be NULL',
            CASE WHEN name IS NULL THEN 'name' ELSE 'version' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    IF NOT EXISTS (SELECT 1 FROM ecomml.model m
                    WHERE m.name = model_activate.name AND m.version = model_activate.version) THEN
        RAISE EXCEPTION 'model "%" has no version %', name, version
            USING ERRCODE = 'undefined_object';
    END IF;
    -- two statements: the one-active index is checked row by row
    UPDATE ecomml.model m SET active = false WHERE m.name = model_activate.name AND m.active;
    UPDATE ecomml.model m SET active = true
     WHERE m.name = model_activate.name AND m.version = model_activate.version;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_drop(name text, keep int DEFAULT 0, drop_active bool DEFAULT false)
RETURNS int LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped int;
BEGIN
    IF name IS NULL OR drop_active IS NULL THEN
        RAISE EXCEPTION 'argument "%" of model_drop must not be NULL',
            CASE WHEN name IS NULL THEN 'name' ELSE 'drop_active' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF keep IS NULL OR keep < 0 THEN
        RAISE EXCEPTION 'keep must be zero or more, not %', keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ecomml.model'), hashtext(name));
    DELETE FROM ecomml.model m
     WHERE m.name = model_drop.name
       AND (drop_active OR NOT m.active)
       AND m.version NOT IN (SELECT k.version FROM ecomml.model k
                              WHERE k.name = model_drop.name AND NOT k.active
                              ORDER BY k.version DESC LIMIT keep);
    GET DIAGNOSTICS dropped = ROW_COUNT;
    RETURN dropped;
END
$$;

CREATE OR REPLACE FUNCTION ecomml.model_not_found(name text) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION 'argument "name" of model must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    RAISE EXCEPTION 'no active model named "%"', name
        USING ERRCODE = 'undefined_object',
              HINT = 'Train one and store it with ecomml.model_save(), or activate a version with ecomml.model_activate().';
END
$$;
