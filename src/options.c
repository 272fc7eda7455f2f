/*
 * options.c - typed getters over a jsonb options object
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

#include "options.h"

static void
options_require_object(Jsonb *jb)
{
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("Pass options like '{\"seed\": 42}'::jsonb, or '{}' for the defaults.")));
}

void
options_check_keys(Jsonb *jb, const char *const *allowed)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (jb == NULL)
		return;
	options_require_object(jb);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		const char *const *a;
		StringInfoData known;

		if (tok != WJB_KEY)
			continue;
		for (a = allowed; *a; a++)
			if (strlen(*a) == (size_t) v.val.string.len &&
				strncmp(*a, v.val.string.val, v.val.string.len) == 0)
				break;
		if (*a)
			continue;
		initStringInfo(&known);
		for (a = allowed; *a; a++)
			appendStringInfo(&known, "%s%s", a == allowed ? "" : ", ", *a);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown option \"%.*s\"", v.val.string.len, v.val.string.val),
				 errhint("Known options: %s.", known.len ? known.data : "none")));
	}
}

/* -1, 0 or 1 as the numeric num is below, equal to or above i */
static int
numeric_cmp_int64(Datum num, int64 i)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, num,
											 NumericGetDatum(int64_to_numeric(i))));
}

/* The value of key, or NULL when absent or JSON null. */
static JsonbValue *
options_find(Jsonb *jb, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	if (jb == NULL)
		return NULL;
	options_require_object(jb);
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v && v->type == jbvNull)
		return NULL;
	return v;
}

static JsonbValue *
options_find_number(Jsonb *jb, const char *key)
{
	JsonbValue *v = options_find(jb, key);

	if (v != NULL && v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number", key)));
	return v;
}

static bool
numeric_is_integral(Datum num)
{
	return DatumGetBool(DirectFunctionCall2(numeric_eq, num,
											DirectFunctionCall2(numeric_trunc, num, Int32GetDatum(0))));
}

/*
 * A JSON number as an exact int64: false if it has a fraction or lies outside
 * the bigint range.  Integers are read from the numeric itself, never through
 * a double: 2^53 + 1 stays 2^53 + 1, and 2^63 is out of range, not negative.
 */
bool
options_numeric_int64(Numeric num, int64 *out)
{
	Datum		d = NumericGetDatum(num);

	if (numeric_is_nan(num) || numeric_is_inf(num) || !numeric_is_integral(d))
		return false;
	/* compared as numerics, so the conversion below cannot overflow */
	if (numeric_cmp_int64(d, PG_INT64_MIN) < 0 || numeric_cmp_int64(d, PG_INT64_MAX) > 0)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, d));
	return true;
}

int64
options_int64(Jsonb *jb, const char *key, int64 dflt, int64 min, int64 max)
{
	JsonbValue *v = options_find_number(jb, key);
	int64		i;

	if (v == NULL)
		return dflt;
	if (!numeric_is_integral(NumericGetDatum(v->val.numeric)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be an integer, not %s", key,
						numeric_normalize(v->val.numeric))));
	if (!options_numeric_int64(v->val.numeric, &i) || i < min || i > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is out of range: %s", key,
						numeric_normalize(v->val.numeric)),
				 errdetail("It must be between " INT64_FORMAT " and " INT64_FORMAT ".", min, max)));
	return i;
}

int32
options_int(Jsonb *jb, const char *key, int32 dflt, int32 min, int32 max)
{
	return (int32) options_int64(jb, key, dflt, min, max);
}

double
options_double(Jsonb *jb, const char *key, double dflt, double min, double max)
{
	JsonbValue *v = options_find_number(jb, key);
	double		d;

	if (v == NULL)
		return dflt;
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (isnan(d) || d < min || d > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is out of range: %g", key, d),
				 errdetail("It must be between %g and %g.", min, max)));
	return d;
}

/* a number, or the string "auto" (returned as NaN) */
double
options_double_or_auto(Jsonb *jb, const char *key, double min, double max)
{
	JsonbValue *v = options_find(jb, key);

	if (v == NULL ||
		(v->type == jbvString && v->val.string.len == 4 && strncmp(v->val.string.val, "auto", 4) == 0))
		return NAN;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number or \"auto\"", key)));
	return options_double(jb, key, 0, min, max);
}

bool
options_bool(Jsonb *jb, const char *key, bool dflt)
{
	JsonbValue *v = options_find(jb, key);

	if (v == NULL)
		return dflt;
	if (v->type != jbvBool)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be true or false", key)));
	return v->val.boolean;
}

char *
options_text(Jsonb *jb, const char *key)
{
	JsonbValue *v = options_find(jb, key);

	if (v == NULL)
		return NULL;
	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a string", key)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

const char *
options_choice(Jsonb *jb, const char *key, const char *dflt, const char *const *choices)
{
	JsonbValue *v = options_find(jb, key);
	const char *const *c;
	StringInfoData known;

	if (v == NULL)
		return dflt;
	if (v->type == jbvString)
		for (c = choices; *c; c++)
			if (strlen(*c) == (size_t) v->val.string.len &&
				strncmp(*c, v->val.string.val, v->val.string.len) == 0)
				return *c;
	initStringInfo(&known);
	for (c = choices; *c; c++)
		appendStringInfo(&known, "%s\"%s\"", c == choices ? "" : ", ", *c);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\"", key),
			 errdetail("It must be one of %s.", known.data)));
	return NULL;				/* keep compiler quiet */
}

/* key is present with a value other than JSON null */
bool
options_has(Jsonb *jb, const char *key)
{
	return options_find(jb, key) != NULL;
}

/*
 * A JSON array of exactly len integers in [min, max] into out; false (out
 * untouched) when the key is absent or null.
 */
bool
options_int_array(Jsonb *jb, const char *key, int32 *out, int len, int32 min, int32 max)
{
	JsonbValue *v = options_find(jb, key);
	JsonbContainer *arr;

	if (v == NULL)
		return false;
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) != (uint32) len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be an array of %d integers", key, len)));
	arr = v->val.binary.data;
	for (int i = 0; i < len; i++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(arr, i);
		int64		x;

		if (e == NULL || e->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an array of %d integers", key, len)));
		if (!options_numeric_int64(e->val.numeric, &x) || x < min || x > max)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element %d of option \"%s\" must be an integer between %d and %d",
							i + 1, key, min, max)));
		out[i] = (int32) x;
	}
	return true;
}

/*
 * The name of the function's argument argno, from the catalog: only looked
 * up on the way to an error.
 */
static char *
argument_name(FunctionCallInfo fcinfo, int argno)
{
	HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	char	   *name = NULL;

	if (HeapTupleIsValid(proc))
	{
		Oid		   *types;
		char	  **names;
		char	   *modes;
		int			n = get_func_arg_info(proc, &types, &names, &modes);

		if (names && argno < n && names[argno][0])
			name = names[argno];
		ReleaseSysCache(proc);
	}
	return name ? name : psprintf("$%d", argno + 1);
}

void
options_require_args(FunctionCallInfo fcinfo, int options_argno)
{
	for (int i = 0; i < options_argno && i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument \"%s\" of %s must not be NULL",
							argument_name(fcinfo, i), get_func_name(fcinfo->flinfo->fn_oid)),
					 errhint("Only the options argument may be NULL; it then means the defaults.")));
}
