/*
 * vrp_input.c - the orders and vehicles of ecomml.solve_vrp
 *
 * 0.3.0 reads the jsonb arrays here, in C, so that a misspelled key
 * ("Demand") is an error instead of an order served with load 0, as
 * jsonb_to_recordset in the 0.2.0 SQL wrapper silently allowed, and so that
 * ids keep all 64 bits.  Databases not yet updated still call
 * solve_vrp_internal with arrays: vrp_input_from_arrays.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "arrays.h"
#include "options.h"
#include "vrp_input.h"

typedef enum VrpField
{
	F_ID, F_X, F_Y, F_NODE, F_DEMAND, F_SERVICE, F_OPEN, F_CLOSE,
	F_CAPACITY, F_SHIFT_START, F_SHIFT_END, F_START_X, F_START_Y, F_END_X, F_END_Y,
	F_START_NODE, F_END_NODE, F_COST_PER_DISTANCE, F_FIXED_COST, F_MAX_DURATION, F_MAX_STOPS
} VrpField;

typedef struct FieldKey
{
	const char *key;
	VrpField	field;
} FieldKey;

static const FieldKey point_order_keys[] = {
	{"id", F_ID}, {"x", F_X}, {"y", F_Y}, {"demand", F_DEMAND}, {"service", F_SERVICE},
	{"open", F_OPEN}, {"close", F_CLOSE}, {NULL, 0}
};
static const FieldKey graph_order_keys[] = {
	{"id", F_ID}, {"node", F_NODE}, {"demand", F_DEMAND}, {"service", F_SERVICE},
	{"open", F_OPEN}, {"close", F_CLOSE}, {NULL, 0}
};
static const FieldKey point_vehicle_keys[] = {
	{"id", F_ID}, {"capacity", F_CAPACITY}, {"shift_start", F_SHIFT_START},
	{"shift_end", F_SHIFT_END}, {"start_x", F_START_X}, {"start_y", F_START_Y},
	{"end_x", F_END_X}, {"end_y", F_END_Y}, {"cost_per_distance", F_COST_PER_DISTANCE},
	{"fixed_cost", F_FIXED_COST}, {"max_route_duration", F_MAX_DURATION},
	{"max_stops", F_MAX_STOPS}, {NULL, 0}
};
static const FieldKey graph_vehicle_keys[] = {
	{"id", F_ID}, {"capacity", F_CAPACITY}, {"shift_start", F_SHIFT_START},
	{"shift_end", F_SHIFT_END}, {"start_node", F_START_NODE}, {"end_node", F_END_NODE},
	{"cost_per_distance", F_COST_PER_DISTANCE}, {"fixed_cost", F_FIXED_COST},
	{"max_route_duration", F_MAX_DURATION}, {"max_stops", F_MAX_STOPS}, {NULL, 0}
};

static double *
filled(int32 n, double v)
{
	double	   *a = palloc((n + 1) * sizeof(double));

	for (int32 i = 0; i <= n; i++)
		a[i] = v;
	return a;
}

static int64 *
filled_id(int32 n)
{
	int64	   *a = palloc((n + 1) * sizeof(int64));

	for (int32 i = 0; i <= n; i++)
		a[i] = VRP_ABSENT_ID;
	return a;
}

/* the fleet keys of 0.3.0: the global depot, unit cost, no further limits */
static void
vehicle_defaults(VrpInput *in, int32 nv)
{
	in->sx = filled(nv, NAN);
	in->sy = filled(nv, NAN);
	in->ex = filled(nv, NAN);
	in->ey = filled(nv, NAN);
	in->snode = filled_id(nv);
	in->enode = filled_id(nv);
	in->cpd = filled(nv, 1);
	in->fixed = filled(nv, 0);
	in->maxdur = filled(nv, INFINITY);
	in->maxstops = filled(nv, INFINITY);
}

/* elements of a JSON array, or an error naming what it should hold */
static int32
json_array_count(Jsonb *jb, const char *what)
{
	if (jb == NULL || !JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON array of objects", what),
				 errhint("Build it with jsonb_agg(jsonb_build_object(...)).")));
	return JB_ROOT_COUNT(jb);
}

static void
unknown_key(const char *what, int32 pos, const JsonbValue *k, const FieldKey *keys)
{
	StringInfoData known;

	initStringInfo(&known);
	for (const FieldKey *f = keys; f->key; f++)
		appendStringInfo(&known, "%s\"%s\"", f == keys ? "" : ", ", f->key);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown key \"%.*s\" in %s %d", k->val.string.len, k->val.string.val, what, pos),
			 errhint("The keys of a %s are %s.", what, known.data)));
}

static double
value_number(const JsonbValue *v, const char *key, const char *what, int32 pos)
{
	double		d;

	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of %s %d must be a number", key, what, pos)));
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d) || fabs(d) > VALUE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%s\" of %s %d is out of range", key, what, pos),
				 errdetail("Values are limited to %g in magnitude.", VALUE_MAX)));
	return d;
}

static int64
value_id(const JsonbValue *v, const char *key, const char *what, int32 pos)
{
	int64		id;

	if (v->type != jbvNumeric || !options_numeric_int64(v->val.numeric, &id))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" of %s %d must be an integer within bigint range", key, what, pos)));
	return id;
}

/* read element pos (1-based in messages) of a JSON array of objects */
static void
read_object(JsonbValue *elem, const FieldKey *keys, const char *what, int32 pos,
			VrpInput *in, int32 i)
{
	JsonbIterator *it;
	JsonbValue	k,
				v;
	JsonbIteratorToken tok;

	if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s %d must be a JSON object", what, pos)));
	it = JsonbIteratorInit(elem->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		const FieldKey *f;
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		for (f = keys; f->key; f++)
			if (strlen(f->key) == (size_t) k.val.string.len &&
				strncmp(f->key, k.val.string.val, k.val.string.len) == 0)
				break;
		if (f->key == NULL)
			unknown_key(what, pos, &k, keys);
		key = (char *) f->key;
		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		if (v.type == jbvNull)
			continue;			/* null means the default */
		switch (f->field)
		{
			case F_ID:
				if (keys == point_vehicle_keys || keys == graph_vehicle_keys)
					in->vids[i] = value_id(&v, key, what, pos);
				else
					in->ids[i] = value_id(&v, key, what, pos);
				break;
			case F_NODE:
				in->node[i] = value_id(&v, key, what, pos);
				break;
			case F_X:
				in->x[i] = value_number(&v, key, what, pos);
				break;
			case F_Y:
				in->y[i] = value_number(&v, key, what, pos);
				break;
			case F_DEMAND:
				in->demand[i] = value_number(&v, key, what, pos);
				break;
			case F_SERVICE:
				in->service[i] = value_number(&v, key, what, pos);
				break;
			case F_OPEN:
				in->open[i] = value_number(&v, key, what, pos);
				break;
			case F_CLOSE:
				in->close[i] = value_number(&v, key, what, pos);
				break;
			case F_CAPACITY:
				in->cap[i] = value_number(&v, key, what, pos);
				break;
			case F_SHIFT_START:
				in->vstart[i] = value_number(&v, key, what, pos);
				break;
			case F_SHIFT_END:
				in->vend[i] = value_number(&v, key, what, pos);
				break;
			case F_START_X:
				in->sx[i] = value_number(&v, key, what, pos);
				break;
			case F_START_Y:
				in->sy[i] = value_number(&v, key, what, pos);
				break;
			case F_END_X:
				in->ex[i] = value_number(&v, key, what, pos);
				break;
			case F_END_Y:
				in->ey[i] = value_number(&v, key, what, pos);
				break;
			case F_START_NODE:
				in->snode[i] = value_id(&v, key, what, pos);
				break;
			case F_END_NODE:
				in->enode[i] = value_id(&v, key, what, pos);
				break;
			case F_COST_PER_DISTANCE:
				in->cpd[i] = value_number(&v, key, what, pos);
				break;
			case F_FIXED_COST:
				in->fixed[i] = value_number(&v, key, what, pos);
				break;
			case F_MAX_DURATION:
				in->maxdur[i] = value_number(&v, key, what, pos);
				break;
			case F_MAX_STOPS:
				in->maxstops[i] = value_number(&v, key, what, pos);
				break;
		}
	}
}

void
vrp_input_from_jsonb(Jsonb *orders, Jsonb *vehicles, bool graph, VrpInput *in)
{
	int32		n = json_array_count(orders, "orders"),
				nv = json_array_count(vehicles, "vehicles");

	in->n = n;
	in->ids = filled_id(n);
	in->x = filled(n, NAN);
	in->y = filled(n, NAN);
	in->node = filled_id(n);
	in->demand = filled(n, 0);
	in->service = filled(n, 0);
	in->open = filled(n, 0);
	in->close = filled(n, INFINITY);
	in->nv = nv;
	in->vids = filled_id(nv);
	in->cap = filled(nv, INFINITY);
	in->vstart = filled(nv, 0);
	in->vend = filled(nv, INFINITY);
	vehicle_defaults(in, nv);
	for (int32 i = 0; i < n; i++)
	{
		read_object(getIthJsonbValueFromContainer(&orders->root, i),
					graph ? graph_order_keys : point_order_keys, "order", i + 1, in, i);
		if (in->ids[i] == VRP_ABSENT_ID)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("order %d has no \"id\"", i + 1)));
	}
	for (int32 v = 0; v < nv; v++)
		read_object(getIthJsonbValueFromContainer(&vehicles->root, v),
					graph ? graph_vehicle_keys : point_vehicle_keys, "vehicle", v + 1, in, v);
}

/* ---------------------------------------------------------------------------
 * Arrays (solve_vrp_internal of 0.1.0 and 0.2.0)
 */
static double *
f8_array_dflt(FunctionCallInfo fcinfo, int argno, int n, double dflt, const char *what,
			  bool allow_inf)
{
	double	   *out = filled(n, dflt);
	Datum	   *elems;
	bool	   *nulls;
	int			cnt;

	if (PG_ARGISNULL(argno))
		return out;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &cnt);
	if (cnt != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements, expected %d", what, cnt, n)));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		out[i] = DatumGetFloat8(elems[i]);
		if (isnan(out[i]) || (!allow_inf && isinf(out[i])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must be finite, not %g", what, out[i])));
		if (isfinite(out[i]))
			check_value(out[i], what);
	}
	return out;
}

static int64 *
i8_array(FunctionCallInfo fcinfo, int argno, int *n, bool nulls_ok, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int64	   *out;

	if (PG_ARGISNULL(argno))
	{
		*n = 0;
		return NULL;
	}
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, n);
	out = palloc((*n + 1) * sizeof(int64));
	for (int i = 0; i < *n; i++)
	{
		if (nulls[i] && !nulls_ok)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("every %s must be given", what)));
		out[i] = nulls[i] ? VRP_ABSENT_ID : DatumGetInt64(elems[i]);
	}
	return out;
}

/*
 * args: 0 graph bytea, 1 ids bigint[], 2 x, 3 y, 4 node bigint[], 5 demand,
 * 6 service, 7 open, 8 close, 9 vehicle ids bigint[], 10 capacity,
 * 11 shift_start, 12 shift_end
 */
void
vrp_input_from_arrays(FunctionCallInfo fcinfo, VrpInput *in)
{
	int			n,
				nv,
				nn;

	in->ids = i8_array(fcinfo, 1, &n, false, "order id");
	in->vids = i8_array(fcinfo, 9, &nv, true, "vehicle id");
	in->n = n;
	in->nv = nv;
	in->demand = f8_array_dflt(fcinfo, 5, n, 0, "demand", false);
	in->service = f8_array_dflt(fcinfo, 6, n, 0, "service", false);
	in->open = f8_array_dflt(fcinfo, 7, n, 0, "open", false);
	in->close = f8_array_dflt(fcinfo, 8, n, INFINITY, "close", true);
	in->cap = f8_array_dflt(fcinfo, 10, nv, INFINITY, "capacity", true);
	in->vstart = f8_array_dflt(fcinfo, 11, nv, 0, "shift_start", false);
	in->vend = f8_array_dflt(fcinfo, 12, nv, INFINITY, "shift_end", true);
	vehicle_defaults(in, nv);
	if (PG_ARGISNULL(0))
	{
		in->x = f8_array_dflt(fcinfo, 2, n, NAN, "x", false);
		in->y = f8_array_dflt(fcinfo, 3, n, NAN, "y", false);
		in->node = NULL;
	}
	else
	{
		in->x = in->y = NULL;
		in->node = i8_array(fcinfo, 4, &nn, true, "order node");
		if (nn != n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("every order needs a node")));
	}
}
