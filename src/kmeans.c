/*
 * kmeans.c - ecomml.train_kmeans(features float8[], options jsonb),
 * ecomml.assign_cluster(model, features), ecomml.cluster_centers(model)
 *
 * Lloyd's algorithm needs many passes over the rows, so the training state
 * keeps every row: one flat row-major double array (a huge allocation, 8 d
 * bytes per row).  Combining two states appends the rows.  The final function
 * sorts the rows lexicographically before anything random happens, so the
 * model depends on the set of rows and the seed only, never on the order in
 * which a serial scan or parallel workers delivered them: a parallel run gives
 * bit-for-bit the serial model.  Peak memory in the final function is about
 * twice the state (the sorted, centered copy), plus n doubles and ints.
 *
 * Initialization is greedy k-means++ (Arthur & Vassilvitskii 2007, with
 * 2 + floor(ln k) candidate draws per center as in scikit-learn).  Each Lloyd
 * iteration computes the squared distances of a block of rows to all centers
 * as |x|^2 - 2 x.c + |c|^2 with one dgemm per block.  Data are centered on the
 * column means (and divided by the population standard deviation with
 * {"standardize": true}) first, which keeps that expansion accurate.
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

#define KMEANS_BLOCK 256
#define KMEANS_MAX_K 10000

typedef struct KmeansState
{
	int32		d;				/* feature count, 0 until the first row */
	int64		n;				/* rows kept */
	int64		cap;			/* rows allocated */
	double	   *x;				/* n * d, row-major */
	/* options */
	int32		k;
	int32		max_iter;
	int32		n_init;
	int64		seed;
	double		tol;
	bool		standardize;
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

static void
kmeans_reserve(KmeansState *s, int64 extra, MemoryContext cxt)
{
	int64		need = s->n + extra;
	int64		cap;

	if (need <= s->cap)
		return;
	cap = Max(need, Max(s->cap * 2, 256));
	if ((double) cap * s->d * sizeof(double) > (double) (SIZE_MAX / 4))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("kmeans training state cannot hold " INT64_FORMAT " rows", need)));
	if (s->x == NULL)
		s->x = MemoryContextAllocHuge(cxt, (Size) cap * s->d * sizeof(double));
	else
		s->x = repalloc_huge(s->x, (Size) cap * s->d * sizeof(double));
	s->cap = cap;
}

static void
kmeans_write(const void *data, ByteWriter *w)
{
	const KmeansState *s = data;

	write_i32(w, s->d);
	write_i32(w, s->k);
	write_i32(w, s->max_iter);
	write_i32(w, s->n_init);
	write_i64(w, s->seed);
	write_f64(w, s->tol);
	write_u8(w, s->standardize);
	write_i64(w, s->n);
	write_f64_array(w, s->x, (Size) s->n * s->d);
}

static void *
kmeans_read(ByteReader *r)
{
	KmeansState *s = palloc0(sizeof(KmeansState));
	int64		n;

	s->d = read_i32(r);
	s->k = read_i32(r);
	s->max_iter = read_i32(r);
	s->n_init = read_i32(r);
	s->seed = read_i64(r);
	s->tol = read_f64(r);
	s->standardize = read_u8(r) != 0;
	if (s->d < 0 || s->d > FEATURES_MAX || s->k < 1 || s->k > KMEANS_MAX_K ||
		s->max_iter < 1 || s->n_init < 1 || !(s->tol >= 0) || !isfinite(s->tol))
		reader_corrupt(r, "The kmeans state holds impossible values");
	n = read_count(r, PG_INT64_MAX / 2, (Size) Max(s->d, 1) * sizeof(double));
	if (s->d == 0 && n != 0)
		reader_corrupt(r, "The kmeans state holds impossible counts");
	if (n > 0)
	{
		kmeans_reserve(s, n, CurrentMemoryContext);
		read_bytes(r, s->x, (Size) n * s->d * sizeof(double));
	}
	s->n = n;
	return s;
}

static void
kmeans_combine(void *into, const void *from)
{
	KmeansState *a = into;
	const KmeansState *b = from;

	if (b->n == 0)
		return;
	if (a->d == 0)
		a->d = b->d;
	if (b->d != a->d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("train_kmeans features have %d elements, expected %d", b->d, a->d),
				 errdetail("Every row's feature array must have the length of the first one.")));
	kmeans_reserve(a, b->n, CurrentMemoryContext);
	memcpy(a->x + (Size) a->n * a->d, b->x, (Size) b->n * b->d * sizeof(double));
	a->n += b->n;
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
	const double *x;
	int			d;

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
	x = array_features(PG_GETARG_ARRAYTYPE_P(1), s->d, false, NULL, &d, "train_kmeans");
	if (s->d == 0)
		s->d = d;
	kmeans_reserve(s, 1, st->hdr.eoh_context);
	memcpy(s->x + (Size) s->n * d, x, sizeof(double) * d);
	s->n++;
	PG_RETURN_AGG_STATE(st);
}

/* Training */

typedef struct Fit
{
	int64		n;
	int			d;
	int			k;
	const double *z;			/* n * d, sorted, centered, scaled */
	double	   *znorm;			/* |z_i|^2 */
	double	   *g;				/* KMEANS_BLOCK * k */
	double	   *cnorm;			/* k */
	double	   *dist;			/* n: squared distance to the assigned center */
	int32	   *label;			/* n */
} Fit;

static int
cmp_rows(const void *a, const void *b, void *arg)
{
	const KmeansState *s = arg;
	const double *ra = s->x + (Size) (*(const int64 *) a) * s->d;
	const double *rb = s->x + (Size) (*(const int64 *) b) * s->d;

	for (int j = 0; j < s->d; j++)
	{
		if (ra[j] < rb[j])
			return -1;
		if (ra[j] > rb[j])
			return 1;
	}
	return 0;
}

static inline double
sqdist(const double *a, const double *b, int d)
{
	double		t = 0;

	for (int j = 0; j < d; j++)
	{
		double		e = a[j] - b[j];

		t += e * e;
	}
	return t;
}

/* Greedy k-means++ seeding into c (k * d). */
static void
kmeanspp(Fit *f, Rng *rng, double *c)
{
	int64		n = f->n;
	int			d = f->d;
	int			trials = 2 + (int) floor(log((double) f->k));
	double	   *closest = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *cum = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *best_d = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *cand_d = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	int64		first = (int64) rng_below(rng, (uint64) n);
	double		pot = 0;

	memcpy(c, f->z + (Size) first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		closest[i] = sqdist(f->z + (Size) i * d, c, d);
		pot += closest[i];
	}
	for (int ci = 1; ci < f->k; ci++)
	{
		int64		best_id = -1;
		double		best_pot = DBL_MAX;
		double		acc = 0;

		CHECK_FOR_INTERRUPTS();
		for (int64 i = 0; i < n; i++)
		{
			acc += closest[i];
			cum[i] = acc;
		}
		for (int t = 0; t < trials; t++)
		{
			double		target = rng_uniform(rng) * acc;
			int64		lo = 0,
						hi = n - 1;
			int64		id;
			double		p = 0;

			/* first index with cum > target (all-zero potential: index 0) */
			while (lo < hi)
			{
				int64		mid = lo + (hi - lo) / 2;

				if (cum[mid] > target)
					hi = mid;
				else
					lo = mid + 1;
			}
			id = lo;
			for (int64 i = 0; i < n; i++)
			{
				double		e = sqdist(f->z + (Size) i * d, f->z + (Size) id * d, d);

				cand_d[i] = Min(e, closest[i]);
				p += cand_d[i];
			}
			if (p < best_pot)
			{
				double	   *tmp = best_d;

				best_pot = p;
				best_id = id;
				best_d = cand_d;
				cand_d = tmp;
			}
		}
		memcpy(c + (Size) ci * d, f->z + (Size) best_id * d, sizeof(double) * d);
		{
			double	   *tmp = closest;

			closest = best_d;
			best_d = tmp;
		}
		pot = best_pot;
	}
	(void) pot;
	pfree(closest);
	pfree(cum);
	pfree(best_d);
	pfree(cand_d);
}

/*
 * Assign every row to its nearest center (ties: lowest index), filling
 * f->label and f->dist; returns the number of labels that changed.
 */
static int64
assign_all(Fit *f, const double *c)
{
	int			d = f->d,
				k = f->k;
	int64		changed = 0;

	for (int j = 0; j < k; j++)
		f->cnorm[j] = cblas_ddot(d, c + (Size) j * d, 1, c + (Size) j * d, 1);
	for (int64 start = 0; start < f->n; start += KMEANS_BLOCK)
	{
		int			b = (int) Min((int64) KMEANS_BLOCK, f->n - start);

		CHECK_FOR_INTERRUPTS();
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, k, d, 1.0,
					f->z + (Size) start * d, d, c, d, 0.0, f->g, k);
		for (int i = 0; i < b; i++)
		{
			const double *gi = f->g + (Size) i * k;
			int			best = 0;
			double		bd = f->cnorm[0] - 2 * gi[0];

			for (int j = 1; j < k; j++)
			{
				double		e = f->cnorm[j] - 2 * gi[j];

				if (e < bd)
				{
					bd = e;
					best = j;
				}
			}
			if (f->label[start + i] != best)
				changed++;
			f->label[start + i] = best;
			f->dist[start + i] = Max(bd + f->znorm[start + i], 0.0);
		}
	}
	return changed;
}

/* One Lloyd run from the centers in c; returns the inertia. */
static double
lloyd(Fit *f, double *c, int max_iter, double tol_abs, int *iter_out, bool *conv_out)
{
	int			d = f->d,
				k = f->k;
	double	   *sum = palloc(sizeof(double) * k * d);
	int64	   *cnt = palloc(sizeof(int64) * k);
	int			it;
	bool		converged = false;
	double		inertia = 0;

	for (int64 i = 0; i < f->n; i++)
		f->label[i] = -1;
	for (it = 1; it <= max_iter; it++)
	{
		int64		changed = assign_all(f, c);
		double		shift = 0;

		if (it > 1 && changed == 0)
		{
			converged = true;
			it--;
			break;
		}
		memset(sum, 0, sizeof(double) * k * d);
		memset(cnt, 0, sizeof(int64) * k);
		for (int64 i = 0; i < f->n; i++)
		{
			double	   *sj = sum + (Size) f->label[i] * d;
			const double *zi = f->z + (Size) i * d;

			cnt[f->label[i]]++;
			for (int j = 0; j < d; j++)
				sj[j] += zi[j];
		}
		for (int j = 0; j < k; j++)
		{
			double	   *cj = c + (Size) j * d;

			if (cnt[j] == 0)
			{
				/* empty cluster: move it to the row farthest from its center */
				int64		far = 0;

				for (int64 i = 1; i < f->n; i++)
					if (f->dist[i] > f->dist[far])
						far = i;
				f->dist[far] = 0;
				shift += sqdist(cj, f->z + (Size) far * d, d);
				memcpy(cj, f->z + (Size) far * d, sizeof(double) * d);
				continue;
			}
			for (int m = 0; m < d; m++)
			{
				double		v = sum[(Size) j * d + m] / cnt[j];
				double		e = v - cj[m];

				shift += e * e;
				cj[m] = v;
			}
		}
		if (shift <= tol_abs)
		{
			converged = true;
			break;
		}
	}
	if (it > max_iter)
		it = max_iter;
	/* final assignment to the final centers; exact inertia */
	assign_all(f, c);
	for (int64 i = 0; i < f->n; i++)
		inertia += sqdist(f->z + (Size) i * d, c + (Size) f->label[i] * d, d);
	*iter_out = it;
	*conv_out = converged;
	pfree(sum);
	pfree(cnt);
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

PG_FUNCTION_INFO_V1(train_kmeans_finalfn);
Datum
train_kmeans_finalfn(PG_FUNCTION_ARGS)
{
	const KmeansState *s = train_state_get_data(fcinfo, 0, &kmeans_state_ops);
	Fit			f;
	int64	   *perm;
	double	   *z;
	double	   *mean,
			   *scale,
			   *c,
			   *best_c;
	int64	   *sizes;
	double		best_inertia = DBL_MAX,
				tol_abs = 0;
	int			best_iter = 0,
				d;
	bool		best_conv = false;
	Rng			rng;
	ClusterOrder *order;
	ByteWriter	w;

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a kmeans model on zero rows"),
				 errdetail("Every feature array was NULL, or there were no rows.")));
	if (s->n < s->k)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot find %d clusters in " INT64_FORMAT " rows", s->k, s->n),
				 errhint("Lower option \"k\" to at most the number of rows.")));
	d = s->d;
	blas_begin(0);

	/* rows in sorted order, so that nothing below depends on the input order */
	perm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * s->n);
	for (int64 i = 0; i < s->n; i++)
		perm[i] = i;
	qsort_arg(perm, s->n, sizeof(int64), cmp_rows, (void *) s);
	z = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->n * d);
	for (int64 i = 0; i < s->n; i++)
		memcpy(z + (Size) i * d, s->x + (Size) perm[i] * d, sizeof(double) * d);
	pfree(perm);

	/* column means and scales; then center and scale z in place */
	mean = palloc0(sizeof(double) * d);
	scale = palloc(sizeof(double) * d);
	for (int64 i = 0; i < s->n; i++)
		for (int j = 0; j < d; j++)
			mean[j] += z[(Size) i * d + j];
	for (int j = 0; j < d; j++)
		mean[j] /= s->n;
	for (int j = 0; j < d; j++)
	{
		double		v = 0;

		for (int64 i = 0; i < s->n; i++)
		{
			double		e = z[(Size) i * d + j] - mean[j];

			v += e * e;
		}
		v /= s->n;
		scale[j] = (s->standardize && v > 0) ? sqrt(v) : 1.0;
		tol_abs += v / (scale[j] * scale[j]);	/* variance after scaling */
	}
	/* as scikit-learn: tol relative to the mean variance of the features */
	tol_abs = s->tol * tol_abs / d;
	for (int64 i = 0; i < s->n; i++)
		for (int j = 0; j < d; j++)
			z[(Size) i * d + j] = (z[(Size) i * d + j] - mean[j]) / scale[j];

	f.n = s->n;
	f.d = d;
	f.k = s->k;
	f.z = z;
	f.znorm = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->n);
	f.dist = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * s->n);
	f.label = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * s->n);
	f.g = palloc(sizeof(double) * KMEANS_BLOCK * s->k);
	f.cnorm = palloc(sizeof(double) * s->k);
	for (int64 i = 0; i < s->n; i++)
		f.znorm[i] = cblas_ddot(d, z + (Size) i * d, 1, z + (Size) i * d, 1);

	c = palloc(sizeof(double) * s->k * d);
	best_c = palloc(sizeof(double) * s->k * d);
	sizes = palloc0(sizeof(int64) * s->k);
	rng_seed(&rng, (uint64) s->seed);
	for (int r = 0; r < s->n_init; r++)
	{
		int			iter;
		bool		conv;
		double		inertia;

		kmeanspp(&f, &rng, c);
		inertia = lloyd(&f, c, s->max_iter, tol_abs, &iter, &conv);
		if (inertia < best_inertia)
		{
			best_inertia = inertia;
			best_iter = iter;
			best_conv = conv;
			memcpy(best_c, c, sizeof(double) * s->k * d);
		}
	}
	/* sizes under the best centers */
	assign_all(&f, best_c);
	for (int64 i = 0; i < s->n; i++)
		sizes[f.label[i]]++;

	order = palloc(sizeof(ClusterOrder) * s->k);
	for (int j = 0; j < s->k; j++)
	{
		order[j].idx = j;
		order[j].size = sizes[j];
		order[j].center = best_c + (Size) j * d;
		order[j].d = d;
	}
	qsort(order, s->k, sizeof(ClusterOrder), cmp_clusters);

	writer_init(&w, 128 + sizeof(double) * (2 * d + (Size) s->k * d) + sizeof(int64) * s->k);
	write_i32(&w, d);
	write_i32(&w, s->k);
	write_u8(&w, s->standardize);
	write_i64(&w, s->n);
	write_i32(&w, s->n_init);
	write_i64(&w, s->seed);
	write_i32(&w, best_iter);
	write_u8(&w, best_conv);
	write_f64(&w, best_inertia);
	write_f64_array(&w, mean, d);
	write_f64_array(&w, scale, d);
	for (int j = 0; j < s->k; j++)
		write_f64_array(&w, order[j].center, d);
	for (int j = 0; j < s->k; j++)
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
