/*
 * model_cache.c - per-backend LRU of decoded models
 *
 * Entries live in their own contexts under a long-lived cache context.  A
 * caller's fn_extra pins the entry it uses; the pin is dropped by a reset
 * callback on the caller's fn_mcxt, so an entry is never evicted while a
 * query (say, a set-returning function between calls) still points into it.
 * Entries are keyed by model id and checksum: a model's bytes never change
 * once built, so a matching key is the same model and needs no invalidation;
 * anything else is simply a miss.
 */
#include "postgres.h"

#include "access/detoast.h"
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
	uint32		checksum;
	uint16		kind;
	MemoryContext cxt;
	void	   *decoded;
	int			pins;
	uint64		last_use;
} CacheEntry;

typedef struct CallSite
{
	struct varlena *last_key;	/* copy of the last argument's toast pointer or header */
	CacheEntry *entry;
	MemoryContextCallback unpin;
} CallSite;

int			ecomml_model_cache_size = 16;

static MemoryContext cache_cxt = NULL;
static CacheEntry cache[MODEL_CACHE_MAX];
static uint64 use_clock = 0;
static int64 stat_hits = 0;
static int64 stat_misses = 0;
static int64 stat_evictions = 0;

static void
callsite_unpin(void *arg)
{
	CallSite   *site = arg;

	if (site->entry)
		site->entry->pins--;
	site->entry = NULL;
}

static void
cache_evict(CacheEntry *e)
{
	MemoryContextDelete(e->cxt);
	memset(e, 0, sizeof(*e));
	stat_evictions++;
}

/* A free slot, evicting the least recently used unpinned entry if full. */
static CacheEntry *
cache_slot(void)
{
	CacheEntry *free_slot = NULL;
	CacheEntry *lru = NULL;
	int			used = 0;

	for (int i = 0; i < MODEL_CACHE_MAX; i++)
	{
		CacheEntry *e = &cache[i];

		if (!e->used)
		{
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		used++;
		if (e->pins == 0 && (lru == NULL || e->last_use < lru->last_use))
			lru = e;
	}
	if (used >= ecomml_model_cache_size && lru != NULL)
	{
		cache_evict(lru);
		return lru;
	}
	/* under the limit, or every entry pinned by a running query */
	if (free_slot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many ecomml models in use at once (%d)", MODEL_CACHE_MAX)));
	return free_slot;
}

static CacheEntry *
cache_find(const ModelHeader *hdr)
{
	for (int i = 0; i < MODEL_CACHE_MAX; i++)
	{
		CacheEntry *e = &cache[i];

		if (e->used && e->checksum == hdr->checksum && e->kind == hdr->kind &&
			memcmp(e->id, hdr->id, MODEL_ID_LEN) == 0)
			return e;
	}
	return NULL;
}

/* Decode the whole model into a new entry. */
static CacheEntry *
cache_load(Datum datum, const ModelHeader *peek)
{
	MemoryContext decode_cxt;
	MemoryContext old;
	bytea	   *model;
	ModelHeader hdr;
	ByteReader	r;
	void	   *decoded;
	CacheEntry *e;

	/*
	 * Decode in a context under the current one and adopt it only when
	 * complete: a corrupt model raises an error and takes its partial decode
	 * down with the transaction.
	 */
	decode_cxt = AllocSetContextCreate(CurrentMemoryContext, "ecomml decoded model",
									   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(decode_cxt);
	model = DatumGetByteaPP(datum);
	model_open_payload(model, &hdr, &r);
	if (memcmp(hdr.id, peek->id, MODEL_ID_LEN) != 0 || hdr.checksum != peek->checksum)
		reader_corrupt(&r, "The header changed while reading");
	decoded = model_kind_info(hdr.kind)->decode(&r);
	reader_expect_end(&r);
	MemoryContextSwitchTo(old);
	if ((Pointer) model != DatumGetPointer(datum))
		pfree(model);

	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "ecomml model cache",
										  ALLOCSET_SMALL_SIZES);
	e = cache_slot();
	MemoryContextSetParent(decode_cxt, cache_cxt);
	e->used = true;
	memcpy(e->id, hdr.id, MODEL_ID_LEN);
	e->checksum = hdr.checksum;
	e->kind = hdr.kind;
	e->cxt = decode_cxt;
	e->decoded = decoded;
	e->pins = 0;
	stat_misses++;
	return e;
}

/*
 * The bytes that identify the argument without fetching it: the toast
 * pointer for an out-of-line value (its value id is unique in its toast
 * table), else the header itself.
 */
static struct varlena *
argument_key(Datum datum, ModelHeader *hdr, bool *have_hdr)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(datum);

	*have_hdr = false;
	if (VARATT_IS_EXTERNAL_ONDISK(raw))
		return raw;
	if (VARATT_IS_EXTERNAL(raw) || VARATT_IS_COMPRESSED(raw))
		return NULL;			/* expanded/indirect/compressed: use the header */
	model_parse_header(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw), hdr);
	*have_hdr = true;
	return NULL;
}

/* Resolve datum through site: its last model, the LRU, or a decode. */
static const void *
site_get(CallSite *site, MemoryContext site_cxt, Datum datum, int kind, int *kind_out)
{
	ModelHeader hdr;
	bool		have_hdr;
	struct varlena *key;
	CacheEntry *e;

	key = argument_key(datum, &hdr, &have_hdr);
	if (key && site->entry && site->last_key &&
		VARSIZE_ANY(key) == VARSIZE_ANY(site->last_key) &&
		memcmp(key, site->last_key, VARSIZE_ANY(key)) == 0)
	{
		e = site->entry;		/* same toast value as last call */
		stat_hits++;
	}
	else
	{
		if (!have_hdr)
		{
			struct varlena *slice;
			Size		rawsize = toast_raw_datum_size(datum) - VARHDRSZ;

			slice = (struct varlena *) PG_DETOAST_DATUM_SLICE(datum, 0, MODEL_HEADER_SIZE);
			model_parse_header(VARDATA_ANY(slice), rawsize, &hdr);
		}
		if (site->entry && memcmp(site->entry->id, hdr.id, MODEL_ID_LEN) == 0 &&
			site->entry->checksum == hdr.checksum)
		{
			e = site->entry;
			stat_hits++;
		}
		else
		{
			if (kind != MODEL_ANY)
				model_check_kind(&hdr, kind);
			e = cache_find(&hdr);
			if (e)
				stat_hits++;
			else
				e = cache_load(datum, &hdr);
			callsite_unpin(site);
			e->pins++;
			site->entry = e;
		}
		if (site->last_key)
			pfree(site->last_key);
		site->last_key = NULL;
		if (key)
		{
			site->last_key = MemoryContextAlloc(site_cxt, VARSIZE_ANY(key));
			memcpy(site->last_key, key, VARSIZE_ANY(key));
		}
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
	return site_get(flinfo->fn_extra, flinfo->fn_mcxt, PG_GETARG_DATUM(argno), kind, kind_out);
}

const void *
model_cache_get_pinned(FunctionCallInfo fcinfo, int argno, int kind, int *kind_out,
					   MemoryContext owner)
{
	return site_get(site_create(owner), owner, PG_GETARG_DATUM(argno), kind, kind_out);
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
			bytes += MemoryContextMemAllocated(cache[i].cxt, true);
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
