/*
 * options.h - typed getters over a jsonb options object
 *
 * Every training function takes options as jsonb.  options_check_keys rejects
 * keys the function does not know (catching typos like "factor"); each getter
 * rejects the wrong JSON type and values outside [min, max], naming the option.
 */
#ifndef ECOMML_OPTIONS_H
#define ECOMML_OPTIONS_H

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* NULL-terminated list of accepted keys; jb may be NULL (all defaults). */
extern void options_check_keys(Jsonb *jb, const char *const *allowed);
extern int32 options_int(Jsonb *jb, const char *key, int32 dflt, int32 min, int32 max);
extern int64 options_int64(Jsonb *jb, const char *key, int64 dflt, int64 min, int64 max);
extern double options_double(Jsonb *jb, const char *key, double dflt, double min, double max);
/* a number in [min, max], or NAN for "auto" (also when the key is absent) */
extern double options_double_or_auto(Jsonb *jb, const char *key, double min, double max);
extern bool options_bool(Jsonb *jb, const char *key, bool dflt);
/* a string option as a palloc'd C string, or NULL when absent */
extern char *options_text(Jsonb *jb, const char *key);
/* returns one of choices (NULL-terminated); the result is a pointer into choices */
extern const char *options_choice(Jsonb *jb, const char *key, const char *dflt,
								  const char *const *choices);
/* an array of exactly len integers in [min, max]; false when absent */
extern bool options_int_array(Jsonb *jb, const char *key, int32 *out, int len,
							  int32 min, int32 max);

/* key is present with a value other than JSON null */
extern bool options_has(Jsonb *jb, const char *key);
/* a JSON number as an exact int64; false if fractional or out of range */
extern bool options_numeric_int64(Numeric num, int64 *out);

/*
 * Functions whose last argument is options are not STRICT: NULL options mean
 * the defaults, as in the aggregates.  Every argument before options_argno
 * must then be non-NULL; a NULL one raises 22004 naming it.
 */
extern void options_require_args(FunctionCallInfo fcinfo, int options_argno);

#endif
