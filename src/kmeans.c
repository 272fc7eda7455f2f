/*
 * kmeans.c - ecomml.train_kmeans(features float8[], options jsonb),
 * ecomml.assign_cluster(model, features), ecomml.cluster_centers(model)
 *
 * Lloyd's algorithm needs many passes over the rows, so the training state
 * keeps every row (row store chunks, 8 d bytes per row) and a hash of each,
 * computed as the row arrives.  Combining two states appends the rows.  The
 * final function copies the rows into an order given by their hashes and
 * values before anything random happens, so the model depends on the set of
 * rows and the seed only, never on the order in which a serial scan or
 * parallel workers delivered them: a parallel run gives bit-for-bit the
 * serial model.  Peak memory in the final function is about twice the state
 * (the sorted, shifted copy), plus a few doubles per row.
 *
 * Initialization is greedy k-means++ (Arthur & Vassilvitskii 2007, with
 * 2 + floor(ln k) candidate draws per center as in scikit-learn).  Lloyd's
 * iterations skip rows by Hamerly's bounds; the others get their distances
 * to all centers as |x|^2 - 2 x.c + |c|^2 with one dgemm per block, or, for
 * k <= 8, directly in two vector registers.  The copy is shifted by its first
 * row (and centered on the column means and divided by the population
 * standard deviation with {"standardize": true}), which keeps that expansion
 * accurate; the model's centers are relative to the column means.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "blas.h"
#include "customers.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "rng.h"
#include "rowstore.h"
#include "vec.h"

#define KMEANS_BLOCK 256
#define KMEANS_MAX_K 10000
/* up to this many centers, one lane each in two vector registers: no dgemm */
#define KMEANS_DIRECT_K 8
/* rows read ahead where a pass visits them out of order */
#define KMEANS_PREFETCH 16
/* ... where the rows are copied into canonical order (little work per row) */
#define KMEANS_COPY_PREFETCH 32
#define KMEANS_SORT_BUCKET_BITS 16
#define KMEANS_SORT_BUCKETS (1 << KMEANS_SORT_BUCKET_BITS)
#define SORT_BUCKET(hash) ((hash) >> (64 - KMEANS_SORT_BUCKET_BITS))

typedef struct KmeansState
{
	RowStore	rows;			/* width 0 until the first row */
	/*
	 * Width 1: the rows' hash_row bits, computed while the rows are fresh in
	 * the cache (a pass of its own over the rows in the final function, a
	 * chain of dependent multiplications per row, cost 7 % of the statement
	 * at 200k x 8), a group of rows at a time: the last few may lack theirs
	 * (kmeans_hash_pending).  Not serialized: kmeans_read recomputes them.
	 */
	RowStore	hashes;
	/* options */
	int32		k;
	int32		max_iter;
	int32		n_init;
	int64		seed;
	double		tol;
	bool		standardize;
	double		buf[FEATURES_SHORT_MAX];	/* array_features_datum's */
} KmeansState;

typedef struct KmeansModel
{
	int32		d;
	int32		k;
	bool		standardize;
	int64		n;
	int32		n_init;
	int64		seed;
	int32		iterations;
	bool		converged;
	double		inertia;		/* in the transformed (centered/scaled) space */
	double	   *mean;
	double	   *scale;			/* 1 without standardize; 1 for constant columns */
	double	   *centers;		/* k * d, transformed space */
	int64	   *sizes;
	double	   *cnorm;			/* decoded: |c|^2 */
} KmeansModel;

static const char *const kmeans_options[] = {
	"k", "max_iter", "n_init", "seed", "tol", "standardize", NULL
};

/* State */

static uint64 hash_row(const double *x, int d);

#define HASH_ROW_SEED UINT64CONST(0x243F6A8885A308D3)

/* One column's bits into a row hash (hash_row and kmeans_hash_pending). */
static inline uint64
hash_step(uint64 h, const double *x)
{
	uint64		bits;

	memcpy(&bits, x, sizeof(bits));
	h = (h ^ bits) * UINT64CONST(0x9E3779B97F4A7C15);
	return h ^ (h >> 32);
}

/* rows hashed together, their multiplication chains interleaved */
#define KMEANS_HASH_GROUP 4

/*
 * The rows not hashed yet into s->hashes.  The transition function calls
 * this every KMEANS_HASH_GROUP rows, while they are in the cache: one row's
 * hash is a chain of dependent multiplications (d of them), so four chains
 * side by side take about the time of one (hashing each row on arrival was
 * 5 % of the statement at 200k x 8).  The hashes are the same as row by
 * row.  A tail of fewer rows waits; row_hash hashes it when needed.
 */
static void
kmeans_hash_pending(KmeansState *s, MemoryContext cxt)
{
	int			d = s->rows.d;

	if (s->hashes.d == 0)
		rowstore_set_width(&s->hashes, 1);
	while (s->rows.n - s->hashes.n >= KMEANS_HASH_GROUP)
	{
		const double *x0 = rowstore_row(&s->rows, s->hashes.n),
				   *x1 = rowstore_row(&s->rows, s->hashes.n + 1),
				   *x2 = rowstore_row(&s->rows, s->hashes.n + 2),
				   *x3 = rowstore_row(&s->rows, s->hashes.n + 3);
		uint64		h0,
					h1,
					h2,
					h3;

		/* hash_row's steps, four rows at a time, in registers */
		h0 = h1 = h2 = h3 = HASH_ROW_SEED;
		for (int j = 0; j < d; j++)
		{
			h0 = hash_step(h0, &x0[j]);
			h1 = hash_step(h1, &x1[j]);
			h2 = hash_step(h2, &x2[j]);
			h3 = hash_step(h3, &x3[j]);
		}
		memcpy(rowstore_append(&s->hashes, cxt), &h0, sizeof(h0));
		memcpy(rowstore_append(&s->hashes, cxt), &h1, sizeof(h1));
		memcpy(rowstore_append(&s->hashes, cxt), &h2, sizeof(h2));
		memcpy(rowstore_append(&s->hashes, cxt), &h3, sizeof(h3));
	}
}

/* All rows' hashes into s->hashes (before rows are appended after them). */
static void
kmeans_hash_all(KmeansState *s, MemoryContext cxt)
{
	kmeans_hash_pending(s, cxt);
	while (s->hashes.n < s->rows.n)
	{
		uint64		h = hash_row(rowstore_row(&s->rows, s->hashes.n), s->rows.d);

		memcpy(rowstore_append(&s->hashes, cxt), &h, sizeof(h));
	}
}

static void
kmeans_write(const void *data, ByteWriter *w)
{
	const KmeansState *s = data;

	write_i32(w, s->rows.d);
	write_i32(w, s->k);
	write_i32(w, s->max_iter);
	write_i32(w, s->n_init);
	write_i64(w, s->seed);
	write_f64(w, s->tol);
	write_u8(w, s->standardize);
	write_i64(w, s->rows.n);
	rowstore_write(&s->rows, w);
}

static void *
kmeans_read(ByteReader *r)
{
	KmeansState *s = palloc0(sizeof(KmeansState));
	int32		d;
	int64		n;

	d = read_i32(r);
	s->k = read_i32(r);
	s->max_iter = read_i32(r);
	s->n_init = read_i32(r);
	s->seed = read_i64(r);
	s->tol = read_f64(r);
	s->standardize = read_u8(r) != 0;
	if (d < 0 || d > FEATURES_MAX || s->k < 1 || s->k > KMEANS_MAX_K ||
		s->max_iter < 1 || s->n_init < 1 || !(s->tol >= 0) || !isfinite(s->tol))
		reader_corrupt(r, "The kmeans state holds impossible values");
	n = read_count(r, PG_INT64_MAX / 2, (Size) Max(d, 1) * sizeof(double));
	if (d == 0 && n != 0)
		reader_corrupt(r, "The kmeans state holds impossible counts");
	if (d > 0)
		rowstore_set_width(&s->rows, d);
	for (int64 i = 0; i < n; i++)
	{
		read_bytes(r, rowstore_append(&s->rows, CurrentMemoryContext), sizeof(double) * d);
		if (s->rows.n - s->hashes.n == KMEANS_HASH_GROUP)
			kmeans_hash_pending(s, CurrentMemoryContext);
	}
	return s;
}

static void
kmeans_combine(void *into, const void *from)
{
	KmeansState *a = into;
	const KmeansState *b = from;

	if (b->rows.n == 0)
		return;
	if (a->rows.d == 0 && a->rows.n == 0)
		rowstore_set_width(&a->rows, b->rows.d);
	check_feature_length("train_kmeans", b->rows.d, a->rows.d);
	/* a's tail hashed first, so that b's hashes land beside b's rows */
	kmeans_hash_all(a, CurrentMemoryContext);
	rowstore_append_all(&a->rows, &b->rows, CurrentMemoryContext);
	if (b->hashes.n > 0)
		rowstore_append_all(&a->hashes, &b->hashes, CurrentMemoryContext);
	/* b's own tail */
	kmeans_hash_all(a, CurrentMemoryContext);
}

const TrainStateOps kmeans_state_ops = {
	MODEL_KMEANS, kmeans_write, kmeans_read, kmeans_combine
};

/* train_kmeans(state, features [, options]); NULL feature arrays are skipped */
PG_FUNCTION_INFO_V1(train_kmeans_transfn);
Datum
train_kmeans_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &kmeans_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 2);
	KmeansState *s = st->data;

	if (s == NULL)
	{
		options_check_keys(opts, kmeans_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(KmeansState));
		s->k = options_int(opts, "k", 8, 1, KMEANS_MAX_K);
		s->max_iter = options_int(opts, "max_iter", 300, 1, 100000);
		s->n_init = options_int(opts, "n_init", 1, 1, 1000);
		s->seed = options_int64(opts, "seed", 0, 0, PG_INT64_MAX);
		s->tol = options_double(opts, "tol", 1e-4, 0, 1);
		s->standardize = options_bool(opts, "standardize", false);
		st->data = s;
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_AGG_STATE(st);
	rowstore_append_features(&s->rows, PG_GETARG_DATUM(1), false, s->buf, st->hdr.eoh_context,
							 "train_kmeans");
	if (s->rows.n - s->hashes.n == KMEANS_HASH_GROUP)
		kmeans_hash_pending(s, st->hdr.eoh_context);
	PG_RETURN_AGG_STATE(st);
}

/* Training */

/*
 * The data, transformed once and shared by the n_init runs, and one run's
 * work arrays.  Hamerly's bounds (2010) let most rows skip the distance
 * computation once the centers settle: upper[i] bounds the distance to the
 * assigned center from above, lower[i] the distance to every other center
 * from below; a row whose upper bound is below both lower[i] and half the
 * distance from its center to the nearest other one keeps its center.
 * After the centers move, the bounds loosen by the moves (in the next
 * assignment pass, so that no pass over the rows is spent on that alone).
 */
typedef struct Fit
{
	int64		n;
	int			d;
	int			k;
	const double *z;			/* n * d, canonical order, shifted (or centered and scaled) */
	double	   *znorm;			/* |z_i|^2; NULL for k <= KMEANS_DIRECT_K */
	int32	   *label;			/* n */
	double	   *upper;			/* n: distance to the assigned center, or more */
	double	   *lower;			/* n: distance to any other center, or less */
	bool		bounds_valid;	/* false: the next assignment computes all distances */
	double	   *sum;			/* k * d: sum of each cluster's rows */
	int64	   *count;			/* k: rows per cluster */
	double	   *cnorm;			/* k: |c_j|^2 */
	double	   *half_gap;		/* k: half the distance to the nearest other center */
	double	   *shift;			/* k: how far each center moved in the last update */
	double		shift_max1;		/* the largest shift ... */
	double		shift_max2;		/* ... the second largest */
	int			shift_argmax;	/* the center that moved most */
	bool		shifted;		/* the bounds still lack the last update's shifts */
	double	   *g;				/* KMEANS_BLOCK * k */
	v4d		   *ct;				/* k <= KMEANS_DIRECT_K: the centers transposed, 2 * d */
	double	   *gather;			/* KMEANS_BLOCK * d */
	/* seed_trials(k) * n: the seeding's distances to its candidates (one array for every run) */
	double	   *seed_dist;
} Fit;

/* The canonical order: rows sorted by a hash of their bits, ties by value. */
typedef struct RowKey
{
	uint64		hash;
	int64		row;
} RowKey;

static int
cmp_row_values(const RowStore *rs, int64 a, int64 b)
{
	const double *ra = rowstore_row(rs, a);
	const double *rb = rowstore_row(rs, b);

	for (int j = 0; j < rs->d; j++)
	{
		if (ra[j] < rb[j])
			return -1;
		if (ra[j] > rb[j])
			return 1;
	}
	return 0;
}

#define ST_SORT sort_row_keys
#define ST_ELEMENT_TYPE RowKey
#define ST_COMPARE(a, b, rs) \
	((a)->hash < (b)->hash ? -1 : (a)->hash > (b)->hash ? 1 : cmp_row_values(rs, (a)->row, (b)->row))
#define ST_COMPARE_ARG_TYPE const RowStore
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

static uint64
hash_row(const double *x, int d)
{
	uint64		h = HASH_ROW_SEED;

	for (int j = 0; j < d; j++)
		h = hash_step(h, &x[j]);
	return h;
}

/*
 * Squared distance, four columns at a time in a GCC vector type (two SSE2
 * registers at PostgreSQL's -O2, one AVX register in the x86-64-v3 clones).
 */
static inline double
sqdist(const double *a, const double *b, int d)
{
	v4d			acc = {0};
	double		t;
	int			j = 0;

	for (; j + 4 <= d; j += 4)
	{
		v4d			e = *(const v4d *) (a + j) - *(const v4d *) (b + j);

		acc += e * e;
	}
	t = (acc[0] + acc[1]) + (acc[2] + acc[3]);
	for (; j < d; j++)
	{
		double		e = a[j] - b[j];

		t += e * e;
	}
	return t;
}

/*
 * Squared distances of rows zb (b x d) to centers c (m x d) into f->g (b x m),
 * as |z|^2 - 2 z.c + |c|^2 with one dgemm; cn holds |c|^2, zn the rows' norms.
 */
static void
block_distances(const Fit *f, const double *zb, const double *zn, int b,
				const double *c, const double *cn, int m)
{
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, m, f->d, -2.0,
				zb, f->d, c, f->d, 0.0, f->g, m);
	for (int i = 0; i < b; i++)
	{
		double	   *gi = f->g + (Size) i * m;

		for (int j = 0; j < m; j++)
			gi[j] = Max(gi[j] + zn[i] + cn[j], 0.0);
	}
}

/*
 * Greedy k-means++ seeding into c (k * d): each new center is the best of
 * 2 + floor(ln k) candidates drawn with probability proportional to the
 * squared distance to the nearest center so far, as scikit-learn does.
 * A candidate t cannot come nearer to row i than i's nearest center a when
 * |c_a - t| >= 2 |z_i - c_a| (triangle inequality), so most rows skip most
 * candidates once a few centers are placed.  During seeding f->label holds
 * each row's nearest center, f->upper its squared distance, f->lower the
 * running sums for the draws.
 */

/* candidates per pass over the rows: two vectors of four */
#define SEED_GROUP 8
/* see seed_potentials */
#define SEED_TEST_MIN_WORK 8

/* candidates drawn per center, as scikit-learn */
static inline int
seed_trials(int k)
{
	return 2 + (int) floor(log((double) k));
}

/*
 * The potential each of the candidates in group g would leave, into
 * pot[0..SEED_GROUP): per row the squared distance to its nearest center or
 * to the candidate if nearer.  ct holds the group's candidates transposed
 * (column j of the eight in ct[2j], ct[2j + 1]); nv vectors of them are real
 * (a constant in each caller, so the loop has no branch on it).  The sums
 * start from total, the potential now, and add what each row would lose: a
 * row none of whose candidates passes the triangle test costs one
 * comparison and no addition (an addition per row would chain the rows by
 * its latency).  Below SEED_TEST_MIN_WORK columns times vectors the rows
 * skip no arithmetic: the test's outcome is a coin toss for many rows, and
 * the mispredicted branch cost more than the few instructions it saved
 * (doc/benchmarks-customers.md, fourth round); the per-lane test still
 * decides what counts.  The distances computed go to dist (column t
 * of n rows per candidate), so that the update after the draw reads them,
 * not the row.
 */
static pg_attribute_always_inline void
seed_potentials(const Fit *f, const double *gap, const double *gapmin, int gstride, int ngroups,
				int g, const v4d *ct, int nv, int tn, double total, double *dist, double *pot)
{
	const double *closest = f->upper;
	const int32 *nearest = f->label;
	int64		n = f->n;
	int			d = f->d;
	double	   *dg = dist + (Size) g * SEED_GROUP * n;
	v4d			p0 = {total, total, total, total},
				p1 = p0;

	for (int64 i = 0; i < n; i++)
	{
		const double *zi = f->z + (Size) i * d;
		const double *gi = gap + (Size) nearest[i] * gstride + g * SEED_GROUP;
		double		e = closest[i];
		v4d			ev = {e, e, e, e};
		v4d			bound = ev * 4;
		v4d			zero = {0};
		/* even and odd columns: two dependency chains per vector */
		v4d			s0 = {0},
					s0b = {0},
					s1 = {0},
					s1b = {0};
		int			j = 0;

		if (d * nv > SEED_TEST_MIN_WORK && gapmin[nearest[i] * ngroups + g] >= 4 * e)
			continue;
		for (; j + 2 <= d; j += 2)
		{
			v4d			e0 = ct[2 * j] - zi[j],
						e0b = ct[2 * j + 2] - zi[j + 1];

			s0 += e0 * e0;
			s0b += e0b * e0b;
			if (nv == 2)
			{
				v4d			e1 = ct[2 * j + 1] - zi[j],
							e1b = ct[2 * j + 3] - zi[j + 1];

				s1 += e1 * e1;
				s1b += e1b * e1b;
			}
		}
		if (j < d)
		{
			v4d			e0 = ct[2 * j] - zi[j];

			s0 += e0 * e0;
			if (nv == 2)
			{
				v4d			e1 = ct[2 * j + 1] - zi[j];

				s1 += e1 * e1;
			}
		}
		s0 += s0b;
		p0 += V4D_SELECT((*(const v4d *) gi < bound) & (s0 < ev), s0 - ev, zero);
		for (int t = 0; t < Min(tn, 4); t++)
			dg[t * n + i] = s0[t];
		if (nv == 2)
		{
			s1 += s1b;
			p1 += V4D_SELECT((*(const v4d *) (gi + 4) < bound) & (s1 < ev), s1 - ev, zero);
			for (int t = 4; t < tn; t++)
				dg[t * n + i] = s1[t - 4];
		}
	}
	memcpy(pot, &p0, sizeof(p0));
	memcpy(pot + 4, &p1, sizeof(p1));
}

VEC_CLONES static void
kmeanspp(Fit *f, Rng *rng, double *c)
{
	int64		n = f->n;
	int			d = f->d,
				k = f->k;
	int			trials = seed_trials(k);
	int			ngroups = (trials + SEED_GROUP - 1) / SEED_GROUP;
	int			gstride = ngroups * SEED_GROUP;
	/* the bounds are free until Lloyd starts: no fresh memory to fault in */
	double	   *closest = f->upper;
	double	   *cum = f->lower;
	int32	   *nearest = f->label;
	double	   *cand = palloc(sizeof(double) * trials * d);
	double	   *pot = palloc(sizeof(double) * gstride);
	v4d		   *ct = palloc(sizeof(v4d) * 2 * d);
	/* gap[a * gstride + t] = |c_a - cand_t|^2, padded with infinities */
	double	   *gap = palloc(sizeof(double) * k * gstride);
	double	   *gapmin = palloc(sizeof(double) * k * ngroups);
	/* dist[t * n + i]: |z_i - cand_t|^2 where the triangle test let it be computed */
	double	   *dist = f->seed_dist;
	int64		first = (int64) rng_below(rng, (uint64) n);
	double		acc = 0;

	for (int i = 0; i < k * gstride; i++)
		gap[i] = HUGE_VAL;
	memcpy(c, f->z + (Size) first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		closest[i] = sqdist(f->z + (Size) i * d, c, d);
		nearest[i] = 0;
		acc += closest[i];
		cum[i] = acc;
	}
	for (int ci = 1; ci < k; ci++)
	{
		int			best = 0;

		CHECK_FOR_INTERRUPTS();
		for (int t = 0; t < trials; t++)
		{
			double		target = rng_uniform(rng) * acc;
			int64		lo = 0,
						hi = n - 1;

			/* first index with cum > target (all-zero potential: index 0) */
			while (lo < hi)
			{
				int64		mid = lo + (hi - lo) / 2;

				if (cum[mid] > target)
					hi = mid;
				else
					lo = mid + 1;
			}
			memcpy(cand + (Size) t * d, f->z + (Size) lo * d, sizeof(double) * d);
			for (int a = 0; a < ci; a++)
				gap[a * gstride + t] = sqdist(c + (Size) a * d, cand + (Size) t * d, d);
		}
		for (int a = 0; a < ci; a++)
			for (int g = 0; g < ngroups; g++)
			{
				double		m = HUGE_VAL;

				for (int t = 0; t < SEED_GROUP; t++)
					m = Min(m, gap[a * gstride + g * SEED_GROUP + t]);
				gapmin[a * ngroups + g] = m;
			}
		for (int g = 0; g < ngroups; g++)
		{
			int			tn = Min(SEED_GROUP, trials - g * SEED_GROUP);

			memset(ct, 0, sizeof(v4d) * 2 * d);
			for (int t = 0; t < tn; t++)
				for (int j = 0; j < d; j++)
					ct[2 * j + t / 4][t % 4] = cand[(Size) (g * SEED_GROUP + t) * d + j];
			if (tn <= 4)
				seed_potentials(f, gap, gapmin, gstride, ngroups, g, ct, 1, tn, acc, dist, pot + g * SEED_GROUP);
			else
				seed_potentials(f, gap, gapmin, gstride, ngroups, g, ct, 2, tn, acc, dist, pot + g * SEED_GROUP);
		}
		for (int t = 1; t < trials; t++)
			if (pot[t] < pot[best])
				best = t;
		memcpy(c + (Size) ci * d, cand + (Size) best * d, sizeof(double) * d);
		/*
		 * Rows the test lets nearer to the winner have its distance in dist;
		 * the running sums for the next draws in the same pass.
		 */
		acc = 0;
		for (int64 i = 0; i < n; i++)
		{
			double		e = closest[i];
			double		e_best = dist[(Size) best * n + i];

			/*
			 * Without a branch (the test's outcome is a coin toss for many
			 * rows): dist may hold anything where the row was skipped, and
			 * the gap test then discards it.
			 */
			bool		move = (gap[nearest[i] * gstride + best] < 4 * e) & (e_best < e);

			e = move ? e_best : e;
			nearest[i] = move ? ci : nearest[i];
			closest[i] = e;
			acc += e;
			cum[i] = acc;
		}
	}
	pfree(cand);
	pfree(pot);
	pfree(ct);
	pfree(gap);
	pfree(gapmin);
}

/*
 * The seeding for few candidates and narrow rows (seed_trials(k) <= 4, d <= 8,
 * where kmeanspp skips no rows): one pass over the rows per center instead of
 * two.  The pass for center ci first moves each row to the center chosen by
 * the previous pass where it is nearer, then scores the new candidates, and
 * keeps per block of SEED_BLOCK rows what each candidate would leave.  The
 * draws for the next center need the running sums after the winner's moves:
 * the winner's block sums locate the block, and only that block's rows are
 * recomputed.  No distance array and no running-sum array: per center the
 * pass reads each row once and writes its nearest center and distance, which
 * at 200k x 8 took half the memory traffic of kmeanspp's two passes (the
 * seeding was bound by it).  Same draws as scikit-learn's greedy k-means++;
 * the sums run in another order than kmeanspp's, so the seeds can differ
 * from its by a rounding at a draw's boundary.
 */
#define SEED_BLOCK 256

static inline bool
seed_fused(int d, int k)
{
	return seed_trials(k) <= 4 && d <= 8;
}

/*
 * Squared distances of row z to four points held transposed (column j of
 * the four in the lanes of ct[j * stride]) into *out: even and odd columns
 * in two dependency chains.  A point broadcast to all lanes gets the bits
 * the candidates' lanes would give it.
 */
static pg_attribute_always_inline void
lane_sqdist(const v4d *ct, int stride, const double *z, int d, v4d *out)
{
	v4d			s = {0},
				sb = {0};
	int			j = 0;

#pragma GCC unroll 4
	for (; j + 2 <= d; j += 2)
	{
		v4d			e0 = ct[j * stride] - z[j],
					e1 = ct[(j + 1) * stride] - z[j + 1];

		s += e0 * e0;
		sb += e1 * e1;
	}
	if (j < d)
	{
		v4d			e0 = ct[j * stride] - z[j];

		s += e0 * e0;
	}
	*out = s + sb;
}

/* A point broadcast, one column per vector, for lane_sqdist. */
static void
broadcast_point(const double *w, int d, v4d *wt)
{
	for (int j = 0; j < d; j++)
		wt[j] = (v4d) {w[j], w[j], w[j], w[j]};
}

/* |z - w|^2 for a point wt from broadcast_point */
static pg_attribute_always_inline double
point_sqdist(const v4d *wt, const double *z, int d)
{
	v4d			s;

	lane_sqdist(wt, 1, z, d, &s);
	return s[0];
}

/*
 * Row of the draw target in block b (whose rows start at sum before):
 * recomputes the block's potentials with the pending winner w (broadcast;
 * NULL: none).
 */
static int64
seed_draw_in_block(const Fit *f, int64 b, double before, double target, const v4d *w)
{
	int64		from = b * SEED_BLOCK,
				to = Min(f->n, from + SEED_BLOCK);
	double		acc = before;

	for (int64 i = from; i < to; i++)
	{
		double		e = f->upper[i];

		if (w)
			e = Min(e, point_sqdist(w, f->z + (Size) i * f->d, f->d));
		acc += e;
		if (acc > target)
			return i;
	}
	return to - 1;
}

/*
 * One pass of kmeanspp_fused: rows to the winner w (center wi; NULL: none),
 * then the candidates' potentials per block into blk_cand, their sums into
 * pot_out[0..4).
 */
static pg_attribute_always_inline void
seed_fused_pass(const Fit *f, const v4d *ct, const v4d *w, int32 wi, v4d *blk_cand, int d,
				double *pot_out)
{
	int64		n = f->n;
	int64		nblocks = (n + SEED_BLOCK - 1) / SEED_BLOCK;
	double	   *closest = f->upper;
	int32	   *nearest = f->label;
	v4d			pot = {0};

	for (int64 b = 0; b < nblocks; b++)
	{
		v4d			bs = {0};

		for (int64 i = b * SEED_BLOCK; i < Min(n, (b + 1) * SEED_BLOCK); i++)
		{
			const double *zi = f->z + (Size) i * d;
			double		e = closest[i];
			v4d			s,
						ev;

			/* the previous winner first, without a branch (a coin toss) */
			if (w)
			{
				double		dw = point_sqdist(w, zi, d);
				int32		move = -(int32) (dw < e);	/* all ones or zero */

				nearest[i] = (wi & move) | (nearest[i] & ~move);
				e = Min(dw, e);
				closest[i] = e;
			}
			lane_sqdist(ct, 1, zi, d, &s);
			ev = (v4d) {e, e, e, e};
			bs += V4D_SELECT(s < ev, s, ev);
		}
		blk_cand[b] = bs;
		pot += bs;
	}
	memcpy(pot_out, &pot, sizeof(pot));
}

VEC_CLONES static void
kmeanspp_fused(Fit *f, Rng *rng, double *c)
{
	int64		n = f->n;
	int			d = f->d,
				k = f->k;
	int			trials = seed_trials(k);
	int64		nblocks = (n + SEED_BLOCK - 1) / SEED_BLOCK;
	double	   *closest = f->upper;
	int32	   *nearest = f->label;
	/* the potential per block now, and what each candidate would leave */
	double	   *blk = palloc(sizeof(double) * nblocks);
	v4d		   *blk_cand = palloc(sizeof(v4d) * nblocks);
	double	   *cand = palloc(sizeof(double) * 4 * d);
	v4d			ct[8];
	v4d			wt[8];			/* the last center chosen, broadcast */
	double		total = 0;
	const v4d  *w = NULL;

	Assert(trials <= 4 && d <= 8);
	memcpy(c, f->z + (Size) rng_below(rng, (uint64) n) * d, sizeof(double) * d);
	broadcast_point(c, d, wt);
	for (int64 b = 0; b < nblocks; b++)
	{
		double		t = 0;

		for (int64 i = b * SEED_BLOCK; i < Min(n, (b + 1) * SEED_BLOCK); i++)
		{
			closest[i] = point_sqdist(wt, f->z + (Size) i * d, d);
			nearest[i] = 0;
			t += closest[i];
		}
		blk[b] = t;
		total += t;
	}
	for (int ci = 1; ci < k; ci++)
	{
		double		pot[4];
		int			best = 0;
		int32		wi = ci - 1;

		CHECK_FOR_INTERRUPTS();
		/* draws: the block by its sums, the row by the block's own */
		for (int t = 0; t < trials; t++)
		{
			double		target = rng_uniform(rng) * total;
			double		before = 0;
			int64		b = 0;

			while (b < nblocks - 1 && before + blk[b] <= target)
				before += blk[b++];
			memcpy(cand + (Size) t * d, f->z + (Size) seed_draw_in_block(f, b, before, target, w) * d,
				   sizeof(double) * d);
		}
		memset(ct, 0, sizeof(ct));
		for (int t = 0; t < trials; t++)
			for (int j = 0; j < d; j++)
				ct[j][t] = cand[(Size) t * d + j];
		/* a constant width unrolls the loops over the columns */
		if (d == 8)
			seed_fused_pass(f, ct, w, wi, blk_cand, 8, pot);
		else
			seed_fused_pass(f, ct, w, wi, blk_cand, d, pot);
		for (int t = 1; t < trials; t++)
			if (pot[t] < pot[best])
				best = t;
		memcpy(c + (Size) ci * d, cand + (Size) best * d, sizeof(double) * d);
		broadcast_point(c + (Size) ci * d, d, wt);
		w = wt;
		total = pot[best];
		for (int64 b = 0; b < nblocks; b++)
			blk[b] = blk_cand[b][best];
	}
	pfree(blk);
	pfree(blk_cand);
	pfree(cand);
}

/* Move row i to cluster to (from may be -1), keeping sums and counts. */
static inline void
move_row(Fit *f, int64 i, int from, int to)
{
	const double *zi = f->z + (Size) i * f->d;
	double	   *st = f->sum + (Size) to * f->d;

	if (from >= 0)
	{
		double	   *sf = f->sum + (Size) from * f->d;

		for (int j = 0; j < f->d; j++)
			sf[j] -= zi[j];
		f->count[from]--;
	}
	for (int j = 0; j < f->d; j++)
		st[j] += zi[j];
	f->count[to]++;
	f->label[i] = to;
}

/*
 * Row to its nearest center best (squared distance bd; sd to the second
 * nearest), its bounds reset; returns 1 if its label changed.
 */
static inline int
settle_row(Fit *f, int64 row, int best, double bd, double sd)
{
	f->upper[row] = sqrt(bd);
	f->lower[row] = f->k > 1 ? sqrt(sd) : DBL_MAX;
	if (f->label[row] == best)
		return 0;
	move_row(f, row, f->label[row], best);
	return 1;
}

/*
 * assign_rows for k <= KMEANS_DIRECT_K: each row's distances to all centers
 * at once, the centers transposed in f->ct (column j of the eight in
 * ct[2j], ct[2j + 1]), as the seeding scores its candidates.  At k = 8 and
 * d = 8 a dgemm block plus the pass adding the norms cost several times
 * these sixteen vector subtractions and multiply-adds per row, and the
 * rows need no gathering.  Lanes from k on are never read.
 */
static pg_attribute_always_inline int64
assign_rows_direct(Fit *f, const int64 *rows, int nb, int d)
{
	int			k = f->k;
	const v4d  *ct = f->ct;
	int64		changed = 0;
	const v4d	big = {DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX};
	const v4d	idx0 = {0, 1, 2, 3},
				idx1 = {4, 5, 6, 7};
	/* lanes from k on hold no center */
	const v4d	kv = {k, k, k, k};
	const v4i	valid0 = idx0 < kv,
				valid1 = idx1 < kv;

	for (int r = 0; r < nb; r++)
	{
		int64		row = rows[r];
		const double *zi = f->z + (Size) row * d;
		v4d			s0,
					s1;
		v4d			m,
					bv;
		int			best;
		double		bd,
					sd;

		if (r + 4 < nb)
			__builtin_prefetch(f->z + (Size) rows[r + 4] * d);
		lane_sqdist(ct, 2, zi, d, &s0);
		lane_sqdist(ct + 1, 2, zi, d, &s1);

		/*
		 * Nearest (lowest index among equals) and second nearest, in the
		 * registers and without branches: which center is nearest is a coin
		 * toss for the rows near a boundary, and reading the lanes back from
		 * memory stalled on the store (forwarding fails across widths).
		 */
		s0 = V4D_SELECT(valid0, s0, big);
		s1 = V4D_SELECT(valid1, s1, big);
		V4D_HMIN(bv, V4D_SELECT(s1 < s0, s1, s0));
		bd = bv[0];
		V4D_HMIN(m, V4D_SELECT(s0 == bv, idx0, V4D_SELECT(s1 == bv, idx1, big)));
		best = (int) m[0];
		s0 = V4D_SELECT(idx0 == m, big, s0);
		s1 = V4D_SELECT(idx1 == m, big, s1);
		V4D_HMIN(m, V4D_SELECT(s1 < s0, s1, s0));
		sd = m[0];
		changed += settle_row(f, row, best, bd, sd);
	}
	return changed;
}

/*
 * Nearest and second-nearest centers of the nb rows rows[] (ties: lowest
 * index) from one dgemm; reassigns them and resets their bounds.  Returns
 * the number of labels that changed.
 */
VEC_CLONES static int64
assign_rows(Fit *f, const double *c, const int64 *rows, int nb, bool contiguous)
{
	int			d = f->d,
				k = f->k;
	int64		changed = 0;
	const double *zb;
	const double *zn;
	double		zn_gathered[KMEANS_BLOCK];

	if (k <= KMEANS_DIRECT_K)
		/* a constant width unrolls the loops over the columns */
		return d == 8 ? assign_rows_direct(f, rows, nb, 8) : assign_rows_direct(f, rows, nb, d);
	if (contiguous)
	{
		zb = f->z + (Size) rows[0] * d;
		zn = f->znorm + rows[0];
	}
	else
	{
		for (int i = 0; i < nb; i++)
		{
			memcpy(f->gather + (Size) i * d, f->z + (Size) rows[i] * d, sizeof(double) * d);
			zn_gathered[i] = f->znorm[rows[i]];
		}
		zb = f->gather;
		zn = zn_gathered;
	}
	block_distances(f, zb, zn, nb, c, f->cnorm, k);
	for (int i = 0; i < nb; i++)
	{
		const double *gi = f->g + (Size) i * k;
		int			best = 0;
		double		bd = gi[0],
					sd = DBL_MAX;
		int64		row = rows[i];

		for (int j = 1; j < k; j++)
		{
			double		e = gi[j];

			if (e < bd)
			{
				sd = bd;
				bd = e;
				best = j;
			}
			else if (e < sd)
				sd = e;
		}
		changed += settle_row(f, row, best, bd, sd);
	}
	return changed;
}

/*
 * Assign every row to its nearest center in c, updating sums and counts;
 * returns the number of labels that changed.  Rows whose bounds prove their
 * center unchanged are skipped; the others are gathered into blocks.
 */
VEC_CLONES static int64
assign_all(Fit *f, const double *c)
{
	int			d = f->d,
				k = f->k;
	int64		changed = 0;
	int64		rows[KMEANS_BLOCK];
	int64		tight[KMEANS_BLOCK];
	double		tight_bound[KMEANS_BLOCK];
	int			np = 0;

	for (int j = 0; j < k; j++)
		f->cnorm[j] = cblas_ddot(d, c + (Size) j * d, 1, c + (Size) j * d, 1);
	if (k <= KMEANS_DIRECT_K)
	{
		memset(f->ct, 0, sizeof(v4d) * 2 * d);
		for (int j = 0; j < k; j++)
			for (int m = 0; m < d; m++)
				f->ct[2 * m + j / 4][j % 4] = c[(Size) j * d + m];
	}
	if (!f->bounds_valid)
	{
		for (int64 start = 0; start < f->n; start += KMEANS_BLOCK)
		{
			int			b = (int) Min((int64) KMEANS_BLOCK, f->n - start);

			CHECK_FOR_INTERRUPTS();
			for (int i = 0; i < b; i++)
				rows[i] = start + i;
			changed += assign_rows(f, c, rows, b, true);
		}
		f->bounds_valid = true;
		f->shifted = false;
		return changed;
	}
	for (int j = 0; j < k; j++)
	{
		double		m = DBL_MAX;

		for (int o = 0; o < k; o++)
			if (o != j)
				m = Min(m, sqdist(c + (Size) j * d, c + (Size) o * d, d));
		f->half_gap[j] = 0.5 * sqrt(m);
	}
	{
		/*
		 * The fields in locals: the stores into upper and lower would
		 * otherwise make the compiler reload them from f for every row.
		 */
		const int32 *label = f->label;
		double	   *upper = f->upper,
				   *lower = f->lower;
		const double *shift = f->shift,
				   *half_gap = f->half_gap;
		const double *z = f->z;
		double		max1 = f->shift_max1,
					max2 = f->shift_max2;
		int			argmax = f->shift_argmax;
		bool		shifted = f->shifted;

		for (int64 start = 0; start < f->n; start += KMEANS_BLOCK)
		{
			int			b = (int) Min((int64) KMEANS_BLOCK, f->n - start);
			int			nt = 0;

			/*
			 * Bounds first, for a block of rows, then the rows they cannot
			 * settle are asked for all at once, so that their cache misses
			 * overlap (a row read right after its test stalled the loop on
			 * each).  Every row is written to tight[] and kept by advancing
			 * nt or not: whether a row settles is a coin toss for many, and
			 * the mispredicted branch was most of this loop's time.
			 */
			for (int64 i = start; i < start + b; i++)
			{
				int			a = label[i];
				double		u = upper[i],
							bound;

				/* the centers moved since the bounds were set: loosen them */
				if (shifted)
				{
					u += shift[a];
					upper[i] = u;
					lower[i] -= a == argmax ? max2 : max1;
				}
				bound = Max(half_gap[a], lower[i]);
				tight[nt] = i;
				tight_bound[nt] = bound;
				nt += !(u <= bound);
			}
			for (int t = 0; t < nt; t++)
				__builtin_prefetch(z + (Size) tight[t] * d);
			/* the exact distance to the own center; rows it cannot settle get all */
			for (int t = 0; t < nt; t++)
			{
				int64		i = tight[t];

				double		u = sqrt(sqdist(z + (Size) i * d, c + (Size) label[i] * d, d));

				/* kept or not without a branch, as above */
				upper[i] = u;
				rows[np] = i;
				np += !(u <= tight_bound[t]);
				if (np == KMEANS_BLOCK)
				{
					CHECK_FOR_INTERRUPTS();
					changed += assign_rows(f, c, rows, np, false);
					np = 0;
				}
			}
		}
	}
	if (np > 0)
		changed += assign_rows(f, c, rows, np, false);
	f->shifted = false;
	return changed;
}

/*
 * Centers to the means of their clusters; an empty cluster's center moves to
 * the row farthest from its own center.  Returns the sum of the squared moves.
 */
static double
update_centers(Fit *f, double *c)
{
	int			d = f->d,
				k = f->k;
	double		total = 0,
				max1 = 0,
				max2 = 0;
	int			argmax = -1;
	double	   *far_dist = NULL;

	/* distances for relocating empty clusters, before any center moves */
	for (int j = 0; j < k && far_dist == NULL; j++)
		if (f->count[j] == 0)
		{
			far_dist = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * f->n);
			for (int64 i = 0; i < f->n; i++)
				far_dist[i] = sqdist(f->z + (Size) i * d, c + (Size) f->label[i] * d, d);
		}
	for (int j = 0; j < k; j++)
	{
		double	   *cj = c + (Size) j * d;
		double		e2 = 0;

		if (f->count[j] == 0)
		{
			int64		far = 0;

			for (int64 i = 1; i < f->n; i++)
				if (far_dist[i] > far_dist[far])
					far = i;
			far_dist[far] = 0;
			e2 = sqdist(cj, f->z + (Size) far * d, d);
			memcpy(cj, f->z + (Size) far * d, sizeof(double) * d);
		}
		else
		{
			const double *sj = f->sum + (Size) j * d;

			for (int m = 0; m < d; m++)
			{
				double		v = sj[m] / f->count[j];
				double		e = v - cj[m];

				e2 += e * e;
				cj[m] = v;
			}
		}
		total += e2;
		f->shift[j] = sqrt(e2);
		if (f->shift[j] > max1)
		{
			max2 = max1;
			max1 = f->shift[j];
			argmax = j;
		}
		else if (f->shift[j] > max2)
			max2 = f->shift[j];
	}
	if (far_dist)
		pfree(far_dist);
	/* the next assignment applies the shifts to the bounds */
	f->shift_max1 = max1;
	f->shift_max2 = max2;
	f->shift_argmax = argmax;
	f->shifted = true;
	return total;
}

/* One Lloyd run from the centers in c; returns the inertia. */
static double
lloyd(Fit *f, double *c, int max_iter, double tol_abs, int *iter_out, bool *conv_out)
{
	int			it;
	bool		converged = false;
	bool		settled = false;
	double		inertia = 0;

	for (int64 i = 0; i < f->n; i++)
		f->label[i] = -1;
	memset(f->sum, 0, sizeof(double) * f->k * f->d);
	memset(f->count, 0, sizeof(int64) * f->k);
	f->bounds_valid = false;
	f->shifted = false;
	for (it = 1; it <= max_iter; it++)
	{
		int64		changed = assign_all(f, c);

		if (it > 1 && changed == 0)
		{
			/* c holds the means of these very labels */
			converged = settled = true;
			it--;
			break;
		}
		if (update_centers(f, c) <= tol_abs)
		{
			converged = true;
			break;
		}
	}
	if (it > max_iter)
		it = max_iter;
	/*
	 * Final assignment to the final centers (not needed when the last one
	 * changed no label: it would change none again); exact inertia.
	 */
	if (!settled)
		assign_all(f, c);
	for (int64 i = 0; i < f->n; i++)
		inertia += sqdist(f->z + (Size) i * f->d, c + (Size) f->label[i] * f->d, f->d);
	*iter_out = it;
	*conv_out = converged;
	return inertia;
}

typedef struct ClusterOrder
{
	int			idx;
	int64		size;
	const double *center;
	int			d;
} ClusterOrder;

/* biggest cluster first; equal sizes by center, lexicographically */
static int
cmp_clusters(const void *a, const void *b)
{
	const ClusterOrder *x = a;
	const ClusterOrder *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	for (int j = 0; j < x->d; j++)
		if (x->center[j] != y->center[j])
			return x->center[j] < y->center[j] ? -1 : 1;
	return x->idx - y->idx;
}

static inline uint64
row_hash(const KmeansState *s, int64 i)
{
	uint64		h;

	/* the last few rows may wait for their hash (kmeans_hash_pending) */
	if (unlikely(i >= s->hashes.n))
		return hash_row(rowstore_row(&s->rows, i), s->rows.d);
	memcpy(&h, rowstore_row(&s->hashes, i), sizeof(h));
	return h;
}

/*
 * transform_rows' copy: the rows in the order of keys, less k0, into z,
 * their sums and sums of squares added to s1 and s2, squared norms into znorm
 * (if not NULL).
 */
static pg_attribute_always_inline void
copy_shifted(const KmeansState *s, const RowKey *keys, const double *k0, double *z,
			 double *znorm, double *s1, double *s2, int d)
{
	int64		n = s->rows.n;

	for (int64 i = 0; i < n; i++)
	{
		double	   *zi = z + (Size) i * d;
		const double *xi = rowstore_row(&s->rows, keys[i].row);
		double		t = 0;

		/*
		 * The rows come in random order: ask for one some keys ahead, so
		 * that several cache misses are under way at once.
		 */
		if (i + KMEANS_COPY_PREFETCH < n)
			__builtin_prefetch(rowstore_row(&s->rows, keys[i + KMEANS_COPY_PREFETCH].row));
		for (int j = 0; j < d; j++)
		{
			double		v = xi[j] - k0[j];

			zi[j] = v;
			s1[j] += v;
			s2[j] += v * v;
			t += v * v;
		}
		if (znorm)
			znorm[i] = t;
	}
}

/*
 * The rows in canonical order into z (n * d), shifted by the first of them,
 * or with standardize centered on the column means and divided by the
 * population standard deviations; their squared norms into znorm (if not
 * NULL).  The rows' mean in z's space into shift (0 with standardize).
 * keys is work space for n keys.  Returns the summed
 * variance after scaling.
 */
static double
transform_rows(const KmeansState *s, double *z, double *znorm, double *mean, double *scale,
			   double *shift, RowKey *keys)
{
	int64		n = s->rows.n;
	int			d = s->rows.d;
	double	   *var = palloc0(sizeof(double) * d);
	double		total_var = 0;

	/*
	 * One scatter pass into buckets by the top bits of the hash, then a sort
	 * of each (small) bucket: a comparison sort of all n keys costs several
	 * times more.
	 */
	{
		int64	   *start = palloc0(sizeof(int64) * (KMEANS_SORT_BUCKETS + 1));

		for (int64 i = 0; i < n; i++)
			start[SORT_BUCKET(row_hash(s, i)) + 1]++;
		for (int b = 0; b < KMEANS_SORT_BUCKETS; b++)
			start[b + 1] += start[b];
		for (int64 i = 0; i < n; i++)
		{
			uint64		h = row_hash(s, i);

			/* the writes land at random: ask for a slot some keys ahead */
			if (i + KMEANS_PREFETCH < n)
				__builtin_prefetch(&keys[start[SORT_BUCKET(row_hash(s, i + KMEANS_PREFETCH))]], 1);
			keys[start[SORT_BUCKET(h)]].hash = h;
			keys[start[SORT_BUCKET(h)]++].row = i;
		}
		/* start[b] is now the end of bucket b */
		for (int b = 0; b < KMEANS_SORT_BUCKETS; b++)
		{
			int64		from = b == 0 ? 0 : start[b - 1];

			if (start[b] - from > 1)
				sort_row_keys(keys + from, start[b] - from, &s->rows);
		}
		pfree(start);
	}
	{
		/*
		 * The rows are copied shifted by the first of them (K), so that the
		 * copy also forms the sums for the means and variances: centering on
		 * the means would need them first, and a second pass over the rows
		 * (read and written) was a fifth of this function.  A data point
		 * keeps the shifted values as small as centered ones within the
		 * data's spread, which the dgemm expansion needs; the centers move
		 * by mean - K at the end.
		 */
		const double *k0 = rowstore_row(&s->rows, keys[0].row);
		double	   *s1 = palloc0(sizeof(double) * d);
		double	   *s2 = palloc0(sizeof(double) * d);

		/* a constant width and local sums: the sums stay in registers */
		if (d == 8)
		{
			double		a1[8] = {0},
						a2[8] = {0};

			copy_shifted(s, keys, k0, z, znorm, a1, a2, 8);
			memcpy(s1, a1, sizeof(a1));
			memcpy(s2, a2, sizeof(a2));
		}
		else
			copy_shifted(s, keys, k0, z, znorm, s1, s2, d);
		for (int j = 0; j < d; j++)
		{
			shift[j] = s1[j] / n;
			mean[j] = k0[j] + shift[j];
			/* the shifted-data formula: exact enough for tol */
			var[j] = Max(s2[j] / n - shift[j] * shift[j], 0.0);
		}
		pfree(s1);
		pfree(s2);
	}
	CHECK_FOR_INTERRUPTS();
	if (s->standardize)
	{
		/* centered exactly, then scaled: the scale is part of the model */
		memset(var, 0, sizeof(double) * d);
		for (int64 i = 0; i < n; i++)
		{
			double	   *zi = z + (Size) i * d;

			for (int j = 0; j < d; j++)
			{
				zi[j] -= shift[j];
				var[j] += zi[j] * zi[j];
			}
		}
		for (int j = 0; j < d; j++)
		{
			var[j] /= n;
			shift[j] = 0;
		}
	}
	for (int j = 0; j < d; j++)
	{
		scale[j] = (s->standardize && var[j] > 0) ? sqrt(var[j]) : 1.0;
		total_var += var[j] / (scale[j] * scale[j]);
	}
	if (s->standardize)
		for (int64 i = 0; i < n; i++)
		{
			double	   *zi = z + (Size) i * d;
			double		t = 0;

			for (int j = 0; j < d; j++)
			{
				zi[j] /= scale[j];
				t += zi[j] * zi[j];
			}
			if (znorm)
				znorm[i] = t;
		}
	pfree(var);
	return total_var;
}

PG_FUNCTION_INFO_V1(train_kmeans_finalfn);
Datum
train_kmeans_finalfn(PG_FUNCTION_ARGS)
{
	const KmeansState *s = train_state_get_data(fcinfo, 0, &kmeans_state_ops);
	Fit			f;
	int64		n;
	double	   *z;
	double	   *mean,
			   *scale,
			   *shift,
			   *c,
			   *best_c;
	int64	   *sizes;
	double		best_inertia = DBL_MAX,
				tol_abs;
	int			best_iter = 0,
				d,
				k;
	bool		best_conv = false;
	Rng			rng;
	ClusterOrder *order;
	ByteWriter	w;

	if (s == NULL || s->rows.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a kmeans model on zero rows"),
				 errdetail("Every feature array was NULL, or there were no rows.")));
	if (s->rows.n < s->k)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot find %d clusters in " INT64_FORMAT " rows", s->k, s->rows.n),
				 errhint("Lower option \"k\" to at most the number of rows.")));
	n = s->rows.n;
	d = s->rows.d;
	k = s->k;
	blas_begin(0);

	mean = palloc(sizeof(double) * d);
	scale = palloc(sizeof(double) * d);
	z = alloc_huge_pages(sizeof(double) * n * d);
	memset(&f, 0, sizeof(f));
	/* the norms serve the dgemm distances only */
	f.znorm = k > KMEANS_DIRECT_K ? alloc_huge_pages(sizeof(double) * n) : NULL;
	shift = palloc(sizeof(double) * d);
	/* upper and lower bounds in one array, first the sorted keys */
	f.upper = alloc_huge_pages(sizeof(double) * 2 * n);
	f.lower = f.upper + n;
	f.seed_dist = seed_fused(d, k) ? NULL : alloc_huge_pages(sizeof(double) * seed_trials(k) * n);
	StaticAssertStmt(sizeof(RowKey) == 2 * sizeof(double), "RowKey is two doubles wide");
	/* as scikit-learn: tol relative to the mean variance of the features */
	tol_abs = s->tol * transform_rows(s, z, f.znorm, mean, scale, shift, (RowKey *) f.upper) / d;

	f.n = n;
	f.d = d;
	f.k = k;
	f.z = z;
	f.label = alloc_huge_pages(sizeof(int32) * n);
	f.sum = palloc(sizeof(double) * k * d);
	f.count = palloc(sizeof(int64) * k);
	f.cnorm = palloc(sizeof(double) * k);
	f.half_gap = palloc(sizeof(double) * k);
	f.shift = palloc(sizeof(double) * k);
	f.g = alloc_huge_pages(sizeof(double) * KMEANS_BLOCK * k);
	f.gather = alloc_huge_pages(sizeof(double) * KMEANS_BLOCK * d);
	f.ct = k <= KMEANS_DIRECT_K ? palloc(sizeof(v4d) * 2 * d) : NULL;

	c = palloc(sizeof(double) * k * d);
	best_c = palloc(sizeof(double) * k * d);
	sizes = palloc0(sizeof(int64) * k);
	rng_seed(&rng, (uint64) s->seed);
	for (int r = 0; r < s->n_init; r++)
	{
		int			iter;
		bool		conv;
		double		inertia;

		if (seed_fused(d, k))
			kmeanspp_fused(&f, &rng, c);
		else
			kmeanspp(&f, &rng, c);
		inertia = lloyd(&f, c, s->max_iter, tol_abs, &iter, &conv);
		if (inertia < best_inertia)
		{
			best_inertia = inertia;
			best_iter = iter;
			best_conv = conv;
			memcpy(best_c, c, sizeof(double) * k * d);
			memcpy(sizes, f.count, sizeof(int64) * k);
		}
	}

	/* the model's centers are relative to the means */
	for (int j = 0; j < k; j++)
		for (int m = 0; m < d; m++)
			best_c[(Size) j * d + m] -= shift[m];
	order = palloc(sizeof(ClusterOrder) * k);
	for (int j = 0; j < k; j++)
	{
		order[j].idx = j;
		order[j].size = sizes[j];
		order[j].center = best_c + (Size) j * d;
		order[j].d = d;
	}
	qsort(order, k, sizeof(ClusterOrder), cmp_clusters);

	writer_init(&w, 128 + sizeof(double) * (2 * d + (Size) k * d) + sizeof(int64) * k);
	write_i32(&w, d);
	write_i32(&w, k);
	write_u8(&w, s->standardize);
	write_i64(&w, n);
	write_i32(&w, s->n_init);
	write_i64(&w, s->seed);
	write_i32(&w, best_iter);
	write_u8(&w, best_conv);
	write_f64(&w, best_inertia);
	write_f64_array(&w, mean, d);
	write_f64_array(&w, scale, d);
	for (int j = 0; j < k; j++)
		write_f64_array(&w, order[j].center, d);
	for (int j = 0; j < k; j++)
		write_i64(&w, order[j].size);
	PG_RETURN_BYTEA_P(model_build(MODEL_KMEANS, &w));
}

/* Model */

void *
kmeans_decode(ByteReader *r)
{
	KmeansModel *m = palloc0(sizeof(KmeansModel));
	int64		total = 0;

	m->d = read_i32(r);
	m->k = read_i32(r);
	m->standardize = read_u8(r) != 0;
	m->n = read_i64(r);
	m->n_init = read_i32(r);
	m->seed = read_i64(r);
	m->iterations = read_i32(r);
	m->converged = read_u8(r) != 0;
	m->inertia = read_f64(r);
	if (m->d < 1 || m->d > FEATURES_MAX || m->k < 1 || m->k > KMEANS_MAX_K ||
		m->n < m->k || m->n_init < 1 || m->iterations < 0 || !(m->inertia >= 0) ||
		!isfinite(m->inertia))
		reader_corrupt(r, "The kmeans model holds impossible values");
	m->mean = read_f64_array(r, m->d);
	m->scale = read_f64_array(r, m->d);
	m->centers = read_f64_array(r, (Size) m->k * m->d);
	m->sizes = read_i64_array(r, m->k);
	for (int j = 0; j < m->d; j++)
		if (!isfinite(m->mean[j]) || !(m->scale[j] > 0) || !isfinite(m->scale[j]))
			reader_corrupt(r, "The kmeans model holds an impossible scale");
	for (Size i = 0; i < (Size) m->k * m->d; i++)
		if (!isfinite(m->centers[i]))
			reader_corrupt(r, "The kmeans model holds a non-finite center");
	for (int j = 0; j < m->k; j++)
	{
		if (m->sizes[j] < 0)
			reader_corrupt(r, "The kmeans model holds a negative cluster size");
		total += m->sizes[j];
	}
	if (total != m->n)
		reader_corrupt(r, "The kmeans model's cluster sizes do not add up to its rows");
	m->cnorm = palloc(sizeof(double) * m->k);
	for (int j = 0; j < m->k; j++)
		m->cnorm[j] = cblas_ddot(m->d, m->centers + (Size) j * m->d, 1,
								 m->centers + (Size) j * m->d, 1);
	return m;
}

void
kmeans_describe(const void *decoded, StringInfo buf)
{
	const KmeansModel *m = decoded;

	json_append_int(buf, "k", m->k);
	json_append_int(buf, "features", m->d);
	json_append_int(buf, "rows", m->n);
	appendStringInfo(buf, ",\"standardize\":%s", m->standardize ? "true" : "false");
	json_append_int(buf, "n_init", m->n_init);
	json_append_int(buf, "seed", m->seed);
	json_append_int(buf, "iterations", m->iterations);
	appendStringInfo(buf, ",\"converged\":%s", m->converged ? "true" : "false");
	json_append_double(buf, "inertia", m->inertia);
	appendStringInfoString(buf, ",\"sizes\":[");
	for (int j = 0; j < m->k; j++)
		appendStringInfo(buf, "%s" INT64_FORMAT, j ? "," : "", m->sizes[j]);
	appendStringInfoChar(buf, ']');
}

/* ecomml.assign_cluster(model, features) -> the nearest center's number */
PG_FUNCTION_INFO_V1(assign_cluster);
Datum
assign_cluster(PG_FUNCTION_ARGS)
{
	const KmeansModel *m = model_cache_get(fcinfo, 0, MODEL_KMEANS, NULL);
	const double *x;
	double		zbuf[64];
	double	   *z;
	int			d,
				best = 0;
	double		bd = DBL_MAX;

	x = array_features(PG_GETARG_ARRAYTYPE_P(1), m->d, false, NULL, &d, "assign_cluster");
	z = d <= (int) lengthof(zbuf) ? zbuf : palloc(sizeof(double) * d);
	for (int j = 0; j < d; j++)
		z[j] = (x[j] - m->mean[j]) / m->scale[j];
	for (int c = 0; c < m->k; c++)
	{
		double		e = sqdist(z, m->centers + (Size) c * d, d);

		if (e < bd)
		{
			bd = e;
			best = c;
		}
	}
	PG_RETURN_INT32(best);
}

/* ecomml.cluster_centers(model) -> (cluster, center in input units, size) */
PG_FUNCTION_INFO_V1(cluster_centers);
Datum
cluster_centers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const KmeansModel *m = model_cache_get(fcinfo, 0, MODEL_KMEANS, NULL);
	Datum	   *elems = palloc(sizeof(Datum) * m->d);

	InitMaterializedSRF(fcinfo, 0);
	for (int c = 0; c < m->k; c++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		for (int j = 0; j < m->d; j++)
			elems[j] = Float8GetDatum(m->centers[(Size) c * m->d + j] * m->scale[j] + m->mean[j]);
		values[0] = Int32GetDatum(c);
		values[1] = PointerGetDatum(construct_array(elems, m->d, FLOAT8OID, sizeof(float8),
													FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[2] = Int64GetDatum(m->sizes[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
