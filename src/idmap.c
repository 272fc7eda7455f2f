/*
 * idmap.c - external bigint ids to dense indexes (open addressing)
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "idmap.h"

#define IDMAP_MAX_COUNT (PG_INT32_MAX / 4)

static inline uint32
idmap_hash(int64 id)
{
	return (uint32) hash_bytes_uint32((uint32) id) ^ hash_bytes_uint32((uint32) ((uint64) id >> 32));
}

static void
idmap_build_slots(IdMap *map, Size nslots)
{
	map->slots = MemoryContextAllocHuge(CurrentMemoryContext, nslots * sizeof(int32));
	memset(map->slots, 0xff, nslots * sizeof(int32));	/* all -1 */
	map->mask = nslots - 1;
	for (int32 i = 0; i < map->count; i++)
	{
		uint32		s = idmap_hash(map->ids[i]) & map->mask;

		while (map->slots[s] >= 0)
			s = (s + 1) & map->mask;
		map->slots[s] = i;
	}
}

static Size
idmap_slots_for(int32 count)
{
	Size		n = 16;

	while (n < (Size) count * 2)
		n *= 2;
	return n;
}

IdMap *
idmap_create(int32 expected)
{
	IdMap	   *map = palloc0(sizeof(IdMap));

	map->ids_cap = Max(expected, 16);
	map->ids = MemoryContextAllocHuge(CurrentMemoryContext, map->ids_cap * sizeof(int64));
	idmap_build_slots(map, idmap_slots_for(map->ids_cap));
	return map;
}

int32
idmap_lookup(const IdMap *map, int64 id)
{
	uint32		s = idmap_hash(id) & map->mask;

	for (;;)
	{
		int32		i = map->slots[s];

		if (i < 0)
			return -1;
		if (map->ids[i] == id)
			return i;
		s = (s + 1) & map->mask;
	}
}

int32
idmap_insert(IdMap *map, int64 id)
{
	uint32		s = idmap_hash(id) & map->mask;
	int32		i;

	while ((i = map->slots[s]) >= 0)
	{
		if (map->ids[i] == id)
			return i;
		s = (s + 1) & map->mask;
	}
	if (map->count >= IDMAP_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct ids (more than %d)", IDMAP_MAX_COUNT)));
	if (map->count == map->ids_cap)
	{
		map->ids_cap *= 2;
		map->ids = repalloc_huge(map->ids, map->ids_cap * sizeof(int64));
	}
	i = map->count++;
	map->ids[i] = id;
	/* keep the table at most half full so probe runs stay short */
	if ((Size) map->count * 2 > (Size) map->mask + 1)
	{
		pfree(map->slots);
		idmap_build_slots(map, ((Size) map->mask + 1) * 2);
	}
	else
		map->slots[s] = i;
	return i;
}

void
idmap_write(const IdMap *map, ByteWriter *w)
{
	write_i64(w, map->count);
	write_i64_array(w, map->ids, map->count);
}

IdMap *
idmap_read(ByteReader *r)
{
	IdMap	   *map = palloc0(sizeof(IdMap));
	int64		n = read_count(r, IDMAP_MAX_COUNT, sizeof(int64));

	map->count = (int32) n;
	map->ids_cap = Max(map->count, 1);
	map->ids = read_i64_array(r, n);
	idmap_build_slots(map, idmap_slots_for(map->count));
	/* a forged map could repeat an id; the dense index must stay a bijection */
	for (int32 i = 0; i < map->count; i++)
		if (idmap_lookup(map, map->ids[i]) != i)
			reader_corrupt(r, "An id map contains a duplicate id");
	return map;
}
