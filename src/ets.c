/*
 * ets.c - exponential smoothing state space models (ETS) as R's
 * forecast::ets() fits them (Hyndman, Koehler, Ord & Snyder 2008,
 * "Forecasting with Exponential Smoothing: the State Space Approach";
 * Hyndman, Koehler, Snyder & Grose 2002):
 *
 * - error-correction recursions shared by additive and multiplicative errors;
 * - parameters by maximum likelihood (concentrated Gaussian likelihood):
 *   smoothing parameters AND initial states (level, slope, m - 1 seasonal
 *   states, the last one fixed by normalization) optimized jointly;
 * - R's default bounds "both": the usual region (alpha, beta <= alpha,
 *   gamma <= 1 - alpha, phi in [0.8, 0.98]) intersected with the
 *   admissible (forecastable) region, which for seasonal models requires the
 *   roots of the characteristic polynomial inside the unit circle (checked
 *   with the Schur-Cohn recursion rather than by computing roots);
 * - model choice by AICc.
 *
 * Speed: every candidate is first fitted with the seasonal states fixed at
 * a classical decomposition (few parameters, cheap), with a short search for
 * all and the full one for the few best by that AICc; the best seasonal
 * candidate is then refitted with all initial states free (unless far
 * behind), and the AICc of the refits decides.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "blas.h"
#include "ets.h"
#include "optim.h"
#include "vec.h"

#ifndef ETS_EVALS_1
#define ETS_EVALS_1 45			/* Nelder-Mead evaluations per parameter, */
#define ETS_EVALS_2 25			/* first run and restart */
#endif
#define ETS_SCREEN 15			/* of ETS_EVALS_1 for every candidate, */
#define ETS_FINALISTS 3			/* the rest for this many */
#define ETS_LINEAR_1 20			/* stage 2 of additive seasonal models: it */
#define ETS_LINEAR_2 10			/* converges fast, initial states solved exactly */
#define ETS_REFIT_GAP 10.0		/* AICc behind the best: no stage 2 */
#define ETS_REFIT_RESTART 12	/* nonlinear stage 2's restart: per parameter
								 * (was ETS_EVALS_2, 25: 4% of auto's work,
								 * accuracy not lower; doc/benchmarks-forecast.md) */
#define ETS_REFITS 1			/* candidates refitted with free seasonal states:
								 * more cost time and did not forecast better on
								 * test/bench/forecast.sh (doc/forecasting.md) */

typedef struct EtsProblem
{
	const double *y;
	int			n;
	int			e,
				t,
				s,
				m;
	double	   *season0;		/* initial ring: season0[j] applies to y[j] */
	double	   *ring;			/* scratch, m */
	bool		free_season;	/* season0[0..m-2] are in x, season0[m-1] normalizes */
	double		bound,			/* the last bound of ets_objective_bounded */
				sse_max;		/* and its sum of squares */
	/* parameter layout in the optimizer's vector */
	int			i_beta,
				i_gamma,
				i_phi,
				i_l0,
				i_b0,
				i_s0,
				d;
} EtsProblem;

typedef struct EtsResult
{
	int			e,
				t,
				s;
	double		alpha,
				beta,
				gamma,
				phi,
				l0,
				b0;
	double		sse,
				sumlog;
	double		level,
				trend;
	double		loglik,
				aicc,
				sigma2;
	int			k;				/* parameters incl. sigma */
	double	   *season;			/* final seasonal states, season[m-1] next */
	double	   *season0;		/* initial ring, season0[j] applies to y[j] */
	bool		ok;
} EtsResult;

/*
 * Run the ETS recursions over y.  ring (m values, ring[pos] = s_{t-m}) is
 * updated in place; fitted[] (if not NULL) gets the one-step forecasts.
 * Returns false if a multiplicative model leaves its domain, or when the
 * sum of squares passes sse_max (+inf: never).
 *
 * Written for a short dependency chain from one step's level and slope to
 * the next (this loop is most of auto's time): with q = l + phi b,
 *   l' = q + alpha (p - q)       = (1 - alpha) l + (1 - alpha) phi b + alpha p
 *   b' = phi b + beta (p - q)    = (1 - beta) phi b - beta l + beta p
 * where p (the deseasonalized observation) does not depend on l or b, so a
 * step is two multiply-adds deep instead of five operations; and a
 * multiplicative model divides twice a step, not three times
 * (e = (y - yhat) / yhat = p / q - 1, y / q = y r with r = 1 / q).
 */
static pg_attribute_always_inline bool
ets_loop_impl(const double *y, int n, const int e, const int t, const int s, int m,
			  double alpha, double beta, double gamma, double phi,
			  double *l_io, double *b_io, double *ring, int *pos_io,
			  double *fitted, double *sse_out, double *sumlog_out, double sse_max)
{
	double		l = *l_io,
				b = *b_io,
				sse = 0,
				mant = 1;		/* product of yhat as mant * 2^expo */
	int64		expo = 0;
	int			pos = pos_io ? *pos_io : 0;
	const double ph = t == ETS_N ? 0 : (t == ETS_A ? 1 : phi),
				oma = 1 - alpha,
				lb = oma * ph,	/* weight of b in l' */
				bb = (1 - beta) * ph,	/* ... of b in b' */
				omg = 1 - gamma;

	for (int i = 0; i < n;)
	{
		/* a stretch up to the ring's end: no wrap test per step */
		int			stop = Min(n, i + (s == ETS_N ? 16 : m - pos));

		/* the sum of squares only grows: past sse_max the caller has its answer */
		if (sse > sse_max)
			return false;

		for (; i < stop; i++)
		{
			double		yi = y[i],
						q = t == ETS_N ? l : l + ph * b,
						so = s == ETS_N ? 0 : ring[pos],
						yhat,
						err,
						p;

			if (s == ETS_M)
			{
				double		r;

				if (so <= 0 || q <= 0)
					return false;
				yhat = q * so;
				p = yi / so;
				r = 1 / q;
				ring[pos++] = omg * so + gamma * (yi * r);
				err = e == ETS_M ? p * r - 1 : yi - yhat;
			}
			else
			{
				yhat = q + so;
				p = yi - so;
				if (s == ETS_A)
					ring[pos++] = omg * so + gamma * (yi - q);
				if (e == ETS_M)
				{
					if (yhat <= 0)
						return false;
					err = (yi - yhat) / yhat;
				}
				else
					err = yi - yhat;
			}
			if (fitted)
				fitted[i] = yhat;
			if (e == ETS_M)
			{
				/*
				 * sum of log(yhat) without a log per step: the product,
				 * renormalized only when it leaves [2^-300, 2^300] (a frexp
				 * per step was 5% of auto's time)
				 */
				mant *= yhat;
				if (mant > 0x1p300 || mant < 0x1p-300)
				{
					int			ex;

					mant = frexp(mant, &ex);
					expo += ex;
				}
			}
			sse += err * err;
			if (t == ETS_N)
				l = oma * l + alpha * p;
			else
			{
				double		ln = oma * l + (lb * b + alpha * p);

				b = bb * b + (beta * p - beta * l);
				l = ln;
			}
		}
		if (s != ETS_N && pos == m)
			pos = 0;
	}
	*l_io = l;
	*b_io = b;
	if (pos_io)
		*pos_io = pos;
	*sse_out = sse;
	*sumlog_out = e == ETS_M ? log(mant) + expo * M_LN2 : 0;
	return isfinite(sse);
}

/*
 * The recursions specialized per model (the component codes are constants
 * in every instance, so the compiler drops the branches of the inner loop),
 * cloned for x86-64-v3, whose fused multiply-adds halve the step's chain.
 */
VEC_CLONES static bool
ets_loop(const double *y, int n, int e, int t, int s, int m,
		 double alpha, double beta, double gamma, double phi,
		 double *l_io, double *b_io, double *ring, int *pos_io,
		 double *fitted, double *sse_out, double *sumlog_out, double sse_max)
{
#define ETS_CASE(E, T, S) \
	case E * 100 + T * 10 + S: \
		return fitted ? \
			ets_loop_impl(y, n, E, T, S, m, alpha, beta, gamma, phi, l_io, b_io, ring, \
						  pos_io, fitted, sse_out, sumlog_out, sse_max) : \
			ets_loop_impl(y, n, E, T, S, m, alpha, beta, gamma, phi, l_io, b_io, ring, \
						  pos_io, NULL, sse_out, sumlog_out, sse_max)
	switch (e * 100 + t * 10 + s)
	{
			ETS_CASE(1, 0, 0);
			ETS_CASE(1, 1, 0);
			ETS_CASE(1, 2, 0);
			ETS_CASE(1, 0, 1);
			ETS_CASE(1, 1, 1);
			ETS_CASE(1, 2, 1);
			ETS_CASE(2, 0, 0);
			ETS_CASE(2, 1, 0);
			ETS_CASE(2, 2, 0);
			ETS_CASE(2, 0, 1);
			ETS_CASE(2, 1, 1);
			ETS_CASE(2, 2, 1);
			ETS_CASE(2, 0, 2);
			ETS_CASE(2, 1, 2);
			ETS_CASE(2, 2, 2);
	}
#undef ETS_CASE
	return ets_loop_impl(y, n, e, t, s, m, alpha, beta, gamma, phi, l_io, b_io, ring,
						 pos_io, fitted, sse_out, sumlog_out, sse_max);
}

static void
ets_unpack(EtsProblem *pb, const double *x, EtsResult *r)
{
	r->alpha = x[0];
	r->beta = pb->i_beta >= 0 ? x[pb->i_beta] : 0;
	r->gamma = pb->i_gamma >= 0 ? x[pb->i_gamma] : 0;
	r->phi = pb->i_phi >= 0 ? x[pb->i_phi] : 1;
	r->l0 = pb->i_l0 >= 0 ? x[pb->i_l0] : 0;
	r->b0 = pb->i_b0 >= 0 ? x[pb->i_b0] : 0;
	if (pb->free_season)
	{
		double		sum = 0;

		for (int j = 0; j < pb->m - 1; j++)
		{
			pb->season0[j] = x[pb->i_s0 + j];
			sum += pb->season0[j];
		}
		/* additive states sum to 0, multiplicative ones to m */
		pb->season0[pb->m - 1] = (pb->s == ETS_M ? pb->m : 0) - sum;
	}
}

/*
 * R's admissible(): with the usual bounds the non-seasonal conditions always
 * hold; a seasonal model needs the characteristic polynomial
 * phi(1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi)(z^2..z^(m-1)) + (a+b-phi) z^m + z^(m+1)
 * stable.
 */
/*
 * True if E + D z + C (z^2 + ... + z^(m-1)) + A z^m + z^(m+1) (m >= 2) has
 * every root within |z| < rho: the Schur-Cohn recursion of fc_roots_in_disc
 * on this shape.  Its step b_i = (a_(i+1) - k a_(n-1-i)) / (1 - k^2) keeps
 * the run of equal coefficients: after the first step, with the radius
 * scaling a_i rho^i, the inner coefficients are al rho^i + be rho^-i, so a
 * step updates five numbers instead of m (O(m), not O(m^2); the test runs at
 * every likelihood evaluation of a seasonal fit).  The same verdicts as
 * fc_roots_in_disc on 3 million random parameter sets, including the unit
 * root of trendless models (phi = 1, beta = 0) that rho = 1 + 1e-10 admits;
 * the rounding differs, so a fit pressed against the boundary may end on
 * the other side of a last bit.
 */
static bool
ets_stable(double E, double D, double C, double A, int m, double rho)
{
	double		ri = 1 / rho,
				rm = 1,
				L,
				k,
				inv,
				a1,
				am,
				u,
				v,
				al,
				be,
				p;

	for (int i = 0; i < m; i++)
		rm *= rho;				/* rho^m */
	L = 1 / (rm * rho);			/* monic */
	if (!isfinite(E + D + C + A))
		return false;
	k = E * L;
	if (!(fabs(k) < 1))
		return false;
	inv = 1 / (1 - k * k);
	a1 = D * rho * L;
	am = A * rm * L;
	u = (a1 - k * am) * inv;	/* degree m: u, run over 1..m-2, v, 1 */
	v = (am - k * a1) * inv;
	al = C * L * rho * inv;
	be = -k * C * L * rm * inv;
	p = rm * ri;				/* rho^(n-1) */
	for (int n = m; n >= 3; n--)
	{
		double		un,
					aln;

		k = u;
		if (!(fabs(k) < 1))
			return false;
		inv = 1 / (1 - k * k);
		a1 = al * rho + be * ri;
		un = (a1 - k * v) * inv;
		v = (v - k * a1) * inv;
		aln = (al * rho - k * be / p) * inv;
		be = (be * ri - k * al * p) * inv;
		al = aln;
		u = un;
		p *= ri;
	}
	/* u + v z + z^2, then v / (1 + k) + z */
	k = u;
	if (!(fabs(k) < 1))
		return false;
	return fabs(v / (1 + k)) < 1;
}

static bool
ets_admissible(const EtsResult *r, int s, int m)
{
	double		a = r->alpha,
				b = r->beta,
				g = r->gamma,
				phi = r->phi;

	if (s == ETS_N || m <= 1)
		return true;
	if (g < Max(1 - 1 / phi - a, 0) || g > 1 + 1 / phi - a)
		return false;
	if (a < 1 - 1 / phi - g * (1 - m + phi + phi * m) / (2 * phi * m))
		return false;
	if (b < -(1 - phi) * (g / m + a))
		return false;
	return ets_stable(phi * (1 - a - g), a + b - a * phi + g - 1, a + b - a * phi, a + b - phi,
					  m, 1 + 1e-10);
}

/*
 * -2 log-likelihood up to a constant: n log(SSE) (+ 2 sum log|yhat|).  With
 * additive errors it grows with the running sum of squares, so the pass
 * stops once that sum shows the value reaches bound (Nelder-Mead's, below
 * which a trial point must get to count): a rejected trial costs part of a
 * pass, and no admissibility test.  The threshold n exp(bound / n) carries a margin far above the
 * rounding of exp and log, so no point that would count is cut short.
 */
static double
ets_objective_bounded(const double *x, double bound, void *arg)
{
	EtsProblem *pb = arg;
	EtsResult	r;
	double		l,
				b,
				sse,
				sumlog,
				sse_max = INFINITY,
				v;

	ets_unpack(pb, x, &r);
	if (r.alpha < 1e-4 || r.alpha > 0.9999)
		return INFINITY;
	if (pb->i_beta >= 0 && (r.beta < 1e-4 || r.beta > r.alpha))
		return INFINITY;
	if (pb->i_gamma >= 0 && (r.gamma < 1e-4 || r.gamma > 1 - r.alpha))
		return INFINITY;
	if (pb->i_phi >= 0 && (r.phi < 0.8 || r.phi > 0.98))
		return INFINITY;
	/*
	 * Admissibility first only where the exact value is wanted; a trial
	 * point that does not get below its bound needs no test at all.
	 */
	if (!isfinite(bound) && !ets_admissible(&r, pb->s, pb->m))
		return INFINITY;
	if (pb->s != ETS_N)
		memcpy(pb->ring, pb->season0, pb->m * sizeof(double));
	l = r.l0;
	b = r.b0;
	if (pb->e == ETS_A && isfinite(bound))
	{
		/* Nelder-Mead repeats a bound until its worst point changes */
		if (bound != pb->bound)
		{
			pb->bound = bound;
			pb->sse_max = pb->n * exp(bound / pb->n) * (1 + 1e-9);
		}
		sse_max = pb->sse_max;
	}
	if (!ets_loop(pb->y, pb->n, pb->e, pb->t, pb->s, pb->m, r.alpha, r.beta, r.gamma, r.phi,
				  &l, &b, pb->ring, NULL, NULL, &sse, &sumlog, sse_max))
		return INFINITY;
	v = pb->n * log(sse / pb->n + 1e-300) + 2 * sumlog;
	if (isfinite(bound) && v < bound && !ets_admissible(&r, pb->s, pb->m))
		return INFINITY;
	return v;
}

static double
ets_objective(const double *x, void *arg)
{
	return ets_objective_bounded(x, INFINITY, arg);
}

int
ets_nparams(int t, int s, int m)
{
	return 1 + (t != ETS_N) + (s != ETS_N) + (t == ETS_AD) + 1 + (t != ETS_N) +
		(s != ETS_N ? m - 1 : 0) + 1;
}

/* log-likelihood, AICc, final states of the parameters in res */
static void
ets_finish(const double *y, int n, int m, EtsProblem *pb, EtsResult *res)
{
	double		l = res->l0,
				b = res->b0;
	int			pos = 0;

	if (res->s != ETS_N)
		memcpy(pb->ring, res->season0, m * sizeof(double));
	ets_loop(y, n, res->e, res->t, res->s, m, res->alpha, res->beta, res->gamma, res->phi,
			 &l, &b, pb->ring, &pos, NULL, &res->sse, &res->sumlog, INFINITY);
	res->level = l;
	res->trend = b;
	res->loglik = -0.5 * n * (log(2 * M_PI * (res->sse / n + 1e-300)) + 1) - res->sumlog;
	res->aicc = -2 * res->loglik + 2.0 * res->k +
		2.0 * res->k * (res->k + 1) / (n - res->k - 1);
	res->sigma2 = res->sse / Max(1, n - (res->k - 1));
	res->ok = true;
	/* final seasonal states in canonical order: season[m-1] is next */
	if (res->s != ETS_N)
	{
		double	   *canon = palloc(m * sizeof(double));

		for (int j = 0; j < m; j++)
			canon[m - 1 - j] = pb->ring[(pos + j) % m];
		res->season = canon;
	}
}

static void
ets_problem(EtsProblem *pb, const double *y, int n, int e, int t, int s, int m)
{
	memset(pb, 0, sizeof(EtsProblem));
	pb->y = y;
	pb->n = n;
	pb->e = e;
	pb->t = t;
	pb->s = s;
	pb->m = m;
	pb->ring = s != ETS_N ? palloc(m * sizeof(double)) : NULL;
	pb->i_beta = pb->i_gamma = pb->i_phi = pb->i_b0 = pb->i_s0 = -1;
	pb->bound = NAN;			/* equal to no bound: sse_max is unset */
}

/*
 * A stage-1 candidate between its optimizer runs: the problem, the point and
 * the simplex edges, and the fit at that point.
 */
typedef struct EtsCandidate
{
	EtsProblem	pb;
	double		x[8],
				step[8];
	EtsResult	res;
} EtsCandidate;

/*
 * Stage 1, set up.  Initial states (Hyndman et al. 2008, sec. 2.6.1):
 * seasonal indices from a classical decomposition of the first (up to) three
 * seasons, held fixed here; level and slope from a regression on the first
 * max(10, 2m) adjusted values, then optimized with the smoothing parameters.
 * False when the series is too short for the model.
 */
static bool
ets_start(EtsCandidate *c, const double *y, int n, int e, int t, int s, int m)
{
	EtsProblem *pb = &c->pb;
	EtsResult  *res = &c->res;
	double	   *x = c->x,
			   *step = c->step;
	double	   *season0 = NULL;
	double	   *ysa;
	int			maxn,
				d = 0;
	double		l0,
				b0;

	memset(res, 0, sizeof(EtsResult));
	res->e = e;
	res->t = t;
	res->s = s;
	res->k = ets_nparams(t, s, s == ETS_N ? 1 : m);
	if (n - res->k - 1 <= 0)
		return false;
	if (s == ETS_N)
		m = 1;
	ysa = palloc(n * sizeof(double));
	if (s != ETS_N)
	{
		season0 = palloc(m * sizeof(double));
		fc_classical_season(y, Min(n, 3 * m), m, s == ETS_M, season0);
		for (int i = 0; i < n; i++)
			ysa[i] = s == ETS_A ? y[i] - season0[i % m] : y[i] / season0[i % m];
	}
	else
		memcpy(ysa, y, n * sizeof(double));
	maxn = Min(Max(10, 2 * m), n);
	if (t == ETS_N)
	{
		l0 = 0;
		for (int i = 0; i < maxn; i++)
			l0 += ysa[i];
		l0 /= maxn;
		b0 = 0;
	}
	else
		fc_linear_fit(ysa, maxn, &l0, &b0);
	if (e == ETS_M && l0 <= 0)
		l0 = Max(ysa[0], 1e-3);

	ets_problem(pb, y, n, e, t, s, m);
	pb->season0 = season0;
	res->season0 = season0;
	/* R's starting values (initparam): alpha 0.2 / m, beta and gamma small */
	x[d] = s != ETS_N ? 1e-4 + 0.2 * 0.9998 / m : 0.2;
	step[d++] = 0.1;
	if (t != ETS_N)
	{
		pb->i_beta = d;
		x[d] = s != ETS_N ? 1e-4 + 0.1 * (x[0] - 1e-4) : 0.02;
		step[d] = s != ETS_N ? 0.5 * x[d] : 0.02;
		d++;
	}
	if (s != ETS_N)
	{
		pb->i_gamma = d;
		x[d] = 1e-4 + 0.05 * (1 - x[0] - 1e-4);
		step[d++] = 0.05;
	}
	if (t == ETS_AD)
	{
		pb->i_phi = d;
		x[d] = s != ETS_N ? 0.8 + 0.99 * 0.18 : 0.95;
		step[d++] = 0.02;
	}
	{
		double		scale = 0;

		for (int i = 0; i < maxn; i++)
			scale += fabs(ysa[i] - l0);
		scale = Max(scale / maxn, 1e-3 * (fabs(l0) + 1));
		pb->i_l0 = d;
		x[d] = l0;
		step[d++] = 0.5 * scale;
		if (t != ETS_N)
		{
			pb->i_b0 = d;
			x[d] = b0;
			step[d++] = 0.1 * scale;
		}
	}
	pb->d = d;
	pfree(ysa);
	if (!isfinite(ets_objective(x, pb)))
	{
		/* the decomposition's start may be inadmissible: a smaller gamma */
		if (pb->i_gamma >= 0)
			x[pb->i_gamma] = 1e-3;
	}
	return true;
}

/*
 * Stage 1, search: Nelder-Mead from the candidate's point with evals per
 * parameter, the simplex edges scaled by shrink; the fit at the new point
 * (res->ok false while no finite point was found).
 */
static void
ets_search(EtsCandidate *c, int evals, double reltol, double shrink)
{
	EtsProblem *pb = &c->pb;
	int			d = pb->d;
	double		obj;

	for (int j = 0; j < d; j++)
		c->step[j] *= shrink;
	obj = nelder_mead_bounded(ets_objective_bounded, pb, d, c->x, c->step, evals * d, reltol);
	if (!isfinite(obj))
		return;
	ets_unpack(pb, c->x, &c->res);
	ets_finish(pb->y, pb->n, pb->m, pb, &c->res);
}

/*
 * Additive error and season (ANA, AAA, AAdA): for fixed smoothing parameters
 * the one-step errors are affine in the initial states, e = e0 - C x0, where
 * e0 are the errors from zero initial states and column j of C the forecasts
 * of a zero series started from basis state j.  The best initial states then
 * solve a small least-squares problem, so they are concentrated out of the
 * likelihood exactly and Nelder-Mead searches the smoothing parameters only.
 * Basis: level, slope, and s_j - s_{m-1} (j < m - 1) for the normalized season.
 */
typedef struct EtsLinear
{
	EtsProblem *pb;
	int			p;				/* initial states */
	double	   *zeros,			/* n */
			   *e0,				/* n */
			   *cmat,			/* p x n, row j = column j of C */
			   *gram,			/* p x p */
			   *rhs;			/* p */
} EtsLinear;

/*
 * a . b in four lanes and two accumulators: the Gram matrix of the basis
 * responses, (p^2 / 2) n multiply-adds, was a chain of dependent additions
 * that cost more than the p + 1 passes of the recursions
 */
VEC_CLONES static double
ets_dot(const double *a, const double *b, int n)
{
	v4d			s0 = {0, 0, 0, 0},
				s1 = {0, 0, 0, 0};
	double		sum;
	int			i = 0;

	for (; i + 8 <= n; i += 8)
	{
		s0 += *(const v4d *) (a + i) * *(const v4d *) (b + i);
		s1 += *(const v4d *) (a + i + 4) * *(const v4d *) (b + i + 4);
	}
	s0 += s1;
	sum = (s0[0] + s0[1]) + (s0[2] + s0[3]);
	for (; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

static bool
ets_linear_states(EtsLinear *el, const EtsResult *r, double *sse_out)
{
	EtsProblem *pb = el->pb;
	int			n = pb->n,
				m = pb->m,
				p = el->p;
	double		l,
				b,
				sse,
				sumlog,
				ee = 0,
				tr = 0;

	/* e0: zero initial states */
	memset(pb->ring, 0, m * sizeof(double));
	l = b = 0;
	ets_loop(pb->y, n, pb->e, pb->t, pb->s, m, r->alpha, r->beta, r->gamma, r->phi,
			 &l, &b, pb->ring, NULL, el->e0, &sse, &sumlog, INFINITY);
	for (int i = 0; i < n; i++)
	{
		el->e0[i] = pb->y[i] - el->e0[i];
		ee += el->e0[i] * el->e0[i];
	}
	for (int j = 0; j < p; j++)
	{
		memset(pb->ring, 0, m * sizeof(double));
		l = j == 0 ? 1 : 0;
		b = (j == 1 && pb->t != ETS_N) ? 1 : 0;
		if (j >= 1 + (pb->t != ETS_N))
		{
			pb->ring[j - 1 - (pb->t != ETS_N)] = 1;
			pb->ring[m - 1] = -1;
		}
		ets_loop(el->zeros, n, pb->e, pb->t, pb->s, m, r->alpha, r->beta, r->gamma, r->phi,
				 &l, &b, pb->ring, NULL, el->cmat + (Size) j * n, &sse, &sumlog, INFINITY);
	}
	for (int j = 0; j < p; j++)
	{
		const double *cj = el->cmat + (Size) j * n;

		el->rhs[j] = ets_dot(cj, el->e0, n);
		for (int k = 0; k <= j; k++)
			el->gram[j * p + k] = el->gram[k * p + j] = ets_dot(cj, el->cmat + (Size) k * n, n);
		tr += el->gram[j * p + j];
	}
	/* a tiny ridge keeps the normal equations positive definite */
	for (int j = 0; j < p; j++)
		el->gram[j * p + j] += 1e-12 * tr / p + 1e-300;
	{
		double		ssr = 0;
		double	   *rhs0 = el->rhs + p;	/* copy of C'e0 */

		memcpy(rhs0, el->rhs, p * sizeof(double));
		if (!blas_cholesky_solve(el->gram, el->rhs, p))
			return false;
		for (int j = 0; j < p; j++)
			ssr += rhs0[j] * el->rhs[j];
		*sse_out = Max(ee - ssr, 1e-300 * (ee + 1));
	}
	return isfinite(*sse_out);
}

static double
ets_linear_objective(const double *x, void *arg)
{
	EtsLinear  *el = arg;
	EtsProblem *pb = el->pb;
	EtsResult	r;
	double		sse;

	ets_unpack(pb, x, &r);
	if (r.alpha < 1e-4 || r.alpha > 0.9999)
		return INFINITY;
	if (pb->i_beta >= 0 && (r.beta < 1e-4 || r.beta > r.alpha))
		return INFINITY;
	if (r.gamma < 1e-4 || r.gamma > 1 - r.alpha)
		return INFINITY;
	if (pb->i_phi >= 0 && (r.phi < 0.8 || r.phi > 0.98))
		return INFINITY;
	if (!ets_admissible(&r, pb->s, pb->m))
		return INFINITY;
	if (!ets_linear_states(el, &r, &sse))
		return INFINITY;
	return pb->n * log(sse / pb->n);
}

/* stage 2 for additive seasonal models: smoothing parameters by Nelder-Mead */
static void
ets_refit_linear(const double *y, int n, int m, const EtsResult *start, EtsResult *res)
{
	EtsProblem	pb;
	EtsLinear	el;
	double		x[4],
				step[4],
				obj;
	int			d = 0,
				nt = start->t != ETS_N;

	*res = *start;
	ets_problem(&pb, y, n, start->e, start->t, start->s, m);
	el.pb = &pb;
	el.p = 1 + nt + m - 1;
	el.zeros = palloc0(n * sizeof(double));
	el.e0 = palloc(n * sizeof(double));
	el.cmat = palloc((Size) el.p * n * sizeof(double));
	el.gram = palloc(el.p * el.p * sizeof(double));
	el.rhs = palloc(2 * el.p * sizeof(double));
	x[d] = start->alpha;
	step[d++] = Min(0.1, 0.5 * (0.9999 - start->alpha)) + 1e-3;
	if (nt)
	{
		pb.i_beta = d;
		x[d] = start->beta;
		step[d++] = Max(0.01, 0.5 * start->beta);
	}
	pb.i_gamma = d;
	x[d] = start->gamma;
	step[d++] = Max(0.02, 0.5 * start->gamma);
	if (start->t == ETS_AD)
	{
		pb.i_phi = d;
		x[d] = start->phi;
		step[d++] = 0.02;
	}
	pb.i_l0 = -1;
	pb.d = d;
	obj = nelder_mead(ets_linear_objective, &el, d, x, step, ETS_LINEAR_1 * d, 1e-8);
	for (int j = 0; j < d; j++)
		step[j] *= 0.3;
	obj = nelder_mead(ets_linear_objective, &el, d, x, step, ETS_LINEAR_2 * d, 1e-10);
	if (!isfinite(obj))
		return;
	{
		EtsResult	r;
		double		sse;

		ets_unpack(&pb, x, &r);
		if (!ets_linear_states(&el, &r, &sse))
			return;
		r.e = start->e;
		r.t = start->t;
		r.s = start->s;
		r.k = start->k;
		r.l0 = el.rhs[0];
		r.b0 = nt ? el.rhs[1] : 0;
		r.season0 = palloc(m * sizeof(double));
		r.season0[m - 1] = 0;
		for (int j = 0; j < m - 1; j++)
		{
			r.season0[j] = el.rhs[1 + nt + j];
			r.season0[m - 1] -= r.season0[j];
		}
		r.season = NULL;
		ets_finish(y, n, m, &pb, &r);
		/* keep the stage-1 fit if this is no better (it cannot be, but rounding) */
		if (r.ok && r.loglik >= start->loglik - 1e-9)
			*res = r;
	}
}

/*
 * Stage 2: a seasonal fit refined with the m - 1 free seasonal states
 * optimized jointly with everything else, from the stage-1 optimum.
 */
static void
ets_refit(const double *y, int n, int m, const EtsResult *start, EtsResult *res)
{
	EtsProblem	pb;
	int			d = 0;
	double	   *x,
			   *step;
	double		obj,
				scale = 0;

	*res = *start;
	ets_problem(&pb, y, n, start->e, start->t, start->s, m);
	pb.season0 = palloc(m * sizeof(double));
	pb.free_season = true;
	x = palloc((8 + m) * sizeof(double));
	step = palloc((8 + m) * sizeof(double));
	for (int i = 1; i < n; i++)
		scale += fabs(y[i] - y[i - 1]);
	scale = Max(scale / Max(1, n - 1), 1e-3 * (fabs(start->l0) + 1));
	x[d] = start->alpha;
	step[d++] = Min(0.05, 0.5 * (0.9999 - start->alpha) + 1e-3);
	if (start->t != ETS_N)
	{
		pb.i_beta = d;
		x[d] = start->beta;
		step[d++] = 0.01;
	}
	pb.i_gamma = d;
	x[d] = start->gamma;
	step[d++] = 0.02;
	if (start->t == ETS_AD)
	{
		pb.i_phi = d;
		x[d] = start->phi;
		step[d++] = 0.01;
	}
	pb.i_l0 = d;
	x[d] = start->l0;
	step[d++] = 0.2 * scale;
	if (start->t != ETS_N)
	{
		pb.i_b0 = d;
		x[d] = start->b0;
		step[d++] = 0.05 * scale;
	}
	pb.i_s0 = d;
	for (int j = 0; j < m - 1; j++)
	{
		x[d] = start->season0[j];
		/* multiplicative states are ratios, additive ones in units of y */
		step[d++] = start->s == ETS_M ? 0.02 : 0.1 * scale;
	}
	pb.d = d;
	obj = nelder_mead_bounded(ets_objective_bounded, &pb, d, x, step, ETS_EVALS_1 * d, 1e-8);
	for (int j = 0; j < d; j++)
		step[j] *= 0.25;
	obj = nelder_mead_bounded(ets_objective_bounded, &pb, d, x, step, ETS_REFIT_RESTART * d, 1e-10);
	if (!isfinite(obj))
		return;					/* keep the stage-1 fit */
	ets_unpack(&pb, x, res);
	res->season0 = pb.season0;
	res->season = NULL;
	ets_finish(y, n, m, &pb, res);
}

/*
 * Stage 2 for the seasonal candidate with the lowest stage-1 AICc not yet
 * refitted, of any trend (trended -1), without trend (0) or with one (1);
 * none when it is more than ETS_REFIT_GAP behind the best.  Returns the
 * refitted candidate's trend type, -1 if none.
 */
static int
ets_refit_lowest(const double *y, int n, int m, EtsResult *cand, int nc, int trended)
{
	EtsResult	best;
	int			bi = -1;

	for (int i = 0; i < nc; i++)
		if (cand[i].s != ETS_N && cand[i].season != NULL && cand[i].k > 0 &&
			(trended < 0 || (cand[i].t != ETS_N) == (trended == 1)) &&
			(bi < 0 || cand[i].aicc < cand[bi].aicc))
			bi = i;
	if (bi < 0)
		return -1;
	/* a seasonal fit this far behind is not caught up by its refit */
	for (int i = 0; i < nc; i++)
		if (cand[i].aicc < cand[bi].aicc - ETS_REFIT_GAP)
			return -1;
	CHECK_FOR_INTERRUPTS();
	if (cand[bi].e == ETS_A && cand[bi].s == ETS_A)
		ets_refit_linear(y, n, m, &cand[bi], &best);
	else
		ets_refit(y, n, m, &cand[bi], &best);
	/* k < 0 marks a refitted candidate so it is picked once */
	cand[bi] = best;
	cand[bi].k = -cand[bi].k;
	return cand[bi].t;
}

/* r's model into fm's ETS fields (season as r has it: NULL without one) */
static void
ets_model(const EtsResult *r, int m, ForecastModel *fm)
{
	fm->method = FC_ETS;
	fm->etype = r->e;
	fm->ttype = r->t;
	fm->stype = r->s;
	fm->m = r->s == ETS_N ? 1 : m;
	fm->alpha = r->alpha;
	fm->beta = r->beta;
	fm->gamma = r->gamma;
	fm->phi = r->t == ETS_AD ? r->phi : 1;
	fm->level = r->level;
	fm->trend = r->trend;
	fm->sigma2 = r->sigma2;
	fm->loglik = r->loglik;
	fm->aicc = r->aicc;
	fm->season = r->season;
}

/* fc_positive for a fitted candidate (one without final seasonal states passes) */
static bool
ets_result_positive(const EtsResult *r, int m)
{
	ForecastModel fm;

	if (r->s != ETS_N && r->season == NULL)
		return true;
	memset(&fm, 0, sizeof(fm));
	ets_model(r, m, &fm);
	return fc_positive(&fm);
}

/*
 * Fit an ETS model into fm; spec -1 chooses by AICc among the candidates
 * (multiplicative components only for positive series, seasonal ones only
 * with 1 < m <= ETS_MAX_SEASON and two seasons of data; on a positive series
 * one whose first forecasts are not above 0 only if all are so, fc_positive).
 * fitted[] (if not NULL) receives the one-step in-sample forecasts.  False if
 * nothing fits.
 */
bool
ets_choose(ForecastModel *fm, const double *y, int n, int m, int spec, bool positive,
		   double *fitted, FcOrigin *origin)
{
	EtsCandidate work[18];
	bool		finalist[18] = {false};
	EtsResult	cand[18];
	int			nc = 0,
				nw = 0;
	EtsResult	best;
	EtsProblem	pb;
	int			refit_t = -1;	/* trend of the last stage-2 candidate */

	/*
	 * Automatic choice with at least three seasons: the 90% lag-m
	 * autocorrelation test (the one Theta uses), applied to the first
	 * differences so that a trend does not pass for a season, may narrow
	 * the choice to the seasonal half of the family.
	 */
	int			only = -1;		/* -1 both, 1 seasonal only */

	if (spec < 0 && m > 1 && m <= ETS_MAX_SEASON && n - 1 >= 3 * m)
	{
		double	   *dy = palloc((n - 1) * sizeof(double));

		for (int i = 1; i < n; i++)
			dy[i - 1] = y[i] - y[i - 1];
		/*
		 * A season found narrows the choice to the seasonal half; none found
		 * keeps both halves: the test misses weak seasons, and leaving the
		 * seasonal models out then cost 0.6 sMAPE on monthly series
		 * (doc/benchmarks-forecast.md, "ETS candidates").
		 */
		only = fc_seasonality_test(dy, n - 1, m) ? 1 : -1;
		pfree(dy);
	}
	for (int e = ETS_A; e <= ETS_M; e++)
		for (int t = ETS_N; t <= ETS_AD; t++)
			for (int s = ETS_N; s <= ETS_M; s++)
			{
				if (spec >= 0 && spec != e * 100 + t * 10 + s)
					continue;
				if (e == ETS_A && s == ETS_M)
					continue;
				if ((e == ETS_M || s == ETS_M) && !positive)
					continue;
				if (s != ETS_N && (m <= 1 || m > ETS_MAX_SEASON || n < 2 * m))
					continue;
				if (only >= 0 && (s != ETS_N) != (only == 1))
					continue;
				CHECK_FOR_INTERRUPTS();
				if (ets_start(&work[nw], y, n, e, t, s, m))
				{
					ets_search(&work[nw], ETS_SCREEN, 1e-7, 1);
					nw++;
				}
			}

	/*
	 * The screening's ETS_FINALISTS best go on with the full budget; the
	 * others are far enough behind that more search rarely changes the
	 * choice (doc/benchmarks-forecast.md, "Fourth round: speed").
	 */
	for (int r = 0; r < ETS_FINALISTS; r++)
	{
		int			bi = -1;

		for (int i = 0; i < nw; i++)
			if (work[i].res.ok && !finalist[i] &&
				(bi < 0 || work[i].res.aicc < work[bi].res.aicc))
				bi = i;
		if (bi < 0)
			break;
		finalist[bi] = true;
		CHECK_FOR_INTERRUPTS();
		ets_search(&work[bi], ETS_EVALS_1 - ETS_SCREEN, 1e-7, 1);
		ets_search(&work[bi], ETS_EVALS_2, 1e-10, 0.5);
	}
	for (int i = 0; i < nw; i++)
		if (work[i].res.ok)
			cand[nc++] = work[i].res;
	if (nc == 0)
		return false;

	/*
	 * Stage 2 for the ETS_REFITS seasonal candidates with the lowest stage-1
	 * AICc, then for the best seasonal one of the other trend class (trend
	 * or none): R fits every admissible model fully, and without this a
	 * model of the other class competes only with its stage-1 states
	 * (doc/forecasting.md).
	 */
	for (int r = 0; r < ETS_REFITS; r++)
		if ((refit_t = ets_refit_lowest(y, n, m, cand, nc, -1)) < 0)
			break;
	if (refit_t >= 0)
		ets_refit_lowest(y, n, m, cand, nc, refit_t == ETS_N ? 1 : 0);
	best = cand[0];
	for (int i = 1; i < nc; i++)
		if (cand[i].aicc < best.aicc)
			best = cand[i];
	/* on positive data a candidate forecasting 0 or less loses (fc_positive) */
	if (spec < 0 && positive && !ets_result_positive(&best, m))
	{
		int			bi = -1;

		for (int i = 0; i < nc; i++)
			if (ets_result_positive(&cand[i], m) && (bi < 0 || cand[i].aicc < cand[bi].aicc))
				bi = i;
		if (bi >= 0)
			best = cand[bi];
	}
	best.k = abs(best.k);

	ets_model(&best, m, fm);
	if (best.s == ETS_N)
		fm->season = palloc0(sizeof(double));
	if (fitted)
	{
		double		l = best.l0,
					b = best.b0,
					sse,
					sumlog;
		int			pos = 0,
					t0 = origin && origin->t > 0 && origin->t < n ? origin->t : 0;

		ets_problem(&pb, y, n, best.e, best.t, best.s, fm->m);
		if (best.s != ETS_N)
			memcpy(pb.ring, best.season0, fm->m * sizeof(double));
		/* run in two pieces when the state at an earlier origin is wanted */
		if (t0 > 0)
		{
			ets_loop(y, t0, best.e, best.t, best.s, fm->m, best.alpha, best.beta, best.gamma,
					 best.phi, &l, &b, pb.ring, &pos, fitted, &sse, &sumlog, INFINITY);
			origin->level = l;
			origin->trend = b;
			origin->season = palloc(fm->m * sizeof(double));
			for (int j = 0; j < fm->m; j++)
				origin->season[fm->m - 1 - j] = best.s == ETS_N ? 0 : pb.ring[(pos + j) % fm->m];
		}
		else if (origin)
			origin->t = 0;
		ets_loop(y + t0, n - t0, best.e, best.t, best.s, fm->m, best.alpha, best.beta, best.gamma,
				 best.phi, &l, &b, pb.ring, &pos, fitted + t0, &sse, &sumlog, INFINITY);
	}
	else if (origin)
		origin->t = 0;
	return true;
}
