/*
 * recs.c - recommender models: options, training aggregates, encoding, and
 * the explicit ALS and item kNN fits (implicit ALS: als_implicit.c, EASE:
 * ease.c, serving: recs_serve.c)
 *
 * Explicit ALS: biased matrix factorization r = mu + b_u + b_i + p_u.q_i,
 * alternating exact least-squares solves per user and per item with the bias
 * folded in as a (k+1)-th factor, regularized by lambda times the row's
 * number of ratings (weighted-lambda, Zhou et al. 2008); each solve is a
 * Cholesky factorization of a (k+1) x (k+1) matrix built with dsyrk.  With
 * lambda "auto" the value is chosen on held-out training pairs with early
 * stopping, then refitted on all pairs.
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
#include "recs_model.h"
#include "rng.h"


static const char *const als_options[] = {
	"factors", "iterations", "lambda", "seed", "validation", "blas_threads", NULL
};
static const char *const als_implicit_options[] = {
	"factors", "iterations", "lambda", "alpha", "cg_steps", "seed", "blas_threads", NULL
};
static const char *const item_knn_options[] = {
	"neighbors", "weighting", "bm25_k1", "bm25_b", NULL
};
static const char *const ease_options[] = {"lambda", "seed", "blas_threads", NULL};
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
const TrainStateOps ease_state_ops = {
	MODEL_EASE, rec_state_write, rec_state_read, rec_state_combine
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
			o->lambda = options_double_or_auto(opts, "lambda", 0.0, 1e6);
			if (isnan(o->lambda))
				o->lambda = REC_LAMBDA_AUTO;
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
		case MODEL_EASE:
			options_check_keys(opts, ease_options);
			o->lambda = options_has(opts, "lambda") ? options_double_or_auto(opts, "lambda", 0.0, 1e12) : 100.0;
			if (isnan(o->lambda))
				o->lambda = REC_LAMBDA_AUTO;
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
	if (m->kind == MODEL_EASE)
	{
		write_f64_array(w, m->sval, m->nnz);
		ease_write(m, w);
	}
	else if (m->kind == MODEL_ITEM_KNN)
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
	/* 0.3.0: the lambda search of explicit ALS and EASE (absent in older models) */
	if (m->kind == MODEL_ALS || m->kind == MODEL_EASE)
	{
		double	   *iters = rec_alloc_doubles(m->n_lambda);

		for (int32 j = 0; j < m->n_lambda; j++)
			iters[j] = m->lambda_iters[j];
		write_i32(w, m->n_lambda);
		write_f64_array(w, m->lambda_grid, m->n_lambda);
		write_f64_array(w, m->lambda_score, m->n_lambda);
		write_f64_array(w, iters, m->n_lambda);
	}
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
	if ((kind == MODEL_ITEM_KNN || kind == MODEL_EASE ? m->k != 0 : (m->k < 1 || m->k > MAX_FACTORS)) ||
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
	if (kind == MODEL_EASE)
	{
		m->sval = read_f64_array(r, m->nnz);
		check_finite(r, m->sval, m->nnz);
		ease_read(m, r);
	}
	else if (kind == MODEL_ITEM_KNN)
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
	if ((kind == MODEL_ALS || kind == MODEL_EASE) && r->pos < r->len)
	{
		double	   *iters;

		m->n_lambda = read_i32(r);
		if (m->n_lambda < 0 || m->n_lambda > 64)
			reader_corrupt(r, "The lambda search has an impossible length");
		m->lambda_grid = read_f64_array(r, m->n_lambda);
		m->lambda_score = read_f64_array(r, m->n_lambda);
		iters = read_f64_array(r, m->n_lambda);
		m->lambda_iters = palloc(Max(m->n_lambda, 1) * sizeof(int32));
		for (int32 j = 0; j < m->n_lambda; j++)
		{
			if (!(iters[j] >= 0 && iters[j] <= 10000))
				reader_corrupt(r, "The lambda search holds impossible values");
			m->lambda_iters[j] = (int32) iters[j];
		}
	}
	reader_expect_end(r);

	/* derived serving data */
	m->popularity = rec_zeros(m->ni);
	for (int64 j = 0; j < m->nnz; j++)
		m->popularity[m->scol[j]] += 1;
	if (kind == MODEL_ALS || kind == MODEL_ALS_IMPLICIT)
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

void *
ease_decode(ByteReader *r)
{
	return rec_model_read(r, MODEL_EASE);
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
	if (m->kind == MODEL_EASE)
	{
		json_append_double(buf, "lambda", m->opt.lambda);
		if (m->n_lambda > 0)
		{
			json_append_text(buf, "lambda_chosen_by", "validation");
			json_append_double_array(buf, "lambda_tried", m->lambda_grid, m->n_lambda);
			json_append_double_array(buf, "lambda_validation_ndcg", m->lambda_score, m->n_lambda);
		}
		return;
	}
	json_append_int(buf, "factors", m->k);
	json_append_int(buf, "iterations", m->opt.iterations);
	json_append_double(buf, "lambda", m->opt.lambda);
	if (m->n_lambda > 0)
	{
		double	   *iters = palloc(m->n_lambda * sizeof(double));

		for (int32 j = 0; j < m->n_lambda; j++)
			iters[j] = m->lambda_iters[j];
		json_append_text(buf, "lambda_chosen_by", "validation");
		json_append_int(buf, "iterations_run", m->n_iter);
		json_append_double_array(buf, "lambda_tried", m->lambda_grid, m->n_lambda);
		json_append_double_array(buf, "lambda_validation_rmse", m->lambda_score, m->n_lambda);
		json_append_double_array(buf, "lambda_best_iterations", iters, m->n_lambda);
	}
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

double *
rec_alloc_doubles(Size n)
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

double *
rec_zeros(Size n)
{
	double	   *v = rec_alloc_doubles(n);

	memset(v, 0, Max(n, 1) * sizeof(double));
	return v;
}

static void
alloc_history(RecModel *m)
{
	m->loss = rec_alloc_doubles(m->opt.iterations);
	m->train_rmse = rec_alloc_doubles(m->opt.iterations);
	m->valid_rmse = rec_alloc_doubles(m->opt.iterations);
	m->n_iter = 0;
}

/* Scratch space and factors of explicit ALS fits. */
typedef struct AlsExplicitWork
{
	double	   *work;
	double	   *t;
	double	   *A;
	double	   *b;
	/* the factors at the best validation RMSE so far */
	double	   *bestP;
	double	   *bestQ;
	double	   *bestbu;
	double	   *bestbi;
} AlsExplicitWork;

#define ALS_PATIENCE 2			/* iterations without a better validation RMSE */
#define ALS_AUTO_LAMBDA0 0.05	/* first value tried; then doubled or halved */
#define ALS_AUTO_STEPS_UP 7
#define ALS_AUTO_STEPS_DOWN 9

static double
als_explicit_valid_rmse(const RecModel *m, const RecData *d)
{
	double		vsse = 0;

	for (int64 j = 0; j < d->n_valid; j++)
	{
		double		e = d->valid_val[j] - als_explicit_predict(m, d->valid_user[j], d->valid_item[j]);

		vsse += e * e;
	}
	return d->n_valid > 0 ? sqrt(vsse / d->n_valid) : NAN;
}

/*
 * Fit from fresh seeded factors for at most max_iter iterations.  With
 * early_stop (and validation pairs) stop after ALS_PATIENCE iterations
 * without a better validation RMSE and keep the factors of the best one.
 * With record, the history and one NOTICE per iteration are kept.  Returns
 * the best validation RMSE (NAN without validation pairs) and its iteration
 * count in *best_iter.
 */
static double
als_explicit_run(RecModel *m, const RecData *d, AlsExplicitWork *w, double lambda,
				 int max_iter, bool early_stop, bool record, int *best_iter)
{
	int			k = m->k;
	double		best = INFINITY;
	Rng			rng;

	rng_seed(&rng, (uint64) m->opt.seed);
	init_factors(m->P, (Size) m->nu * k, &rng, 0.1);
	init_factors(m->Q, (Size) m->ni * k, &rng, 0.1);
	memset(m->bu, 0, Max(m->nu, 1) * sizeof(double));
	memset(m->bi, 0, Max(m->ni, 1) * sizeof(double));
	early_stop = early_stop && d->n_valid > 0;
	*best_iter = max_iter;
	if (record)
		m->n_iter = 0;

	for (int it = 0; it < max_iter; it++)
	{
		double		vrmse;

		als_explicit_solve(d->n_users, d->uptr, d->ucol, d->uval, m->P, m->bu, m->Q, m->bi,
						   k, lambda, m->mu, w->work, w->t, w->A, w->b);
		als_explicit_solve(d->n_items, d->iptr, d->irow, d->ival, m->Q, m->bi, m->P, m->bu,
						   k, lambda, m->mu, w->work, w->t, w->A, w->b);
		vrmse = als_explicit_valid_rmse(m, d);
		if (record)
		{
			double		sse = 0,
						reg = 0;

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
			m->loss[it] = (sse + lambda * reg) / d->nnz;
			m->train_rmse[it] = sqrt(sse / d->nnz);
			m->valid_rmse[it] = vrmse;
			m->n_iter = it + 1;
			if (d->n_valid > 0)
				ereport(NOTICE,
						(errmsg("als iteration %d of %d: loss %.6f, train rmse %.6f, validation rmse %.6f",
								it + 1, max_iter, m->loss[it], m->train_rmse[it], vrmse)));
			else
				ereport(NOTICE,
						(errmsg("als iteration %d of %d: loss %.6f, train rmse %.6f",
								it + 1, max_iter, m->loss[it], m->train_rmse[it])));
		}
		if (!early_stop)
			continue;
		if (vrmse < best * (1 - 1e-6))
		{
			best = vrmse;
			*best_iter = it + 1;
			memcpy(w->bestP, m->P, (Size) m->nu * k * sizeof(double));
			memcpy(w->bestQ, m->Q, (Size) m->ni * k * sizeof(double));
			memcpy(w->bestbu, m->bu, m->nu * sizeof(double));
			memcpy(w->bestbi, m->bi, m->ni * sizeof(double));
		}
		else if (it + 1 - *best_iter >= ALS_PATIENCE)
			break;
	}
	if (!early_stop)
		return als_explicit_valid_rmse(m, d);
	memcpy(m->P, w->bestP, (Size) m->nu * k * sizeof(double));
	memcpy(m->Q, w->bestQ, (Size) m->ni * k * sizeof(double));
	memcpy(m->bu, w->bestbu, m->nu * sizeof(double));
	memcpy(m->bi, w->bestbi, m->ni * sizeof(double));
	return best;
}

/* lambda "auto" of explicit ALS: the fit of one grid value */
typedef struct AlsLambdaFit
{
	RecModel   *m;
	const RecData *split;
	AlsExplicitWork *w;
} AlsLambdaFit;

/* One point of the validation curve: an early-stopped fit on the split. */
static double
als_explicit_fit_lambda(void *arg, double lambda, int *iters)
{
	AlsLambdaFit *f = arg;
	double		rmse = als_explicit_run(f->m, f->split, f->w, lambda, f->m->opt.iterations, true, false, iters);

	ereport(NOTICE,
			(errmsg("als lambda %g: validation rmse %.6f after %d iterations", lambda, rmse, *iters)));
	return rmse;
}

/*
 * lambda "auto": fit on 90 % of the training pairs with lambda = 0.05, 0.1,
 * ... (doubling while the held-out RMSE improves, else halving from 0.025),
 * each fit early-stopped; keep every value's best RMSE and iteration count.
 * Returns the chosen lambda and its iteration count in *iters.
 */
static double
als_explicit_choose_lambda(RecModel *m, const RecData *d, AlsExplicitWork *w, int *iters)
{
	static const LambdaGrid grid = {ALS_AUTO_LAMBDA0, 2.0, ALS_AUTO_STEPS_UP, ALS_AUTO_STEPS_DOWN};
	AlsLambdaFit f;
	int			best;

	f.m = m;
	f.split = interactions_split(d, REC_AUTO_HOLDOUT, m->opt.seed ^ INT64CONST(0x5eed1a3bda));
	f.w = w;
	if (f.split->n_valid == 0 || f.split->nnz == 0)
	{
		*iters = m->opt.iterations;
		return ALS_AUTO_LAMBDA0;
	}
	best = rec_lambda_search(m, &grid, false, als_explicit_fit_lambda, &f);
	*iters = m->lambda_iters[best];
	return m->lambda_grid[best];
}

static void
fit_als_explicit(RecModel *m, const RecData *d)
{
	int			k = m->k,
				k1 = k + 1;
	int64		mrow = Max(max_row(d->uptr, d->n_users), max_row(d->iptr, d->n_items));
	AlsExplicitWork w;
	double		sum = 0;
	int			iters = m->opt.iterations;

	for (int64 j = 0; j < d->nnz; j++)
		sum += d->uval[j];
	m->mu = sum / d->nnz;
	w.work = rec_alloc_doubles((Size) mrow * k1);
	w.t = rec_alloc_doubles(mrow);
	w.A = rec_alloc_doubles((Size) k1 * k1);
	w.b = rec_alloc_doubles(k1);
	m->P = rec_alloc_doubles((Size) m->nu * k);
	m->Q = rec_alloc_doubles((Size) m->ni * k);
	m->bu = rec_zeros(m->nu);
	m->bi = rec_zeros(m->ni);
	alloc_history(m);
	if (m->opt.lambda == REC_LAMBDA_AUTO)
	{
		w.bestP = rec_alloc_doubles((Size) m->nu * k);
		w.bestQ = rec_alloc_doubles((Size) m->ni * k);
		w.bestbu = rec_alloc_doubles(m->nu);
		w.bestbi = rec_alloc_doubles(m->ni);
		m->opt.lambda = als_explicit_choose_lambda(m, d, &w, &iters);
	}
	als_explicit_run(m, d, &w, m->opt.lambda, iters, false, true, &iters);
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
	double	   *idf = rec_alloc_doubles(nu);
	double	   *lnorm = rec_alloc_doubles(ni);
	double	   *wu = rec_alloc_doubles(d->nnz);
	double	   *wi = rec_alloc_doubles(d->nnz);
	double	   *norm = rec_alloc_doubles(ni);
	double	   *acc = rec_zeros(ni);
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
	m->k = kind == MODEL_ITEM_KNN || kind == MODEL_EASE ? 0 : s->opt.factors;
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
	else if (kind == MODEL_EASE)
		fit_ease(m, d);
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

PG_FUNCTION_INFO_V1(train_ease_transfn);
Datum
train_ease_transfn(PG_FUNCTION_ARGS)
{
	return rec_transfn(fcinfo, &ease_state_ops);
}

PG_FUNCTION_INFO_V1(train_ease_finalfn);
Datum
train_ease_finalfn(PG_FUNCTION_ARGS)
{
	return rec_finalfn(fcinfo, &ease_state_ops);
}

PG_FUNCTION_INFO_V1(train_item_knn_finalfn);
Datum
train_item_knn_finalfn(PG_FUNCTION_ARGS)
{
	return rec_finalfn(fcinfo, &item_knn_state_ops);
}
