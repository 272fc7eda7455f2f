/*
 * model_cache.c - per-backend LRU of decoded models, bounded in bytes
 *
 * Entries live in their own contexts under a long-lived cache context.  A
 * caller's fn_extra pins the entry it uses; the pin is dropped by a reset
 * callback on the caller's fn_mcxt, so an entry is never evicted while a
 * query (say, a set-returning function between calls) still points into it.
 *
 * The cache holds at most ecomml.model_cache_size entries and
 * ecomml.model_cache_memory bytes of decoded models once no query uses them;
 * the least recently used unpinned entries go first.  A model larger than the
 * whole budget is decoded for the query that uses it and dropped when the
 * query's executor ends, not when a call site lets go of it: a LATERAL
 * recommend() over many users unpins its model after each user, and would
 * otherwise decode it again for the next one.
 *
 * The key is the model id, kind and the CRC-32C of the payload as it is,
 * computed from the bytes, never taken from the header: a payload changed
 * under an unchanged header is a different key (and fails its own decode),
 * not a hit on the original.  Computing the CRC needs the whole value, so an
 * entry remembers the TOAST pointer it was last matched through: a toasted
 * value never changes, and the same pointer (ecomml.model(name) returns the
 * stored one) is a hit without fetching more than that pointer.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kinds.h"
#include "model_cache.h"

#define MODEL_CACHE_MAX 256

typedef struct CacheEntry
{
	bool		used;
	uint8		id[MODEL_ID_LEN];
	uint32		crc;			/* of the payload bytes actually decoded */
	uint16		kind;
	MemoryContext cxt;
	void	   *decoded;
	Size		bytes;			/* memory of cxt */
	int			pins;
	uint64		last_use;
	bool		has_pointer;
	struct varatt_external pointer;	/* a TOAST pointer known to hold these bytes */
} CacheEntry;

/*
 * What identifies an argument's bytes without reading them all: its TOAST
 * pointer when stored out of line, or for a compressed inline value (a model
 * in a user table) the length and CRC of the compressed bytes, which are
 * fewer than the payload and need no decompression.  Zeroed when neither.
 */
typedef struct ArgumentKey
{
	struct varatt_external pointer;
	uint32		compressed_len;
	uint32		compressed_crc;
} ArgumentKey;

typedef struct CallSite
{
	ArgumentKey last_key;		/* of the last argument */
	bool		has_last_key;
	CacheEntry *entry;
	MemoryContextCallback unpin;
} CallSite;

int			ecomml_model_cache_size = 16;
int			ecomml_model_cache_memory = 65536;	/* kB */

static MemoryContext cache_cxt = NULL;
static CacheEntry cache[MODEL_CACHE_MAX];
static uint64 use_clock = 0;
static int64 stat_hits = 0;
static int64 stat_misses = 0;
static int64 stat_evictions = 0;
static ExecutorEnd_hook_type prev_executor_end = NULL;

static void
cache_evict(CacheEntry *e)
{
	MemoryContextDelete(e->cxt);
	memset(e, 0, sizeof(*e));
	stat_evictions++;
}

static Size
cache_budget(void)
{
	return (Size) ecomml_model_cache_memory * 1024;
}

/*
 * Evict least recently used unpinned entries until the cache is within its
 * limits with room for one more entry of extra bytes (0: just within them).
 */
static void
cache_shrink(Size extra, int extra_entries)
{
	for (;;)
	{
		CacheEntry *lru = NULL;
		Size		bytes = extra;
		int			entries = extra_entries;

		for (int i = 0; i < MODEL_CACHE_MAX; i++)
		{
			CacheEntry *e = &cache[i];

			if (!e->used)
				continue;
			entries++;
			bytes += e->bytes;
			if (e->pins == 0 && (lru == NULL || e->last_use < lru->last_use))
				lru = e;
		}
		if ((bytes <= cache_budget() && entries <= ecomml_model_cache_size) || lru == NULL)
			return;
		cache_evict(lru);
	}
}

static void
callsite_unpin(void *arg)
{
	CallSite   *site = arg;

	if (site->entry)
	{
		site->entry->pins--;
		site->entry = NULL;
	}
}

/* Entries over the budget were kept only for the query that just ended. */
static void
cache_executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	cache_shrink(0, 0);
}

void
model_cache_init(void)
{
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = cache_executor_end;
}

/* A free slot; after cache_shrink, one exists unless every entry is pinned. */
static CacheEntry *
cache_slot(Size bytes)
{
	cache_shrink(bytes, 1);
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
		if (!cache[i].used)
			return &cache[i];
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many ecomml models in use at once (%d)", MODEL_CACHE_MAX)));
	return NULL;				/* keep compiler quiet */
}

static CacheEntry *
cache_find(const ModelHeader *hdr, uint32 crc)
{
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
	{
		CacheEntry *e = &cache[i];

		if (e->used && e->crc == crc && e->kind == hdr->kind &&
			memcmp(e->id, hdr->id, MODEL_ID_LEN) == 0)
			return e;
	}
	return NULL;
}

static CacheEntry *
cache_find_pointer(const struct varatt_external *ptr)
{
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
	{
		CacheEntry *e = &cache[i];

		if (e->used && e->has_pointer && memcmp(&e->pointer, ptr, sizeof(*ptr)) == 0)
			return e;
	}
	return NULL;
}

/* Decode the whole (detoasted) model into a new entry. */
static CacheEntry *
cache_load(bytea *model, uint32 crc)
{
	MemoryContext decode_cxt;
	MemoryContext old;
	ModelHeader hdr;
	ByteReader	r;
	void	   *decoded;
	CacheEntry *e;
	Size		bytes;

	/*
	 * Decode in a context under the current one and adopt it only when
	 * complete: a corrupt model raises an error and takes its partial decode
	 * down with the transaction.
	 */
	decode_cxt = AllocSetContextCreate(CurrentMemoryContext, "ecomml decoded model",
									   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(decode_cxt);
	model_open_payload(model, &hdr, &r);
	decoded = model_kind_info(hdr.kind)->decode(&r);
	reader_expect_end(&r);
	MemoryContextSwitchTo(old);
	bytes = MemoryContextMemAllocated(decode_cxt, true);

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "ecomml model cache",
										  ALLOCSET_SMALL_SIZES);
	e = cache_slot(bytes);
	MemoryContextSetParent(decode_cxt, cache_cxt);
	e->used = true;
	memcpy(e->id, hdr.id, MODEL_ID_LEN);
	e->crc = crc;
	e->kind = hdr.kind;
	e->cxt = decode_cxt;
	e->decoded = decoded;
	e->bytes = bytes;
	e->pins = 0;
	stat_misses++;
	return e;
}

/* The TOAST pointer of an out-of-line argument, or NULL. */
static const struct varatt_external *
argument_pointer(Datum datum, struct varatt_external *buf)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(datum);

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return NULL;
	VARATT_EXTERNAL_GET_POINTER(*buf, raw);
	return buf;
}

/* The entry for datum: by its TOAST pointer, else by its bytes, else decoded. */
static CacheEntry *
cache_lookup(Datum datum, int kind, const struct varatt_external *ptr)
{
	CacheEntry *e = ptr ? cache_find_pointer(ptr) : NULL;
	bytea	   *model;
	ModelHeader hdr;
	uint32		crc;

	if (e)
	{
		stat_hits++;
		return e;
	}
	if (ptr && kind != MODEL_ANY)
	{
		/* a wrong kind is refused before fetching a large value */
		struct varlena *slice = (struct varlena *) PG_DETOAST_DATUM_SLICE(datum, 0, MODEL_HEADER_SIZE);

		model_parse_header(VARDATA_ANY(slice), toast_raw_datum_size(datum) - VARHDRSZ, &hdr);
		model_check_kind(&hdr, kind);
	}
	model = DatumGetByteaPP(datum);
	model_parse_header(VARDATA_ANY(model), VARSIZE_ANY_EXHDR(model), &hdr);
	if (kind != MODEL_ANY)
		model_check_kind(&hdr, kind);
	crc = payload_checksum(VARDATA_ANY(model) + MODEL_HEADER_SIZE, hdr.payload_len);
	e = cache_find(&hdr, crc);
	if (e)
		stat_hits++;
	else
		e = cache_load(model, crc);
	if ((Pointer) model != DatumGetPointer(datum))
		pfree(model);
	if (ptr)
	{
		e->pointer = *ptr;
		e->has_pointer = true;
	}
	return e;
}

static bool
argument_key(Datum datum, ArgumentKey *key)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(datum);

	memset(key, 0, sizeof(*key));
	if (VARATT_IS_EXTERNAL_ONDISK(raw))
	{
		VARATT_EXTERNAL_GET_POINTER(key->pointer, raw);
		return true;
	}
	if (VARATT_IS_COMPRESSED(raw))
	{
		key->compressed_len = VARSIZE(raw);
		key->compressed_crc = payload_checksum((const char *) raw, VARSIZE(raw));
		return true;
	}
	return false;
}

/* Resolve datum through site: its last model, the cache, or a decode. */
static const void *
site_get(CallSite *site, Datum datum, int kind, int *kind_out)
{
	struct varatt_external buf;
	const struct varatt_external *ptr = argument_pointer(datum, &buf);
	ArgumentKey key;
	bool		have_key = argument_key(datum, &key);
	CacheEntry *e;

	if (have_key && site->entry && site->has_last_key &&
		memcmp(&key, &site->last_key, sizeof(key)) == 0)
	{
		e = site->entry;		/* the same bytes as last call */
		stat_hits++;
	}
	else
	{
		e = cache_lookup(datum, kind, ptr);
		if (e != site->entry)
		{
			/* pin the new entry first: unpinning may shrink the cache */
			CacheEntry *old = site->entry;

			e->pins++;
			site->entry = e;
			if (old)
			{
				old->pins--;
				cache_shrink(0, 0);
			}
		}
		site->has_last_key = have_key;
		site->last_key = key;
	}
	e->last_use = ++use_clock;
	if (kind != MODEL_ANY && e->kind != kind)
	{
		ModelHeader h = {.kind = e->kind};

		model_check_kind(&h, kind);
	}
	if (kind_out)
		*kind_out = e->kind;
	return e->decoded;
}

/* A call site living in cxt, unpinned when cxt is reset or deleted. */
static CallSite *
site_create(MemoryContext cxt)
{
	CallSite   *site = MemoryContextAllocZero(cxt, sizeof(CallSite));

	site->unpin.func = callsite_unpin;
	site->unpin.arg = site;
	MemoryContextRegisterResetCallback(cxt, &site->unpin);
	return site;
}

const void *
model_cache_get(FunctionCallInfo fcinfo, int argno, int kind, int *kind_out)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;

	if (flinfo->fn_extra == NULL)
		flinfo->fn_extra = site_create(flinfo->fn_mcxt);
	return site_get(flinfo->fn_extra, PG_GETARG_DATUM(argno), kind, kind_out);
}

const void *
model_cache_get_pinned(FunctionCallInfo fcinfo, int argno, int kind, int *kind_out,
					   MemoryContext owner)
{
	return site_get(site_create(owner), PG_GETARG_DATUM(argno), kind, kind_out);
}

/* ecomml.model_cache_stats(): what the cache holds and how it has been used */
PG_FUNCTION_INFO_V1(model_cache_stats);
Datum
model_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {0};
	int			entries = 0;
	int64		bytes = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
		if (cache[i].used)
		{
			entries++;
			bytes += cache[i].bytes;
		}
	values[0] = Int32GetDatum(entries);
	values[1] = Int64GetDatum(bytes);
	values[2] = Int64GetDatum(stat_hits);
	values[3] = Int64GetDatum(stat_misses);
	values[4] = Int64GetDatum(stat_evictions);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ecomml.model_cache_reset(): drop every unpinned entry */
PG_FUNCTION_INFO_V1(model_cache_reset);
Datum
model_cache_reset(PG_FUNCTION_ARGS)
{
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
		if (cache[i].used && cache[i].pins == 0)
			cache_evict(&cache[i]);
	stat_hits = stat_misses = stat_evictions = 0;
	PG_RETURN_VOID();
}
