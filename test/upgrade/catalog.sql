-- Every member of extension ecomml with its full definition, one line per
-- object (functions span several), sorted. test/upgrade.sh runs it on a fresh
-- install and on an upgraded one and diffs the two. Names, never OIDs: OIDs
-- differ between databases, definitions must not.
WITH member AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'ecomml' AND d.deptype = 'e'
),
-- relations: member tables and views, and the relations behind composite types
rel AS (
    SELECT objid AS oid FROM member WHERE classid = 'pg_class'::regclass
    UNION
    SELECT t.typrelid FROM member m JOIN pg_type t ON t.oid = m.objid
     WHERE m.classid = 'pg_type'::regclass AND t.typrelid <> 0
),
line(object, definition) AS (
    -- functions and procedures: the CREATE statement carries volatility,
    -- strictness, parallel safety, cost, SET options, defaults and body
    SELECT 'function ' || p.oid::regprocedure,
           pg_get_functiondef(p.oid) || 'acl ' || coalesce(p.proacl::text, 'default')
      FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
     WHERE p.prokind <> 'a'
    UNION ALL
    -- aggregates: pg_get_functiondef refuses them, so their pg_aggregate row
    SELECT 'aggregate ' || p.oid::regprocedure,
           format('args (%s) returns %s volatile %s strict %s parallel %s kind %s direct %s '
                  'sfunc %s stype %s sspace %s initval %s finalfn %s extra %s modify %s '
                  'combinefn %s serialfn %s deserialfn %s msfunc %s minvfunc %s mstype %s '
                  'msspace %s minitval %s mfinalfn %s mextra %s mmodify %s sortop %s acl %s',
                  pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
                  p.provolatile, p.proisstrict, p.proparallel, a.aggkind, a.aggnumdirectargs,
                  a.aggtransfn::regprocedure, a.aggtranstype::regtype, a.aggtransspace,
                  a.agginitval, a.aggfinalfn::regprocedure, a.aggfinalextra, a.aggfinalmodify,
                  a.aggcombinefn::regprocedure, a.aggserialfn::regprocedure,
                  a.aggdeserialfn::regprocedure, a.aggmtransfn::regprocedure,
                  a.aggminvtransfn::regprocedure, a.aggmtranstype::regtype, a.aggmtransspace,
                  a.aggminitval, a.aggmfinalfn::regprocedure, a.aggmfinalextra,
                  a.aggmfinalmodify, a.aggsortop::regoperator, coalesce(p.proacl::text, 'default'))
      FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_aggregate a ON a.aggfnoid = p.oid
    UNION ALL
    SELECT 'type ' || t.oid::regtype,
           format('type %s len %s byval %s align %s storage %s category %s preferred %s '
                  'in %s out %s recv %s send %s typmodin %s typmodout %s analyze %s subscript %s '
                  'elem %s array %s base %s notnull %s default %s collation %s enum (%s) acl %s',
                  t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage, t.typcategory,
                  t.typispreferred, t.typinput::regprocedure, t.typoutput::regprocedure,
                  t.typreceive::regprocedure, t.typsend::regprocedure,
                  t.typmodin::regprocedure, t.typmodout::regprocedure,
                  t.typanalyze::regprocedure, t.typsubscript::regprocedure,
                  t.typelem::regtype, t.typarray::regtype, t.typbasetype::regtype,
                  t.typnotnull, t.typdefault, t.typcollation::regcollation,
                  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                     FROM pg_enum e WHERE e.enumtypid = t.oid),
                  coalesce(t.typacl::text, 'default'))
      FROM member m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT 'relation ' || c.oid::regclass,
           format('kind %s persistence %s options %s rowsecurity %s replident %s acl %s%s',
                  c.relkind, c.relpersistence, c.reloptions, c.relrowsecurity, c.relreplident,
                  coalesce(c.relacl::text, 'default'),
                  CASE WHEN c.relkind IN ('v', 'm') THEN E'\n' || pg_get_viewdef(c.oid) END)
      FROM rel JOIN pg_class c USING (oid)
    UNION ALL
    SELECT 'column ' || a.attrelid::regclass || '.' || quote_ident(a.attname),
           format('position %s type %s notnull %s default %s storage %s compression %s '
                  'identity %s generated %s collation %s acl %s',
                  a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attstorage, a.attcompression,
                  a.attidentity, a.attgenerated, a.attcollation::regcollation, a.attacl)
      FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    -- indexes, constraints and triggers belong to their table, not to the extension
    SELECT 'index ' || i.indexrelid::regclass, pg_get_indexdef(i.indexrelid)
      FROM rel JOIN pg_index i ON i.indrelid = rel.oid
    UNION ALL
    SELECT 'constraint ' || quote_ident(co.conname) || ' on ' || co.conrelid::regclass,
           pg_get_constraintdef(co.oid)
      FROM rel JOIN pg_constraint co ON co.conrelid = rel.oid
    UNION ALL
    SELECT 'trigger ' || quote_ident(tg.tgname) || ' on ' || tg.tgrelid::regclass,
           pg_get_triggerdef(tg.oid)
      FROM rel JOIN pg_trigger tg ON tg.tgrelid = rel.oid WHERE NOT tg.tgisinternal
    UNION ALL
    -- members of any other kind (casts, operators, ...): at least by name
    SELECT pg_describe_object(classid, objid, 0), 'member'
      FROM member
     WHERE classid NOT IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_class'::regclass)
    UNION ALL
    -- comments on members, their relations, columns and indexes
    SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
      FROM (SELECT classid, objid FROM member
            UNION SELECT 'pg_class'::regclass, oid FROM rel
            UNION SELECT 'pg_class'::regclass, i.indexrelid FROM rel JOIN pg_index i ON i.indrelid = rel.oid) o
      JOIN pg_description d ON d.classoid = o.classid AND d.objoid = o.objid
    UNION ALL
    -- the extension itself: schema, dumped configuration tables (the registry)
    SELECT 'extension ' || e.extname,
           format('schema %s relocatable %s config %s condition %s comment %s',
                  e.extnamespace::regnamespace, e.extrelocatable, e.extconfig::regclass[],
                  e.extcondition, obj_description(e.oid, 'pg_extension'))
      FROM pg_extension e WHERE e.extname = 'ecomml'
)
SELECT object || ': ' || definition FROM line ORDER BY object COLLATE "C", definition COLLATE "C";
