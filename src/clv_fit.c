/*
 * clv_fit.c - BG/NBD and Gamma-Gamma by maximum likelihood, and the
 * per-customer predictions of the fitted models
 *
 * Both likelihoods are the published closed forms (Fader, Hardie & Lee 2005,
 * "Counting your customers the easy way", eq. 6; and "RFM and CLV", the
 * Gamma-Gamma marginal of the mean spend), as the lifetimes library writes
 * them.  The parameters are all positive, so they are optimized as logs: the
 * objective is the mean negative log-likelihood plus penalizer * sum(par^2)
 * (lifetimes' penalty), minimized by BFGS with the analytic gradient
 * (src/optim.c), then polished by Newton steps on the Hessian from central
 * differences of that gradient.  The same Hessian (of the total, not the mean,
 * objective) gives the standard errors: Cov(log par) = H^-1 and, by the delta
 * method, se(par) = par * sqrt(diag(H^-1)).
 *
 * The gamma functions of the BG/NBD likelihood depend on x only, so the
 * customers come grouped by distinct (x, t_x, T) and sorted by x: lgamma and
 * digamma run once per distinct x, not per customer.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "clv.h"
#include "optim.h"

#define FIT_MAX_ITER 1000
#define FIT_GTOL 1e-8
#define NEWTON_STEPS 1

/* digamma: recurrence up to 6, then the asymptotic series (error < 1e-13) */
static double
digamma(double x)
{
	double		acc = 0,
				f;

	while (x < 6)
	{
		acc -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	return acc + log(x) - 0.5 / x -
		f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

typedef struct BgData
{
	const double *x,
			   *tx,
			   *T,
			   *w;
	int64		n;
	double		wsum;
	double		penalizer;
	double		loglik;			/* of the last evaluation, unpenalized */
} BgData;

/* mean negative BG/NBD log-likelihood (+ penalty) at th = log(r, alpha, a, b) */
static double
bgnbd_objective(const double *th, double *g, void *arg)
{
	BgData	   *d = arg;
	double		r = exp(th[0]),
				al = exp(th[1]),
				a = exp(th[2]),
				b = exp(th[3]);
	double		ll = 0,
				dr = 0,
				dal = 0,
				da = 0,
				db = 0;
	double		lg_r = lgamma(r),
				lg_b = lgamma(b),
				lg_ab = lgamma(a + b),
				ps_r = digamma(r),
				ps_b = digamma(b),
				ps_ab = digamma(a + b),
				log_al = log(al),
				log_a = log(a);
	double		cur_x = -1,
				c_lg = 0,
				c_dr = 0,
				c_da = 0,
				c_db = 0;

	for (int64 i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					w = d->w[i];
		double		a3,
					l,
					w4,
					log_T = log(al + d->T[i]);

		if (x != cur_x)
		{
			/* the x-only terms: A1 + A2 of lifetimes' BetaGeoFitter */
			double		ps_abx = digamma(a + b + x);

			cur_x = x;
			c_lg = lgamma(r + x) - lg_r + r * log_al + lg_ab + lgamma(b + x) - lg_b -
				lgamma(a + b + x);
			c_dr = digamma(r + x) - ps_r + log_al;
			c_da = ps_ab - ps_abx;
			c_db = ps_ab + digamma(b + x) - ps_b - ps_abx;
		}
		a3 = -(r + x) * log_T;
		if (x > 0)
		{
			double		log_tx = log(al + d->tx[i]);
			double		a4 = log_a - log(b + x - 1) - (r + x) * log_tx;

			/* l = log(e^a3 + e^a4) and w4 = e^(a4 - l), with one exp */
			double		e = exp(-fabs(a4 - a3));

			l = Max(a3, a4) + log1p(e);
			w4 = a4 >= a3 ? 1 / (1 + e) : e / (1 + e);
			dr += w * (c_dr - (1 - w4) * log_T - w4 * log_tx);
			dal += w * (r / al - (1 - w4) * (r + x) / (al + d->T[i]) -
						w4 * (r + x) / (al + d->tx[i]));
			da += w * (c_da + w4 / a);
			db += w * (c_db - w4 / (b + x - 1));
		}
		else
		{
			l = a3;
			dr += w * (c_dr - log_T);
			dal += w * (r / al - r / (al + d->T[i]));
			da += w * c_da;
			db += w * c_db;
		}
		ll += w * (c_lg + l);
	}
	d->loglik = ll;
	/* chain rule to log parameters: d/dlog(p) = p d/dp */
	g[0] = -r * dr / d->wsum + 2 * d->penalizer * r * r;
	g[1] = -al * dal / d->wsum + 2 * d->penalizer * al * al;
	g[2] = -a * da / d->wsum + 2 * d->penalizer * a * a;
	g[3] = -b * db / d->wsum + 2 * d->penalizer * b * b;
	return -ll / d->wsum + d->penalizer * (r * r + al * al + a * a + b * b);
}

typedef struct GgData
{
	const double *x,
			   *m,
			   *log_m;			/* log(m), once */
	int64		n;
	double		penalizer;
	double		loglik;
} GgData;

/* mean negative Gamma-Gamma log-likelihood (+ penalty) at th = log(p, q, v) */
static double
gamma_gamma_objective(const double *th, double *g, void *arg)
{
	GgData	   *d = arg;
	double		p = exp(th[0]),
				q = exp(th[1]),
				v = exp(th[2]);
	double		ll = 0,
				dp = 0,
				dq = 0,
				dv = 0;
	double		lg_q = lgamma(q),
				ps_q = digamma(q),
				log_v = log(v);
	double		cur_x = -1,
				c_lg = 0,
				c_ps = 0,
				c_psx = 0,
				log_x = 0;

	for (int64 i = 0; i < d->n; i++)
	{
		double		x = d->x[i],
					m = d->m[i];
		double		log_m = d->log_m[i],
					log_xm = log(x * m + v);

		if (x != cur_x)
		{
			cur_x = x;
			log_x = log(x);
			c_lg = lgamma(p * x + q) - lgamma(p * x) - lg_q + q * log_v + p * x * log_x;
			c_ps = digamma(p * x + q);
			c_psx = digamma(p * x);
		}
		ll += c_lg + (p * x - 1) * log_m - (p * x + q) * log_xm;
		dp += x * (c_ps - c_psx + log_m + log_x - log_xm);
		dq += c_ps - ps_q + log_v - log_xm;
		dv += q / v - (p * x + q) / (x * m + v);
	}
	d->loglik = ll;
	g[0] = -p * dp / d->n + 2 * d->penalizer * p * p;
	g[1] = -q * dq / d->n + 2 * d->penalizer * q * q;
	g[2] = -v * dv / d->n + 2 * d->penalizer * v * v;
	return -ll / d->n + d->penalizer * (p * p + q * q + v * v);
}

/*
 * Minimize f over log parameters from th, then fill fit: parameters,
 * standard errors from the Hessian of the total objective (count times the
 * mean one), convergence.
 */
static void
fit_log_params(OptimFunc f, void *arg, double *th, int k, double count, ClvFit *fit)
{
	OptimResult res = optim_bfgs(f, arg, th, k, FIT_MAX_ITER, FIT_GTOL);
	double		h[OPTIM_MAX_DIM * OPTIM_MAX_DIM],
				cov[OPTIM_MAX_DIM * OPTIM_MAX_DIM],
				g[OPTIM_MAX_DIM],
				gnorm = res.gnorm,
				value = res.value;
	bool		have_cov;

	/* Newton polish: BFGS stalls a little short of the optimum in double precision */
	for (int it = 0; it < NEWTON_STEPS && gnorm > 1e-11; it++)
	{
		double		tn[OPTIM_MAX_DIM],
					gn[OPTIM_MAX_DIM],
					vn,
					nn = 0;

		optim_hessian(f, arg, th, k, h);
		if (!optim_inverse_spd(h, k, cov))
			break;
		f(th, g, arg);
		for (int i = 0; i < k; i++)
		{
			tn[i] = th[i];
			for (int j = 0; j < k; j++)
				tn[i] -= cov[i * k + j] * g[j];
		}
		vn = f(tn, gn, arg);
		for (int i = 0; i < k; i++)
			nn = Max(nn, fabs(gn[i]));
		if (!isfinite(vn) || vn > value + 1e-12 * fabs(value) || nn >= gnorm)
			break;
		memcpy(th, tn, sizeof(double) * k);
		gnorm = nn;
		value = vn;
	}
	f(th, g, arg);				/* leaves the log-likelihood at th in arg */
	optim_hessian(f, arg, th, k, h);
	for (int i = 0; i < k * k; i++)
		h[i] *= count;
	have_cov = optim_inverse_spd(h, k, cov);
	f(th, g, arg);
	for (int i = 0; i < k; i++)
	{
		fit->par[i] = exp(th[i]);
		fit->se[i] = have_cov ? fit->par[i] * sqrt(cov[i * k + i]) : get_float8_nan();
	}
	fit->iterations = res.iterations;
	fit->converged = gnorm <= 1e-7;
}

void
bgnbd_fit(const double *x, const double *tx, const double *T, const double *w, int64 n,
		  double penalizer, ClvFit *fit)
{
	BgData		d = {x, tx, T, w, n, 0, penalizer, 0};
	double		th[4],
				tmean = 0;

	for (int64 i = 0; i < n; i++)
	{
		d.wsum += w[i];
		tmean += w[i] * T[i];
	}
	tmean /= d.wsum;
	/* r = a = b = 1; alpha on the scale of the observation periods */
	th[0] = 0;
	th[1] = log(Max(tmean, 1e-3));
	th[2] = 0;
	th[3] = 0;
	memset(fit, 0, sizeof(ClvFit));
	fit_log_params(bgnbd_objective, &d, th, 4, d.wsum, fit);
	fit->loglik = d.loglik;
}

void
gamma_gamma_fit(const double *x, const double *m, int64 n, double penalizer, ClvFit *fit)
{
	double	   *log_m = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	GgData		d = {x, m, log_m, n, penalizer, 0};
	double		th[3],
				mmean = 0;

	for (int64 i = 0; i < n; i++)
	{
		mmean += m[i];
		log_m[i] = log(m[i]);
	}
	mmean /= n;
	/* p = q = 1, v at the mean spend */
	th[0] = 0;
	th[1] = 0;
	th[2] = log(mmean);
	memset(fit, 0, sizeof(ClvFit));
	fit->se[3] = fit->par[3] = get_float8_nan();
	fit_log_params(gamma_gamma_objective, &d, th, 3, n, fit);
	fit->loglik = d.loglik;
}

/* Predictions */

double
bgnbd_p_alive(const double *par, double x, double tx, double T)
{
	double		r = par[0],
				al = par[1],
				a = par[2],
				b = par[3];

	if (x == 0)
		return 1;
	return 1 / (1 + exp(log(a / (b + x - 1)) + (r + x) * log((al + T) / (al + tx))));
}

/*
 * Gauss hypergeometric 2F1(a, b; c; z) for 0 <= z < 1 by its power series;
 * the terms shrink like z^k, so z near 1 (a horizon much longer than the
 * customer's history) needs many of them.
 */
static double
hyp2f1(double a, double b, double c, double z)
{
	double		term = 1,
				sum = 1;

	for (int k = 0; k < 10000000; k++)
	{
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		if (fabs(term) <= 1e-15 * fabs(sum))
			return sum;
		if ((k & 0xffff) == 0xffff)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("expected purchases do not converge for a horizon this long"),
			 errhint("Use a horizon of the order of the customers' observation periods.")));
	return 0;					/* keep compiler quiet */
}

/* E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10) */
double
bgnbd_expected_purchases(const double *par, double x, double tx, double T, double t)
{
	double		r = par[0],
				al = par[1],
				a = par[2],
				b = par[3];
	double		first,
				second,
				denom;

	if (t == 0)
		return 0;
	first = (a + b + x - 1) / (a - 1);
	second = 1 - hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t)) *
		exp((r + x) * log((al + T) / (al + T + t)));
	denom = 1;
	if (x > 0)
		denom += a / (b + x - 1) * exp((r + x) * log((al + T) / (al + tx)));
	return first * second / denom;
}

/* E[mean spend | x repeat purchases averaging m] (x = 0: the population mean) */
double
gamma_gamma_expected_spend(const double *par, double x, double m)
{
	double		p = par[0],
				q = par[1],
				v = par[2];

	return p * (v + x * m) / (p * x + q - 1);
}
