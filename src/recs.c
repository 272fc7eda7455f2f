/*
 * recs.c - recommender models: training, encoding and serving
 *
 * Explicit ALS: biased matrix factorization r = mu + b_u + b_i + p_u.q_i,
 * alternating exact least-squares solves per user and per item with the bias
 * folded in as a (k+1)-th factor, regularized by lambda times the row's
 * number of ratings (weighted-lambda, Zhou et al. 2008); each solve is a
 * Cholesky factorization of a (k+1) x (k+1) matrix built with dsyrk.
 *
 * Implicit ALS: Hu, Koren & Volinsky 2008 with confidence 1 + alpha * w and
 * preference w > 0; each row is updated by a few conjugate-gradient steps
 * started from the previous factors, using the precomputed Y'Y (Takacs,
 * Pilaszy & Tikk 2011), so an iteration is O(nnz k + (users + items) k^2
 * cg_steps).
 *
 * Item kNN: cosine similarity of the items' user vectors (optionally TF-IDF
 * or BM25 weighted), keeping the top neighbors per item; a user's score for
 * an item is the sum over the user's items of weight * similarity.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "blas.h"
#include "heap.h"
#include "interactions.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "recs.h"
#include "rng.h"

#define MAX_FACTORS 1024
#define CG_EPS 1e-20

/* The decoded model of every recommender kind. */
typedef struct RecModel
{
	int			kind;
	RecOptions	opt;
	int64		rows;			/* non-NULL input rows */
	int64		skipped;		/* rows skipped for a NULL */
	int64		nnz;			/* distinct pairs trained on */
	int64		n_valid;		/* distinct pairs held out */
	double		mu;				/* mean training rating (explicit) */
	double		r_max;			/* largest training value */
	int32		nu;
	int32		ni;
	int32		k;				/* factors; 0 for kNN */
	IdMap	   *users;
	IdMap	   *items;
	/* seen items per user (CSR, columns ascending); values kept for kNN */
	int64	   *sptr;
	int32	   *scol;
	double	   *sval;
	/* factors (ALS) */
	double	   *P;				/* nu x k */
	double	   *Q;				/* ni x k */
	double	   *bu;				/* explicit only */
	double	   *bi;
	/* neighbors (kNN), per item sorted by similarity descending */
	int64	   *nptr;
	int32	   *ncol;
	double	   *nsim;
	/* training history */
	int32		n_iter;
	double	   *loss;
	double	   *train_rmse;
	double	   *valid_rmse;
	/* derived at decode time */
	double	   *qnorm;			/* item factor norms (ALS) */
	double	   *YtY;			/* Q'Q (implicit), k x k */
} RecModel;

static const char *const als_options[] = {
	"factors", "iterations", "lambda", "seed", "validation", "blas_threads", NULL
};
static const char *const als_implicit_options[] = {
	"factors", "iterations", "lambda", "alpha", "cg_steps", "seed", "blas_threads", NULL
};
static const char *const item_knn_options[] = {
	"neighbors", "weighting", "bm25_k1", "bm25_b", NULL
};
static const char *const weighting_choices[] = {"none", "tfidf", "bm25", NULL};

const TrainStateOps als_state_ops = {
	MODEL_ALS, rec_state_write, rec_state_read, rec_state_combine
};
const TrainStateOps als_implicit_state_ops = {
	MODEL_ALS_IMPLICIT, rec_state_write, rec_state_read, rec_state_combine
};
const TrainStateOps item_knn_state_ops = {
	MODEL_ITEM_KNN, rec_state_write, rec_state_read, rec_state_combine
};

/* ------------------------------------------------------------------------
 * Transition
 * ------------------------------------------------------------------------ */

static void
parse_options(Jsonb *opts, int kind, RecOptions *o)
{
	memset(o, 0, sizeof(RecOptions));
	o->bm25_k1 = 100.0;
	o->bm25_b = 0.8;
	switch (kind)
	{
		case MODEL_ALS:
			options_check_keys(opts, als_options);
			o->factors = options_int(opts, "factors", 64, 1, MAX_FACTORS);
			o->iterations = options_int(opts, "iterations", 15, 1, 10000);
			o->lambda = options_double(opts, "lambda", 0.05, 0.0, 1e6);
			o->seed = options_int64(opts, "seed", 42, PG_INT64_MIN, PG_INT64_MAX);
			o->validation = options_double(opts, "validation", 0.0, 0.0, 0.9);
			o->blas_threads = options_int(opts, "blas_threads", 0, 0, 1024);
			break;
		case MODEL_ALS_IMPLICIT:
			options_check_keys(opts, als_implicit_options);
			o->factors = options_int(opts, "factors", 64, 1, MAX_FACTORS);
			o->iterations = options_int(opts, "iterations", 15, 1, 10000);
			o->lambda = options_double(opts, "lambda", 0.1, 0.0, 1e6);
			o->alpha = options_double(opts, "alpha", 40.0, 0.0, 1e6);
			o->cg_steps = options_int(opts, "cg_steps", 3, 1, 1000);
			o->seed = options_int64(opts, "seed", 42, PG_INT64_MIN, PG_INT64_MAX);
			o->blas_threads = options_int(opts, "blas_threads", 0, 0, 1024);
			break;
		case MODEL_ITEM_KNN:
			{
				const char *w;

				options_check_keys(opts, item_knn_options);
				o->neighbors = options_int(opts, "neighbors", 20, 1, 100000);
				w = options_choice(opts, "weighting", "none", weighting_choices);
				o->weighting = strcmp(w, "tfidf") == 0 ? REC_WEIGHT_TFIDF :
					strcmp(w, "bm25") == 0 ? REC_WEIGHT_BM25 : REC_WEIGHT_NONE;
				o->bm25_k1 = options_double(opts, "bm25_k1", 100.0, 0.0, 1e6);
				o->bm25_b = options_double(opts, "bm25_b", 0.8, 0.0, 1.0);
			}
			break;
	}
}

static Datum
rec_transfn(FunctionCallInfo fcinfo, const TrainStateOps *ops)
{
	TrainState *st = train_state_for_update(fcinfo, ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 4);
	RecState   *s = st->data;

	if (s == NULL)
	{
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(RecState));
		parse_options(opts, ops->kind, &s->opt);
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		s->skipped++;
	else
	{
		double		v = PG_GETARG_FLOAT8(3);

		if (!isfinite(v))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s input %s must be finite, not %g", model_kind_name(ops->kind),
							ops->kind == MODEL_ALS ? "rating" : "weight", v)));
		if (ops->kind != MODEL_ALS && v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s weights must be zero or more, not %g", model_kind_name(ops->kind), v),
					 errhint("Implicit feedback counts interactions; leave negative signals out.")));
		check_value(v, ops->kind == MODEL_ALS ? "train_als rating" : "training weight");
		rec_state_append(s, st->hdr.eoh_context, PG_GETARG_INT64(1), PG_GETARG_INT64(2), v);
	}
	PG_RETURN_AGG_STATE(st);
}

PG_FUNCTION_INFO_V1(train_als_transfn);
Datum
train_als_transfn(PG_FUNCTION_ARGS)
{
	return rec_transfn(fcinfo, &als_state_ops);
}

PG_FUNCTION_INFO_V1(train_als_implicit_transfn);
Datum
train_als_implicit_transfn(PG_FUNCTION_ARGS)
{
	return rec_transfn(fcinfo, &als_implicit_state_ops);
}

PG_FUNCTION_INFO_V1(train_item_knn_transfn);
Datum
train_item_knn_transfn(PG_FUNCTION_ARGS)
{
	return rec_transfn(fcinfo, &item_knn_state_ops);
}

/* ------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------ */

static void
rec_model_write(const RecModel *m, ByteWriter *w)
{
	write_i32(w, m->k);
	write_i32(w, m->opt.iterations);
	write_i32(w, m->opt.cg_steps);
	write_i32(w, m->opt.neighbors);
	write_i32(w, m->opt.weighting);
	write_f64(w, m->opt.lambda);
	write_f64(w, m->opt.alpha);
	write_f64(w, m->opt.validation);
	write_f64(w, m->opt.bm25_k1);
	write_f64(w, m->opt.bm25_b);
	write_i64(w, m->opt.seed);
	write_i64(w, m->rows);
	write_i64(w, m->skipped);
	write_i64(w, m->n_valid);
	write_f64(w, m->mu);
	write_f64(w, m->r_max);
	idmap_write(m->users, w);
	idmap_write(m->items, w);
	write_i64(w, m->nnz);
	write_i64_array(w, m->sptr, m->nu + 1);
	write_i32_array(w, m->scol, m->nnz);
	if (m->kind == MODEL_ITEM_KNN)
	{
		write_f64_array(w, m->sval, m->nnz);
		write_i64(w, m->nptr[m->ni]);
		write_i64_array(w, m->nptr, m->ni + 1);
		write_i32_array(w, m->ncol, m->nptr[m->ni]);
		write_f64_array(w, m->nsim, m->nptr[m->ni]);
	}
	else
	{
		write_f64_array(w, m->P, (Size) m->nu * m->k);
		write_f64_array(w, m->Q, (Size) m->ni * m->k);
		if (m->kind == MODEL_ALS)
		{
			write_f64_array(w, m->bu, m->nu);
			write_f64_array(w, m->bi, m->ni);
		}
	}
	write_i32(w, m->n_iter);
	write_f64_array(w, m->loss, m->n_iter);
	write_f64_array(w, m->train_rmse, m->n_iter);
	write_f64_array(w, m->valid_rmse, m->n_iter);
}

static void
check_csr(ByteReader *r, const int64 *ptr, int32 rows, const int32 *col, int64 nnz, int32 ncols)
{
	if (ptr[0] != 0 || ptr[rows] != nnz)
		reader_corrupt(r, "A sparse row index is inconsistent");
	for (int32 i = 0; i < rows; i++)
		if (ptr[i + 1] < ptr[i])
			reader_corrupt(r, "A sparse row index is not ascending");
	for (int64 j = 0; j < nnz; j++)
		if (col[j] < 0 || col[j] >= ncols)
			reader_corrupt(r, "A sparse column index is out of range");
}

static void
check_finite(ByteReader *r, const double *v, Size n)
{
	for (Size i = 0; i < n; i++)
		if (!isfinite(v[i]))
			reader_corrupt(r, "A model parameter is not finite");
}

static RecModel *
rec_model_read(ByteReader *r, int kind)
{
	RecModel   *m = palloc0(sizeof(RecModel));
	int64		nn;

	m->kind = kind;
	m->k = read_i32(r);
	m->opt.factors = m->k;
	m->opt.iterations = read_i32(r);
	m->opt.cg_steps = read_i32(r);
	m->opt.neighbors = read_i32(r);
	m->opt.weighting = read_i32(r);
	m->opt.lambda = read_f64(r);
	m->opt.alpha = read_f64(r);
	m->opt.validation = read_f64(r);
	m->opt.bm25_k1 = read_f64(r);
	m->opt.bm25_b = read_f64(r);
	m->opt.seed = read_i64(r);
	m->rows = read_i64(r);
	m->skipped = read_i64(r);
	m->n_valid = read_i64(r);
	m->mu = read_f64(r);
	m->r_max = read_f64(r);
	if ((kind == MODEL_ITEM_KNN ? m->k != 0 : (m->k < 1 || m->k > MAX_FACTORS)) ||
		m->opt.iterations < 0 || m->opt.cg_steps < 0 || m->opt.neighbors < 0 ||
		m->opt.weighting < REC_WEIGHT_NONE || m->opt.weighting > REC_WEIGHT_BM25 ||
		!isfinite(m->opt.lambda) || !isfinite(m->opt.alpha) || !isfinite(m->opt.validation) ||
		!isfinite(m->opt.bm25_k1) || !isfinite(m->opt.bm25_b) ||
		m->rows < 1 || m->skipped < 0 || m->n_valid < 0 || !isfinite(m->mu) || !isfinite(m->r_max))
		reader_corrupt(r, "The recommender model holds impossible values");
	m->users = idmap_read(r);
	m->items = idmap_read(r);
	m->nu = m->users->count;
	m->ni = m->items->count;
	m->nnz = read_count(r, PG_INT64_MAX / 16, sizeof(int32));
	m->sptr = read_i64_array(r, m->nu + 1);
	m->scol = read_i32_array(r, m->nnz);
	check_csr(r, m->sptr, m->nu, m->scol, m->nnz, m->ni);
	if (kind == MODEL_ITEM_KNN)
	{
		m->sval = read_f64_array(r, m->nnz);
		check_finite(r, m->sval, m->nnz);
		nn = read_count(r, PG_INT64_MAX / 16, sizeof(int32) + sizeof(double));
		m->nptr = read_i64_array(r, m->ni + 1);
		m->ncol = read_i32_array(r, nn);
		m->nsim = read_f64_array(r, nn);
		check_csr(r, m->nptr, m->ni, m->ncol, nn, m->ni);
		check_finite(r, m->nsim, nn);
	}
	else
	{
		m->P = read_f64_array(r, (Size) m->nu * m->k);
		m->Q = read_f64_array(r, (Size) m->ni * m->k);
		check_finite(r, m->P, (Size) m->nu * m->k);
		check_finite(r, m->Q, (Size) m->ni * m->k);
		if (kind == MODEL_ALS)
		{
			m->bu = read_f64_array(r, m->nu);
			m->bi = read_f64_array(r, m->ni);
			check_finite(r, m->bu, m->nu);
			check_finite(r, m->bi, m->ni);
		}
	}
	m->n_iter = read_i32(r);
	if (m->n_iter < 0 || m->n_iter > 10000)
		reader_corrupt(r, "The training history has an impossible length");
	m->loss = read_f64_array(r, m->n_iter);
	m->train_rmse = read_f64_array(r, m->n_iter);
	m->valid_rmse = read_f64_array(r, m->n_iter);
	reader_expect_end(r);

	/* derived serving data */
	if (kind != MODEL_ITEM_KNN)
	{
		m->qnorm = palloc_extended(Max(m->ni, 1) * sizeof(double), MCXT_ALLOC_HUGE);
		for (int32 i = 0; i < m->ni; i++)
			m->qnorm[i] = cblas_dnrm2(m->k, m->Q + (Size) i * m->k, 1);
	}
	if (kind == MODEL_ALS_IMPLICIT)
	{
		m->YtY = palloc((Size) m->k * m->k * sizeof(double));
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, m->k, m->ni, 1.0,
					m->Q, m->k, 0.0, m->YtY, m->k);
	}
	return m;
}

void *
als_decode(ByteReader *r)
{
	return rec_model_read(r, MODEL_ALS);
}

void *
als_implicit_decode(ByteReader *r)
{
	return rec_model_read(r, MODEL_ALS_IMPLICIT);
}

void *
item_knn_decode(ByteReader *r)
{
	return rec_model_read(r, MODEL_ITEM_KNN);
}


void
rec_describe(const void *decoded, StringInfo buf)
{
	const RecModel *m = decoded;

	json_append_int(buf, "users", m->nu);
	json_append_int(buf, "items", m->ni);
	json_append_int(buf, "rows", m->rows);
	json_append_int(buf, "skipped_rows", m->skipped);
	json_append_int(buf, "interactions", m->nnz);
	if (m->kind == MODEL_ITEM_KNN)
	{
		json_append_int(buf, "neighbors", m->opt.neighbors);
		json_append_text(buf, "weighting", weighting_choices[m->opt.weighting]);
		if (m->opt.weighting == REC_WEIGHT_BM25)
		{
			json_append_double(buf, "bm25_k1", m->opt.bm25_k1);
			json_append_double(buf, "bm25_b", m->opt.bm25_b);
		}
		json_append_int(buf, "similarities", m->nptr[m->ni]);
		return;
	}
	json_append_int(buf, "factors", m->k);
	json_append_int(buf, "iterations", m->opt.iterations);
	json_append_double(buf, "lambda", m->opt.lambda);
	json_append_int(buf, "seed", m->opt.seed);
	if (m->kind == MODEL_ALS)
	{
		json_append_double(buf, "validation", m->opt.validation);
		json_append_int(buf, "validation_interactions", m->n_valid);
		json_append_double(buf, "global_mean", m->mu);
	}
	else
	{
		json_append_double(buf, "alpha", m->opt.alpha);
		json_append_int(buf, "cg_steps", m->opt.cg_steps);
	}
	if (m->n_iter > 0)
	{
		json_append_double(buf, "loss", m->loss[m->n_iter - 1]);
		if (m->kind == MODEL_ALS)
		{
			json_append_double(buf, "train_rmse", m->train_rmse[m->n_iter - 1]);
			if (m->n_valid > 0)
				json_append_double(buf, "validation_rmse", m->valid_rmse[m->n_iter - 1]);
		}
	}
	json_append_double_array(buf, "loss_history", m->loss, m->n_iter);
	if (m->kind == MODEL_ALS)
	{
		json_append_double_array(buf, "train_rmse_history", m->train_rmse, m->n_iter);
		if (m->n_valid > 0)
			json_append_double_array(buf, "validation_rmse_history", m->valid_rmse, m->n_iter);
	}
}

/* ------------------------------------------------------------------------
 * Training
 * ------------------------------------------------------------------------ */

static double *
alloc_doubles(Size n)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(n, 1) * sizeof(double));
}

static void
init_factors(double *v, Size n, Rng *rng, double scale)
{
	for (Size i = 0; i < n; i++)
		v[i] = rng_normal(rng) * scale;
}

static int64
max_row(const int64 *ptr, int32 n)
{
	int64		mx = 0;

	for (int32 i = 0; i < n; i++)
		mx = Max(mx, ptr[i + 1] - ptr[i]);
	return mx;
}

/*
 * One explicit half-step: for every row, solve for [x; b] against the other
 * side's [y; 1] with target value - mu - other bias.
 */
static void
als_explicit_solve(int32 nrows, const int64 *ptr, const int32 *idx, const double *val,
				   double *X, double *bx, const double *Y, const double *by,
				   int k, double lambda, double mu, double *work, double *t,
				   double *A, double *b)
{
	int			k1 = k + 1;

	for (int32 u = 0; u < nrows; u++)
	{
		int64		start = ptr[u];
		int			n = (int) (ptr[u + 1] - start);

		CHECK_FOR_INTERRUPTS();
		if (n == 0)
		{
			memset(X + (Size) u * k, 0, k * sizeof(double));
			bx[u] = 0;
			continue;
		}
		for (int j = 0; j < n; j++)
		{
			int32		i = idx[start + j];

			memcpy(work + (Size) j * k1, Y + (Size) i * k, k * sizeof(double));
			work[(Size) j * k1 + k] = 1.0;
			t[j] = val[start + j] - mu - by[i];
		}
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k1, n, 1.0, work, k1, 0.0, A, k1);
		for (int d = 0; d < k1; d++)
			A[d * k1 + d] += lambda * n;
		cblas_dgemv(CblasRowMajor, CblasTrans, n, k1, 1.0, work, k1, t, 1, 0.0, b, 1);
		if (!blas_cholesky_solve(A, b, k1))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("als normal equations are not positive definite"),
					 errhint("Use a positive lambda.")));
		memcpy(X + (Size) u * k, b, k * sizeof(double));
		bx[u] = b[k];
	}
}

static inline double
als_explicit_predict(const RecModel *m, int32 u, int32 i)
{
	return m->mu + m->bu[u] + m->bi[i] +
		cblas_ddot(m->k, m->P + (Size) u * m->k, 1, m->Q + (Size) i * m->k, 1);
}


static double *
zeros(Size n)
{
	double	   *v = alloc_doubles(n);

	memset(v, 0, Max(n, 1) * sizeof(double));
	return v;
}

static void
alloc_history(RecModel *m)
{
	m->loss = alloc_doubles(m->opt.iterations);
	m->train_rmse = alloc_doubles(m->opt.iterations);
	m->valid_rmse = alloc_doubles(m->opt.iterations);
	m->n_iter = 0;
}

static void
fit_als_explicit(RecModel *m, const RecData *d)
{
	int			k = m->k,
				k1 = k + 1;
	int64		mrow = Max(max_row(d->uptr, d->n_users), max_row(d->iptr, d->n_items));
	double	   *work = alloc_doubles((Size) mrow * k1);
	double	   *t = alloc_doubles(mrow);
	double	   *A = alloc_doubles((Size) k1 * k1);
	double	   *b = alloc_doubles(k1);
	double		lambda = m->opt.lambda;
	double		sum = 0;
	Rng			rng;

	for (int64 j = 0; j < d->nnz; j++)
		sum += d->uval[j];
	m->mu = sum / d->nnz;
	rng_seed(&rng, (uint64) m->opt.seed);
	m->P = alloc_doubles((Size) m->nu * k);
	m->Q = alloc_doubles((Size) m->ni * k);
	init_factors(m->P, (Size) m->nu * k, &rng, 0.1);
	init_factors(m->Q, (Size) m->ni * k, &rng, 0.1);
	m->bu = zeros(m->nu);
	m->bi = zeros(m->ni);
	alloc_history(m);

	for (int it = 0; it < m->opt.iterations; it++)
	{
		double		sse = 0,
					reg = 0,
					vsse = 0;

		als_explicit_solve(d->n_users, d->uptr, d->ucol, d->uval, m->P, m->bu, m->Q, m->bi,
						   k, lambda, m->mu, work, t, A, b);
		als_explicit_solve(d->n_items, d->iptr, d->irow, d->ival, m->Q, m->bi, m->P, m->bu,
						   k, lambda, m->mu, work, t, A, b);

		for (int32 u = 0; u < d->n_users; u++)
		{
			const double *p = m->P + (Size) u * k;

			CHECK_FOR_INTERRUPTS();
			for (int64 j = d->uptr[u]; j < d->uptr[u + 1]; j++)
			{
				double		e = d->uval[j] - als_explicit_predict(m, u, d->ucol[j]);

				sse += e * e;
			}
			reg += (d->uptr[u + 1] - d->uptr[u]) * (cblas_ddot(k, p, 1, p, 1) + m->bu[u] * m->bu[u]);
		}
		for (int32 i = 0; i < d->n_items; i++)
		{
			const double *q = m->Q + (Size) i * k;

			reg += (d->iptr[i + 1] - d->iptr[i]) * (cblas_ddot(k, q, 1, q, 1) + m->bi[i] * m->bi[i]);
		}
		for (int64 j = 0; j < d->n_valid; j++)
		{
			double		e = d->valid_val[j] - als_explicit_predict(m, d->valid_user[j], d->valid_item[j]);

			vsse += e * e;
		}
		m->loss[it] = (sse + lambda * reg) / d->nnz;
		m->train_rmse[it] = sqrt(sse / d->nnz);
		m->valid_rmse[it] = d->n_valid > 0 ? sqrt(vsse / d->n_valid) : NAN;
		m->n_iter = it + 1;
		if (d->n_valid > 0)
			ereport(NOTICE,
					(errmsg("als iteration %d of %d: loss %.6f, train rmse %.6f, validation rmse %.6f",
							it + 1, m->opt.iterations, m->loss[it], m->train_rmse[it],
							m->valid_rmse[it])));
		else
			ereport(NOTICE,
					(errmsg("als iteration %d of %d: loss %.6f, train rmse %.6f",
							it + 1, m->opt.iterations, m->loss[it], m->train_rmse[it])));
	}
}

/* Gram matrix Y'Y (upper triangle, row-major) plus lambda on the diagonal. */
static void
gram(const double *Y, int32 n, int k, double lambda, double *G)
{
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 1.0, Y, k, 0.0, G, k);
	for (int d = 0; d < k; d++)
		G[d * k + d] += lambda;
}

/*
 * Conjugate-gradient update of every row of X against fixed Y (implicit
 * library's formulation): solves (Y'Y + lambda I + Y'(C_u - I)Y) x =
 * Y'C_u p_u starting from the current x.
 */
static void
cg_update(int32 nrows, const int64 *ptr, const int32 *idx, const double *val,
		  double *X, const double *Y, const double *YtY, int k, double alpha, int steps,
		  double *r, double *p, double *Ap)
{
	for (int32 u = 0; u < nrows; u++)
	{
		double	   *x = X + (Size) u * k;
		double		rsold,
					rsnew;

		CHECK_FOR_INTERRUPTS();
		cblas_dsymv(CblasRowMajor, CblasUpper, k, -1.0, YtY, k, x, 1, 0.0, r, 1);
		for (int64 j = ptr[u]; j < ptr[u + 1]; j++)
		{
			const double *y = Y + (Size) idx[j] * k;
			double		c = 1.0 + alpha * val[j];
			double		pref = val[j] > 0 ? 1.0 : 0.0;
			double		s = cblas_ddot(k, y, 1, x, 1);

			cblas_daxpy(k, c * pref - (c - 1.0) * s, y, 1, r, 1);
		}
		memcpy(p, r, k * sizeof(double));
		rsold = cblas_ddot(k, r, 1, r, 1);
		if (rsold < CG_EPS)
			continue;
		for (int step = 0; step < steps; step++)
		{
			double		pAp,
						a;

			cblas_dsymv(CblasRowMajor, CblasUpper, k, 1.0, YtY, k, p, 1, 0.0, Ap, 1);
			for (int64 j = ptr[u]; j < ptr[u + 1]; j++)
			{
				const double *y = Y + (Size) idx[j] * k;
				double		c = 1.0 + alpha * val[j];

				cblas_daxpy(k, (c - 1.0) * cblas_ddot(k, y, 1, p, 1), y, 1, Ap, 1);
			}
			pAp = cblas_ddot(k, p, 1, Ap, 1);
			if (!(pAp > 0))
				break;
			a = rsold / pAp;
			cblas_daxpy(k, a, p, 1, x, 1);
			cblas_daxpy(k, -a, Ap, 1, r, 1);
			rsnew = cblas_ddot(k, r, 1, r, 1);
			if (rsnew < CG_EPS)
				break;
			for (int e = 0; e < k; e++)
				p[e] = r[e] + (rsnew / rsold) * p[e];
			rsold = rsnew;
		}
	}
}

static void
fit_als_implicit(RecModel *m, const RecData *d)
{
	int			k = m->k;
	double	   *G = alloc_doubles((Size) k * k);
	double	   *r = alloc_doubles(k);
	double	   *p = alloc_doubles(k);
	double	   *Ap = alloc_doubles(k);
	double		lambda = m->opt.lambda,
				alpha = m->opt.alpha,
				extra_conf = 0;
	Rng			rng;

	rng_seed(&rng, (uint64) m->opt.seed);
	m->P = alloc_doubles((Size) m->nu * k);
	m->Q = alloc_doubles((Size) m->ni * k);
	init_factors(m->P, (Size) m->nu * k, &rng, 0.01);
	init_factors(m->Q, (Size) m->ni * k, &rng, 0.01);
	alloc_history(m);
	for (int64 j = 0; j < d->nnz; j++)
		extra_conf += alpha * d->uval[j];

	for (int it = 0; it < m->opt.iterations; it++)
	{
		double		total = 0,
					reg;

		gram(m->Q, m->ni, k, lambda, G);
		cg_update(d->n_users, d->uptr, d->ucol, d->uval, m->P, m->Q, G, k, alpha,
				  m->opt.cg_steps, r, p, Ap);
		gram(m->P, m->nu, k, lambda, G);
		cg_update(d->n_items, d->iptr, d->irow, d->ival, m->Q, m->P, G, k, alpha,
				  m->opt.cg_steps, r, p, Ap);

		/* weighted squared error over all user x item cells, in O(nnz k + users k^2) */
		gram(m->Q, m->ni, k, 0.0, G);
		for (int32 u = 0; u < d->n_users; u++)
		{
			const double *x = m->P + (Size) u * k;

			CHECK_FOR_INTERRUPTS();
			cblas_dsymv(CblasRowMajor, CblasUpper, k, 1.0, G, k, x, 1, 0.0, r, 1);
			total += cblas_ddot(k, x, 1, r, 1);
			for (int64 j = d->uptr[u]; j < d->uptr[u + 1]; j++)
			{
				double		s = cblas_ddot(k, m->Q + (Size) d->ucol[j] * k, 1, x, 1);
				double		c = 1.0 + alpha * d->uval[j];
				double		pref = d->uval[j] > 0 ? 1.0 : 0.0;

				total += (c - 1.0) * s * s - 2.0 * c * pref * s + c * pref;
			}
		}
		reg = cblas_ddot(m->nu * k, m->P, 1, m->P, 1) + cblas_ddot(m->ni * k, m->Q, 1, m->Q, 1);
		m->loss[it] = (total + lambda * reg) / ((double) m->nu * m->ni + extra_conf);
		m->train_rmse[it] = NAN;
		m->valid_rmse[it] = NAN;
		m->n_iter = it + 1;
		ereport(NOTICE,
				(errmsg("als_implicit iteration %d of %d: loss %.8f",
						it + 1, m->opt.iterations, m->loss[it])));
	}
}

/* kNN entry weight: raw, TF-IDF or BM25 (implicit library's formulas) */
static inline double
knn_weight(const RecOptions *o, const double *idf, const double *lnorm, int32 u, int32 i, double v)
{
	switch (o->weighting)
	{
		case REC_WEIGHT_TFIDF:
			return sqrt(v) * idf[u];
		case REC_WEIGHT_BM25:
			return v * (o->bm25_k1 + 1.0) / (o->bm25_k1 * lnorm[i] + v) * idf[u];
		default:
			return v;
	}
}

static void
fit_item_knn(RecModel *m, const RecData *d)
{
	int32		nu = d->n_users,
				ni = d->n_items;
	double	   *idf = alloc_doubles(nu);
	double	   *lnorm = alloc_doubles(ni);
	double	   *wu = alloc_doubles(d->nnz);
	double	   *wi = alloc_doubles(d->nnz);
	double	   *norm = alloc_doubles(ni);
	double	   *acc = zeros(ni);
	bool	   *flag = palloc0(Max(ni, 1) * sizeof(bool));
	int32	   *touched = palloc(Max(ni, 1) * sizeof(int32));
	int			kk = Min(m->opt.neighbors, Max(ni - 1, 1));
	Heap	   *h = heap_create(kk);
	HeapItem   *out = palloc(kk * sizeof(HeapItem));
	int64		cap = Max((int64) ni * Min(kk, 16), 16),
				nn = 0;
	double		avg = 0;

	for (int32 u = 0; u < nu; u++)
		idf[u] = Max(0.0, log((double) ni) - log1p((double) (d->uptr[u + 1] - d->uptr[u])));
	for (int32 i = 0; i < ni; i++)
	{
		double		s = 0;

		for (int64 j = d->iptr[i]; j < d->iptr[i + 1]; j++)
			s += d->ival[j];
		lnorm[i] = s;
		avg += s;
	}
	avg /= Max(ni, 1);
	for (int32 i = 0; i < ni; i++)
		lnorm[i] = avg > 0 ? (1.0 - m->opt.bm25_b) + m->opt.bm25_b * lnorm[i] / avg : 1.0;
	for (int32 u = 0; u < nu; u++)
		for (int64 j = d->uptr[u]; j < d->uptr[u + 1]; j++)
			wu[j] = knn_weight(&m->opt, idf, lnorm, u, d->ucol[j], d->uval[j]);
	for (int32 i = 0; i < ni; i++)
	{
		double		s = 0;

		for (int64 j = d->iptr[i]; j < d->iptr[i + 1]; j++)
		{
			wi[j] = knn_weight(&m->opt, idf, lnorm, d->irow[j], i, d->ival[j]);
			s += wi[j] * wi[j];
		}
		norm[i] = sqrt(s);
	}

	m->nptr = MemoryContextAllocHuge(CurrentMemoryContext, (ni + 1) * sizeof(int64));
	m->ncol = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int32));
	m->nsim = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(double));
	m->nptr[0] = 0;
	for (int32 i = 0; i < ni; i++)
	{
		int32		nt = 0;
		Size		got;

		CHECK_FOR_INTERRUPTS();
		for (int64 e = d->iptr[i]; e < d->iptr[i + 1]; e++)
		{
			int32		u = d->irow[e];

			if (wi[e] == 0)
				continue;
			for (int64 f = d->uptr[u]; f < d->uptr[u + 1]; f++)
			{
				int32		j = d->ucol[f];

				if (j == i)
					continue;
				if (!flag[j])
				{
					flag[j] = true;
					touched[nt++] = j;
				}
				acc[j] += wi[e] * wu[f];
			}
		}
		h->count = 0;
		for (int32 t = 0; t < nt; t++)
		{
			int32		j = touched[t];
			double		sim = (norm[i] > 0 && norm[j] > 0) ? acc[j] / (norm[i] * norm[j]) : 0;

			if (sim > 0)
				heap_offer(h, kk, sim, j);
			acc[j] = 0;
			flag[j] = false;
		}
		got = heap_drain_descending(h, out);
		if (nn + (int64) got > cap)
		{
			while (nn + (int64) got > cap)
				cap *= 2;
			m->ncol = repalloc_huge(m->ncol, cap * sizeof(int32));
			m->nsim = repalloc_huge(m->nsim, cap * sizeof(double));
		}
		for (Size g = 0; g < got; g++)
		{
			m->ncol[nn] = (int32) out[g].value;
			m->nsim[nn] = out[g].key;
			nn++;
		}
		m->nptr[i + 1] = nn;
	}
	m->n_iter = 0;
}

static Datum
rec_finalfn(FunctionCallInfo fcinfo, const TrainStateOps *ops)
{
	const RecState *s = train_state_get_data(fcinfo, 0, ops);
	int			kind = ops->kind;
	MemoryContext cxt,
				old;
	RecData    *d;
	RecModel   *m;
	ByteWriter	w;
	bytea	   *result;

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an %s model on zero rows", model_kind_name(kind)),
				 errdetail("Every input row had a NULL user, item or value, or there were no rows.")));
	cxt = AllocSetContextCreate(CurrentMemoryContext, "ecomml recommender training",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	d = interactions_build(s, kind == MODEL_ALS ? REC_DUP_AVERAGE : REC_DUP_SUM,
						   kind == MODEL_ALS ? s->opt.validation : 0.0, s->opt.seed);
	if (d->nnz == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("every interaction was held out for validation"),
				 errhint("Lower the validation option or train on more rows.")));
	m = palloc0(sizeof(RecModel));
	m->kind = kind;
	m->opt = s->opt;
	m->k = kind == MODEL_ITEM_KNN ? 0 : s->opt.factors;
	m->rows = s->n;
	m->skipped = s->skipped;
	m->nnz = d->nnz;
	m->n_valid = d->n_valid;
	m->users = d->users;
	m->items = d->items;
	m->nu = d->n_users;
	m->ni = d->n_items;
	m->sptr = d->uptr;
	m->scol = d->ucol;
	m->sval = d->uval;
	m->r_max = d->uval[0];
	for (int64 j = 1; j < d->nnz; j++)
		m->r_max = Max(m->r_max, d->uval[j]);

	if (kind != MODEL_ITEM_KNN)
		blas_begin(s->opt.blas_threads);
	if (kind == MODEL_ALS)
		fit_als_explicit(m, d);
	else if (kind == MODEL_ALS_IMPLICIT)
		fit_als_implicit(m, d);
	else
		fit_item_knn(m, d);

	writer_init(&w, 1024);
	rec_model_write(m, &w);
	MemoryContextSwitchTo(old);
	result = model_build(kind, &w);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(train_als_finalfn);
Datum
train_als_finalfn(PG_FUNCTION_ARGS)
{
	return rec_finalfn(fcinfo, &als_state_ops);
}

PG_FUNCTION_INFO_V1(train_als_implicit_finalfn);
Datum
train_als_implicit_finalfn(PG_FUNCTION_ARGS)
{
	return rec_finalfn(fcinfo, &als_implicit_state_ops);
}

PG_FUNCTION_INFO_V1(train_item_knn_finalfn);
Datum
train_item_knn_finalfn(PG_FUNCTION_ARGS)
{
	return rec_finalfn(fcinfo, &item_knn_state_ops);
}

/* ------------------------------------------------------------------------
 * Serving
 * ------------------------------------------------------------------------ */

static void
check_rec_kind(int kind)
{
	if (kind != MODEL_ALS && kind != MODEL_ALS_IMPLICIT && kind != MODEL_ITEM_KNN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected an als, als_implicit or item_knn model, got a %s model",
						model_kind_name(kind))));
}

static const RecModel *
get_model(FunctionCallInfo fcinfo)
{
	int			kind;
	const RecModel *m = model_cache_get(fcinfo, 0, MODEL_ANY, &kind);

	check_rec_kind(kind);
	return m;
}

/* In a value-per-call SRF: pinned until the SRF's multi-call context ends. */
static const RecModel *
get_model_srf(FunctionCallInfo fcinfo, FuncCallContext *funcctx)
{
	int			kind;
	const RecModel *m = model_cache_get_pinned(fcinfo, 0, MODEL_ANY, &kind,
											   funcctx->multi_call_memory_ctx);

	check_rec_kind(kind);
	return m;
}

static int32
get_k(FunctionCallInfo fcinfo, int argno)
{
	int32		k = PG_GETARG_INT32(argno);

	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1, not %d", k)));
	return k;
}

/* Result rows of a recommending SRF, computed on the first call. */
typedef struct RecRows
{
	int64		n;
	int64	   *user;			/* NULL unless recommend_all */
	int64	   *item;
	double	   *score;
	int32	   *rank;
} RecRows;

static RecRows *
rows_alloc(int64 cap, bool with_user)
{
	RecRows    *rows = palloc0(sizeof(RecRows));

	cap = Max(cap, 1);
	rows->user = with_user ? MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int64)) : NULL;
	rows->item = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int64));
	rows->score = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(double));
	rows->rank = MemoryContextAllocHuge(CurrentMemoryContext, cap * sizeof(int32));
	return rows;
}

static void
rows_add(RecRows *rows, const RecModel *m, int64 user_id, const HeapItem *top, Size n)
{
	for (Size r = 0; r < n; r++)
	{
		if (rows->user)
			rows->user[rows->n] = user_id;
		rows->item[rows->n] = m->items->ids[top[r].value];
		rows->score[rows->n] = top[r].key;
		rows->rank[rows->n] = (int32) (r + 1);
		rows->n++;
	}
}

static FuncCallContext *
srf_begin(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_FIRSTCALL_INIT();
	MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("function returning record called in context that cannot accept type record")));
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	MemoryContextSwitchTo(old);
	return funcctx;
}

static Datum
srf_next(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_PERCALL_SETUP();
	RecRows    *rows = funcctx->user_fctx;

	if (rows != NULL && (int64) funcctx->call_cntr < rows->n)
	{
		int64		i = funcctx->call_cntr;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			c = 0;

		if (rows->user)
			values[c++] = Int64GetDatum(rows->user[i]);
		values[c++] = Int64GetDatum(rows->item[i]);
		values[c++] = Float8GetDatum(rows->score[i]);
		values[c++] = Int32GetDatum(rows->rank[i]);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(funcctx);
}

/* Scratch space for scoring one user. */
typedef struct Scorer
{
	double	   *score;			/* ni */
	bool	   *flag;			/* ni, kNN */
	int32	   *touched;		/* ni, kNN */
	Heap	   *heap;
	HeapItem   *top;
	int32		k;
} Scorer;

static Scorer *
scorer_create(const RecModel *m, int32 k)
{
	Scorer	   *sc = palloc0(sizeof(Scorer));

	sc->k = Min(k, Max(m->ni, 1));
	sc->score = zeros(m->ni);
	if (m->kind == MODEL_ITEM_KNN)
	{
		sc->flag = palloc0(Max(m->ni, 1) * sizeof(bool));
		sc->touched = MemoryContextAllocHuge(CurrentMemoryContext, Max(m->ni, 1) * sizeof(int32));
	}
	sc->heap = heap_create(sc->k);
	sc->top = palloc(sc->k * sizeof(HeapItem));
	return sc;
}

static bool
in_sorted(const int32 *v, int64 n, int32 x)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo] == x;
}

/*
 * Top k of a dense score vector, skipping the sorted indexes skip[0..nskip)
 * and the index self (-1 for none).
 */
static Size
topk_dense(Scorer *sc, const double *score, int32 n, const int32 *skip, int64 nskip, int32 self)
{
	Heap	   *h = sc->heap;
	int64		s = 0;

	h->count = 0;
	for (int32 j = 0; j < n; j++)
	{
		double		v = score[j];

		while (s < nskip && skip[s] < j)
			s++;
		if ((s < nskip && skip[s] == j) || j == self)
			continue;
		/* indexes ascend, so a tie with the weakest kept entry loses */
		if (h->count == (Size) sc->k && v <= h->items[0].key)
			continue;
		heap_offer(h, sc->k, v, j);
	}
	return heap_drain_descending(h, sc->top);
}

/*
 * kNN: scores of the items reachable from the given (item, weight) pairs,
 * top k of them, skipping the sorted indexes skip[0..nskip).
 */
static Size
topk_knn(Scorer *sc, const RecModel *m, const int32 *items, const double *w, int64 n,
		 const int32 *skip, int64 nskip)
{
	int32		nt = 0;

	sc->heap->count = 0;
	for (int64 a = 0; a < n; a++)
		for (int64 e = m->nptr[items[a]]; e < m->nptr[items[a] + 1]; e++)
		{
			int32		j = m->ncol[e];

			if (!sc->flag[j])
			{
				sc->flag[j] = true;
				sc->score[j] = 0;
				sc->touched[nt++] = j;
			}
			sc->score[j] += w[a] * m->nsim[e];
		}
	for (int32 t = 0; t < nt; t++)
	{
		int32		j = sc->touched[t];

		sc->flag[j] = false;
		if (!in_sorted(skip, nskip, j) && sc->score[j] > 0)
			heap_offer(sc->heap, sc->k, sc->score[j], j);
	}
	return heap_drain_descending(sc->heap, sc->top);
}

/* ALS scores of one user (dense, every item). */
static void
als_user_scores(const RecModel *m, int32 u, double *score)
{
	cblas_dgemv(CblasRowMajor, CblasNoTrans, m->ni, m->k, 1.0, m->Q, m->k,
				m->P + (Size) u * m->k, 1, 0.0, score, 1);
	if (m->kind == MODEL_ALS)
		for (int32 i = 0; i < m->ni; i++)
			score[i] += m->mu + m->bu[u] + m->bi[i];
}

static Size
recommend_user(Scorer *sc, const RecModel *m, int32 u, bool exclude_seen)
{
	const int32 *seen = m->scol + m->sptr[u];
	int64		nseen = m->sptr[u + 1] - m->sptr[u];

	if (m->kind == MODEL_ITEM_KNN)
		return topk_knn(sc, m, seen, m->sval + m->sptr[u], nseen,
						seen, exclude_seen ? nseen : 0);
	als_user_scores(m, u, sc->score);
	return topk_dense(sc, sc->score, m->ni, seen, exclude_seen ? nseen : 0, -1);
}

/* recommend(model, user_id, k, exclude_seen) */
PG_FUNCTION_INFO_V1(rec_recommend);
Datum
rec_recommend(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		const RecModel *m = get_model_srf(fcinfo, funcctx);
		int32		k = get_k(fcinfo, 2);
		int32		u = idmap_lookup(m->users, PG_GETARG_INT64(1));

		if (u >= 0)
		{
			MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml recommend",
														  ALLOCSET_DEFAULT_SIZES);
			RecRows    *rows = rows_alloc(Min(k, m->ni), false);
			Scorer	   *sc;
			Size		n;

			MemoryContextSwitchTo(scratch);
			sc = scorer_create(m, k);
			n = recommend_user(sc, m, u, PG_GETARG_BOOL(3));
			rows_add(rows, m, 0, sc->top, n);
			MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
			MemoryContextDelete(scratch);
			funcctx->user_fctx = rows;
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/* Distinct known item indexes of an int8[], sorted; NULLs and unknown ids skipped. */
static int32 *
known_items(const RecModel *m, ArrayType *arr, int64 *n_out)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int32	   *idx;
	int64		c = 0,
				w = 0;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("item_ids must be a one-dimensional array")));
	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	idx = palloc(Max(n, 1) * sizeof(int32));
	for (int i = 0; i < n; i++)
	{
		int32		j;

		if (nulls[i])
			continue;
		j = idmap_lookup(m->items, DatumGetInt64(elems[i]));
		if (j >= 0)
			idx[c++] = j;
	}
	/* sort (insertion sort is fine for baskets) and dedupe */
	for (int64 i = 1; i < c; i++)
	{
		int32		x = idx[i];
		int64		j = i - 1;

		while (j >= 0 && idx[j] > x)
		{
			idx[j + 1] = idx[j];
			j--;
		}
		idx[j + 1] = x;
	}
	for (int64 i = 0; i < c; i++)
		if (i == 0 || idx[i] != idx[i - 1])
			idx[w++] = idx[i];
	*n_out = w;
	return idx;
}

/*
 * Fold a basket into a user vector x: explicit ALS solves
 * (Q_S'Q_S + lambda |S| I) x = Q_S'(r_max - mu - b_S), the basket read as
 * top ratings; implicit ALS solves (Y'Y + alpha Y_S'Y_S + lambda I) x =
 * (1 + alpha) Y_S'1, one interaction of weight 1 per item.
 */
static void
fold_in(const RecModel *m, const int32 *items, int64 n, double *x)
{
	int			k = m->k;
	double	   *A = palloc0((Size) k * k * sizeof(double));
	double		c = m->kind == MODEL_ALS ? 1.0 : m->opt.alpha;

	memset(x, 0, k * sizeof(double));
	if (m->kind == MODEL_ALS_IMPLICIT)
		memcpy(A, m->YtY, (Size) k * k * sizeof(double));
	for (int64 a = 0; a < n; a++)
	{
		const double *q = m->Q + (Size) items[a] * k;

		cblas_dsyr(CblasRowMajor, CblasUpper, k, c, q, 1, A, k);
		cblas_daxpy(k, m->kind == MODEL_ALS ? m->r_max - m->mu - m->bi[items[a]] : 1.0 + m->opt.alpha,
					q, 1, x, 1);
	}
	for (int d = 0; d < k; d++)
		A[d * k + d] += (m->kind == MODEL_ALS ? m->opt.lambda * n : m->opt.lambda) + 1e-9;
	if (!blas_cholesky_solve(A, x, k))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot fold the items into a user: the normal equations are singular")));
	pfree(A);
}

/* recommend_for_items(model, item_ids, k) */
PG_FUNCTION_INFO_V1(rec_recommend_for_items);
Datum
rec_recommend_for_items(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		const RecModel *m = get_model_srf(fcinfo, funcctx);
		int32		k = get_k(fcinfo, 2);
		MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml recommend",
													  ALLOCSET_DEFAULT_SIZES);
		RecRows    *rows = rows_alloc(Min(k, m->ni), false);
		int32	   *items;
		int64		n;

		MemoryContextSwitchTo(scratch);
		items = known_items(m, PG_GETARG_ARRAYTYPE_P(1), &n);
		if (n > 0)
		{
			Scorer	   *sc = scorer_create(m, k);
			Size		got;

			if (m->kind == MODEL_ITEM_KNN)
			{
				double	   *w = palloc(n * sizeof(double));

				for (int64 a = 0; a < n; a++)
					w[a] = 1.0;
				got = topk_knn(sc, m, items, w, n, items, n);
			}
			else
			{
				double	   *x = palloc(m->k * sizeof(double));

				fold_in(m, items, n, x);
				cblas_dgemv(CblasRowMajor, CblasNoTrans, m->ni, m->k, 1.0, m->Q, m->k,
							x, 1, 0.0, sc->score, 1);
				if (m->kind == MODEL_ALS)
					for (int32 i = 0; i < m->ni; i++)
						sc->score[i] += m->mu + m->bi[i];
				got = topk_dense(sc, sc->score, m->ni, items, n, -1);
			}
			rows_add(rows, m, 0, sc->top, got);
		}
		MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		MemoryContextDelete(scratch);
		funcctx->user_fctx = rows;
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

#define RECOMMEND_ALL_BLOCK 256

/* recommend_all(model, k, exclude_seen) */
PG_FUNCTION_INFO_V1(rec_recommend_all);
Datum
rec_recommend_all(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		const RecModel *m = get_model_srf(fcinfo, funcctx);
		int32		k = get_k(fcinfo, 1);
		bool		exclude_seen = PG_GETARG_BOOL(2);
		MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml recommend_all",
													  ALLOCSET_DEFAULT_SIZES);
		RecRows    *rows = rows_alloc((int64) m->nu * Min(k, m->ni), true);
		Scorer	   *sc;

		MemoryContextSwitchTo(scratch);
		sc = scorer_create(m, k);
		blas_begin(0);
		if (m->kind == MODEL_ITEM_KNN)
		{
			for (int32 u = 0; u < m->nu; u++)
			{
				Size		got;

				CHECK_FOR_INTERRUPTS();
				got = recommend_user(sc, m, u, exclude_seen);
				rows_add(rows, m, m->users->ids[u], sc->top, got);
			}
		}
		else
		{
			double	   *block = alloc_doubles((Size) RECOMMEND_ALL_BLOCK * m->ni);

			for (int32 u0 = 0; u0 < m->nu; u0 += RECOMMEND_ALL_BLOCK)
			{
				int32		nb = Min(RECOMMEND_ALL_BLOCK, m->nu - u0);

				CHECK_FOR_INTERRUPTS();
				cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, m->ni, m->k, 1.0,
							m->P + (Size) u0 * m->k, m->k, m->Q, m->k, 0.0, block, m->ni);
				for (int32 b = 0; b < nb; b++)
				{
					int32		u = u0 + b;
					double	   *score = block + (Size) b * m->ni;
					Size		got;

					if (m->kind == MODEL_ALS)
					{
						double		base = m->mu + m->bu[u];

						for (int32 i = 0; i < m->ni; i++)
							score[i] += base + m->bi[i];
					}
					got = topk_dense(sc, score, m->ni, m->scol + m->sptr[u],
									 exclude_seen ? m->sptr[u + 1] - m->sptr[u] : 0, -1);
					rows_add(rows, m, m->users->ids[u], sc->top, got);
				}
			}
		}
		MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		MemoryContextDelete(scratch);
		funcctx->user_fctx = rows;
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/* similar_items(model, item_id, k) */
PG_FUNCTION_INFO_V1(rec_similar_items);
Datum
rec_similar_items(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		FuncCallContext *funcctx = srf_begin(fcinfo);
		MemoryContext old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		const RecModel *m = get_model_srf(fcinfo, funcctx);
		int32		k = get_k(fcinfo, 2);
		int32		i = idmap_lookup(m->items, PG_GETARG_INT64(1));

		if (i >= 0)
		{
			RecRows    *rows = rows_alloc(Min(k, m->ni), false);

			if (m->kind == MODEL_ITEM_KNN)
			{
				HeapItem	h;

				for (int64 e = m->nptr[i]; e < m->nptr[i + 1] && rows->n < k; e++)
				{
					h.key = m->nsim[e];
					h.value = m->ncol[e];
					rows_add(rows, m, 0, &h, 1);
					rows->rank[rows->n - 1] = (int32) rows->n;
				}
			}
			else
			{
				MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "ecomml similar_items",
															  ALLOCSET_DEFAULT_SIZES);
				Scorer	   *sc;
				Size		got;

				MemoryContextSwitchTo(scratch);
				sc = scorer_create(m, k);
				cblas_dgemv(CblasRowMajor, CblasNoTrans, m->ni, m->k, 1.0, m->Q, m->k,
							m->Q + (Size) i * m->k, 1, 0.0, sc->score, 1);
				for (int32 j = 0; j < m->ni; j++)
				{
					double		den = m->qnorm[i] * m->qnorm[j];

					sc->score[j] = den > 0 ? sc->score[j] / den : 0;
				}
				got = topk_dense(sc, sc->score, m->ni, NULL, 0, i);
				rows_add(rows, m, 0, sc->top, got);
				MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
				MemoryContextDelete(scratch);
			}
			funcctx->user_fctx = rows;
		}
		MemoryContextSwitchTo(old);
	}
	return srf_next(fcinfo);
}

/*
 * predict(model, user_id, item_id): explicit ALS falls back to the global
 * mean plus whatever biases are known; implicit ALS and kNN return NULL for
 * an unknown user or item.
 */
PG_FUNCTION_INFO_V1(rec_predict);
Datum
rec_predict(PG_FUNCTION_ARGS)
{
	const RecModel *m = get_model(fcinfo);
	int32		u = idmap_lookup(m->users, PG_GETARG_INT64(1));
	int32		i = idmap_lookup(m->items, PG_GETARG_INT64(2));
	double		s = 0;

	if (m->kind == MODEL_ALS)
	{
		s = m->mu + (u >= 0 ? m->bu[u] : 0) + (i >= 0 ? m->bi[i] : 0);
		if (u >= 0 && i >= 0)
			s += cblas_ddot(m->k, m->P + (Size) u * m->k, 1, m->Q + (Size) i * m->k, 1);
		PG_RETURN_FLOAT8(s);
	}
	if (u < 0 || i < 0)
		PG_RETURN_NULL();
	if (m->kind == MODEL_ALS_IMPLICIT)
		PG_RETURN_FLOAT8(cblas_ddot(m->k, m->P + (Size) u * m->k, 1, m->Q + (Size) i * m->k, 1));
	for (int64 e = m->sptr[u]; e < m->sptr[u + 1]; e++)
	{
		int32		a = m->scol[e];

		for (int64 f = m->nptr[a]; f < m->nptr[a + 1]; f++)
			if (m->ncol[f] == i)
				s += m->sval[e] * m->nsim[f];
	}
	PG_RETURN_FLOAT8(s);
}
