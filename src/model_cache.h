/*
 * model_cache.h - decoded models, cached per backend by model id
 *
 * Scoring functions are called once per row with the same model bytea.
 * model_cache_get() remembers the last model in fn_extra (no lookup at all
 * while the same TOAST pointer comes back) and otherwise consults an LRU of
 * decoded models, bounded in entries and bytes, keyed by model id, kind and
 * the CRC of the payload bytes (see model_cache.c).
 */
#ifndef ECOMML_MODEL_CACHE_H
#define ECOMML_MODEL_CACHE_H

#include "fmgr.h"
#include "codec.h"

/*
 * The decoded form of argument argno, which must be a model of the given
 * kind (MODEL_ANY accepts every kind; then *kind_out says which).  The result
 * stays valid until the calling query's function memory context is reset.
 */
#define MODEL_ANY 0
extern const void *model_cache_get(FunctionCallInfo fcinfo, int argno, int kind,
								   int *kind_out);

/*
 * The same for a value-per-call set-returning function, whose fn_extra
 * belongs to the SRF machinery: the model stays pinned until owner (the
 * multi-call memory context) goes away.
 */
extern const void *model_cache_get_pinned(FunctionCallInfo fcinfo, int argno, int kind,
										  int *kind_out, MemoryContext owner);

/* _PG_init: trims the cache when a query ends */
extern void model_cache_init(void);

extern int	ecomml_model_cache_size;
extern int	ecomml_model_cache_memory;	/* kB */

#endif
