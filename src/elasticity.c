/*
 * elasticity.c - ecomml.train_elasticity(price, quantity [, features [, options]]),
 * ecomml.optimal_price, ecomml.predict_demand, ecomml.elasticity_coefficients
 *
 * Log-log demand regression by ordinary least squares:
 *     ln q = b0 + b1 ln p + g . features + e
 * so b1 is the (constant) price elasticity of demand.  The training state is
 * the sufficient statistics X'X, X'y, y'y and n (X = [1, ln p, features]):
 * fixed size, and two states combine by adding them, so a parallel run gives
 * the serial model up to the order of floating-point sums.  The final
 * function solves the normal equations by Cholesky and derives the classical
 * standard errors sigma^2 (X'X)^-1 with sigma^2 = RSS / (n - k).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "arrays.h"
#include "blas.h"
#include "customers.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"

#define ELASTICITY_MAX_FEATURES 100

typedef struct ElasticityState
{
	int32		d;				/* features; -1 until the first counted row */
	int64		n;
	int64		skipped;		/* rows with quantity <= 0 under "skip" */
	double	   *xtx;			/* (d + 2)^2, allocated with the first row */
	double	   *xty;			/* d + 2 */
	double		yty;
	double		pmin,
				pmax;
	/* options */
	bool		skip_zero;
	double		confidence;
} ElasticityState;

typedef struct ElasticityModel
{
	int32		d;
	int64		n;
	int64		skipped;
	double		confidence;
	double		tcrit;
	double		sigma2;
	double		r2;
	double		pmin,
				pmax;
	double	   *coef;			/* d + 2 */
	double	   *se;				/* d + 2 */
	double	   *fmean;			/* d */
} ElasticityModel;

static const char *const elasticity_options[] = {"zero_quantity", "confidence", NULL};
static const char *const zero_choices[] = {"error", "skip", NULL};

static inline int
npar(int d)
{
	return d + 2;
}

static void
el_write(const void *data, ByteWriter *w)
{
	const ElasticityState *s = data;
	int			p = npar(Max(s->d, 0));

	write_i32(w, s->d);
	write_i64(w, s->n);
	write_i64(w, s->skipped);
	write_u8(w, s->skip_zero);
	write_f64(w, s->confidence);
	write_f64(w, s->pmin);
	write_f64(w, s->pmax);
	write_f64(w, s->yty);
	if (s->d >= 0)
	{
		write_f64_array(w, s->xty, p);
		write_f64_array(w, s->xtx, (Size) p * p);
	}
}

static void
el_alloc(ElasticityState *s, int d, MemoryContext cxt)
{
	int			p = npar(d);

	s->d = d;
	s->xtx = MemoryContextAllocZero(cxt, sizeof(double) * p * p);
	s->xty = MemoryContextAllocZero(cxt, sizeof(double) * p);
}

static void *
el_read(ByteReader *r)
{
	ElasticityState *s = palloc0(sizeof(ElasticityState));
	int			d;

	d = read_i32(r);
	s->d = d;
	s->n = read_i64(r);
	s->skipped = read_i64(r);
	s->skip_zero = read_u8(r) != 0;
	s->confidence = read_f64(r);
	s->pmin = read_f64(r);
	s->pmax = read_f64(r);
	s->yty = read_f64(r);
	if (s->d < -1 || s->d > ELASTICITY_MAX_FEATURES || s->n < 0 || s->skipped < 0 ||
		!(s->confidence > 0 && s->confidence < 1) || isnan(s->yty) ||
		(s->d < 0 && s->n > 0))
		reader_corrupt(r, "The elasticity state holds impossible values");
	if (d >= 0)
	{
		s->xty = read_f64_array(r, npar(d));
		s->xtx = read_f64_array(r, (Size) npar(d) * npar(d));
	}
	return s;
}

static void
check_d(int got, int expected)
{
	if (got != expected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("train_elasticity features have %d elements, expected %d", got, expected),
				 errdetail("Every row's feature array must have the length of the first one (NULL counts as none).")));
}

static void
el_combine(void *into, const void *from)
{
	ElasticityState *a = into;
	const ElasticityState *b = from;
	int			p;

	a->skipped += b->skipped;
	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		el_alloc(a, b->d, CurrentMemoryContext);
		a->pmin = b->pmin;
		a->pmax = b->pmax;
	}
	check_d(b->d, a->d);
	p = npar(a->d);
	for (int i = 0; i < p * p; i++)
		a->xtx[i] += b->xtx[i];
	for (int i = 0; i < p; i++)
		a->xty[i] += b->xty[i];
	a->yty += b->yty;
	a->n += b->n;
	a->pmin = Min(a->pmin, b->pmin);
	a->pmax = Max(a->pmax, b->pmax);
}

const TrainStateOps elasticity_state_ops = {
	MODEL_ELASTICITY, el_write, el_read, el_combine
};

/* train_elasticity(state, price, quantity [, features [, options]]) */
PG_FUNCTION_INFO_V1(train_elasticity_transfn);
Datum
train_elasticity_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &elasticity_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 4);
	ElasticityState *s = st->data;
	double		price,
				qty,
				x[ELASTICITY_MAX_FEATURES + 2];
	int			d = 0,
				p;

	if (s == NULL)
	{
		options_check_keys(opts, elasticity_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(ElasticityState));
		s->d = -1;
		s->skip_zero = strcmp(options_choice(opts, "zero_quantity", "error", zero_choices), "skip") == 0;
		s->confidence = options_double(opts, "confidence", 0.95, 0.5, 0.9999);
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);
	price = PG_GETARG_FLOAT8(1);
	qty = PG_GETARG_FLOAT8(2);
	if (!isfinite(price) || !isfinite(qty))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_elasticity price and quantity must be finite, not %g and %g", price, qty)));
	if (price <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_elasticity price must be positive, not %g", price),
				 errdetail("The demand model is log-log.")));
	if (qty <= 0)
	{
		if (s->skip_zero)
		{
			s->skipped++;
			PG_RETURN_AGG_STATE(st);
		}
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_elasticity quantity must be positive, not %g", qty),
				 errdetail("The demand model is log-log, and the log of zero is undefined."),
				 errhint("Filter those rows, or train with {\"zero_quantity\": \"skip\"}.")));
	}
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		const double *f = array_features(PG_GETARG_ARRAYTYPE_P(3), 0, false, NULL, &d, "train_elasticity");

		if (d > ELASTICITY_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("train_elasticity features have %d elements, more than the limit of %d",
							d, ELASTICITY_MAX_FEATURES)));
		memcpy(x + 2, f, sizeof(double) * d);
	}
	if (s->d < 0)
	{
		el_alloc(s, d, st->hdr.eoh_context);
		s->pmin = s->pmax = price;
	}
	check_d(d, s->d);
	p = npar(d);
	x[0] = 1.0;
	x[1] = log(price);
	{
		double		y = log(qty);

		for (int i = 0; i < p; i++)
		{
			s->xty[i] += x[i] * y;
			for (int j = 0; j < p; j++)
				s->xtx[i * p + j] += x[i] * x[j];
		}
		s->yty += y * y;
	}
	s->n++;
	s->pmin = Min(s->pmin, price);
	s->pmax = Max(s->pmax, price);
	PG_RETURN_AGG_STATE(st);
}

/* Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
static double
norm_quantile(double q)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
	1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
	6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
	-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double dd[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
	3.754408661907416e+00};
	double		t,
				u;

	if (q < 0.02425)
	{
		t = sqrt(-2 * log(q));
		return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
			((((dd[0] * t + dd[1]) * t + dd[2]) * t + dd[3]) * t + 1);
	}
	if (q > 1 - 0.02425)
		return -norm_quantile(1 - q);
	u = q - 0.5;
	t = u * u;
	return (((((a[0] * t + a[1]) * t + a[2]) * t + a[3]) * t + a[4]) * t + a[5]) * u /
		(((((b[0] * t + b[1]) * t + b[2]) * t + b[3]) * t + b[4]) * t + 1);
}

/* Student t quantile by the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5). */
static double
t_quantile(double q, double nu)
{
	double		z = norm_quantile(q);
	double		z2 = z * z;
	double		g1 = (z2 + 1) * z / 4;
	double		g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
	double		g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
	double		g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;

	return z + g1 / nu + g2 / (nu * nu) + g3 / (nu * nu * nu) + g4 / (nu * nu * nu * nu);
}

/*
 * Whether X'X (p x p) is numerically of full rank: Cholesky of its
 * correlation form D^-1/2 A D^-1/2 with every pivot above 1e-10.  A plain
 * Cholesky of A accepts exactly collinear columns that rounding left a tiny
 * positive pivot.
 */
static bool
el_full_rank(const double *xtx, int p)
{
	double	   *l = palloc(sizeof(double) * p * p);
	bool		ok = true;

	for (int i = 0; i < p; i++)
		if (!(xtx[i * p + i] > 0))
			return false;
	for (int i = 0; i < p; i++)
		for (int j = 0; j < p; j++)
			l[i * p + j] = xtx[i * p + j] / sqrt(xtx[i * p + i] * xtx[j * p + j]);
	for (int j = 0; j < p && ok; j++)
	{
		double		dj = l[j * p + j];

		for (int k = 0; k < j; k++)
			dj -= l[j * p + k] * l[j * p + k];
		if (!(dj > 1e-10))
		{
			ok = false;
			break;
		}
		dj = sqrt(dj);
		l[j * p + j] = dj;
		for (int i = j + 1; i < p; i++)
		{
			double		v = l[i * p + j];

			for (int k = 0; k < j; k++)
				v -= l[i * p + k] * l[j * p + k];
			l[i * p + j] = v / dj;
		}
	}
	pfree(l);
	return ok;
}

PG_FUNCTION_INFO_V1(train_elasticity_finalfn);
Datum
train_elasticity_finalfn(PG_FUNCTION_ARGS)
{
	const ElasticityState *s = train_state_get_data(fcinfo, 0, &elasticity_state_ops);
	int			d,
				p;
	double	   *a,
			   *coef,
			   *inv,
				rss,
				tss,
				sigma2,
				ymean;
	ByteWriter	w;

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an elasticity model on zero rows"),
				 errdetail("Every price or quantity was NULL, there were no rows, or every quantity was skipped.")));
	d = s->d;
	p = npar(d);
	if (s->n <= p)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train an elasticity model with %d coefficients on " INT64_FORMAT " rows", p, s->n),
				 errdetail("Standard errors need more rows than coefficients.")));
	if (s->pmin == s->pmax)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot estimate a price elasticity: every price is %g", s->pmin),
				 errhint("The data must contain at least two different prices.")));
	blas_begin(0);
	a = palloc(sizeof(double) * p * p);
	coef = palloc(sizeof(double) * p);
	memcpy(a, s->xtx, sizeof(double) * p * p);
	memcpy(coef, s->xty, sizeof(double) * p);
	if (!el_full_rank(s->xtx, p) || !blas_cholesky_solve(a, coef, p))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot estimate a price elasticity: the regressors are collinear"),
				 errhint("Drop features that are constant or that duplicate others or the price.")));
	/* (X'X)^-1 column by column */
	inv = palloc(sizeof(double) * p * p);
	for (int j = 0; j < p; j++)
	{
		double	   *e = inv + (Size) j * p;

		memset(e, 0, sizeof(double) * p);
		e[j] = 1.0;
		memcpy(a, s->xtx, sizeof(double) * p * p);
		if (!blas_cholesky_solve(a, e, p))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("price and features are too close to collinear to estimate elasticity"),
					 errhint("Drop or combine features that move together with price.")));
	}
	rss = s->yty;
	for (int i = 0; i < p; i++)
	{
		double		xb = 0;

		for (int j = 0; j < p; j++)
			xb += s->xtx[i * p + j] * coef[j];
		rss += coef[i] * (xb - 2 * s->xty[i]);
	}
	rss = Max(rss, 0.0);
	ymean = s->xty[0] / s->n;
	tss = s->yty - s->n * ymean * ymean;
	sigma2 = rss / (s->n - p);

	writer_init(&w, 256 + sizeof(double) * 4 * p);
	write_i32(&w, d);
	write_i64(&w, s->n);
	write_i64(&w, s->skipped);
	write_f64(&w, s->confidence);
	write_f64(&w, t_quantile(0.5 + s->confidence / 2, (double) (s->n - p)));
	write_f64(&w, sigma2);
	write_f64(&w, tss > 0 ? 1 - rss / tss : 1.0);
	write_f64(&w, s->pmin);
	write_f64(&w, s->pmax);
	write_f64_array(&w, coef, p);
	for (int j = 0; j < p; j++)
		write_f64(&w, sqrt(Max(sigma2 * inv[(Size) j * p + j], 0.0)));
	for (int j = 0; j < d; j++)
		write_f64(&w, s->xtx[2 + j] / s->n);	/* X'X row 0 holds the feature sums */
	PG_RETURN_BYTEA_P(model_build(MODEL_ELASTICITY, &w));
}

void *
elasticity_decode(ByteReader *r)
{
	ElasticityModel *m = palloc0(sizeof(ElasticityModel));
	int			p;

	m->d = read_i32(r);
	m->n = read_i64(r);
	m->skipped = read_i64(r);
	m->confidence = read_f64(r);
	m->tcrit = read_f64(r);
	m->sigma2 = read_f64(r);
	m->r2 = read_f64(r);
	m->pmin = read_f64(r);
	m->pmax = read_f64(r);
	if (m->d < 0 || m->d > ELASTICITY_MAX_FEATURES || m->n < m->d + 3 || m->skipped < 0 ||
		!(m->confidence > 0 && m->confidence < 1) || !(m->tcrit > 0) || !isfinite(m->tcrit) ||
		!(m->sigma2 >= 0) || !isfinite(m->sigma2) || isnan(m->r2) ||
		!(m->pmin > 0) || !(m->pmax >= m->pmin) || !isfinite(m->pmax))
		reader_corrupt(r, "The elasticity model holds impossible values");
	p = npar(m->d);
	m->coef = read_f64_array(r, p);
	m->se = read_f64_array(r, p);
	m->fmean = read_f64_array(r, m->d);
	for (int j = 0; j < p; j++)
		if (!isfinite(m->coef[j]) || !isfinite(m->se[j]) || m->se[j] < 0)
			reader_corrupt(r, "The elasticity model holds non-finite coefficients");
	for (int j = 0; j < m->d; j++)
		if (!isfinite(m->fmean[j]))
			reader_corrupt(r, "The elasticity model holds non-finite feature means");
	return m;
}

void
elasticity_describe(const void *decoded, StringInfo buf)
{
	const ElasticityModel *m = decoded;

	json_append_double(buf, "elasticity", m->coef[1]);
	json_append_double(buf, "std_error", m->se[1]);
	json_append_double(buf, "ci_low", m->coef[1] - m->tcrit * m->se[1]);
	json_append_double(buf, "ci_high", m->coef[1] + m->tcrit * m->se[1]);
	json_append_double(buf, "confidence", m->confidence);
	json_append_double(buf, "intercept", m->coef[0]);
	json_append_double(buf, "r2", m->r2);
	json_append_double(buf, "residual_std", sqrt(m->sigma2));
	json_append_int(buf, "rows", m->n);
	json_append_int(buf, "skipped_rows", m->skipped);
	json_append_int(buf, "features", m->d);
	json_append_double(buf, "price_min", m->pmin);
	json_append_double(buf, "price_max", m->pmax);
}

/* expected quantity at price, features (NULL: the training means) */
static double
demand(const ElasticityModel *m, double price, const double *f)
{
	double		eta = m->coef[0] + m->coef[1] * log(price);

	for (int j = 0; j < m->d; j++)
		eta += m->coef[2 + j] * (f ? f[j] : m->fmean[j]);
	return exp(eta);
}

static void
check_price(double v, const char *what)
{
	if (!isfinite(v) || v <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive finite number, not %g", what, v)));
}

/* ecomml.predict_demand(model, price [, features]) */
PG_FUNCTION_INFO_V1(predict_demand);
Datum
predict_demand(PG_FUNCTION_ARGS)
{
	const ElasticityModel *m;
	const double *f = NULL;
	int			d;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	m = model_cache_get(fcinfo, 0, MODEL_ELASTICITY, NULL);
	check_price(PG_GETARG_FLOAT8(1), "price");
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		f = array_features(PG_GETARG_ARRAYTYPE_P(2), 0, false, NULL, &d, "predict_demand");
		if (d != m->d)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("predict_demand features have %d elements, the model has %d", d, m->d)));
	}
	PG_RETURN_FLOAT8(demand(m, PG_GETARG_FLOAT8(1), f));
}

/*
 * ecomml.optimal_price(model, unit_cost, price_min, price_max): the price in
 * [price_min, price_max] maximizing (p - c) q(p) with q(p) = A p^b.  Features
 * only scale A, so they do not move the optimum.  For b < -1 profit is
 * unimodal with its peak at c b / (1 + b); otherwise it is monotone on each
 * side of that point, so the best of the two bounds and the clamped
 * stationary point is the maximum.
 */
PG_FUNCTION_INFO_V1(optimal_price);
Datum
optimal_price(PG_FUNCTION_ARGS)
{
	const ElasticityModel *m = model_cache_get(fcinfo, 0, MODEL_ELASTICITY, NULL);
	double		c = PG_GETARG_FLOAT8(1);
	double		lo = PG_GETARG_FLOAT8(2);
	double		hi = PG_GETARG_FLOAT8(3);
	double		b = m->coef[1];
	double		cand[3];
	int			nc = 0;
	double		best = lo,
				best_profit = -DBL_MAX;

	if (!isfinite(c) || c < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unit_cost must be a non-negative finite number, not %g", c)));
	check_price(lo, "price_min");
	check_price(hi, "price_max");
	if (lo > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("price_min %g is greater than price_max %g", lo, hi)));
	cand[nc++] = lo;
	cand[nc++] = hi;
	if (b != -1)
	{
		double		ps = c * b / (1 + b);

		if (ps > lo && ps < hi)
			cand[nc++] = ps;
	}
	for (int i = 0; i < nc; i++)
	{
		double		profit = (cand[i] - c) * demand(m, cand[i], NULL);

		if (profit > best_profit)
		{
			best_profit = profit;
			best = cand[i];
		}
	}
	PG_RETURN_FLOAT8(best);
}

/* ecomml.elasticity_coefficients(model) -> (term, estimate, std_error, ci_low, ci_high) */
PG_FUNCTION_INFO_V1(elasticity_coefficients);
Datum
elasticity_coefficients(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ElasticityModel *m = model_cache_get(fcinfo, 0, MODEL_ELASTICITY, NULL);

	InitMaterializedSRF(fcinfo, 0);
	for (int j = 0; j < npar(m->d); j++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		char		name[32];

		if (j == 0)
			strlcpy(name, "intercept", sizeof(name));
		else if (j == 1)
			strlcpy(name, "log_price", sizeof(name));
		else
			snprintf(name, sizeof(name), "feature_%d", j - 1);
		values[0] = CStringGetTextDatum(name);
		values[1] = Float8GetDatum(m->coef[j]);
		values[2] = Float8GetDatum(m->se[j]);
		values[3] = Float8GetDatum(m->coef[j] - m->tcrit * m->se[j]);
		values[4] = Float8GetDatum(m->coef[j] + m->tcrit * m->se[j]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
