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

void
fit_ease(RecModel *m, const RecData *d)
{
	int			n = d->n_items;
	double	   *G;
	int			info = 0;
	double		lambda = m->opt.lambda;

	if (n > EASE_MAX_ITEMS || ease_model_bytes(d) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ease supports at most %d items and a 1 GB model, got %d items and %d users",
						EASE_MAX_ITEMS, n, d->n_users),
				 errdetail("The item x item weights alone take %.0f MB.",
						   (double) n * n * sizeof(float) / (1024.0 * 1024.0)),
				 errhint("Train on the most popular items only, or use train_als_implicit.")));

	/*
	 * G row-major, upper triangle (i <= j at G[i n + j]): for column-major
	 * LAPACK that is the lower triangle.
	 */
	G = MemoryContextAllocHuge(CurrentMemoryContext, Max((Size) n * n, 1) * sizeof(double));
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
