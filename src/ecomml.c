/*
 * ecomml.c - module entry: settings, and the model cache hooked to query ends
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "blas.h"
#include "codec.h"
#include "model_cache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("ecomml.blas_threads",
							"Threads OpenBLAS may use inside one backend.",
							"Keep 1 when queries run with parallel workers, so they do not oversubscribe the cores.",
							&ecomml_blas_threads,
							1, 1, 256,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ecomml.model_cache_size",
							"Decoded models each backend keeps in memory.",
							NULL,
							&ecomml_model_cache_size,
							16, 1, 256,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ecomml.model_cache_memory",
							"Memory each backend may keep in decoded models between queries.",
							"The least recently used models are dropped first; a model larger than this is decoded for each query that uses it.",
							&ecomml_model_cache_memory,
							65536, 0, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomBoolVariable("ecomml.ignore_checksum_failure",
							 "Decode models whose payload checksum does not match, with a warning.",
							 "For testing the decoders against damaged models; a damaged model is still checked field by field.",
							 &ecomml_ignore_checksum_failure,
							 false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("ecomml");
	model_cache_init();
}
