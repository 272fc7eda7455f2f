/*
 * arrays.h - reading float8[] and bigint[] arguments, with one set of checks
 *
 * Every function that takes an array argument goes through these, so the
 * rules (one dimension, NULL elements, NaN/Infinity) and their messages are
 * the same everywhere.
 */
#ifndef ECOMML_ARRAYS_H
#define ECOMML_ARRAYS_H

#include "utils/array.h"

#define FEATURES_MAX 10000

/*
 * A float8[] feature vector.  expected_d > 0 demands that length (the error
 * names both); 0 accepts 1..FEATURES_MAX.  NULL elements raise an error
 * unless allow_null, when they come back as NaN.  NaN and Infinity always
 * raise an error.  The result points into the array when it holds no NULLs,
 * else into buf (room for FEATURES_MAX values, or NULL to palloc one).
 * what names the caller in messages.
 */
extern const double *array_features(ArrayType *arr, int expected_d, bool allow_null,
									 double *buf, int *d_out, const char *what);

/*
 * array_features for an argument not yet detoasted (PG_GETARG_DATUM): an
 * array short enough for a one-byte header (the form PostgreSQL stores arrays
 * of up to 12 doubles in) is read straight from the tuple, without the palloc
 * and copy of detoasting.  Its values come back in buf, which must have room
 * for FEATURES_SHORT_MAX; a longer array without NULLs is read in place, one
 * with NULLs (allow_null) is copied into palloc'd memory.
 */
#define FEATURES_SHORT_MAX 16
extern const double *array_features_datum(Datum datum, int expected_d, bool allow_null,
										   double *buf, int *d_out, const char *what);

/* A one-dimensional bigint[]; NULL elements are skipped or rejected. */
extern int64 *array_int64(ArrayType *arr, int *n_out, bool skip_nulls, const char *what);

/* A one-dimensional float8[] of finite values, no NULLs. */
extern double *array_float8(ArrayType *arr, int *n_out, const char *what);

#endif
