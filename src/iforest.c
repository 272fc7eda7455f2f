/*
 * iforest.c - ecomml.train_iforest(features float8[], options)
 *
 * Isolation forest (Liu, Ting & Zhou 2008), optionally extended with random
 * hyperplane splits (Hariri, Carrasco Kind & Brunner 2018).
 *
 * The aggregate never holds the table: every tree keeps its own uniform
 * reservoir of sample_size rows.  Rows are streamed through Li's Algorithm L
 * (one random skip per accepted row, not one draw per row and tree).  Two
 * states combine by drawing the merged sample without replacement from the
 * union of the populations: each slot comes from A with probability
 * (A's rows not yet drawn) / (all rows not yet drawn), i.e. the count taken
 * from A is hypergeometric, and the rows taken are a uniform subset of A's
 * reservoir.  The result is again a uniform sample of all rows, so a parallel
 * run is statistically equivalent to a serial one (but not equal: which rows
 * land in which worker is up to the scan).  After a combine, further rows
 * use Algorithm R, which needs no skip state.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "blas.h"
#include "fraud.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "rng.h"

#define IFOREST_MAX_SAMPLE_BYTES ((double) MaxAllocSize / 2)

typedef struct IForestState
{
	int32		trees;
	int32		psi;			/* sample_size */
	int64		seed;
	bool		extended;
	bool		merged;			/* after a combine: Algorithm R */
	int32		d;				/* 0 until the first row */
	int64		n;				/* rows seen */
	Rng			rng;
	int64	   *next;			/* per tree: index of the next accepted row */
	double	   *w;				/* per tree: Algorithm L's W */
	int64		min_next;
	int32		stride;			/* rows allocated per tree: grows to psi as rows come */
	double	   *sample;			/* trees * stride * d */
} IForestState;

/*
 * Decoded node, 16 bytes.  In a standard forest a leaf loops to itself
 * (feature 0, threshold -Inf, right = itself), so every tree can be walked
 * for exactly height_limit steps without a branch on the data, all trees in
 * lockstep: the CPU overlaps the trees' dependent loads.
 */
typedef struct IFNode
{
	double		val;			/* threshold / hyperplane offset */
	int32		feat;			/* feature, or normal index if extended; -1 extended leaf */
	int32		right;			/* right child; the left one is this + 1 */
} IFNode;

typedef struct IForestModel
{
	int32		d;
	int32		trees;
	int32		psi;
	int32		nsamp;			/* rows per tree: min(psi, n) */
	int64		n;
	int64		seed;
	bool		extended;
	int32		height_limit;
	int32		nodes;
	int32	   *tree_start;		/* trees + 1 */
	int32	   *feat;			/* -1 leaf; feature, or normal index if extended */
	int32	   *right;			/* right child; the left one is node + 1 */
	double	   *val;			/* threshold / hyperplane offset; leaf: size */
	IFNode	   *node;			/* decoded, packed */
	double	   *leaf_h;			/* decoded: depth + c(size) at leaves, NaN elsewhere */
	int32		n_normals;
	double	   *normals;
	double		c_nsamp;
} IForestModel;

static const char *const iforest_options[] = {"trees", "sample_size", "seed", "extended", NULL};

/* Average path length of an unsuccessful BST search among n points. */
static double
c_factor(double n)
{
	if (n <= 1)
		return 0.0;
	if (n <= 2)
		return 1.0;
	return 2.0 * (log(n - 1.0) + 0.5772156649015329) - 2.0 * (n - 1.0) / n;
}

/* State */

static double
uniform_pos(Rng *rng)
{
	return 1.0 - rng_uniform(rng);	/* (0, 1] */
}

/* Algorithm L: after accepting a row at index 'at', where is the next one? */
static void
skip_ahead(IForestState *s, int t, int64 at)
{
	double		skip;

	s->w[t] *= exp(log(uniform_pos(&s->rng)) / s->psi);
	skip = floor(log(uniform_pos(&s->rng)) / log1p(-s->w[t]));
	if (!(skip < 4e18) || at > PG_INT64_MAX / 2)
		s->next[t] = PG_INT64_MAX;
	else
		s->next[t] = at + (int64) skip + 1;
}

static void
init_skips(IForestState *s, MemoryContext cxt)
{
	s->next = MemoryContextAlloc(cxt, sizeof(int64) * s->trees);
	s->w = MemoryContextAlloc(cxt, sizeof(double) * s->trees);
	s->min_next = PG_INT64_MAX;
	for (int t = 0; t < s->trees; t++)
	{
		s->w[t] = 1.0;
		skip_ahead(s, t, s->psi - 1);
		s->min_next = Min(s->min_next, s->next[t]);
	}
}

static Size
sample_len(const IForestState *s)
{
	return (Size) s->trees * s->stride * s->d;
}

/*
 * Room for min(rows, psi) rows per tree.  The sample grows with the input
 * rather than being sized by the requested sample_size up front, so the size
 * limit applies to what the rows need: five rows with sample_size 10000 hold
 * five rows per tree.
 */
static void
sample_reserve(IForestState *s, int64 rows, MemoryContext cxt)
{
	int64		want = Min(rows, (int64) s->psi);
	int32		stride;
	int64		filled = Min(s->n, (int64) s->stride);
	double	   *sample;

	if (want <= s->stride)
		return;
	if ((double) s->trees * want * s->d * sizeof(double) > IFOREST_MAX_SAMPLE_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("iforest samples of %d trees x " INT64_FORMAT " rows x %d features are too large",
						s->trees, want, s->d),
				 errhint("Lower \"trees\" or \"sample_size\".")));
	stride = (int32) Max(want, Min((int64) s->psi, Max((int64) s->stride * 2, 16)));
	/* near the limit, grow to the limit rather than one row at a time */
	if ((double) s->trees * stride * s->d * sizeof(double) > IFOREST_MAX_SAMPLE_BYTES)
		stride = (int32) Max(want, (int64) (IFOREST_MAX_SAMPLE_BYTES / ((double) s->trees * s->d * sizeof(double))));
	sample = MemoryContextAllocHuge(cxt, (Size) s->trees * stride * s->d * sizeof(double));
	for (int t = 0; t < s->trees && filled > 0; t++)
		memcpy(sample + (Size) t * stride * s->d, s->sample + (Size) t * s->stride * s->d,
			   sizeof(double) * filled * s->d);
	if (s->sample)
		pfree(s->sample);
	s->sample = sample;
	s->stride = stride;
}

static void
iforest_write(const void *data, ByteWriter *w)
{
	const IForestState *s = data;

	write_i32(w, s->trees);
	write_i32(w, s->psi);
	write_i64(w, s->seed);
	write_u8(w, s->extended);
	write_i32(w, s->d);
	write_i64(w, s->n);
	/* the skip state is not moved: a state read back continues with Algorithm R */
	for (int i = 0; i < 4; i++)
		write_i64(w, (int64) s->rng.s[i]);
	if (s->d > 0)
	{
		/* only the filled slots: min(n, psi) rows per tree */
		int64		k = Min(s->n, (int64) s->psi);

		for (int t = 0; t < s->trees; t++)
			write_f64_array(w, s->sample + (Size) t * s->stride * s->d, (Size) k * s->d);
	}
}

static void *
iforest_read(ByteReader *r)
{
	IForestState *s = palloc0(sizeof(IForestState));

	s->trees = read_i32(r);
	s->psi = read_i32(r);
	s->seed = read_i64(r);
	s->extended = read_u8(r) != 0;
	s->d = read_i32(r);
	s->n = read_i64(r);
	for (int i = 0; i < 4; i++)
		s->rng.s[i] = (uint64) read_i64(r);
	if (s->trees < 1 || s->trees > 10000 || s->psi < 2 || s->psi > 100000 ||
		s->d < 0 || s->d > FEATURES_MAX || s->n < 0 || (s->d == 0 && s->n != 0) ||
		(double) s->trees * Min(s->n, (int64) s->psi) * s->d * sizeof(double) > IFOREST_MAX_SAMPLE_BYTES)
		reader_corrupt(r, "The iforest state holds impossible values");
	s->merged = true;
	if (s->d > 0)
	{
		int64		k = Min(s->n, (int64) s->psi);

		if ((Size) s->trees * k * s->d > (r->len - r->pos) / sizeof(double))
			reader_corrupt(r, "The iforest sample is truncated");
		s->stride = (int32) k;
		s->sample = MemoryContextAllocHuge(CurrentMemoryContext, sample_len(s) * sizeof(double));
		for (int t = 0; t < s->trees; t++)
			read_bytes(r, s->sample + (Size) t * s->stride * s->d, (Size) k * s->d * sizeof(double));
	}
	return s;
}

static void
merge_tree(IForestState *a, const IForestState *b, int t, double *tmp, int32 *ia, int32 *ib)
{
	int			d = a->d;
	int			psi = a->psi;
	int64		ka = Min(a->n, (int64) psi),
				kb = Min(b->n, (int64) psi),
				m = Min((int64) psi, a->n + b->n);
	int64		rem_a = a->n,
				rem_b = b->n;
	int64		left_a = ka,
				left_b = kb;
	const double *sa = a->sample + (Size) t * a->stride * d;
	const double *sb = b->sample + (Size) t * b->stride * d;

	for (int i = 0; i < ka; i++)
		ia[i] = i;
	for (int i = 0; i < kb; i++)
		ib[i] = i;
	for (int64 i = 0; i < m; i++)
	{
		const double *src;

		if ((int64) rng_below(&a->rng, rem_a + rem_b) < rem_a && left_a > 0)
		{
			int			r = rng_below(&a->rng, left_a);

			src = sa + (Size) ia[r] * d;
			ia[r] = ia[--left_a];
			rem_a--;
		}
		else
		{
			int			r = rng_below(&a->rng, left_b);

			src = sb + (Size) ib[r] * d;
			ib[r] = ib[--left_b];
			rem_b--;
		}
		memcpy(tmp + (Size) i * d, src, sizeof(double) * d);
	}
	memcpy(a->sample + (Size) t * a->stride * d, tmp, sizeof(double) * m * d);
}

static void
iforest_combine(void *into, const void *from)
{
	IForestState *a = into;
	const IForestState *b = from;

	/* the sample layout depends on them: a mismatch would read past b's trees */
	if (a->trees != b->trees || a->psi != b->psi || a->extended != b->extended)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("iforest options must be the same on every row"),
				 errdetail("Partial states of %d and %d trees of sample_size %d and %d were combined.",
						   a->trees, b->trees, a->psi, b->psi)));
	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		a->d = b->d;
		a->n = b->n;
		a->merged = true;
		a->stride = b->stride;
		a->sample = MemoryContextAllocHuge(CurrentMemoryContext, sample_len(a) * sizeof(double));
		memcpy(a->sample, b->sample, sample_len(a) * sizeof(double));
		return;
	}
	check_feature_length("train_iforest", b->d, a->d);
	sample_reserve(a, a->n + b->n, CurrentMemoryContext);
	{
		double	   *tmp = palloc(sizeof(double) * a->psi * a->d);
		int32	   *ia = palloc(sizeof(int32) * a->psi);
		int32	   *ib = palloc(sizeof(int32) * a->psi);

		for (int t = 0; t < a->trees; t++)
			merge_tree(a, b, t, tmp, ia, ib);
		pfree(tmp);
		pfree(ia);
		pfree(ib);
	}
	a->n += b->n;
	a->merged = true;
}

const TrainStateOps iforest_state_ops = {
	MODEL_IFOREST, iforest_write, iforest_read, iforest_combine
};

PG_FUNCTION_INFO_V1(train_iforest_transfn);
Datum
train_iforest_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &iforest_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 2);
	IForestState *s = st->data;
	const double *x;
	int			d;
	int64		i;

	if (s == NULL)
	{
		options_check_keys(opts, iforest_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(IForestState));
		s->trees = options_int(opts, "trees", 100, 1, 10000);
		s->psi = options_int(opts, "sample_size", 256, 2, 100000);
		s->seed = options_int64(opts, "seed", 42, PG_INT64_MIN / 2, PG_INT64_MAX / 2);
		s->extended = options_bool(opts, "extended", false);
		rng_seed(&s->rng, (uint64) s->seed);
		init_skips(s, st->hdr.eoh_context);
		st->data = s;
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_AGG_STATE(st);
	x = array_features(PG_GETARG_ARRAYTYPE_P(1), s->d, false, NULL, &d, "train_iforest");
	if (s->d == 0)
		s->d = d;
	i = s->n;
	if (i < s->psi)
	{
		sample_reserve(s, i + 1, st->hdr.eoh_context);
		for (int t = 0; t < s->trees; t++)
			memcpy(s->sample + ((Size) t * s->stride + i) * d, x, sizeof(double) * d);
	}
	else if (s->merged)
	{
		for (int t = 0; t < s->trees; t++)
		{
			uint64		j = rng_below(&s->rng, (uint64) i + 1);

			if (j < (uint64) s->psi)
				memcpy(s->sample + ((Size) t * s->stride + j) * d, x, sizeof(double) * d);
		}
	}
	else if (i == s->min_next)
	{
		s->min_next = PG_INT64_MAX;
		for (int t = 0; t < s->trees; t++)
		{
			if (s->next[t] == i)
			{
				int			j = rng_below(&s->rng, s->psi);

				memcpy(s->sample + ((Size) t * s->stride + j) * d, x, sizeof(double) * d);
				skip_ahead(s, t, i);
			}
			s->min_next = Min(s->min_next, s->next[t]);
		}
	}
	s->n++;
	PG_RETURN_AGG_STATE(st);
}

/* Building trees */

typedef struct Builder
{
	int			d;
	bool		extended;
	int			height_limit;
	const double *rows;			/* this tree's sample */
	Rng			rng;
	int32	   *feat;
	int32	   *right;
	double	   *val;
	int32		nodes;
	int32		cap;
	double	   *normals;
	int32		n_normals;
	int32		normals_cap;
	double	   *lo;				/* scratch, d each */
	double	   *hi;
	int32	   *cand;
} Builder;

static int32
new_node(Builder *b)
{
	if (b->nodes == b->cap)
	{
		b->cap *= 2;
		b->feat = repalloc_huge(b->feat, sizeof(int32) * b->cap);
		b->right = repalloc_huge(b->right, sizeof(int32) * b->cap);
		b->val = repalloc_huge(b->val, sizeof(double) * b->cap);
	}
	b->feat[b->nodes] = -1;
	b->right[b->nodes] = -1;
	b->val[b->nodes] = 0;
	return b->nodes++;
}

static void
build_node(Builder *b, int32 *idx, int count, int depth)
{
	int32		node = new_node(b);
	int			d = b->d;
	int			ncand = 0;
	int			nleft = 0;

	if (depth >= b->height_limit || count <= 1)
	{
		b->val[node] = count;
		return;
	}
	for (int j = 0; j < d; j++)
	{
		b->lo[j] = INFINITY;
		b->hi[j] = -INFINITY;
	}
	for (int i = 0; i < count; i++)
	{
		const double *x = b->rows + (Size) idx[i] * d;

		for (int j = 0; j < d; j++)
		{
			b->lo[j] = Min(b->lo[j], x[j]);
			b->hi[j] = Max(b->hi[j], x[j]);
		}
	}
	for (int j = 0; j < d; j++)
		if (b->hi[j] > b->lo[j])
			b->cand[ncand++] = j;
	if (ncand == 0)
	{
		b->val[node] = count;	/* all rows equal: cannot be split */
		return;
	}
	if (!b->extended)
	{
		int			f = b->cand[rng_below(&b->rng, ncand)];
		double		thr = b->lo[f] + uniform_pos(&b->rng) * (b->hi[f] - b->lo[f]);

		if (!(thr > b->lo[f]))
			thr = b->hi[f];
		/* partition: x[f] < thr first */
		for (int i = 0; i < count; i++)
			if (b->rows[(Size) idx[i] * d + f] < thr)
			{
				int32		tmp = idx[i];

				idx[i] = idx[nleft];
				idx[nleft++] = tmp;
			}
		b->feat[node] = f;
		b->val[node] = thr;
	}
	else
	{
		double	   *nv;
		double		offset = 0;
		int32		k;

		if (b->n_normals == b->normals_cap)
		{
			b->normals_cap *= 2;
			b->normals = repalloc_huge(b->normals, sizeof(double) * b->normals_cap * d);
		}
		k = b->n_normals++;
		nv = b->normals + (Size) k * d;
		for (int j = 0; j < d; j++)
		{
			nv[j] = b->hi[j] > b->lo[j] ? rng_normal(&b->rng) : 0.0;
			offset += nv[j] * (b->lo[j] + rng_uniform(&b->rng) * (b->hi[j] - b->lo[j]));
		}
		for (int i = 0; i < count; i++)
		{
			const double *x = b->rows + (Size) idx[i] * d;

			if (cblas_ddot(d, x, 1, nv, 1) <= offset)
			{
				int32		tmp = idx[i];

				idx[i] = idx[nleft];
				idx[nleft++] = tmp;
			}
		}
		b->feat[node] = k;
		b->val[node] = offset;
	}
	build_node(b, idx, nleft, depth + 1);
	b->right[node] = b->nodes;
	build_node(b, idx + nleft, count - nleft, depth + 1);
}

PG_FUNCTION_INFO_V1(train_iforest_finalfn);
Datum
train_iforest_finalfn(PG_FUNCTION_ARGS)
{
	const IForestState *s = train_state_get_data(fcinfo, 0, &iforest_state_ops);
	Builder		b;
	int32	   *tree_start;
	int32	   *idx;
	int			nsamp;
	ByteWriter	out;

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an iforest model on zero rows"),
				 errdetail("Every feature array was NULL, or there were no rows.")));
	nsamp = (int) Min(s->n, (int64) s->psi);
	memset(&b, 0, sizeof(b));
	b.d = s->d;
	b.extended = s->extended;
	b.height_limit = (int) ceil(log2(Max(nsamp, 2)));
	b.cap = Max(16, 2 * nsamp);
	b.feat = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * b.cap);
	b.right = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * b.cap);
	b.val = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * b.cap);
	b.normals_cap = 16;
	b.normals = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * b.normals_cap * s->d);
	b.lo = palloc(sizeof(double) * s->d);
	b.hi = palloc(sizeof(double) * s->d);
	b.cand = palloc(sizeof(int32) * s->d);
	tree_start = palloc(sizeof(int32) * (s->trees + 1));
	idx = palloc(sizeof(int32) * nsamp);
	for (int t = 0; t < s->trees; t++)
	{
		CHECK_FOR_INTERRUPTS();
		rng_seed(&b.rng, (uint64) s->seed * UINT64CONST(0x9E3779B97F4A7C15) + t + 1);
		b.rows = s->sample + (Size) t * s->stride * s->d;
		for (int i = 0; i < nsamp; i++)
			idx[i] = i;
		tree_start[t] = b.nodes;
		build_node(&b, idx, nsamp, 0);
	}
	tree_start[s->trees] = b.nodes;

	writer_init(&out, 64 + (Size) b.nodes * 16);
	write_i32(&out, s->d);
	write_i32(&out, s->trees);
	write_i32(&out, s->psi);
	write_i32(&out, nsamp);
	write_i64(&out, s->n);
	write_i64(&out, s->seed);
	write_u8(&out, s->extended);
	write_i32(&out, b.height_limit);
	write_i32(&out, b.nodes);
	write_i32_array(&out, tree_start, s->trees + 1);
	write_i32_array(&out, b.feat, b.nodes);
	write_i32_array(&out, b.right, b.nodes);
	write_f64_array(&out, b.val, b.nodes);
	write_i32(&out, s->extended ? b.n_normals : 0);
	if (s->extended)
		write_f64_array(&out, b.normals, (Size) b.n_normals * s->d);
	PG_RETURN_BYTEA_P(model_build(MODEL_IFOREST, &out));
}

/* Model */

void *
iforest_decode(ByteReader *r)
{
	IForestModel *m = palloc0(sizeof(IForestModel));
	int32	   *depth;

	m->d = read_i32(r);
	m->trees = read_i32(r);
	m->psi = read_i32(r);
	m->nsamp = read_i32(r);
	m->n = read_i64(r);
	m->seed = read_i64(r);
	m->extended = read_u8(r) != 0;
	m->height_limit = read_i32(r);
	m->nodes = read_i32(r);
	if (m->d < 1 || m->d > FEATURES_MAX || m->trees < 1 || m->trees > 10000 ||
		m->nsamp < 1 || m->nsamp > m->psi || m->n < m->nsamp || m->nodes < m->trees ||
		m->height_limit < 0 || m->height_limit > 64 ||
		(Size) m->nodes > (r->len - r->pos) / 16)
		reader_corrupt(r, "The iforest model holds impossible values");
	m->tree_start = read_i32_array(r, m->trees + 1);
	m->feat = read_i32_array(r, m->nodes);
	m->right = read_i32_array(r, m->nodes);
	m->val = read_f64_array(r, m->nodes);
	m->n_normals = read_i32(r);
	if (m->n_normals < 0 || m->n_normals > m->nodes || (!m->extended && m->n_normals != 0) ||
		(Size) m->n_normals * m->d > (r->len - r->pos) / sizeof(double))
		reader_corrupt(r, "The iforest model's hyperplanes are inconsistent");
	m->normals = read_f64_array(r, (Size) m->n_normals * m->d);
	if (m->tree_start[0] != 0 || m->tree_start[m->trees] != m->nodes)
		reader_corrupt(r, "The iforest model's trees are inconsistent");
	m->node = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(IFNode) * m->nodes);
	m->leaf_h = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * m->nodes);
	depth = palloc(sizeof(int32) * m->nodes);
	for (int t = 0; t < m->trees; t++)
	{
		int32		end = m->tree_start[t + 1];

		if (end <= m->tree_start[t])
			reader_corrupt(r, "The iforest model's trees are inconsistent");
		for (int32 k = m->tree_start[t]; k < end; k++)
		{
			/* children lie strictly after their parent, inside the tree */
			if (m->feat[k] >= 0)
			{
				if (m->feat[k] >= (m->extended ? m->n_normals : m->d) ||
					k + 1 >= end || m->right[k] <= k + 1 || m->right[k] >= end ||
					isnan(m->val[k]))
					reader_corrupt(r, "The iforest model's nodes are inconsistent");
				m->node[k].val = m->val[k];
				m->leaf_h[k] = NAN;
			}
			else
			{
				if (m->feat[k] != -1 || !(m->val[k] >= 0 && m->val[k] <= m->nsamp))
					reader_corrupt(r, "The iforest model's leaves are inconsistent");
				m->node[k].val = -INFINITY;
				m->leaf_h[k] = c_factor(m->val[k]);
			}
			m->node[k].feat = m->feat[k] >= 0 ? m->feat[k] : (m->extended ? -1 : 0);
			m->node[k].right = m->feat[k] >= 0 ? m->right[k] : k;
		}
		/* the path length of a leaf: its depth plus c(size); depths in preorder */
		depth[m->tree_start[t]] = 0;
		for (int32 k = m->tree_start[t]; k < end; k++)
		{
			if (m->feat[k] >= 0)
			{
				depth[k + 1] = depth[k] + 1;
				depth[m->right[k]] = depth[k] + 1;
			}
			else if (depth[k] > m->height_limit)
				reader_corrupt(r, "The iforest model's trees are deeper than their height limit");
			else
				m->leaf_h[k] += depth[k];
		}
	}
	pfree(depth);
	/* the raw arrays are no longer needed */
	pfree(m->feat);
	pfree(m->right);
	pfree(m->val);
	m->feat = m->right = NULL;
	m->val = NULL;
	m->c_nsamp = c_factor(m->nsamp);
	return m;
}

void
iforest_describe(const void *decoded, StringInfo buf)
{
	const IForestModel *m = decoded;

	json_append_int(buf, "features", m->d);
	json_append_int(buf, "rows", m->n);
	json_append_int(buf, "trees", m->trees);
	json_append_int(buf, "sample_size", m->psi);
	json_append_int(buf, "rows_per_tree", m->nsamp);
	json_append_int(buf, "height_limit", m->height_limit);
	json_append_int(buf, "nodes", m->nodes);
	json_append_int(buf, "seed", m->seed);
	appendStringInfo(buf, ",\"extended\":%s", m->extended ? "true" : "false");
}

int
iforest_features(const void *model)
{
	return ((const IForestModel *) model)->d;
}

static inline bool
goes_left(const IForestModel *m, const IFNode *nd, const double *x)
{
	if (!m->extended)
		return x[nd->feat] < nd->val;
	return cblas_ddot(m->d, x, 1, m->normals + (Size) nd->feat * m->d, 1) <= nd->val;
}

/* Path length of x in tree t: edges to its leaf plus c(leaf size). */
static inline double
path_length(const IForestModel *m, int t, const double *x)
{
	const IFNode *nodes = m->node;
	int32		k = m->tree_start[t];

	if (!m->extended)
		for (int step = 0; step < m->height_limit; step++)
		{
			int32		left = -(int32) (x[nodes[k].feat] < nodes[k].val);

			k = nodes[k].right ^ ((nodes[k].right ^ (k + 1)) & left);
		}
	else
		while (isnan(m->leaf_h[k]))
			k = goes_left(m, &nodes[k], x) ? k + 1 : nodes[k].right;
	return m->leaf_h[k];
}

#define LOCKSTEP 16

/* Sum of the path lengths over all trees of a standard forest. */
static double
path_length_sum(const IForestModel *m, const double *x)
{
	const IFNode *nodes = m->node;
	double		sum = 0;

	for (int t0 = 0; t0 < m->trees; t0 += LOCKSTEP)
	{
		int32		k[LOCKSTEP];
		int			g = Min(LOCKSTEP, m->trees - t0);

		for (int i = 0; i < g; i++)
			k[i] = m->tree_start[t0 + i];
		for (int step = 0; step < m->height_limit; step++)
			for (int i = 0; i < g; i++)
			{
				const IFNode *nd = &nodes[k[i]];
				int32		left = -(int32) (x[nd->feat] < nd->val);	/* all ones or 0 */

				/* select without a branch: the outcome is a coin flip */
				k[i] = nd->right ^ ((nd->right ^ (k[i] + 1)) & left);
			}
		for (int i = 0; i < g; i++)
			sum += m->leaf_h[k[i]];
	}
	return sum;
}

double
iforest_score(const void *model, const double *x, int d)
{
	const IForestModel *m = model;
	double		sum = 0;

	if (!m->extended)
		sum = path_length_sum(m, x);
	else
		for (int t = 0; t < m->trees; t++)
			sum += path_length(m, t, x);
	if (m->c_nsamp == 0)
		return 0.5;				/* one row per tree: nothing to compare with */
	return pow(2.0, -(sum / m->trees) / m->c_nsamp);
}

/*
 * Per-feature attribution: in every tree, each split on x's path credits its
 * feature with 1 / h(x) (for a hyperplane, shared in proportion to |normal_j|),
 * averaged over the trees.  Features that isolate x in few splits score high;
 * the contributions of a row sum to the mean of (splits on the path) / h(x).
 */
int
iforest_explain(const void *model, const double *x, int d, double *contrib)
{
	const IForestModel *m = model;

	memset(contrib, 0, sizeof(double) * d);
	for (int t = 0; t < m->trees; t++)
	{
		double		h = path_length(m, t, x);
		int32		k = m->tree_start[t];

		if (h <= 0)
			continue;
		while (isnan(m->leaf_h[k]))
		{
			const IFNode *nd = &m->node[k];

			if (!m->extended)
				contrib[nd->feat] += 1.0 / h;
			else
			{
				const double *nv = m->normals + (Size) nd->feat * m->d;
				double		total = cblas_dasum(d, nv, 1);

				if (total > 0)
					for (int j = 0; j < d; j++)
						contrib[j] += fabs(nv[j]) / total / h;
			}
			k = goes_left(m, nd, x) ? k + 1 : nd->right;
		}
	}
	for (int j = 0; j < d; j++)
		contrib[j] /= m->trees;
	return d;
}
