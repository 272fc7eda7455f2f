/*
 * kinds.h - the table of model kinds: how each decodes and describes itself
 */
#ifndef ECOMML_KINDS_H
#define ECOMML_KINDS_H

#include "lib/stringinfo.h"
#include "train_state.h"
#include "codec.h"

typedef struct ModelKindInfo
{
	ModelKind	kind;
	const char *name;
	/* decode a payload into CurrentMemoryContext (the cache entry's) */
	void	   *(*decode) (ByteReader *payload);
	/* append kind-specific JSON members (",\"key\":value...") to buf */
	void		(*describe) (const void *decoded, StringInfo buf);
	const TrainStateOps *state_ops;	/* NULL if no aggregate trains it */
} ModelKindInfo;

extern const ModelKindInfo *model_kind_info(int kind);	/* NULL if unknown */

/* JSON helpers for describe callbacks */
extern void json_append_double(StringInfo buf, const char *key, double v);
extern void json_append_int(StringInfo buf, const char *key, int64 v);
/* shortest round-trip decimals; NaN and infinities become null */
extern void json_append_double_array(StringInfo buf, const char *key, const double *v, int n);
extern void json_append_text(StringInfo buf, const char *key, const char *v);

#endif
