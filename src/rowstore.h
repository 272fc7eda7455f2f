/*
 * rowstore.h - the rows a multi-pass trainer keeps (k-means, logistic
 * regression): fixed-width double rows appended in chunks
 *
 * A flat array grown by doubling copies every row about once more and
 * touches twice the memory; chunks of a power-of-two number of rows never
 * move, so appending costs one memcpy per row.  Only the last chunk grows
 * (by doubling, up to the chunk size), so a state of a few rows stays small
 * when GROUP BY keeps thousands of them.
 */
#ifndef ECOMML_ROWSTORE_H
#define ECOMML_ROWSTORE_H

#include "codec.h"

typedef struct RowStore
{
	int32		d;				/* values per row, 0 until the first row */
	int32		shift;			/* log2 of the rows per chunk */
	int64		n;				/* rows stored */
	int32		nchunks;		/* chunks in use */
	int32		slots;			/* length of chunks[] */
	int64		last_cap;		/* rows allocated in the last chunk */
	double	  **chunks;
} RowStore;

/* Prepare for rows of d values (an empty, zeroed store may wait until then). */
extern void rowstore_set_width(RowStore *rs, int d);

/*
 * MemoryContextAllocHuge for big work arrays, backed by transparent huge
 * pages where the kernel offers them on request (madvise mode): first touches
 * of fresh memory then fault once per 2 MB, not once per 4 kB, which on a
 * virtual machine costs more than the arithmetic of a pass.  From 1 MB on the
 * array is a mapping of its own starting at a 2 MB boundary: never pfree or
 * repalloc it; its memory context unmaps it when reset or deleted.
 */
extern void *alloc_huge_pages(Size size);

/* rowstore_append when the last chunk is full (or there is none) */
extern double *rowstore_append_slow(RowStore *rs, MemoryContext cxt);

/*
 * Room for one more row, allocated in cxt; the caller fills its d values.
 * Inline while the last chunk has room: a call per row was 1.7 % of
 * k-means at 200k x 8.
 */
static inline double *
rowstore_append(RowStore *rs, MemoryContext cxt)
{
	if (likely(rs->nchunks > 0))
	{
		int64		in_last = rs->n - ((int64) (rs->nchunks - 1) << rs->shift);

		if (in_last < rs->last_cap)
		{
			rs->n++;
			return rs->chunks[rs->nchunks - 1] + (Size) in_last * rs->d;
		}
	}
	return rowstore_append_slow(rs, cxt);
}

static inline double *
rowstore_row(const RowStore *rs, int64 i)
{
	return rs->chunks[i >> rs->shift] + (Size) (i & ((INT64CONST(1) << rs->shift) - 1)) * rs->d;
}

/* Rows [start, start + *count) that lie in one chunk: *count is capped. */
static inline const double *
rowstore_run(const RowStore *rs, int64 start, int *count)
{
	int64		left = (INT64CONST(1) << rs->shift) - (start & ((INT64CONST(1) << rs->shift) - 1));

	if (*count > left)
		*count = (int) left;
	return rowstore_row(rs, start);
}

/*
 * A feature array (a datum not yet detoasted) appended as a row; the first
 * sets the store's width.  buf is room for FEATURES_SHORT_MAX values.  what
 * names the caller in messages.
 */
extern void rowstore_append_features(RowStore *rs, Datum datum, bool allow_null, double *buf,
									 MemoryContext cxt, const char *what);

/* n * d doubles, row-major, as one flat array would write them. */
extern void rowstore_write(const RowStore *rs, ByteWriter *w);
/* Append n rows read from r (the store's width is set). */
extern void rowstore_read(RowStore *rs, ByteReader *r, int64 n, MemoryContext cxt);
/* Append every row of from (same width) to into. */
extern void rowstore_append_all(RowStore *into, const RowStore *from, MemoryContext cxt);

#endif
