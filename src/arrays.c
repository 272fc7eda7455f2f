/*
 * arrays.c - reading float8[] and bigint[] arguments
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"

#include "arrays.h"

/* ARR_DATA_OFFSET without the signedness warning of the system header */
#define ARR_DATA_OFFSET_SAFE(a) \
	(ARR_HASNULL(a) ? (Size) (a)->dataoffset : (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a)))

double
check_value(double v, const char *what)
{
	if (!isfinite(v))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be finite, not %g", what, v)));
	if (fabs(v) > VALUE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range: %g", what, v),
				 errdetail("Values are limited to %g in magnitude, so that their sums and squares stay finite.",
						   VALUE_MAX),
				 errhint("Rescale the input, for example to thousands or millions.")));
	return v;
}

double
check_sum(double s, const char *what)
{
	if (!isfinite(s))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s overflowed", what),
				 errhint("Rescale the input to smaller values.")));
	return s;
}

void
check_feature_length(const char *what, int got, int expected)
{
	if (got != expected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s features have %d elements, expected %d", what, got, expected),
				 errdetail("Every row's feature array must have the length of the first one (or of the model's).")));
}

/* check_value for feature j (0-based) of what */
static void
check_feature(double v, int j, const char *what)
{
	if (!isfinite(v) || fabs(v) > VALUE_MAX)
		check_value(v, psprintf("%s feature %d", what, j + 1));
}

const double *
array_features(ArrayType *arr, int expected_d, bool allow_null, double *buf,
					int *d_out, const char *what)
{
	int			d;
	const double *src;
	bits8	   *nulls;
	double	   *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s features must be a float8[] array", what)));
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s features must be a one-dimensional array, not %d-dimensional",
						what, ARR_NDIM(arr))));
	d = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	if (d == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s features must not be an empty array", what)));
	if (d > FEATURES_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s features have %d elements, more than the limit of %d",
						what, d, FEATURES_MAX)));
	if (expected_d > 0)
		check_feature_length(what, d, expected_d);
	*d_out = d;
	src = (const double *) (void *) ((char *) arr + ARR_DATA_OFFSET_SAFE(arr));
	nulls = ARR_NULLBITMAP(arr);
	if (nulls == NULL)
	{
		for (int j = 0; j < d; j++)
			check_feature(src[j], j, what);
		return src;
	}
	out = buf ? buf : palloc(sizeof(double) * d);
	for (int j = 0; j < d; j++)
	{
		if (!(nulls[j / 8] & (1 << (j % 8))))
		{
			if (!allow_null)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s feature %d is NULL", what, j + 1),
						 errhint("Replace NULLs in the query, for example with coalesce().")));
			out[j] = NAN;
			continue;
		}
		check_feature(*src, j, what);
		out[j] = *src++;
	}
	return out;
}

const double *
array_features_datum(Datum datum, int expected_d, bool allow_null, double *buf,
					 int *d_out, const char *what)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(datum);
	union
	{
		ArrayType	a;
		double		align[(VARATT_SHORT_MAX + VARHDRSZ) / sizeof(double) + 1];
	}			local;
	Size		len;
	const double *x;

	/* external and expanded datums have a one-byte header too */
	if (VARATT_IS_EXTERNAL(v) || !VARATT_IS_SHORT(v))
		return array_features(DatumGetArrayTypeP(datum), expected_d, allow_null,
							  NULL, d_out, what);
	len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

	/*
	 * The common case, one dimension without NULLs: the header fields read
	 * one by one and the values copied straight into buf, by fixed-size
	 * moves (a variable-length memcpy of the whole array was a rep movsq,
	 * 8 % of train_logreg's profile).
	 */
	{
		const char *p = VARDATA_SHORT(v);	/* ndim, dataoffset, elemtype, dims[0], lbound[0], data */
		const Size	data_at = ARR_OVERHEAD_NONULLS(1) - VARHDRSZ;
		int32		ndim,
					dataoffset,
					dim;
		Oid			elemtype;

		memcpy(&ndim, p, sizeof(int32));
		memcpy(&dataoffset, p + 4, sizeof(int32));
		memcpy(&elemtype, p + 8, sizeof(Oid));
		memcpy(&dim, p + 12, sizeof(int32));
		if (ndim == 1 && dataoffset == 0 && elemtype == FLOAT8OID &&
			dim >= 1 && dim <= FEATURES_SHORT_MAX && len == data_at + sizeof(double) * dim)
		{
			if (expected_d > 0)
				check_feature_length(what, dim, expected_d);
			for (int j = 0; j < dim; j++)
				memcpy(&buf[j], p + data_at + sizeof(double) * j, sizeof(double));
			for (int j = 0; j < dim; j++)
				if (!isfinite(buf[j]) || fabs(buf[j]) > VALUE_MAX)
					check_feature(buf[j], j, what);
			*d_out = dim;
			return buf;
		}
	}
	/* else through array_features; the header fields are unaligned: copy them out */
	SET_VARSIZE(&local.a, len + VARHDRSZ);
	memcpy(VARDATA(&local.a), VARDATA_SHORT(v), len);
	x = array_features(&local.a, expected_d, allow_null, buf, d_out, what);
	if (x != buf)
	{
		Assert(*d_out <= FEATURES_SHORT_MAX);
		memcpy(buf, x, sizeof(double) * *d_out);
	}
	return buf;
}

static void
require_one_dimension(ArrayType *arr, const char *what)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
}

int64 *
array_int64(ArrayType *arr, int *n_out, bool skip_nulls, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			c = 0;
	int64	   *out;

	require_one_dimension(arr, what);
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(int64));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
		{
			if (skip_nulls)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what)));
		}
		out[c++] = DatumGetInt64(elems[i]);
	}
	*n_out = c;
	return out;
}

double *
array_float8(ArrayType *arr, int *n_out, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	double	   *out;

	require_one_dimension(arr, what);
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(double));
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what)));
		out[i] = check_value(DatumGetFloat8(elems[i]), what);
	}
	*n_out = n;
	return out;
}
