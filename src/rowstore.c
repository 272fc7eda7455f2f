/*
 * rowstore.c - fixed-width double rows kept in chunks (see rowstore.h)
 */
#include "postgres.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#include "rowstore.h"

/* a full chunk holds about 2^20 doubles (8 MB), and at least 16 rows */
#define ROWSTORE_CHUNK_VALUES (1 << 20)
/* the first chunk starts this small and doubles: states of a few rows stay small */
#define ROWSTORE_FIRST_ROWS 16
#define HUGE_PAGE_SIZE ((Size) 2 * 1024 * 1024)

void *
alloc_huge_pages(Size size)
{
	char	   *p = MemoryContextAllocHuge(CurrentMemoryContext, size);
#ifdef MADV_HUGEPAGE
	uintptr_t	from = TYPEALIGN(HUGE_PAGE_SIZE, (uintptr_t) p);
	uintptr_t	to = TYPEALIGN_DOWN(HUGE_PAGE_SIZE, (uintptr_t) p + size);

	/* only a hint: an error leaves ordinary pages */
	if (to > from)
		(void) madvise((void *) from, to - from, MADV_HUGEPAGE);
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
	rs->d = d;
	rs->shift = shift;
}

double *
rowstore_append(RowStore *rs, MemoryContext cxt)
{
	int64		chunk_rows = INT64CONST(1) << rs->shift;
	int64		in_last = rs->n - (int64) (rs->nchunks - 1) * chunk_rows;

	if (rs->nchunks == 0 || in_last == chunk_rows)
	{
		/* a new chunk: small while it is the only one */
		if (rs->nchunks == rs->slots)
		{
			rs->slots = Max(8, rs->slots * 2);
			if (rs->chunks == NULL)
				rs->chunks = MemoryContextAlloc(cxt, sizeof(double *) * rs->slots);
			else
				rs->chunks = repalloc(rs->chunks, sizeof(double *) * rs->slots);
		}
		rs->last_cap = rs->nchunks == 0 ? Min(ROWSTORE_FIRST_ROWS, chunk_rows) : chunk_rows;
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			rs->chunks[rs->nchunks++] = alloc_huge_pages(sizeof(double) * rs->last_cap * rs->d);
			MemoryContextSwitchTo(old);
		}
		in_last = 0;
	}
	else if (in_last == rs->last_cap)
	{
		rs->last_cap = Min(rs->last_cap * 2, chunk_rows);
		rs->chunks[rs->nchunks - 1] =
			repalloc_huge(rs->chunks[rs->nchunks - 1], sizeof(double) * rs->last_cap * rs->d);
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
