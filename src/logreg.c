/*
 * logreg.c - ecomml.train_logreg(features float8[], label boolean, options)
 *
 * L2-penalized logistic regression on standardized features, solved by
 * Newton's method (IRLS): every iteration is one pass over the rows in blocks
 * of LOGREG_BLOCK, building the gradient with dgemv and the (p x p) Hessian
 * X' W X with dsyrk (p = features + intercept), then one Cholesky solve, with
 * Armijo backtracking.  It stops when ||gradient||_2 <= tol * sum of weights.
 * Above LOGREG_NEWTON_MAX_D features L-BFGS replaces Newton (no Hessian).
 * From 4 * LOGREG_WARM_ROWS rows on, both start from a solve on a strided
 * subsample, so that only two or three passes over all rows remain.
 *
 * Newton needs several passes, so the training state keeps the rows: a flat
 * row-major double array (huge allocation, 8 d + 1 bytes per row) and one
 * byte per label.  Combining two states appends the rows, so a parallel run
 * trains on the same rows as a serial one and differs only by the order of
 * floating-point sums (about 1e-12 relative).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "blas.h"
#include "fraud.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"
#include "rowstore.h"

#define LOGREG_BLOCK 512
#define LOGREG_WARM_ROWS 25000

typedef enum ClassWeightMode
{
	CW_NONE = 0,
	CW_BALANCED = 1,
	CW_GIVEN = 2
} ClassWeightMode;

typedef enum LogregSolver
{
	SOLVER_AUTO = 0,
	SOLVER_NEWTON = 1,
	SOLVER_LBFGS = 2
} LogregSolver;

/* auto: Newton up to this many features, L-BFGS above */
#define LOGREG_NEWTON_MAX_D 500
/* explicit Newton: three p x p matrices of at most 3 x 128 MB */
#define LOGREG_NEWTON_LIMIT_P 4096

typedef struct LogregState
{
	RowStore	rows;			/* n * d, NaN marks an imputed NULL; width 0 until the first row */
	int64		npos;			/* rows labeled true */
	int64		ycap;			/* labels allocated */
	uint8	   *y;				/* n labels */
	/* options */
	double		lambda;			/* < 0: 1e-4 * n */
	int32		cw_mode;
	double		w_neg,
				w_pos;
	bool		intercept;
	bool		impute_mean;
	int32		max_iter;		/* 0: 100 for Newton, 1000 for L-BFGS */
	double		tol;
	int32		solver;
	double		buf[FEATURES_SHORT_MAX];	/* array_features_datum's */
} LogregState;

typedef struct LogregModel
{
	int32		d;
	bool		intercept;
	bool		impute_mean;
	double		lambda;
	double		w_neg,
				w_pos;
	int64		n;
	int64		npos;
	int32		iterations;
	bool		converged;
	double		log_loss;
	double		train_auc;
	double		grad_norm;
	int32		n_constant;
	bool		lbfgs;			/* solved by L-BFGS, not Newton */
	double	   *mean;
	double	   *std;			/* 0 for a constant feature */
	double	   *coef;			/* on standardized features */
	double		bias;
	double	   *inv_std;		/* decoded: 1/std, 0 for constant features */
} LogregModel;

static const char *const logreg_options[] = {
	"lambda", "class_weight", "fit_intercept", "max_iter", "tol", "impute", "solver", NULL
};
static const char *const impute_choices[] = {"error", "mean", NULL};
static const char *const solver_choices[] = {"auto", "newton", "lbfgs", NULL};

/* State */

/* Room for one more label; rows go to the row store. */
static void
logreg_reserve_labels(LogregState *s, int64 extra, MemoryContext cxt)
{
	int64		need = s->rows.n + extra;
	int64		cap;

	if (need <= s->ycap)
		return;
	cap = Max(need, Max(s->ycap * 2, 256));
	if (s->y == NULL)
		s->y = MemoryContextAllocHuge(cxt, cap);
	else
		s->y = repalloc_huge(s->y, cap);
	s->ycap = cap;
}

static void
logreg_write(const void *data, ByteWriter *w)
{
	const LogregState *s = data;

	write_i32(w, s->rows.d);
	write_f64(w, s->lambda);
	write_i32(w, s->cw_mode);
	write_f64(w, s->w_neg);
	write_f64(w, s->w_pos);
	write_u8(w, s->intercept);
	write_u8(w, s->impute_mean);
	write_i32(w, s->max_iter);
	write_f64(w, s->tol);
	write_i32(w, s->solver);
	write_i64(w, s->npos);
	write_i64(w, s->rows.n);
	rowstore_write(&s->rows, w);
	write_bytes(w, s->y, s->rows.n);
}

static void *
logreg_read(ByteReader *r)
{
	LogregState *s = palloc0(sizeof(LogregState));
	int64		n;
	int32		d;

	d = read_i32(r);
	s->lambda = read_f64(r);
	s->cw_mode = read_i32(r);
	s->w_neg = read_f64(r);
	s->w_pos = read_f64(r);
	s->intercept = read_u8(r) != 0;
	s->impute_mean = read_u8(r) != 0;
	s->max_iter = read_i32(r);
	s->tol = read_f64(r);
	s->solver = read_i32(r);
	s->npos = read_i64(r);
	if (d < 0 || d > FEATURES_MAX || s->cw_mode < CW_NONE || s->cw_mode > CW_GIVEN ||
		!(s->w_neg > 0) || !(s->w_pos > 0) || !isfinite(s->w_neg) || !isfinite(s->w_pos) ||
		s->max_iter < 0 || !(s->tol > 0) || isnan(s->lambda) ||
		s->solver < SOLVER_AUTO || s->solver > SOLVER_LBFGS)
		reader_corrupt(r, "The logreg state holds impossible values");
	n = read_count(r, PG_INT64_MAX / 2, (Size) d * sizeof(double) + 1);
	if ((d == 0 && n != 0) || s->npos < 0 || s->npos > n)
		reader_corrupt(r, "The logreg state holds impossible counts");
	if (d > 0)
		rowstore_set_width(&s->rows, d);
	logreg_reserve_labels(s, n, CurrentMemoryContext);
	rowstore_read(&s->rows, r, n, CurrentMemoryContext);
	read_bytes(r, s->y, n);
	return s;
}

static void
logreg_combine(void *into, const void *from)
{
	LogregState *a = into;
	const LogregState *b = from;

	if (b->rows.n == 0)
		return;
	if (a->rows.d == 0 && a->rows.n == 0)
		rowstore_set_width(&a->rows, b->rows.d);
	check_feature_length("train_logreg", b->rows.d, a->rows.d);
	logreg_reserve_labels(a, b->rows.n, CurrentMemoryContext);
	memcpy(a->y + a->rows.n, b->y, b->rows.n);
	rowstore_append_all(&a->rows, &b->rows, CurrentMemoryContext);
	a->npos += b->npos;
}

const TrainStateOps logreg_state_ops = {
	MODEL_LOGREG, logreg_write, logreg_read, logreg_combine
};

static void
read_class_weight(Jsonb *opts, LogregState *s)
{
	JsonbValue	k;
	JsonbValue *v;

	s->cw_mode = CW_NONE;
	s->w_neg = s->w_pos = 1.0;
	if (opts == NULL)
		return;
	k.type = jbvString;
	k.val.string.val = "class_weight";
	k.val.string.len = strlen("class_weight");
	v = findJsonbValueFromContainer(&opts->root, JB_FOBJECT, &k);
	if (v == NULL || v->type == jbvNull)
		return;
	if (v->type == jbvString && v->val.string.len == 8 &&
		strncmp(v->val.string.val, "balanced", 8) == 0)
	{
		s->cw_mode = CW_BALANCED;
		return;
	}
	if (v->type == jbvNumeric)
	{
		s->w_pos = options_double(opts, "class_weight", 1, 1e-6, 1e6);
		s->cw_mode = CW_GIVEN;
		return;
	}
	if (v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) &&
		JsonContainerSize(v->val.binary.data) == 2)
	{
		double		w[2];

		for (int i = 0; i < 2; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(v->val.binary.data, i);

			if (e == NULL || e->type != jbvNumeric)
				break;
			w[i] = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													  NumericGetDatum(e->val.numeric)));
			if (!(w[i] >= 1e-6 && w[i] <= 1e6))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"class_weight\" is out of range: %g", w[i]),
						 errdetail("Class weights must be between 1e-06 and 1e+06.")));
			if (i == 1)
			{
				s->w_neg = w[0];
				s->w_pos = w[1];
				s->cw_mode = CW_GIVEN;
				return;
			}
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"class_weight\""),
			 errdetail("It must be \"balanced\", the weight of the true class (a number), or [weight of false, weight of true].")));
}

/* train_logreg(state, features, label [, options]) */
PG_FUNCTION_INFO_V1(train_logreg_transfn);
Datum
train_logreg_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &logreg_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 3);
	LogregState *s = st->data;

	if (s == NULL)
	{
		options_check_keys(opts, logreg_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(LogregState));
		s->lambda = options_double(opts, "lambda", -1, 0, 1e12);	/* -1: 1e-4 n */
		read_class_weight(opts, s);
		s->intercept = options_bool(opts, "fit_intercept", true);
		s->max_iter = options_int(opts, "max_iter", 0, 1, 100000);
		{
			const char *sv = options_choice(opts, "solver", "auto", solver_choices);

			s->solver = strcmp(sv, "newton") == 0 ? SOLVER_NEWTON :
				strcmp(sv, "lbfgs") == 0 ? SOLVER_LBFGS : SOLVER_AUTO;
		}
		s->tol = options_double(opts, "tol", 1e-8, 1e-15, 1);
		s->impute_mean = strcmp(options_choice(opts, "impute", "error", impute_choices), "mean") == 0;
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);

	logreg_reserve_labels(s, 1, st->hdr.eoh_context);
	rowstore_append_features(&s->rows, PG_GETARG_DATUM(1), s->impute_mean, s->buf,
							 st->hdr.eoh_context, "train_logreg");
	s->y[s->rows.n - 1] = PG_GETARG_BOOL(2) ? 1 : 0;
	s->npos += s->y[s->rows.n - 1];
	PG_RETURN_AGG_STATE(st);
}

/* Training */

typedef struct Fit
{
	const LogregState *s;
	int			d;
	int			p;				/* d + intercept */
	double		lambda;
	double		w_neg,
				w_pos;
	double	   *mean;
	double	   *std;
	double	   *inv_std;
	bool	   *constant;
	int64		stride;			/* 1, or every stride-th row for the warm start */
	int64		rows;			/* rows a pass visits: ceil(n / stride) */
	bool		raw_ok;			/* full passes may skip standardizing (raw_pass) */
	double	   *sub;			/* NULL, or the strided rows standardized (rows x p) */
	double	   *raw;			/* raw_pass's work space */
	/* block buffers */
	double	   *a;
	double	   *eta;
	double	   *r;
	double	   *v;
} Fit;

static inline double
sigmoid(double t)
{
	if (t >= 0)
		return 1.0 / (1.0 + exp(-t));
	else
	{
		double		e = exp(t);

		return e / (1.0 + e);
	}
}

/* x standardized into row (p values, a one last with an intercept); x may be row */
static inline void
standardize_row(const Fit *f, const double *x, double *row)
{
	for (int j = 0; j < f->d; j++)
	{
		double		val = x[j];

		row[j] = isnan(val) ? 0.0 : (val - f->mean[j]) * f->inv_std[j];
	}
	if (f->p > f->d)
		row[f->d] = 1.0;
}

/*
 * Standardized rows start..start+b-1 of the pass (physical rows times the
 * stride) into out (b x p), ones in column d.
 */
static void
standardize_rows(const Fit *f, int64 start, int b, double *out)
{
	for (int i = 0; i < b; i++)
		standardize_row(f, rowstore_row(&f->s->rows, (start + i) * f->stride), out + (Size) i * f->p);
}

/*
 * The pass's standardized rows start..start+b-1 (b x p): in place in the
 * warm start's gathered rows, else standardized into f->a.
 */
static const double *
block_rows(Fit *f, int64 start, int b)
{
	if (f->sub)
		return f->sub + (Size) start * f->p;
	standardize_rows(f, start, b, f->a);
	return f->a;
}

/*
 * Losses of the b rows from start whose linear predictors are in eta:
 * weighted residuals into f->r, square roots of the Hessian weights into
 * f->v (with want_v); adds the weighted loss to *obj and the unweighted one
 * to *ll.
 */
static void
block_losses(Fit *f, int64 start, int b, const double *eta, bool want_v, double *obj, double *ll)
{
	const uint8 *ys = f->s->y;
	double		prod_neg = 1,
				prod_pos = 1,
				rest_neg = 0,
				rest_pos = 0,
				loss_neg,
				loss_pos;

	Assert(b <= LOGREG_BLOCK);
	for (int i = 0; i < b; i++)
	{
		bool		y = ys[(start + i) * f->stride];
		double		sw = y ? f->w_pos : f->w_neg;
		double		e = eta[i];
		/* one exp: sigmoid and log(1 + exp(+-e)) both from q = exp(-|e|) */
		double		q = exp(-fabs(e));
		double		u = 1.0 + q;
		double		inv = 1.0 / u;
		double		prob = e >= 0 ? inv : q * inv;

		/*
		 * loss = log(1 + exp(e)) - y e = max(e, 0) + log1p(q) - y e, with
		 * log1p(q) as log(u) corrected for the rounding of u to first order;
		 * the logs are summed as the log of the product of the u per class
		 * (below), one log per block instead of one per row.
		 */
		double		rest = Max(e, 0.0) - (y ? e : 0.0) + (q - (u - 1.0)) * inv;

		prod_pos *= y ? u : 1.0;
		prod_neg *= y ? 1.0 : u;
		rest_pos += y ? rest : 0.0;
		rest_neg += y ? 0.0 : rest;
		f->r[i] = sw * (prob - (y ? 1.0 : 0.0));
		/* prob (1 - prob) = q / u^2 */
		if (want_v)
			f->v[i] = sqrt(sw * q) * inv;
	}
	/* 1 < u <= 2: a product of at most LOGREG_BLOCK (512) stays finite */
	loss_neg = log(prod_neg) + rest_neg;
	loss_pos = log(prod_pos) + rest_pos;
	*obj += f->w_neg * loss_neg + f->w_pos * loss_pos;
	*ll += loss_neg + loss_pos;
}

/*
 * A full pass without standardizing the rows: the coefficients are mapped to
 * raw units instead (w_j / std_j, intercept less the means), dgemv runs on
 * the stored rows where they lie, and the raw gradient maps back.  With h,
 * the Hessian too: dsyrk over the raw rows with a column of ones, each row
 * times the square root of its weight, mapped back as A H A' (A the affine
 * map from raw to standardized units), which saves standardizing every value
 * and scaling it again.  Possible when no value is NULL (NaN) and no mean is
 * so large against its spread that the shift would cost accuracy (the
 * mapped Hessian loses at most (mean / std)^2 <= 1e8 ulps; it only steers
 * Newton's steps, convergence is judged on the exact gradient).
 */
static void
raw_pass(Fit *f, const double *w, double *g, double *h, double *scores, double *obj, double *ll)
{
	const RowStore *rows = &f->s->rows;
	int			d = f->d,
				p = f->p,
				q = d + 1;		/* raw row and a one */
	double	   *wr = f->raw;	/* d raw coefficients, d raw gradients, q x q raw Hessian */
	double	   *gr = f->raw + d;
	double	   *hr = f->raw + 2 * d;
	double		bias = p > d ? w[d] : 0.0,
				rsum = 0;

	for (int j = 0; j < d; j++)
	{
		wr[j] = w[j] * f->inv_std[j];
		bias -= wr[j] * f->mean[j];
		gr[j] = 0;
	}
	if (h)
		memset(hr, 0, sizeof(double) * q * q);
	for (int64 start = 0; start < f->rows;)
	{
		int			b = (int) Min((int64) LOGREG_BLOCK, f->rows - start);
		const double *run = rowstore_run(rows, start, &b);
		double	   *eta = scores ? scores + start : f->eta;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < b; i++)
			eta[i] = bias;
		cblas_dgemv(CblasRowMajor, CblasNoTrans, b, d, 1.0, run, d, wr, 1, 1.0, eta, 1);
		block_losses(f, start, b, eta, h != NULL, obj, ll);
		cblas_dgemv(CblasRowMajor, CblasTrans, b, d, 1.0, run, d, f->r, 1, 1.0, gr, 1);
		for (int i = 0; i < b; i++)
			rsum += f->r[i];
		if (h)
		{
			for (int i = 0; i < b; i++)
			{
				const double *x = run + (Size) i * d;
				double	   *row = f->a + (Size) i * q;
				double		sv = f->v[i];

				for (int j = 0; j < d; j++)
					row[j] = x[j] * sv;
				row[d] = sv;
			}
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, q, b, 1.0, f->a, q, 1.0, hr, q);
		}
		start += b;
	}
	for (int j = 0; j < d; j++)
		g[j] = (gr[j] - f->mean[j] * rsum) * f->inv_std[j];
	if (p > d)
		g[d] = rsum;
	if (h == NULL)
		return;
	/* h = A hr A', from the upper triangle of hr; (d, d) holds the sum of weights */
	for (int j = 0; j < d; j++)
		for (int k = j; k < d; k++)
		{
			double		hjk = hr[(Size) j * q + k] - f->mean[k] * hr[(Size) j * q + d]
				- f->mean[j] * hr[(Size) k * q + d] + f->mean[j] * f->mean[k] * hr[(Size) d * q + d];

			h[(Size) j * p + k] = hjk * f->inv_std[j] * f->inv_std[k];
		}
	if (p > d)
	{
		for (int j = 0; j < d; j++)
			h[(Size) j * p + d] = (hr[(Size) j * q + d] - f->mean[j] * hr[(Size) d * q + d]) * f->inv_std[j];
		h[(Size) d * p + d] = hr[(Size) d * q + d];
	}
}

/*
 * Penalized objective at w; its gradient into g and Hessian (upper triangle,
 * row-major) into h.  With scores, also every row's linear predictor (for
 * the training AUC) and the unweighted log-loss sum into *logloss, so the
 * pass that finds convergence doubles as the evaluation pass.
 */
static double
logreg_pass(Fit *f, const double *w, double *g, double *h, double *scores, double *logloss)
{
	int			p = f->p;
	double		obj = 0,
				ll = 0;

	memset(g, 0, sizeof(double) * p);
	if (h)
		memset(h, 0, sizeof(double) * p * p);
	if (f->raw_ok && f->stride == 1)
		raw_pass(f, w, g, h, scores, &obj, &ll);
	else
		for (int64 start = 0; start < f->rows; start += LOGREG_BLOCK)
		{
			int			b = (int) Min((int64) LOGREG_BLOCK, f->rows - start);
			double	   *eta = scores ? scores + start : f->eta;
			const double *a;

			CHECK_FOR_INTERRUPTS();
			a = block_rows(f, start, b);
			cblas_dgemv(CblasRowMajor, CblasNoTrans, b, p, 1.0, a, p, w, 1, 0.0, eta, 1);
			block_losses(f, start, b, eta, h != NULL, &obj, &ll);
			cblas_dgemv(CblasRowMajor, CblasTrans, b, p, 1.0, a, p, f->r, 1, 1.0, g, 1);
			if (h == NULL)
				continue;
			/* rows times the square roots of their weights, into f->a (a may be f->a) */
			for (int i = 0; i < b; i++)
			{
				const double *x = a + (Size) i * p;
				double	   *row = f->a + (Size) i * p;
				double		sv = f->v[i];

				for (int j = 0; j < p; j++)
					row[j] = x[j] * sv;
			}
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, p, b, 1.0, f->a, p, 1.0, h, p);
		}
	for (int j = 0; j < f->d; j++)
	{
		obj += 0.5 * f->lambda * w[j] * w[j];
		g[j] += f->lambda * w[j];
		if (h == NULL)
			continue;
		h[(Size) j * p + j] += f->lambda;
		if (f->constant[j] && f->lambda == 0)
			h[(Size) j * p + j] += 1.0;	/* its column is zero: keep H definite */
	}
	if (logloss)
		*logloss = ll;
	return obj;
}

static double
norm2(const double *v, int n)
{
	return cblas_dnrm2(n, v, 1);
}

typedef struct NewtonWork
{
	double	   *w,
			   *wn,
			   *g,
			   *gn,
			   *h,
			   *hn,
			   *hc,
			   *step;
	const double *hfix;			/* NULL, or a Hessian to use instead of each pass's */
	double	   *scores;			/* NULL, or where passes store the linear predictors */
	bool		scores_current;	/* scores holds those at w */
	double		logloss;
	int			iter;
	double		gnorm;
} NewtonWork;

/*
 * Newton iterations from nw->w until ||gradient|| <= tol_abs or max_iter;
 * true if converged.  The result is in nw->w.
 *
 * A pass that builds the Hessian costs about twice as much as one that does
 * not (dsyrk), so a trial pass builds it only where the next step needs it: not
 * when the step is expected to converge, judged by the rate of the last step
 * (linear with the fixed Hessian, |g'| = r |g|; quadratic with Newton's,
 * |g'| = r |g|^2).  After a fixed-Hessian step it is always built, so that
 * falling back to Newton costs no extra pass.
 */
static bool
newton(Fit *f, NewtonWork *nw, double tol_abs, int max_iter)
{
	int			p = f->p;
	double	   *w = nw->w,
			   *wn = nw->wn,
			   *g = nw->g,
			   *gn = nw->gn,
			   *h = nw->h,
			   *hn = nw->hn,
			   *hc = nw->hc,
			   *step = nw->step;
	const double *hsrc;
	double		obj,
				gnorm = 0,
				logloss = 0,
				lln = 0,
				predicted = INFINITY;	/* the next gradient norm, if known */
	int			iter = 0;
	bool		converged = false;
	bool		fixed = nw->hfix != NULL;
	bool		h_at_w = !fixed;	/* h holds the Hessian at w */

	obj = logreg_pass(f, w, g, h_at_w ? h : NULL, nw->scores, &logloss);
	nw->scores_current = true;
	for (;;)
	{
		double		slope,
					t = 1.0,
					objn = 0,
					gnew;
		bool		accepted = false;
		bool		want_h;

		gnorm = norm2(g, p);
		if (gnorm <= tol_abs)
		{
			converged = true;
			break;
		}
		if (iter >= max_iter)
			break;
		if (!fixed && !h_at_w)
		{
			/* the prediction failed: the Hessian at w after all */
			obj = logreg_pass(f, w, g, h, nw->scores, &logloss);
			h_at_w = true;
		}
		hsrc = fixed ? nw->hfix : h;
		memcpy(hc, hsrc, sizeof(double) * p * p);
		for (int j = 0; j < p; j++)
			step[j] = -g[j];
		if (!blas_cholesky_solve(hc, step, p))
		{
			/* singular (no penalty, collinear features): a tiny ridge */
			double		maxdiag = 0;

			for (int j = 0; j < p; j++)
				maxdiag = Max(maxdiag, hsrc[(Size) j * p + j]);
			memcpy(hc, hsrc, sizeof(double) * p * p);
			for (int j = 0; j < p; j++)
			{
				hc[(Size) j * p + j] += 1e-10 * Max(maxdiag, 1.0);
				step[j] = -g[j];
			}
			if (!blas_cholesky_solve(hc, step, p))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("logreg Hessian is not positive definite"),
						 errhint("Use a positive \"lambda\".")));
		}
		slope = cblas_ddot(p, g, 1, step, 1);
		want_h = fixed || !(predicted <= 0.25 * tol_abs);
		for (int ls = 0; ls < 40; ls++)
		{
			for (int j = 0; j < p; j++)
				wn[j] = w[j] + t * step[j];
			objn = logreg_pass(f, wn, gn, want_h ? hn : NULL, nw->scores, &lln);
			nw->scores_current = false;
			if (objn <= obj + 1e-4 * t * slope || objn <= obj * (1 + 1e-15))
			{
				accepted = true;
				break;
			}
			t *= 0.5;
		}
		iter++;
		if (!accepted)
			break;				/* no decrease is representable: as good as it gets */
		gnew = norm2(gn, p);
		if (t < 1.0)
			predicted = INFINITY;
		else if (fixed)
			predicted = gnew * (gnew / gnorm);
		else
			predicted = gnew * (gnew / gnorm) * (gnew / gnorm);
		{
			double	   *tmp;

			tmp = w; w = wn; wn = tmp;
			tmp = g; g = gn; gn = tmp;
			if (want_h)
			{
				tmp = h; h = hn; hn = tmp;
			}
		}
		h_at_w = want_h;
		obj = objn;
		logloss = lln;
		nw->scores_current = true;
		/* the fixed Hessian converges too slowly: true Newton from here */
		if (fixed && gnew > tol_abs && (t < 1.0 || gnew > 0.05 * gnorm))
		{
			fixed = false;
			predicted = INFINITY;
		}
	}
	nw->w = w;
	nw->wn = wn;
	nw->g = g;
	nw->gn = gn;
	nw->h = h;
	nw->hn = hn;
	nw->logloss = logloss;
	nw->iter = iter;
	nw->gnorm = gnorm;
	return converged;
}

#define LBFGS_MEMORY 10

/*
 * L-BFGS (Nocedal 1980; two-loop recursion, 10 pairs) with Armijo
 * backtracking, for many features, where the p x p Hessian would be too
 * large or too slow: one pass per iteration computes objective and gradient
 * only.  Same stopping rule as newton(); the result is in nw->w.
 */
static bool
lbfgs(Fit *f, NewtonWork *nw, double tol_abs, int max_iter)
{
	int			p = f->p;
	double	   *w = nw->w,
			   *wn = nw->wn,
			   *g = nw->g,
			   *gn = nw->gn,
			   *dir = nw->step;
	double	   *sv = palloc(sizeof(double) * LBFGS_MEMORY * p);
	double	   *yv = palloc(sizeof(double) * LBFGS_MEMORY * p);
	double		rho[LBFGS_MEMORY],
				alpha[LBFGS_MEMORY];
	int			stored = 0,
				newest = -1;
	double		obj,
				gnorm = 0,
				logloss = 0,
				lln = 0;
	int			iter = 0;
	bool		converged = false;

	obj = logreg_pass(f, w, g, NULL, nw->scores, &logloss);
	nw->scores_current = true;
	for (;;)
	{
		double		slope,
					t = 1.0,
					objn = 0;
		bool		accepted = false;

		gnorm = norm2(g, p);
		if (gnorm <= tol_abs)
		{
			converged = true;
			break;
		}
		if (iter >= max_iter)
			break;
		/* two-loop recursion: dir = -H g */
		for (int j = 0; j < p; j++)
			dir[j] = -g[j];
		for (int k = 0; k < stored; k++)
		{
			int			i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;

			alpha[i] = rho[i] * cblas_ddot(p, sv + (Size) i * p, 1, dir, 1);
			cblas_daxpy(p, -alpha[i], yv + (Size) i * p, 1, dir, 1);
		}
		if (stored > 0)
		{
			const double *ys = yv + (Size) newest * p;
			double		gamma = cblas_ddot(p, sv + (Size) newest * p, 1, ys, 1) / cblas_ddot(p, ys, 1, ys, 1);

			cblas_dscal(p, gamma, dir, 1);
		}
		else
			cblas_dscal(p, 1.0 / Max(gnorm, 1e-300) * Min(1.0, gnorm), dir, 1);
		for (int k = stored - 1; k >= 0; k--)
		{
			int			i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;
			double		beta = rho[i] * cblas_ddot(p, yv + (Size) i * p, 1, dir, 1);

			cblas_daxpy(p, alpha[i] - beta, sv + (Size) i * p, 1, dir, 1);
		}
		slope = cblas_ddot(p, g, 1, dir, 1);
		if (!(slope < 0))
		{
			/* not a descent direction: restart from steepest descent */
			stored = 0;
			for (int j = 0; j < p; j++)
				dir[j] = -g[j] / Max(gnorm, 1e-300);
			slope = cblas_ddot(p, g, 1, dir, 1);
		}
		for (int ls = 0; ls < 40; ls++)
		{
			for (int j = 0; j < p; j++)
				wn[j] = w[j] + t * dir[j];
			objn = logreg_pass(f, wn, gn, NULL, nw->scores, &lln);
			nw->scores_current = false;
			if (objn <= obj + 1e-4 * t * slope || objn <= obj * (1 + 1e-15))
			{
				accepted = true;
				break;
			}
			t *= 0.5;
		}
		iter++;
		if (!accepted)
			break;
		/* the new pair s = wn - w, y = gn - g, kept if curvature is positive */
		{
			int			i = (newest + 1) % LBFGS_MEMORY;
			double	   *si = sv + (Size) i * p;
			double	   *yi = yv + (Size) i * p;
			double		sy;
			double	   *tmp;

			for (int j = 0; j < p; j++)
			{
				si[j] = wn[j] - w[j];
				yi[j] = gn[j] - g[j];
			}
			sy = cblas_ddot(p, si, 1, yi, 1);
			if (sy > 1e-12 * cblas_ddot(p, yi, 1, yi, 1))
			{
				rho[i] = 1.0 / sy;
				newest = i;
				stored = Min(stored + 1, LBFGS_MEMORY);
			}
			tmp = w; w = wn; wn = tmp;
			tmp = g; g = gn; gn = tmp;
		}
		obj = objn;
		logloss = lln;
		nw->scores_current = true;
	}
	nw->w = w;
	nw->wn = wn;
	nw->g = g;
	nw->gn = gn;
	nw->logloss = logloss;
	nw->iter = iter;
	nw->gnorm = gnorm;
	pfree(sv);
	pfree(yv);
	return converged;
}

PG_FUNCTION_INFO_V1(train_logreg_finalfn);
Datum
train_logreg_finalfn(PG_FUNCTION_ARGS)
{
	const LogregState *s = train_state_get_data(fcinfo, 0, &logreg_state_ops);
	Fit			f;
	int			d,
				p;
	int64		n;
	double	   *w,
			   *g,
			   *h,
			   *hc,
			   *step,
			   *wn,
			   *gn,
			   *hn;
	double		wsum,
				gnorm;
	int			iter = 0;
	bool		converged = false;
	int			n_constant = 0;
	double	   *scores;
	double		logloss = 0,
				lambda;
	NewtonWork	nw;
	int64		warm_stride,
				warm_rows;
	double	   *sub = NULL;		/* the warm start's rows, standardized */
	bool		use_lbfgs;
	int			max_iter;
	ByteWriter	out;

	if (s == NULL || s->rows.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a logreg model on zero rows"),
				 errdetail("Every feature array or label was NULL, or there were no rows.")));
	if (s->npos == 0 || s->npos == s->rows.n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a logreg model on labels of one class"),
				 errdetail("All " INT64_FORMAT " labeled rows are %s.", s->rows.n,
						   s->npos == 0 ? "false" : "true")));
	blas_begin(0);
	n = s->rows.n;
	d = s->rows.d;
	p = d + (s->intercept ? 1 : 0);
	memset(&f, 0, sizeof(f));
	f.s = s;
	f.d = d;
	f.p = p;
	lambda = s->lambda >= 0 ? s->lambda : 1e-4 * n;
	f.lambda = lambda;
	f.stride = 1;
	f.rows = n;
	if (s->cw_mode == CW_BALANCED)
	{
		f.w_pos = (double) n / (2.0 * s->npos);
		f.w_neg = (double) n / (2.0 * (n - s->npos));
	}
	else
	{
		f.w_pos = s->w_pos;
		f.w_neg = s->w_neg;
	}
	wsum = f.w_pos * s->npos + f.w_neg * (n - s->npos);

	/*
	 * From 4 * LOGREG_WARM_ROWS rows on, a warm start on every stride-th row
	 * (below).  Those rows are a cache miss each: they are gathered while the
	 * statistics pass reads every row, and standardized once for all the warm
	 * start's passes (at most 25,000 x p).
	 */
	warm_stride = n >= 4 * LOGREG_WARM_ROWS ? n / LOGREG_WARM_ROWS : 0;
	warm_rows = warm_stride > 0 ? (n + warm_stride - 1) / warm_stride : 0;
	if (warm_stride > 0 && (Size) warm_rows * p <= (Size) LOGREG_WARM_ROWS * 64)
		sub = alloc_huge_pages(sizeof(double) * warm_rows * p);

	/* standardization: mean and population std, NULLs (NaN) left out */
	f.mean = palloc0(sizeof(double) * d);
	f.std = palloc0(sizeof(double) * d);
	f.inv_std = palloc0(sizeof(double) * d);
	f.constant = palloc0(sizeof(bool) * d);
	{
		int64	   *cnt = palloc0(sizeof(int64) * d);
		double	   *bsum = palloc(sizeof(double) * d);
		double	   *bm2 = palloc(sizeof(double) * d);
		int64	   *bcnt = palloc(sizeof(int64) * d);
		StringInfoData constants;

		initStringInfo(&constants);

		/*
		 * Mean and sum of squared deviations per block of rows (two passes
		 * over a cache-resident block), merged into the totals by Chan's
		 * formula: no division per value, as Welford's update needs.
		 */

		for (int64 start = 0; start < n; start += LOGREG_BLOCK)
		{
			int			b = (int) Min((int64) LOGREG_BLOCK, n - start);

			CHECK_FOR_INTERRUPTS();
			memset(bsum, 0, sizeof(double) * d);
			memset(bm2, 0, sizeof(double) * d);
			memset(bcnt, 0, sizeof(int64) * d);
			for (int i = 0; i < b; i++)
			{
				const double *row = rowstore_row(&s->rows, start + i);

				for (int j = 0; j < d; j++)
					if (!isnan(row[j]))
					{
						bsum[j] += row[j];
						bcnt[j]++;
					}
			}
			for (int j = 0; j < d; j++)
				bsum[j] = bcnt[j] > 0 ? bsum[j] / bcnt[j] : 0.0;	/* block mean */
			for (int i = 0; i < b; i++)
			{
				const double *row = rowstore_row(&s->rows, start + i);

				for (int j = 0; j < d; j++)
					if (!isnan(row[j]))
						bm2[j] += (row[j] - bsum[j]) * (row[j] - bsum[j]);
			}
			for (int j = 0; j < d; j++)
			{
				int64		total = cnt[j] + bcnt[j];
				double		delta = bsum[j] - f.mean[j];

				if (bcnt[j] == 0)
					continue;
				f.mean[j] += delta * bcnt[j] / total;
				f.std[j] += bm2[j] + delta * delta * ((double) cnt[j] * bcnt[j] / total);
				cnt[j] = total;
			}
			if (sub)
				for (int64 k = (start + warm_stride - 1) / warm_stride; k * warm_stride < start + b; k++)
					memcpy(sub + (Size) k * p, rowstore_row(&s->rows, k * warm_stride), sizeof(double) * d);
		}
		pfree(bsum);
		pfree(bm2);
		pfree(bcnt);
		for (int j = 0; j < d; j++)
		{
			double		sd = cnt[j] > 0 ? sqrt(f.std[j] / cnt[j]) : 0.0;

			/* constant up to rounding of the mean counts as constant */
			if (!(sd > 1e-12 * Max(1.0, fabs(f.mean[j]))))
			{
				sd = 0;
				f.constant[j] = true;
				n_constant++;
				if (n_constant <= 10)
					appendStringInfo(&constants, "%s%d", n_constant > 1 ? ", " : "", j + 1);
			}
			f.std[j] = sd;
			f.inv_std[j] = sd > 0 ? 1.0 / sd : 0.0;
		}
		f.raw_ok = true;
		for (int j = 0; j < d; j++)
			if (cnt[j] != n || fabs(f.mean[j]) * f.inv_std[j] > 1e4)
				f.raw_ok = false;
		if (n_constant == 1)
			ereport(WARNING,
					(errmsg("train_logreg feature %s is constant; its coefficient is 0", constants.data)));
		else if (n_constant > 1)
			ereport(WARNING,
					(errmsg("train_logreg has %d constant features; their coefficients are 0", n_constant),
					 errdetail("Constant features: %s%s.", constants.data, n_constant > 10 ? ", ..." : "")));
	}

	/* blocks of p standardized or d + 1 raw values per row */
	f.a = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * LOGREG_BLOCK * (d + 1));
	f.eta = palloc(sizeof(double) * LOGREG_BLOCK);
	f.r = palloc(sizeof(double) * LOGREG_BLOCK);
	f.v = palloc(sizeof(double) * LOGREG_BLOCK);
	w = palloc0(sizeof(double) * p);
	wn = palloc0(sizeof(double) * p);
	g = palloc(sizeof(double) * p);
	gn = palloc(sizeof(double) * p);
	step = palloc(sizeof(double) * p);
	use_lbfgs = s->solver == SOLVER_LBFGS || (s->solver == SOLVER_AUTO && d > LOGREG_NEWTON_MAX_D);
	if (!use_lbfgs && p > LOGREG_NEWTON_LIMIT_P)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("solver \"newton\" supports at most %d features, not %d",
						LOGREG_NEWTON_LIMIT_P - 1, d),
				 errhint("Use {\"solver\": \"lbfgs\"} or \"auto\".")));
	/* raw_pass's raw coefficients and gradient, and for Newton its Hessian */
	f.raw = MemoryContextAllocHuge(CurrentMemoryContext,
								   sizeof(double) * (2 * d + (use_lbfgs ? 0 : (Size) (d + 1) * (d + 1))));
	if (use_lbfgs)
		h = hn = hc = NULL;
	else
	{
		h = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * p * p);
		hn = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * p * p);
		hc = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * p * p);
	}

	/* start from the intercept-only fit: the log-odds of the weighted classes */
	if (s->intercept)
		w[d] = log(f.w_pos * s->npos / (f.w_neg * (n - s->npos)));
	nw.w = w;
	nw.wn = wn;
	nw.g = g;
	nw.gn = gn;
	nw.h = h;
	nw.hn = hn;
	nw.hc = hc;
	nw.step = step;
	nw.scores = NULL;
	nw.hfix = NULL;

	/*
	 * Warm start on a strided subsample of LOGREG_WARM_ROWS rows (lambda
	 * scaled with it) to a loose tolerance: Newton then needs only two or
	 * three passes over all rows.
	 */
	if (warm_stride > 0)
	{
		f.stride = warm_stride;
		f.rows = warm_rows;
		f.lambda = lambda / f.stride;
		if (sub)
			for (int64 k = 0; k < warm_rows; k++)
				standardize_row(&f, sub + (Size) k * p, sub + (Size) k * p);
		f.sub = sub;
		if (use_lbfgs)
			lbfgs(&f, &nw, 1e-4 * wsum / f.stride, 200);
		else
		{
			/*
			 * The subsample's Hessian at the warm start, scaled to all rows
			 * (its lambda is lambda / stride), serves the full passes.
			 */
			double	   *hfix = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * p * p);

			newton(&f, &nw, 1e-4 * wsum / f.stride, 20);
			for (Size i = 0; i < (Size) p * p; i++)
				hfix[i] = nw.h[i] * f.stride;
			nw.hfix = hfix;
		}
	}
	f.stride = 1;
	f.rows = n;
	f.lambda = lambda;
	f.sub = NULL;
	nw.scores = alloc_huge_pages(sizeof(double) * n);
	max_iter = s->max_iter > 0 ? s->max_iter : (use_lbfgs ? 1000 : 100);
	if (use_lbfgs)
		converged = lbfgs(&f, &nw, s->tol * wsum, max_iter);
	else
		converged = newton(&f, &nw, s->tol * wsum, max_iter);
	w = nw.w;
	scores = nw.scores;
	logloss = nw.logloss;
	iter = nw.iter;
	gnorm = nw.gnorm;
	if (!converged)
		ereport(WARNING,
				(errmsg("train_logreg did not converge in %d iterations", iter),
				 errdetail("The gradient norm is %g, the tolerance %g.", gnorm, s->tol * wsum),
				 errhint("Raise \"max_iter\" or \"lambda\".")));

	/* training log-loss (unweighted mean) and AUC, from the pass at w */
	if (!nw.scores_current)
		logreg_pass(&f, w, nw.gn, NULL, scores, &logloss);

	writer_init(&out, 256 + 24 * d);
	write_i32(&out, d);
	write_u8(&out, s->intercept);
	write_u8(&out, s->impute_mean);
	write_f64(&out, f.lambda);
	write_f64(&out, f.w_neg);
	write_f64(&out, f.w_pos);
	write_i64(&out, n);
	write_i64(&out, s->npos);
	write_i32(&out, iter);
	write_u8(&out, converged);
	write_f64(&out, logloss / n);
	write_f64(&out, fraud_roc_auc(scores, s->y, n));
	write_f64(&out, gnorm);
	write_i32(&out, n_constant);
	write_u8(&out, use_lbfgs);
	write_f64_array(&out, f.mean, d);
	write_f64_array(&out, f.std, d);
	write_f64_array(&out, w, d);
	write_f64(&out, s->intercept ? w[d] : 0.0);
	PG_RETURN_BYTEA_P(model_build(MODEL_LOGREG, &out));
}

/* Model */

void *
logreg_decode(ByteReader *r)
{
	LogregModel *m = palloc0(sizeof(LogregModel));
	bool		ok;

	m->d = read_i32(r);
	if (m->d < 1 || m->d > FEATURES_MAX)
		reader_corrupt(r, "The logreg model's feature count is out of range");
	m->intercept = read_u8(r) != 0;
	m->impute_mean = read_u8(r) != 0;
	m->lambda = read_f64(r);
	m->w_neg = read_f64(r);
	m->w_pos = read_f64(r);
	m->n = read_i64(r);
	m->npos = read_i64(r);
	m->iterations = read_i32(r);
	m->converged = read_u8(r) != 0;
	m->log_loss = read_f64(r);
	m->train_auc = read_f64(r);
	m->grad_norm = read_f64(r);
	m->n_constant = read_i32(r);
	m->lbfgs = read_u8(r) != 0;
	m->mean = read_f64_array(r, m->d);
	m->std = read_f64_array(r, m->d);
	m->coef = read_f64_array(r, m->d);
	m->bias = read_f64(r);
	ok = m->n > 0 && m->npos > 0 && m->npos < m->n && m->iterations >= 0 &&
		m->lambda >= 0 && isfinite(m->bias) && m->n_constant >= 0 && m->n_constant <= m->d;
	m->inv_std = palloc(sizeof(double) * m->d);
	for (int j = 0; j < m->d && ok; j++)
	{
		ok = isfinite(m->mean[j]) && isfinite(m->coef[j]) && isfinite(m->std[j]) && m->std[j] >= 0;
		m->inv_std[j] = m->std[j] > 0 ? 1.0 / m->std[j] : 0.0;
	}
	if (!ok)
		reader_corrupt(r, "The logreg model holds impossible values");
	return m;
}


void
logreg_describe(const void *decoded, StringInfo buf)
{
	const LogregModel *m = decoded;
	double	   *raw = palloc(sizeof(double) * m->d);
	double		raw_bias = m->bias;
	double		cw[2];

	for (int j = 0; j < m->d; j++)
	{
		raw[j] = m->coef[j] * m->inv_std[j];
		raw_bias -= raw[j] * m->mean[j];
	}
	cw[0] = m->w_neg;
	cw[1] = m->w_pos;
	json_append_int(buf, "features", m->d);
	json_append_int(buf, "rows", m->n);
	json_append_int(buf, "positives", m->npos);
	json_append_double(buf, "lambda", m->lambda);
	json_append_double_array(buf, "class_weight", cw, 2);
	appendStringInfo(buf, ",\"fit_intercept\":%s", m->intercept ? "true" : "false");
	json_append_text(buf, "impute", m->impute_mean ? "mean" : "error");
	json_append_text(buf, "solver", m->lbfgs ? "lbfgs" : "newton");
	json_append_int(buf, "iterations", m->iterations);
	appendStringInfo(buf, ",\"converged\":%s", m->converged ? "true" : "false");
	json_append_double(buf, "gradient_norm", m->grad_norm);
	json_append_double(buf, "log_loss", m->log_loss);
	json_append_double(buf, "train_auc", m->train_auc);
	json_append_int(buf, "constant_features", m->n_constant);
	json_append_double_array(buf, "coef", m->coef, m->d);
	json_append_double(buf, "intercept", m->bias);
	json_append_double_array(buf, "coef_raw", raw, m->d);
	json_append_double(buf, "intercept_raw", raw_bias);
	json_append_double_array(buf, "feature_mean", m->mean, m->d);
	json_append_double_array(buf, "feature_std", m->std, m->d);
}

int
logreg_features(const void *model)
{
	return ((const LogregModel *) model)->d;
}

bool
logreg_imputes(const void *model)
{
	return ((const LogregModel *) model)->impute_mean;
}

/* x may hold NaN for imputed NULLs: they sit at the mean, contributing 0 */
int
logreg_explain(const void *model, const double *x, int d, double *contrib)
{
	const LogregModel *m = model;

	for (int j = 0; j < d; j++)
		contrib[j] = isnan(x[j]) ? 0.0 : m->coef[j] * (x[j] - m->mean[j]) * m->inv_std[j];
	return d;
}

double
logreg_score(const void *model, const double *x, int d)
{
	const LogregModel *m = model;
	double		eta = m->bias;

	for (int j = 0; j < d; j++)
		if (!isnan(x[j]))
			eta += m->coef[j] * (x[j] - m->mean[j]) * m->inv_std[j];
	return sigmoid(eta);
}
