
-- Model registry (doc/models.md): every saved version of every named model,
-- at most one of them active per name.

CREATE TABLE ecomml.model (
    name       text        NOT NULL,
    version    int         NOT NULL CHECK (version > 0),
    kind       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    params     jsonb,
    metrics    jsonb,
    model      bytea       NOT NULL,
    active     bool        NOT NULL DEFAULT false,
    PRIMARY KEY (name, version)
);
-- EXTERNAL: stored uncompressed out of line, so checking a model's 40-byte
-- header (its kind) fetches one TOAST chunk, and the decoded-model cache
-- recognizes a stored model by its TOAST pointer alone.
ALTER TABLE ecomml.model ALTER COLUMN model SET STORAGE EXTERNAL;
CREATE UNIQUE INDEX model_one_active ON ecomml.model (name) WHERE active;
SELECT pg_catalog.pg_extension_config_dump('ecomml.model', '');

CREATE FUNCTION ecomml.model_info(model bytea) RETURNS jsonb
AS 'MODULE_PATHNAME', 'model_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ecomml.model_info(bytea) IS
    'kind, format version, id, creation time, sizes and kind-specific parameters of a model';

CREATE FUNCTION ecomml.model_save(name text, model bytea, metrics jsonb DEFAULT NULL)
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
COMMENT ON FUNCTION ecomml.model_save(text, bytea, jsonb) IS
    'store a model as the next version of name and make it the active one';

CREATE FUNCTION ecomml.model_not_found(name text) RETURNS bytea
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

-- A SQL function, not PL/pgSQL: it hands back the TOAST pointer without
-- reading the model, so the decoded-model cache can hit on the header alone.
CREATE FUNCTION ecomml.model(name text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT m.model FROM ecomml.model m WHERE m.name = $1 AND m.active),
                    ecomml.model_not_found($1))
$$;
COMMENT ON FUNCTION ecomml.model(text) IS 'the active version of a named model';

CREATE FUNCTION ecomml.model_activate(name text, version int) RETURNS void
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
COMMENT ON FUNCTION ecomml.model_activate(text, int) IS 'make one saved version the active one';

CREATE FUNCTION ecomml.model_drop(name text, keep int DEFAULT 0, drop_active bool DEFAULT false)
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
COMMENT ON FUNCTION ecomml.model_drop(text, int, bool) IS
    'delete old versions of a model, keeping the active one and the newest keep others';

-- Retraining for schedulers (pg_cron): run a training query, save its model.
-- A procedure, so a job can CALL it; an error leaves the active version as it was.
CREATE PROCEDURE ecomml.retrain(name text, training_query text, metrics jsonb DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    trained bytea;
BEGIN
    -- exactly one row with one bytea column: the new model
    EXECUTE training_query INTO STRICT trained;
    PERFORM ecomml.model_save(name, trained, metrics);
END
$$;
COMMENT ON PROCEDURE ecomml.retrain(text, text, jsonb) IS
    'run a query returning one model and save it as the next active version of name';
