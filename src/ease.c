/*
 * ease.c - EASE, the item x item closed-form recommender
 *
 * Steck, "Embarrassingly Shallow Autoencoders for Sparse Data" (WWW 2019):
 * with the Gram matrix G = X'X + lambda I of the user x item matrix X,
 * P = G^-1 and B = I - P diag(1 / diag(P)), i.e. B[i][j] = -P[i][j] / P[j][j]
 * off the diagonal and 0 on it.  A user's score for item j is x_u' B[:, j].
 *
 * G is built from the sparse rows (each user adds the outer product of its
 * row, upper triangle only), then one Cholesky factorization and inversion
 * (LAPACK dpotrf + dpotri from OpenBLAS) gives P.  B is stored as float4:
 * ranking needs no more, and it halves the model, so catalogs up to 16,000
 * items fit the 1 GB limit of a bytea value (in float8 only 11,500 would).
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "blas.h"
#include "heap.h"
#include "recs_model.h"

/* OpenBLAS exports LAPACK's Fortran entry points */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);

#define EASE_MAX_ITEMS 16000

/* Bytes of the encoded model, roughly: B, the seen rows and the id maps. */
static Size
ease_model_bytes(const RecData *d)
{
	return (Size) d->n_items * d->n_items * sizeof(float) +
		(Size) d->nnz * (sizeof(int32) + sizeof(double)) +
		(Size) (d->n_users + d->n_items + 2) * (sizeof(int64) * 2) + 4096;
}

/*
 * G = X'X + lambda I of d's training pairs: row-major, upper triangle
 * (i <= j at G[i n + j]), which column-major LAPACK reads as the lower one.
 */
static void
ease_gram(const RecData *d, double *G, double lambda)
{
	int			n = d->n_items;

	memset(G, 0, Max((Size) n * n, 1) * sizeof(double));
	for (int32 u = 0; u < d->n_users; u++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int64 a = d->uptr[u]; a < d->uptr[u + 1]; a++)
		{
			double	   *row = G + (Size) d->ucol[a] * n;
			double		va = d->uval[a];

			/* columns ascend within a row, so ucol[b] >= ucol[a] */
			for (int64 b = a; b < d->uptr[u + 1]; b++)
				row[d->ucol[b]] += va * d->uval[b];
		}
	}
	for (int i = 0; i < n; i++)
		G[(Size) i * n + i] += lambda;
}

/* P = G^-1 in place (same triangle) */
static void
ease_invert(double *G, int n)
{
	int			info = 0;

	dpotrf_("L", &n, G, &n, &info);
	if (info == 0)
	{
		CHECK_FOR_INTERRUPTS();
		dpotri_("L", &n, G, &n, &info);
	}
	if (info != 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("ease Gram matrix is not positive definite"),
				 errhint("Use a positive lambda.")));
	CHECK_FOR_INTERRUPTS();
}

/* lambda "auto": the validation split and the buffers of one ranking */
typedef struct EaseLambdaFit
{
	const RecData *split;
	double	   *G;				/* n x n work matrix */
	double	   *scores;			/* n */
	Heap	   *top;
	HeapItem   *ranked;			/* EASE_AUTO_TOP */
	int32		user_step;		/* rank every user_step-th validation user */
} EaseLambdaFit;

#define EASE_AUTO_LAMBDA0 100.0 /* first value tried (the fixed default) */
#define EASE_AUTO_FACTOR 4.0	/* a fit costs an items^3 inversion: coarse */
#define EASE_AUTO_STEPS 6		/* up to 409,600, down to 0.024 */
#define EASE_AUTO_USERS 20000	/* validation users ranked per value, at most */
#define EASE_AUTO_TOP 10		/* ndcg@10 */

/*
 * ndcg@10 of one user: rank the items the user has no training pair with by
 * x_u B, i.e. by -(x_u P)_j / P_jj (B's zero diagonal only touches seen
 * items), against the user's held-out items (binary gains).
 */
static double
ease_user_ndcg(EaseLambdaFit *f, int32 u, const int32 *rel, int64 nrel)
{
	const RecData *d = f->split;
	int			n = d->n_items;
	int64		seen = d->uptr[u];
	double		dcg = 0,
				idcg = 0;
	Size		got;

	memset(f->scores, 0, n * sizeof(double));
	for (int64 a = d->uptr[u]; a < d->uptr[u + 1]; a++)
		cblas_daxpy(n, d->uval[a], f->G + (Size) d->ucol[a] * n, 1, f->scores, 1);
	f->top->count = 0;
	for (int j = 0; j < n; j++)
	{
		if (seen < d->uptr[u + 1] && d->ucol[seen] == j)
		{
			seen++;
			continue;
		}
		heap_offer(f->top, EASE_AUTO_TOP, -f->scores[j] / f->G[(Size) j * n + j], j);
	}
	got = heap_drain_descending(f->top, f->ranked);
	for (Size r = 0; r < got; r++)
		for (int64 t = 0; t < nrel; t++)
			if (rel[t] == f->ranked[r].value)
				dcg += 1.0 / log2(r + 2.0);
	for (int64 r = 0; r < Min(nrel, EASE_AUTO_TOP); r++)
		idcg += 1.0 / log2(r + 2.0);
	return dcg / idcg;
}

/* One point of the validation curve: fit on the split, rank its users. */
static double
ease_fit_lambda(void *arg, double lambda, int *iters)
{
	EaseLambdaFit *f = arg;
	const RecData *d = f->split;
	int			n = d->n_items;
	double		sum = 0;
	int64		users = 0,
				candidates = 0;

	ease_gram(d, f->G, lambda);
	ease_invert(f->G, n);
	/* P is symmetric: mirror the upper triangle so that rows are whole */
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			f->G[(Size) j * n + i] = f->G[(Size) i * n + j];

	/* held-out pairs come grouped by user, users and items ascending */
	for (int64 v = 0; v < d->n_valid;)
	{
		int32		u = d->valid_user[v];
		int64		end = v;

		while (end < d->n_valid && d->valid_user[end] == u)
			end++;
		if (d->uptr[u + 1] > d->uptr[u] && candidates++ % f->user_step == 0)
		{
			CHECK_FOR_INTERRUPTS();
			sum += ease_user_ndcg(f, u, d->valid_item + v, end - v);
			users++;
		}
		v = end;
	}
	*iters = 0;
	ereport(NOTICE,
			(errmsg("ease lambda %g: validation ndcg@%d %.6f over %lld users",
					lambda, EASE_AUTO_TOP, users > 0 ? sum / users : 0.0, (long long) users)));
	/* no user to rank (every validation user lost all training pairs): no signal */
	return users > 0 ? sum / users : 0.0;
}

/*
 * lambda "auto": EASE fitted on 90 % of the training pairs with lambda 100,
 * 400, ... (or 25, 6.25, ...) while the ndcg@10 of the held-out pairs
 * improves, then the midpoints (x2) next to the best; returns the best
 * value, or the default when nothing can be held out.
 */
static double
ease_choose_lambda(RecModel *m, const RecData *d, double *G)
{
	static const LambdaGrid grid = {EASE_AUTO_LAMBDA0, EASE_AUTO_FACTOR, EASE_AUTO_STEPS, EASE_AUTO_STEPS};
	EaseLambdaFit f;
	int64		vusers = 0;
	int			best;

	f.split = interactions_split(d, REC_AUTO_HOLDOUT, m->opt.seed ^ INT64CONST(0x5eed1a3bda));
	/* held-out users that kept training pairs: only they can be ranked */
	for (int64 v = 0; v < f.split->n_valid; v++)
	{
		int32		u = f.split->valid_user[v];

		if ((v == 0 || u != f.split->valid_user[v - 1]) &&
			f.split->uptr[u + 1] > f.split->uptr[u])
			vusers++;
	}
	if (vusers == 0 || f.split->nnz == 0)
		return EASE_AUTO_LAMBDA0;	/* nothing to validate on: the default, no curve */
	f.G = G;
	f.scores = rec_alloc_doubles(d->n_items);
	f.top = heap_create(EASE_AUTO_TOP + 1);
	f.ranked = palloc((EASE_AUTO_TOP + 1) * sizeof(HeapItem));
	/* an upper bound on the users ranked; those without training pairs are skipped */
	f.user_step = (int32) Max(1, (vusers + EASE_AUTO_USERS - 1) / EASE_AUTO_USERS);
	best = rec_lambda_search(m, &grid, true, ease_fit_lambda, &f);	/* sets lambda_grid */
	return m->lambda_grid[best];
}

void
fit_ease(RecModel *m, const RecData *d)
{
	int			n = d->n_items;
	double	   *G;

	if (n > EASE_MAX_ITEMS || ease_model_bytes(d) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ease supports at most %d items and a 1 GB model, got %d items and %d users",
						EASE_MAX_ITEMS, n, d->n_users),
				 errdetail("The item x item weights alone take %.0f MB.",
						   (double) n * n * sizeof(float) / (1024.0 * 1024.0)),
				 errhint("Train on the most popular items only, or use train_als_implicit.")));

	G = MemoryContextAllocHuge(CurrentMemoryContext, Max((Size) n * n, 1) * sizeof(double));
	if (m->opt.lambda == REC_LAMBDA_AUTO)
		m->opt.lambda = ease_choose_lambda(m, d, G);
	ease_gram(d, G, m->opt.lambda);
	ease_invert(G, n);

	/* P(i, j) = G[min n + max]; B[i][j] = -P(i, j) / P(j, j) */
	m->B = MemoryContextAllocHuge(CurrentMemoryContext, Max((Size) n * n, 1) * sizeof(float));
	for (int i = 0; i < n; i++)
	{
		float	   *brow = m->B + (Size) i * n;

		for (int j = 0; j < n; j++)
		{
			double		p = i <= j ? G[(Size) i * n + j] : G[(Size) j * n + i];

			brow[j] = i == j ? 0.0f : (float) (-p / G[(Size) j * n + j]);
		}
	}
	pfree(G);
	m->n_iter = 0;
}

void
ease_write(const RecModel *m, ByteWriter *w)
{
	write_bytes(w, m->B, (Size) m->ni * m->ni * sizeof(float));
}

void
ease_read(RecModel *m, ByteReader *r)
{
	Size		n = (Size) m->ni * m->ni;

	if (m->ni > EASE_MAX_ITEMS || n > (r->len - r->pos) / sizeof(float))
		reader_corrupt(r, "The ease weights are truncated");
	m->B = MemoryContextAllocHuge(CurrentMemoryContext, Max(n, 1) * sizeof(float));
	read_bytes(r, m->B, n * sizeof(float));
	for (Size j = 0; j < n; j++)
		if (!isfinite(m->B[j]))
			reader_corrupt(r, "A model parameter is not finite");
}
