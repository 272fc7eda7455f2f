/*
 * options.c - typed getters over a jsonb options object
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

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

static double
options_number(Jsonb *jb, const char *key, double dflt, double min, double max, bool integral)
{
	JsonbValue *v = options_find(jb, key);
	double		d;

	if (v == NULL)
		return dflt;
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be a number", key)));
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (isnan(d) || d < min || d > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is out of range: %g", key, d),
				 errdetail("It must be between %g and %g.", min, max)));
	if (integral && d != floor(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be an integer, not %g", key, d)));
	return d;
}

int32
options_int(Jsonb *jb, const char *key, int32 dflt, int32 min, int32 max)
{
	return (int32) options_number(jb, key, dflt, min, max, true);
}

int64
options_int64(Jsonb *jb, const char *key, int64 dflt, int64 min, int64 max)
{
	return (int64) options_number(jb, key, (double) dflt, (double) min, (double) max, true);
}

double
options_double(Jsonb *jb, const char *key, double dflt, double min, double max)
{
	return options_number(jb, key, dflt, min, max, false);
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
		double		x;

		if (e == NULL || e->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an array of %d integers", key, len)));
		x = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(e->val.numeric)));
		if (x != floor(x) || x < min || x > max)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element %d of option \"%s\" must be an integer between %d and %d",
							i + 1, key, min, max)));
		out[i] = (int32) x;
	}
	return true;
}
