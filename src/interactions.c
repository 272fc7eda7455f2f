/*
 * interactions.c - compact interaction store and its sparse-row index
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "interactions.h"

#define REC_MIN_CAP 1024

typedef struct Triple
{
	int64		user;
	int64		item;
	double		value;
} Triple;

static void
rec_state_reserve(RecState *s, MemoryContext cxt, int64 need)
{
	int64		cap;

	if (need <= s->cap)
		return;
	cap = Max(s->cap, REC_MIN_CAP);
	while (cap < need)
		cap *= 2;
	if (s->users == NULL)
	{
		s->users = MemoryContextAllocHuge(cxt, cap * sizeof(int64));
		s->items = MemoryContextAllocHuge(cxt, cap * sizeof(int64));
		s->values = MemoryContextAllocHuge(cxt, cap * sizeof(double));
	}
	else
	{
		s->users = repalloc_huge(s->users, cap * sizeof(int64));
		s->items = repalloc_huge(s->items, cap * sizeof(int64));
		s->values = repalloc_huge(s->values, cap * sizeof(double));
	}
	s->cap = cap;
}

void
rec_state_append(RecState *s, MemoryContext cxt, int64 user, int64 item, double value)
{
	if (s->n == s->cap)
		rec_state_reserve(s, cxt, s->n + 1);
	s->users[s->n] = user;
	s->items[s->n] = item;
	s->values[s->n] = value;
	s->n++;
}

static void
write_options(const RecOptions *o, ByteWriter *w)
{
	write_i32(w, o->factors);
	write_i32(w, o->iterations);
	write_i32(w, o->cg_steps);
	write_i32(w, o->blas_threads);
	write_i32(w, o->neighbors);
	write_i32(w, o->weighting);
	write_f64(w, o->lambda);
	write_f64(w, o->alpha);
	write_f64(w, o->validation);
	write_f64(w, o->bm25_k1);
	write_f64(w, o->bm25_b);
	write_i64(w, o->seed);
}

static void
read_options(RecOptions *o, ByteReader *r)
{
	o->factors = read_i32(r);
	o->iterations = read_i32(r);
	o->cg_steps = read_i32(r);
	o->blas_threads = read_i32(r);
	o->neighbors = read_i32(r);
	o->weighting = read_i32(r);
	o->lambda = read_f64(r);
	o->alpha = read_f64(r);
	o->validation = read_f64(r);
	o->bm25_k1 = read_f64(r);
	o->bm25_b = read_f64(r);
	o->seed = read_i64(r);
	if (o->factors < 0 || o->factors > 1024 || o->iterations < 0 || o->iterations > 10000 ||
		o->cg_steps < 0 || o->cg_steps > 1000 || o->blas_threads < 0 || o->blas_threads > 1024 ||
		o->neighbors < 0 || o->weighting < REC_WEIGHT_NONE || o->weighting > REC_WEIGHT_BM25 ||
		!isfinite(o->lambda) || (o->lambda < 0 && o->lambda != REC_LAMBDA_AUTO) || !isfinite(o->alpha) || o->alpha < 0 ||
		!isfinite(o->validation) || o->validation < 0 || o->validation >= 1 ||
		!isfinite(o->bm25_k1) || o->bm25_k1 < 0 || !isfinite(o->bm25_b) ||
		o->bm25_b < 0 || o->bm25_b > 1)
		reader_corrupt(r, "The recommender options hold impossible values");
}

void
rec_state_write(const void *data, ByteWriter *w)
{
	const RecState *s = data;

	write_options(&s->opt, w);
	write_i64(w, s->skipped);
	write_i64(w, s->n);
	write_i64_array(w, s->users, s->n);
	write_i64_array(w, s->items, s->n);
	write_f64_array(w, s->values, s->n);
}

void *
rec_state_read(ByteReader *r)
{
	RecState   *s = palloc0(sizeof(RecState));

	read_options(&s->opt, r);
	s->skipped = read_i64(r);
	s->n = read_count(r, PG_INT64_MAX / 64, 3 * sizeof(int64));
	if (s->skipped < 0)
		reader_corrupt(r, "The interaction store holds impossible values");
	s->cap = s->n;				/* the arrays hold exactly n entries */
	s->users = read_i64_array(r, s->n);
	s->items = read_i64_array(r, s->n);
	s->values = read_f64_array(r, s->n);
	for (int64 i = 0; i < s->n; i++)
		if (!isfinite(s->values[i]))
			reader_corrupt(r, "The interaction store holds a value that is not finite");
	return s;
}

void
rec_state_combine(void *into, const void *from)
{
	RecState   *a = into;
	const RecState *b = from;

	a->skipped += b->skipped;
	if (b->n == 0)
		return;
	/* CurrentMemoryContext is the state's own context (see agg_state_combine) */
	rec_state_reserve(a, CurrentMemoryContext, a->n + b->n);
	memcpy(a->users + a->n, b->users, b->n * sizeof(int64));
	memcpy(a->items + a->n, b->items, b->n * sizeof(int64));
	memcpy(a->values + a->n, b->values, b->n * sizeof(double));
	a->n += b->n;
}

static int
cmp_triple(const void *pa, const void *pb, void *arg)
{
	const Triple *a = pa;
	const Triple *b = pb;

	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->item != b->item)
		return a->item < b->item ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return 0;
}

static int
cmp_int64(const void *pa, const void *pb, void *arg)
{
	int64		a = *(const int64 *) pa;
	int64		b = *(const int64 *) pb;

	return a < b ? -1 : (a > b ? 1 : 0);
}

static inline uint64
mix64(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

double
rec_pair_hash(int64 user, int64 item, int64 seed)
{
	uint64		h = mix64((uint64) seed + UINT64CONST(0x9e3779b97f4a7c15));

	h = mix64(h ^ (uint64) user);
	h = mix64(h ^ ((uint64) item * UINT64CONST(0xd6e8feb86659fd93)));
	return (h >> 11) * (1.0 / 9007199254740992.0);
}

/* Item rows from the user rows: a counting-sort transpose keeps users ascending per item. */
static void
index_item_rows(RecData *d)
{
	int64	   *fill;

	d->iptr = MemoryContextAllocHuge(CurrentMemoryContext, (d->n_items + 1) * sizeof(int64));
	d->irow = MemoryContextAllocHuge(CurrentMemoryContext, Max(d->nnz, 1) * sizeof(int32));
	d->ival = MemoryContextAllocHuge(CurrentMemoryContext, Max(d->nnz, 1) * sizeof(double));
	memset(d->iptr, 0, (d->n_items + 1) * sizeof(int64));
	for (int64 k = 0; k < d->nnz; k++)
		d->iptr[d->ucol[k] + 1]++;
	for (int32 i = 0; i < d->n_items; i++)
		d->iptr[i + 1] += d->iptr[i];
	fill = MemoryContextAllocHuge(CurrentMemoryContext, (d->n_items + 1) * sizeof(int64));
	memcpy(fill, d->iptr, (d->n_items + 1) * sizeof(int64));
	for (int32 u = 0; u < d->n_users; u++)
		for (int64 k = d->uptr[u]; k < d->uptr[u + 1]; k++)
		{
			int64		dst = fill[d->ucol[k]]++;

			d->irow[dst] = u;
			d->ival[dst] = d->uval[k];
		}
	pfree(fill);
}

RecData *
interactions_build(const RecState *s, RecDuplicates dup, double holdout, int64 seed)
{
	RecData    *d = palloc0(sizeof(RecData));
	Triple	   *t;
	int64		n = s->n,
				m = 0,
				ntrain = 0,
				nvalid = 0;
	int64	   *itemids;
	int32	   *pair_user;
	int32	   *pair_item;
	bool	   *is_valid;

	/* sort (user, item, value): duplicates become adjacent, order fixed;
	 * qsort_interruptible lets statement_timeout stop a long sort */
	t = MemoryContextAllocHuge(CurrentMemoryContext, Max(n, 1) * sizeof(Triple));
	for (int64 i = 0; i < n; i++)
	{
		t[i].user = s->users[i];
		t[i].item = s->items[i];
		t[i].value = s->values[i];
	}
	qsort_interruptible(t, n, sizeof(Triple), cmp_triple, NULL);

	/* merge duplicates in place */
	for (int64 i = 0; i < n;)
	{
		int64		j = i + 1;
		double		sum = t[i].value;

		while (j < n && t[j].user == t[i].user && t[j].item == t[i].item)
			sum += t[j++].value;
		t[m].user = t[i].user;
		t[m].item = t[i].item;
		t[m].value = dup == REC_DUP_AVERAGE ? sum / (j - i) : sum;
		m++;
		i = j;
	}

	/* users arrive sorted; items need their own sort */
	d->users = idmap_create(1024);
	for (int64 i = 0; i < m; i++)
		if (i == 0 || t[i].user != t[i - 1].user)
			idmap_insert(d->users, t[i].user);
	itemids = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(int64));
	for (int64 i = 0; i < m; i++)
		itemids[i] = t[i].item;
	qsort_interruptible(itemids, m, sizeof(int64), cmp_int64, NULL);
	d->items = idmap_create(1024);
	for (int64 i = 0; i < m; i++)
		if (i == 0 || itemids[i] != itemids[i - 1])
			idmap_insert(d->items, itemids[i]);
	pfree(itemids);
	d->n_users = d->users->count;
	d->n_items = d->items->count;

	pair_user = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(int32));
	pair_item = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(int32));
	is_valid = MemoryContextAllocHuge(CurrentMemoryContext, Max(m, 1) * sizeof(bool));
	{
		int32		u = -1;

		for (int64 i = 0; i < m; i++)
		{
			if (i == 0 || t[i].user != t[i - 1].user)
				u++;
			pair_user[i] = u;
			pair_item[i] = idmap_lookup(d->items, t[i].item);
			is_valid[i] = holdout > 0 && rec_pair_hash(t[i].user, t[i].item, seed) < holdout;
			if (is_valid[i])
				nvalid++;
			else
				ntrain++;
		}
	}

	/* user rows: entries are already in (user, item) order */
	d->nnz = ntrain;
	d->uptr = MemoryContextAllocHuge(CurrentMemoryContext, (d->n_users + 1) * sizeof(int64));
	d->ucol = MemoryContextAllocHuge(CurrentMemoryContext, Max(ntrain, 1) * sizeof(int32));
	d->uval = MemoryContextAllocHuge(CurrentMemoryContext, Max(ntrain, 1) * sizeof(double));
	d->n_valid = nvalid;
	d->valid_user = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(int32));
	d->valid_item = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(int32));
	d->valid_val = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(double));
	memset(d->uptr, 0, (d->n_users + 1) * sizeof(int64));
	{
		int64		k = 0,
					v = 0;

		for (int64 i = 0; i < m; i++)
		{
			if (is_valid[i])
			{
				d->valid_user[v] = pair_user[i];
				d->valid_item[v] = pair_item[i];
				d->valid_val[v] = t[i].value;
				v++;
				continue;
			}
			d->uptr[pair_user[i] + 1]++;
			d->ucol[k] = pair_item[i];
			d->uval[k] = t[i].value;
			k++;
		}
	}
	for (int32 u = 0; u < d->n_users; u++)
		d->uptr[u + 1] += d->uptr[u];

	index_item_rows(d);
	pfree(pair_user);
	pfree(pair_item);
	pfree(is_valid);
	pfree(t);
	return d;
}

/*
 * A copy of d's training pairs with the given fraction moved to the
 * validation arrays (a hash of the pair's ids and seed decides, so the split
 * does not depend on row order); d's own validation pairs are left out.
 * Used to choose hyperparameters on pairs the final fit will train on.
 */
RecData *
interactions_split(const RecData *d, double fraction, int64 seed)
{
	RecData    *s = palloc0(sizeof(RecData));
	int64		nvalid = 0,
				k = 0,
				v = 0;

	s->users = d->users;
	s->items = d->items;
	s->n_users = d->n_users;
	s->n_items = d->n_items;
	for (int32 u = 0; u < d->n_users; u++)
		for (int64 j = d->uptr[u]; j < d->uptr[u + 1]; j++)
			if (rec_pair_hash(d->users->ids[u], d->items->ids[d->ucol[j]], seed) < fraction)
				nvalid++;
	s->nnz = d->nnz - nvalid;
	s->n_valid = nvalid;
	s->uptr = MemoryContextAllocHuge(CurrentMemoryContext, (d->n_users + 1) * sizeof(int64));
	s->ucol = MemoryContextAllocHuge(CurrentMemoryContext, Max(s->nnz, 1) * sizeof(int32));
	s->uval = MemoryContextAllocHuge(CurrentMemoryContext, Max(s->nnz, 1) * sizeof(double));
	s->valid_user = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(int32));
	s->valid_item = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(int32));
	s->valid_val = MemoryContextAllocHuge(CurrentMemoryContext, Max(nvalid, 1) * sizeof(double));
	s->uptr[0] = 0;
	for (int32 u = 0; u < d->n_users; u++)
	{
		for (int64 j = d->uptr[u]; j < d->uptr[u + 1]; j++)
		{
			if (rec_pair_hash(d->users->ids[u], d->items->ids[d->ucol[j]], seed) < fraction)
			{
				s->valid_user[v] = u;
				s->valid_item[v] = d->ucol[j];
				s->valid_val[v] = d->uval[j];
				v++;
				continue;
			}
			s->ucol[k] = d->ucol[j];
			s->uval[k] = d->uval[j];
			k++;
		}
		s->uptr[u + 1] = k;
	}
	index_item_rows(s);
	return s;
}
