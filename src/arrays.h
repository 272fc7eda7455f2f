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
 * Largest magnitude of an input value.  Values are summed, squared and
 * multiplied by weights; with |x| <= 1e150 a square is at most 1e300 and sums
 * of many stay finite, so a finite input cannot turn into Infinity (a model
 * the decoder rejects, or a silently wrong distance) half way through.
 */
#define VALUE_MAX 1e150

/*
 * v, if finite and at most VALUE_MAX in magnitude; else an error naming what
 * (22000 for NaN/Infinity, 22003 for a finite value that is too large).
 */
extern double check_value(double v, const char *what);

/*
 * s, a sum or product just formed from checked values, if finite; else
 * 22003 saying that what overflowed.
 */
extern double check_sum(double s, const char *what);

/* a feature vector of got elements where expected are required: 2202E naming what */
extern void check_feature_length(const char *what, int got, int expected);

/*
 * A float8[] feature vector.  expected_d > 0 demands that length (the error
 * names both); 0 accepts 1..FEATURES_MAX.  NULL elements raise an error
 * unless allow_null, when they come back as NaN.  Every value goes through
 * check_value.  The result points into the array when it holds no NULLs,
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
 * for FEATURES_SHORT_MAX (for expected_d values when expected_d > 0: an
 * array of another length is refused before any is written); a longer array
 * without NULLs is read in place, one with NULLs (allow_null) is copied into
 * palloc'd memory.
 */
#define FEATURES_SHORT_MAX 16
extern const double *array_features_datum(Datum datum, int expected_d, bool allow_null,
										   double *buf, int *d_out, const char *what);

/* A one-dimensional bigint[]; NULL elements are skipped or rejected. */
extern int64 *array_int64(ArrayType *arr, int *n_out, bool skip_nulls, const char *what);

/* A one-dimensional float8[] of values passing check_value, no NULLs. */
extern double *array_float8(ArrayType *arr, int *n_out, const char *what);

#endif
