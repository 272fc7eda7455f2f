/*
 * rowstore.c - fixed-width double rows kept in chunks (see rowstore.h)
 */
#include "postgres.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#include "arrays.h"
#include "rowstore.h"

/* a full chunk holds about 2^20 doubles (8 MB; up to 16 MB to end on a huge page), and at least 16 rows */
#define ROWSTORE_CHUNK_VALUES (1 << 20)
/* the first chunk starts this small and doubles: states of a few rows stay small */
#define ROWSTORE_FIRST_ROWS 16
/* ... while it is smaller than this; then it becomes a full chunk */
#define ROWSTORE_SMALL_BYTES ((Size) 1024 * 1024)
#define HUGE_PAGE_SIZE ((Size) 2 * 1024 * 1024)

/* an alloc_huge_pages mapping, unmapped when its memory context goes */
typedef struct HugeMapping
{
	MemoryContextCallback cb;
	MemoryContext cxt;
	void	   *addr;
	Size		len;
} HugeMapping;

static void
unmap_huge_pages(void *arg)
{
	HugeMapping *m = arg;

	/* before the context's own reset, which checks its count of blocks */
	m->cxt->mem_allocated -= m->len;
	(void) munmap(m->addr, m->len);
}

void *
alloc_huge_pages(Size size)
{
	HugeMapping *m;
	char	   *base;
	char	   *p;

	/* from 1 MB on, one huge page (zeroed at once) beats 256 faults */
	if (size < HUGE_PAGE_SIZE / 2)
		return MemoryContextAllocHuge(CurrentMemoryContext, size);

	/*
	 * A mapping of its own, not malloc's: malloc served these sizes from
	 * its heap, where pages left mapped by earlier statements kept the
	 * kernel from installing huge pages, and a statement of k-means at 200k
	 * x 8 took about 600 small page faults, each costly on a virtual machine.
	 * The kernel backs only whole, aligned 2 MB ranges with a huge page: the
	 * array starts at a 2 MB boundary (one huge page more is mapped, never
	 * touched: address space, not memory), and its tail is a whole huge page
	 * too (its last partial 2 MB took 4 kB faults before, 300 of them for
	 * the 3.2 MB of bounds at 200k rows; zeroing the rest of a huge page
	 * costs less).  The memory context unmaps it (a reset callback).
	 */
	m = MemoryContextAlloc(CurrentMemoryContext, sizeof(HugeMapping));
	m->len = TYPEALIGN(HUGE_PAGE_SIZE, size) + HUGE_PAGE_SIZE;
	base = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	m->cxt = CurrentMemoryContext;
	m->addr = base;
	m->cb.func = unmap_huge_pages;
	m->cb.arg = m;
	MemoryContextRegisterResetCallback(m->cxt, &m->cb);

	/*
	 * Counted as the context's memory, as a malloc'd block was: hash
	 * aggregation decides to spill by MemoryContextMemAllocated, and
	 * pg_backend_memory_contexts shows it.
	 */
	m->cxt->mem_allocated += m->len;
	p = (char *) TYPEALIGN(HUGE_PAGE_SIZE, (uintptr_t) base);
#ifdef MADV_HUGEPAGE
	/* only a hint: an error leaves ordinary pages */
	(void) madvise(p, TYPEALIGN(HUGE_PAGE_SIZE, size), MADV_HUGEPAGE);
#endif
	return p;
}

void
rowstore_set_width(RowStore *rs, int d)
{
	int			shift = 4;

	Assert(rs->n == 0 && d > 0);
	while (shift < 30 && ((int64) 2 << shift) * d <= ROWSTORE_CHUNK_VALUES)
		shift++;

	/*
	 * A full chunk of whole huge pages where one doubling or two gets there
	 * within twice the size: alloc_huge_pages backs a chunk's partial last
	 * 2 MB with a whole huge page, 0.76 MB unused in every 5.2 MB chunk at
	 * 10 features (10 MB more peak memory for 1M rows).
	 */
	for (int s = shift; s <= shift + 2 && ((int64) 1 << s) * d <= 2 * ROWSTORE_CHUNK_VALUES; s++)
		if (((((int64) 1 << s) * d * sizeof(double)) % HUGE_PAGE_SIZE) == 0)
		{
			shift = s;
			break;
		}
	rs->d = d;
	rs->shift = shift;
}

double *
rowstore_append_slow(RowStore *rs, MemoryContext cxt)
{
	int64		chunk_rows = INT64CONST(1) << rs->shift;
	int64		in_last = rs->n - (int64) (rs->nchunks - 1) * chunk_rows;
	Size		row_bytes = sizeof(double) * rs->d;

	if (rs->nchunks == 0 || in_last == chunk_rows)
	{
		/* a new chunk: small while it is the only one */
		MemoryContext old = MemoryContextSwitchTo(cxt);

		if (rs->nchunks == rs->slots)
		{
			rs->slots = Max(8, rs->slots * 2);
			if (rs->chunks == NULL)
				rs->chunks = palloc(sizeof(double *) * rs->slots);
			else
				rs->chunks = repalloc(rs->chunks, sizeof(double *) * rs->slots);
		}
		rs->last_cap = rs->nchunks == 0 ? Min(ROWSTORE_FIRST_ROWS, chunk_rows) : chunk_rows;
		rs->chunks[rs->nchunks++] = rs->last_cap == chunk_rows ?
			alloc_huge_pages(row_bytes * chunk_rows) :
			MemoryContextAllocHuge(cxt, row_bytes * rs->last_cap);
		MemoryContextSwitchTo(old);
		in_last = 0;
	}
	else if (in_last == rs->last_cap)
	{
		/* the first chunk grows: in place while small, then into a full chunk */
		int64		cap = Min(rs->last_cap * 2, chunk_rows);
		double	   *small = rs->chunks[rs->nchunks - 1];

		if (cap < chunk_rows && row_bytes * cap <= ROWSTORE_SMALL_BYTES)
			rs->chunks[rs->nchunks - 1] = repalloc_huge(small, row_bytes * cap);
		else
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			cap = chunk_rows;
			rs->chunks[rs->nchunks - 1] = alloc_huge_pages(row_bytes * cap);
			MemoryContextSwitchTo(old);
			memcpy(rs->chunks[rs->nchunks - 1], small, row_bytes * in_last);
			pfree(small);
		}
		rs->last_cap = cap;
	}
	rs->n++;
	return rs->chunks[rs->nchunks - 1] + (Size) in_last * rs->d;
}

void
rowstore_write(const RowStore *rs, ByteWriter *w)
{
	for (int64 start = 0; start < rs->n;)
	{
		int			count = (int) Min(rs->n - start, (int64) PG_INT32_MAX);
		const double *run = rowstore_run(rs, start, &count);

		write_f64_array(w, run, (Size) count * rs->d);
		start += count;
	}
}

void
rowstore_read(RowStore *rs, ByteReader *r, int64 n, MemoryContext cxt)
{
	for (int64 i = 0; i < n; i++)
		read_bytes(r, rowstore_append(rs, cxt), sizeof(double) * rs->d);
}

void
rowstore_append_all(RowStore *into, const RowStore *from, MemoryContext cxt)
{
	Assert(into->d == from->d);
	for (int64 i = 0; i < from->n; i++)
		memcpy(rowstore_append(into, cxt), rowstore_row(from, i), sizeof(double) * from->d);
}

void
rowstore_append_features(RowStore *rs, Datum datum, bool allow_null, double *buf,
						 MemoryContext cxt, const char *what)
{
	const double *x;
	double	   *row;
	int			d;

	if (rs->d == 0)
	{
		x = array_features_datum(datum, 0, allow_null, buf, &d, what);
		rowstore_set_width(rs, d);
		memcpy(rowstore_append(rs, cxt), x, sizeof(double) * d);
		return;
	}

	/*
	 * A short array's values land in the store directly (one copy, not two);
	 * an error leaves a half-written row in a state that dies with the
	 * statement.
	 */
	row = rowstore_append(rs, cxt);
	x = array_features_datum(datum, rs->d, allow_null, row, &d, what);
	if (x != row)
		memcpy(row, x, sizeof(double) * d);
}
