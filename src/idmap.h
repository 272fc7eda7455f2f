/*
 * idmap.h - external bigint ids to dense 0..n-1 indexes
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full.  The ids array (index -> id, insertion order) is what models
 * store; the table is rebuilt on load.
 */
#ifndef ECOMML_IDMAP_H
#define ECOMML_IDMAP_H

#include "codec.h"

typedef struct IdMap
{
	int64	   *ids;			/* dense index -> external id */
	int32		count;
	int32		ids_cap;
	int32	   *slots;			/* hash slot -> dense index, -1 = empty */
	uint32		mask;
} IdMap;

extern IdMap *idmap_create(int32 expected);
extern int32 idmap_lookup(const IdMap *map, int64 id);	/* -1 if absent */
extern int32 idmap_insert(IdMap *map, int64 id);	/* existing or new index */
extern void idmap_write(const IdMap *map, ByteWriter *w);
extern IdMap *idmap_read(ByteReader *r);

#endif
