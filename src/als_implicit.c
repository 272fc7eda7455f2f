/*
 * als_implicit.c - implicit-feedback ALS training (Hu, Koren & Volinsky 2008)
 *
 * Confidence c = 1 + alpha w, preference [w > 0].  Each half-iteration
 * updates every row x of one side against the fixed other side Y by a few
 * conjugate-gradient steps on (Y'Y + lambda I + Y'(C - I)Y) x = Y'C p,
 * warm-started from the previous x (Takacs, Pilaszy & Tikk 2011), so the
 * k x k system is never formed.
 *
 * Where the time goes, and what this file does about it:
 * - G = Y'Y + lambda I is computed once per half-iteration (dsyrk).
 * - The G x products of all rows are the k^2 part of the work.  Rows run
 *   in blocks of ALS_BLOCK in lockstep, so G times a block of residuals or
 *   search directions is one dgemm (near peak flops) instead of one dsymv
 *   per row and step (memory bound, call overhead).
 * - The sparse correction Y'(C - I)Y p walks the row's CSR entries once per
 *   step with fused, inlined dot/axpy loops over contiguous rows of Y
 *   (row-major n x k), where OpenBLAS level-1 calls on 64-long vectors
 *   cost more in dispatch than in arithmetic.
 * - Threads (blas_threads) claim blocks of rows one at a time from a shared
 *   counter, for the half-iterations and for the loss alike; OpenBLAS runs
 *   single-threaded inside each block (its lock is not a bottleneck: < 0.5 %
 *   of the samples under perf).
 * Factors and kernels are single precision (as in `implicit`); the model
 * stores them as double, so its format is unchanged.
 */
#include "postgres.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "blas.h"
#include "recs_model.h"
#include "rng.h"
#include "vec.h"

#define ALS_BLOCK 128
#define ALS_MAX_THREADS 64
#define CG_EPS 1e-20

/*
 * Kernels on k-vectors, written with GCC vector types so that they vectorize
 * at the -O2 PostgreSQL builds with; on x86-64 GCC the CG code is also cloned
 * for x86-64-v3 CPUs (AVX2 + FMA) and picked at load time, the baseline
 * clone keeps running anywhere.
 */
typedef float v8f __attribute__((vector_size(32), aligned(4)));

static inline float
dot_k(const float *restrict a, const float *restrict b, int k)
{
	v8f			s0 = {0},
				s1 = {0};
	float		s = 0;
	int			d = 0;

	for (; d + 16 <= k; d += 16)
	{
		s0 += *(const v8f *) (a + d) * *(const v8f *) (b + d);
		s1 += *(const v8f *) (a + d + 8) * *(const v8f *) (b + d + 8);
	}
	s0 += s1;
	for (int l = 0; l < 8; l++)
		s += s0[l];
	for (; d < k; d++)
		s += a[d] * b[d];
	return s;
}

static inline void
axpy_k(float a, const float *restrict x, float *restrict y, int k)
{
	v8f			av = {a, a, a, a, a, a, a, a};
	int			d = 0;

	for (; d + 8 <= k; d += 8)
		*(v8f *) (y + d) += av * *(const v8f *) (x + d);
	for (; d < k; d++)
		y[d] += a * x[d];
}

/* Rows of Y are random accesses: ask for the row two entries ahead early. */
static inline void
prefetch_row(const float *y, int k)
{
	for (int d = 0; d < k; d += 16)
		__builtin_prefetch(y + d);
}

/* Scratch of one block: residuals, directions, products, per-row scalars. */
typedef struct CgBlock
{
	float	   *R;				/* ALS_BLOCK x k */
	float	   *Pd;
	float	   *AP;
	float		rs[ALS_BLOCK];
	bool		active[ALS_BLOCK];
} CgBlock;

/*
 * Rows [u0, u0 + nb) of X: cg_steps CG steps each, in lockstep.  G is
 * symmetric, so row-major X_blk G is what a column-major G X_blk' gives.
 */
VEC_CLONES static void
cg_block(int32 u0, int nb, const int64 *ptr, const int32 *idx, const double *val,
		 float *X, const float *Y, const float *G, int k, double alpha, int steps,
		 CgBlock *b)
{
	float	   *Xb = X + (Size) u0 * k;

	/* r = Y'C p - (G + Y'(C - I)Y) x */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, k, k, -1.0, Xb, k, G, k,
				0.0, b->R, k);
	for (int j = 0; j < nb; j++)
	{
		int32		u = u0 + j;
		float	   *x = Xb + (Size) j * k;
		float	   *r = b->R + (Size) j * k;

		b->active[j] = ptr[u + 1] > ptr[u];
		if (!b->active[j])
		{
			/* no interactions: the minimizer is 0 */
			memset(x, 0, k * sizeof(float));
			memset(b->Pd + (Size) j * k, 0, k * sizeof(float));
			continue;
		}
		for (int64 e = ptr[u]; e < ptr[u + 1]; e++)
		{
			const float *y = Y + (Size) idx[e] * k;
			float		c = 1.0 + alpha * val[e];
			float		pref = val[e] > 0 ? 1.0 : 0.0;

			if (e + 2 < ptr[u + 1])
				prefetch_row(Y + (Size) idx[e + 2] * k, k);
			axpy_k(c * pref - (c - 1.0) * dot_k(y, x, k), y, r, k);
		}
		memcpy(b->Pd + (Size) j * k, r, k * sizeof(float));
		b->rs[j] = dot_k(r, r, k);
		if (b->rs[j] < CG_EPS)
			b->active[j] = false;
	}
	for (int step = 0; step < steps; step++)
	{
		bool		any = false;

		for (int j = 0; j < nb; j++)
			any |= b->active[j];
		if (!any)
			break;
		/* inactive rows carry p = 0 or a finished p: their AP is unused */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, k, k, 1.0, b->Pd, k, G, k,
					0.0, b->AP, k);
		for (int j = 0; j < nb; j++)
		{
			int32		u = u0 + j;
			float	   *x = Xb + (Size) j * k;
			float	   *r = b->R + (Size) j * k;
			float	   *p = b->Pd + (Size) j * k;
			float	   *ap = b->AP + (Size) j * k;
			float		pAp,
						a,
						rsnew;

			if (!b->active[j])
				continue;
			for (int64 e = ptr[u]; e < ptr[u + 1]; e++)
			{
				const float *y = Y + (Size) idx[e] * k;

				if (e + 2 < ptr[u + 1])
					prefetch_row(Y + (Size) idx[e + 2] * k, k);
				axpy_k(alpha * val[e] * dot_k(y, p, k), y, ap, k);
			}
			pAp = dot_k(p, ap, k);
			if (!(pAp > 0))
			{
				b->active[j] = false;
				continue;
			}
			a = b->rs[j] / pAp;
			axpy_k(a, p, x, k);
			axpy_k(-a, ap, r, k);
			rsnew = dot_k(r, r, k);
			if (rsnew < CG_EPS)
			{
				b->active[j] = false;
				continue;
			}
			for (int d = 0; d < k; d++)
				p[d] = r[d] + (rsnew / b->rs[j]) * p[d];
			b->rs[j] = rsnew;
		}
	}
}

/*
 * Rows shared by the threads of one pass (a half-iteration, or the loss):
 * each thread claims the next block of ALS_BLOCK rows from "next" and runs
 * "block" on it until none is left.
 */
typedef struct CgWork CgWork;
typedef void (*BlockFn) (CgWork *w, int32 u0, int nb, CgBlock *b);

struct CgWork
{
	BlockFn		block;
	int32		nrows;
	const int64 *ptr;
	const int32 *idx;
	const double *val;
	float	   *X;
	const float *Y;
	const float *G;
	int			k;
	double		alpha;
	int			steps;
	int32		next;			/* first row of the first unclaimed block */
	volatile bool stop;			/* set by the backend's thread on an interrupt */
	double	   *partial;		/* loss: one sum per block */
};

/* One thread: its scratch and the shared rows. */
typedef struct CgTask
{
	CgWork	   *w;
	CgBlock		b;
	pthread_t	thread;
	bool		started;
} CgTask;

/*
 * Claims and runs one block; false when no block is left.  Blocks start at
 * multiples of ALS_BLOCK whoever claims them, so neither a row's update nor
 * the loss depends on the number of threads.
 */
static bool
claim_block(CgWork *w, CgBlock *b)
{
	int32		u0 = __atomic_fetch_add(&w->next, ALS_BLOCK, __ATOMIC_RELAXED);

	if (u0 >= w->nrows)
		return false;
	w->block(w, u0, Min(ALS_BLOCK, w->nrows - u0), b);
	return true;
}

static void
cg_block_fn(CgWork *w, int32 u0, int nb, CgBlock *b)
{
	cg_block(u0, nb, w->ptr, w->idx, w->val, w->X, w->Y, w->G, w->k, w->alpha, w->steps, b);
}

/*
 * The interaction part of the loss of users [u0, u0 + nb) (X = P, Y = Q),
 * into the block's own partial sum.
 */
VEC_CLONES static void
loss_block_fn(CgWork *w, int32 u0, int nb, CgBlock *b)
{
	double		total = 0;

	for (int32 u = u0; u < u0 + nb; u++)
	{
		const float *x = w->X + (Size) u * w->k;

		for (int64 j = w->ptr[u]; j < w->ptr[u + 1]; j++)
		{
			double		s = dot_k(w->Y + (Size) w->idx[j] * w->k, x, w->k);
			double		c = 1.0 + w->alpha * w->val[j];
			double		pref = w->val[j] > 0 ? 1.0 : 0.0;

			total += (c - 1.0) * s * s - 2.0 * c * pref * s + c * pref;
		}
	}
	w->partial[u0 / ALS_BLOCK] = total;
}

/*
 * Runs in a worker thread: pure arithmetic on memory the backend allocated
 * before and frees only after joining; no palloc, no ereport, no signals.
 */
static void *
cg_task_run(void *arg)
{
	CgTask	   *t = arg;

	while (!t->w->stop && claim_block(t->w, &t->b))
		;
	return NULL;
}

/*
 * Runs w's blocks on nthreads threads.  The threads claim blocks one at a
 * time (rows differ widely in cost: a static split by a guessed cost left
 * one thread idle for a third of each half-iteration); the backend's thread
 * takes part and polls for interrupts between its blocks, and every thread
 * is joined before an interrupt can raise an error.
 */
static void
run_blocks(CgWork *w, CgTask *tasks, int nthreads)
{
	sigset_t	all,
				saved;

	for (int t = 0; t < nthreads; t++)
	{
		tasks[t].w = w;
		tasks[t].started = false;
	}
	/* workers block every signal: the backend's handlers belong to its thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	for (int t = 1; t < nthreads && w->nrows > ALS_BLOCK; t++)
		tasks[t].started = pthread_create(&tasks[t].thread, NULL, cg_task_run, &tasks[t]) == 0;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	while (!INTERRUPTS_PENDING_CONDITION() && claim_block(w, &tasks[0].b))
		;
	w->stop = true;
	for (int t = 1; t < nthreads; t++)
		if (tasks[t].started)
			pthread_join(tasks[t].thread, NULL);

	/*
	 * Every thread has ended, each after finishing the block it claimed: an
	 * interrupt may now raise its error.  If it does not (not every pending
	 * interrupt cancels), finish the unclaimed blocks here, so that every
	 * row is done.
	 */
	do
		CHECK_FOR_INTERRUPTS();
	while (claim_block(w, &tasks[0].b));
}

/* Update every row of X against the fixed Y. */
static void
cg_update(int32 nrows, const int64 *ptr, const int32 *idx, const double *val,
		  float *X, const float *Y, int32 ny, int k, double lambda, double alpha,
		  int steps, float *G, CgTask *tasks, int nthreads)
{
	CgWork		w = {cg_block_fn, nrows, ptr, idx, val, X, Y, G, k, alpha, steps, 0, false, NULL};

	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, ny, 1.0, Y, k, 0.0, G, k);
	for (int i = 0; i < k; i++)
	{
		G[i * k + i] += lambda;
		for (int j = 0; j < i; j++)
			G[i * k + j] = G[j * k + i];	/* full matrix for sgemm */
	}
	run_blocks(&w, tasks, nthreads);
}

static float *
alloc_floats(Size n)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(n, 1) * sizeof(float));
}

void
fit_als_implicit(RecModel *m, const RecData *d)
{
	int			k = m->k;
	float	   *G = alloc_floats((Size) k * k);
	float	   *Gp = alloc_floats((Size) k * k);
	float	   *P = alloc_floats((Size) m->nu * k);
	float	   *Q = alloc_floats((Size) m->ni * k);
	double		lambda = m->opt.lambda,
				alpha = m->opt.alpha,
				extra_conf = 0;
	int			nthreads = Min(m->opt.blas_threads > 0 ? m->opt.blas_threads : ecomml_blas_threads,
							   ALS_MAX_THREADS);
	CgTask	   *tasks = palloc0(Max(nthreads, 1) * sizeof(CgTask));
	int32		loss_blocks = (d->n_users + ALS_BLOCK - 1) / ALS_BLOCK;
	double	   *loss_partial = rec_alloc_doubles(Max(loss_blocks, 1));
	Rng			rng;

	nthreads = Max(nthreads, 1);
	for (int t = 0; t < nthreads; t++)
	{
		tasks[t].b.R = alloc_floats((Size) ALS_BLOCK * k);
		tasks[t].b.Pd = alloc_floats((Size) ALS_BLOCK * k);
		tasks[t].b.AP = alloc_floats((Size) ALS_BLOCK * k);
	}
	/* the row loops are threaded here; OpenBLAS inside them must not be */
	blas_begin(1);
	rng_seed(&rng, (uint64) m->opt.seed);
	for (Size i = 0; i < (Size) m->nu * k; i++)
		P[i] = (float) (rng_normal(&rng) * 0.01);
	for (Size i = 0; i < (Size) m->ni * k; i++)
		Q[i] = (float) (rng_normal(&rng) * 0.01);
	m->loss = rec_alloc_doubles(m->opt.iterations);
	m->train_rmse = rec_alloc_doubles(m->opt.iterations);
	m->valid_rmse = rec_alloc_doubles(m->opt.iterations);
	m->n_iter = 0;
	for (int64 j = 0; j < d->nnz; j++)
		extra_conf += alpha * d->uval[j];

	for (int it = 0; it < m->opt.iterations; it++)
	{
		double		total = 0,
					reg = 0;
		CgWork		loss = {loss_block_fn, d->n_users, d->uptr, d->ucol, d->uval, P, Q, NULL, k,
							alpha, 0, 0, false, loss_partial};

		cg_update(d->n_users, d->uptr, d->ucol, d->uval, P, Q, m->ni, k, lambda, alpha,
				  m->opt.cg_steps, G, tasks, nthreads);
		cg_update(d->n_items, d->iptr, d->irow, d->ival, Q, P, m->nu, k, lambda, alpha,
				  m->opt.cg_steps, G, tasks, nthreads);

		/*
		 * Weighted squared error over all user x item cells: the dense part
		 * sum_u x_u'Q'Q x_u = <Q'Q, P'P> (two syrk), plus a correction per
		 * interaction.
		 */
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, m->ni, 1.0f, Q, k, 0.0f, G, k);
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, m->nu, 1.0f, P, k, 0.0f, Gp, k);
		for (int a = 0; a < k; a++)
		{
			reg += (double) G[a * k + a] + Gp[a * k + a];
			for (int c = a; c < k; c++)
				total += (a == c ? 1.0 : 2.0) * G[a * k + c] * Gp[a * k + c];
		}
		run_blocks(&loss, tasks, nthreads);
		for (int32 b = 0; b < loss_blocks; b++)
			total += loss.partial[b];
		m->loss[it] = (total + lambda * reg) / ((double) m->nu * m->ni + extra_conf);
		m->train_rmse[it] = NAN;
		m->valid_rmse[it] = NAN;
		m->n_iter = it + 1;
		ereport(NOTICE,
				(errmsg("als_implicit iteration %d of %d: loss %.8f",
						it + 1, m->opt.iterations, m->loss[it])));
	}
	m->P = rec_alloc_doubles((Size) m->nu * k);
	m->Q = rec_alloc_doubles((Size) m->ni * k);
	for (Size i = 0; i < (Size) m->nu * k; i++)
		m->P[i] = P[i];
	for (Size i = 0; i < (Size) m->ni * k; i++)
		m->Q[i] = Q[i];
	pfree(P);
	pfree(Q);
}
