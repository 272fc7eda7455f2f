/*
 * theta.c - the Theta method (Assimakopoulos & Nikolopoulos 2000) in two
 * variants for fit_forecast: the classic method as simple exponential
 * smoothing with drift (Hyndman & Billah 2003), method "theta", and the
 * dynamic optimised Theta model (Fiorucci et al. 2016), method "dotm".
 * Both seasonally adjust as the M3/M4 Theta benchmarks.
 */
#include "postgres.h"

#include <math.h>

#include "ets.h"
#include "optim.h"
#include "theta.h"

/* ------------------------------------------------------------------------
 * Theta (Hyndman & Billah 2003): SES with drift half the regression slope
 * ------------------------------------------------------------------------ */

typedef struct SesProblem
{
	const double *y;
	int			n;
} SesProblem;

/*
 * The sum of squares only grows: once past Nelder-Mead's bound (the value a
 * trial point must get below to count) the rest of the pass cannot matter.
 */
static double
ses_objective(const double *x, double bound, void *arg)
{
	const SesProblem *pb = arg;
	double		a = x[0],
				l = x[1],
				sse = 0;

	if (a < 1e-4 || a > 0.9999)
		return INFINITY;
	for (int i = 0; i < pb->n; i++)
	{
		double		e = pb->y[i] - l;

		sse += e * e;
		l += a * e;
		if ((i & 15) == 15 && sse > bound)
			break;
	}
	return sse;
}

/*
 * Seasonal adjustment shared by both Theta variants: classical
 * multiplicative decomposition (additive with zeros or negatives) when the
 * 90% lag-m autocorrelation test passes.  Sets fm->stype, fm->m, fm->season
 * (final indices, season[m-1] next); returns the adjusted series and, in
 * *idx_out, the indices of positions 0..m-1 (NULL when not seasonal).
 */
static double *
theta_adjust(ForecastModel *fm, const double *y, int n, int m, bool positive, double **idx_out)
{
	double	   *idx = NULL;
	double	   *ya = palloc(n * sizeof(double));
	int			s = ETS_N;

	if (fc_seasonality_test(y, n, m))
	{
		s = positive ? ETS_M : ETS_A;
		idx = palloc(m * sizeof(double));
		fc_classical_season(y, n, m, s == ETS_M, idx);
		for (int i = 0; i < n; i++)
			ya[i] = s == ETS_M ? y[i] / idx[i % m] : y[i] - idx[i % m];
	}
	else
	{
		m = 1;
		memcpy(ya, y, n * sizeof(double));
	}
	fm->stype = s;
	fm->m = m;
	fm->season = palloc(m * sizeof(double));
	for (int j = 0; j < m; j++)
		fm->season[m - 1 - j] = s == ETS_N ? 0 : idx[(n + j) % m];
	*idx_out = idx;
	return ya;
}

static double
reseason(const ForecastModel *fm, const double *idx, int i, double f)
{
	return fm->stype == ETS_M ? f * idx[i % fm->m] : (fm->stype == ETS_A ? f + idx[i % fm->m] : f);
}

/* the fit's state after the first origin->t periods, if wanted */
static void
theta_origin(FcOrigin *origin, const ForecastModel *fm, const double *idx, int t, int n,
			 double level, double drift)
{
	if (origin == NULL || origin->t != t || t <= 0 || t >= n)
		return;
	origin->level = level;
	origin->trend = 0;
	origin->drift = drift;
	origin->season = palloc(fm->m * sizeof(double));
	for (int j = 0; j < fm->m; j++)
		origin->season[fm->m - 1 - j] = fm->stype == ETS_N ? 0 : idx[(t + j) % fm->m];
}

void
theta_fit(ForecastModel *fm, const double *y, int n, int m, bool positive, double *fitted,
		  FcOrigin *origin)
{
	double	   *idx;
	double	   *ya = theta_adjust(fm, y, n, m, positive, &idx);
	SesProblem	pb;
	double		x[2],
				step[2],
				intercept,
				slope,
				l,
				a,
				sse = 0;

	pb.y = ya;
	pb.n = n;
	x[0] = 0.3;
	x[1] = ya[0];
	step[0] = 0.1;
	step[1] = 0;
	for (int i = 0; i < Min(n, 10); i++)
		step[1] += fabs(ya[i] - ya[0]);
	step[1] = Max(step[1] / Min(n, 10), 1e-3 * (fabs(ya[0]) + 1));
	nelder_mead_bounded(ses_objective, &pb, 2, x, step, 400, 1e-10);
	a = x[0];
	fc_linear_fit(ya, n, &intercept, &slope);
	fm->drift = slope / 2;
	l = x[1];
	if (origin && (origin->t <= 0 || origin->t >= n))
		origin->t = 0;
	for (int i = 0; i < n; i++)
	{
		double		f = l + fm->drift * (1 - pow(1 - a, i)) / a;
		double		e = ya[i] - f;

		theta_origin(origin, fm, idx, i, n, l, fm->drift);

		sse += e * e;
		if (fitted)
			fitted[i] = reseason(fm, idx, i, f);
		l += a * (ya[i] - l);
	}
	fm->alpha = a;
	fm->level = l;
	fm->sigma2 = sse / Max(1, n - 3);
	pfree(ya);
}

/* ------------------------------------------------------------------------
 * Dynamic optimised Theta (Fiorucci, Pellegrini, Louzada, Petropoulos &
 * Koehler 2016): the Theta line's coefficient theta >= 1 is estimated with
 * alpha and the initial level, and the trend slope B_t is re-estimated from
 * y_1..y_t at every step (so the one-step forecasts use only the past).
 * With S the SES of the regression line, the Theta forecast
 * (1/theta) SES(theta-line) + (1 - 1/theta) line is
 *   yhat(t+h | t) = l_t + (1 - 1/theta) B_t (h - 1 + (1 - (1-alpha)^(t+1)) / alpha),
 * l_t the SES level of y; theta = 2 with the full-sample slope is the
 * classic method.
 * ------------------------------------------------------------------------ */

typedef struct DotmProblem
{
	const double *y;
	int			n;
	double	   *slope;			/* slope[t] = B_t from y[0..t] (0 for t < 1) */
} DotmProblem;

/* stops past the bound as ses_objective */
static double
dotm_objective(const double *x, double bound, void *arg)
{
	const DotmProblem *pb = arg;
	double		l = x[0],
				a = x[1],
				th = x[2],
				q = 1 - a,
				qt = 1,			/* (1 - alpha)^t */
				sse = 0;

	if (a < 0.01 || a > 0.99 || th < 1 || th > 100)
		return INFINITY;
	for (int t = 0; t < pb->n; t++)
	{
		double		b = t > 0 ? pb->slope[t - 1] : 0;
		double		f,
					e;

		qt *= q;
		f = l + (1 - 1 / th) * b * (1 - qt) / a;
		e = pb->y[t] - f;
		sse += e * e;
		l = a * pb->y[t] + q * l;
		if ((t & 15) == 15 && sse > bound)
			break;
	}
	return sse;
}

void
dotm_fit(ForecastModel *fm, const double *y, int n, int m, bool positive, double *fitted,
		 FcOrigin *origin)
{
	double	   *idx;
	double	   *ya = theta_adjust(fm, y, n, m, positive, &idx);
	DotmProblem pb;
	double		x[3],
				step[3],
				sy = 0,
				sty = 0,
				sse = 0,
				l,
				qt = 1;

	/* B_t of the regression of y_1..y_t on 1..t, by running sums */
	pb.y = ya;
	pb.n = n;
	pb.slope = palloc(n * sizeof(double));
	for (int t = 0; t < n; t++)
	{
		double		k = t + 1;

		sy += ya[t];
		sty += k * ya[t];
		pb.slope[t] = t > 0 ? 6 / (k * k - 1) * (2 / k * sty - (1 + k) * sy / k) : 0;
	}
	x[0] = ya[0];
	x[1] = 0.5;
	x[2] = 2;
	step[0] = 0;
	for (int i = 0; i < Min(n, 10); i++)
		step[0] += fabs(ya[i] - ya[0]);
	step[0] = Max(step[0] / Min(n, 10), 1e-3 * (fabs(ya[0]) + 1));
	step[1] = 0.2;
	step[2] = 1;
	nelder_mead_bounded(dotm_objective, &pb, 3, x, step, 600, 1e-10);
	for (int j = 0; j < 3; j++)
		step[j] *= 0.3;
	nelder_mead_bounded(dotm_objective, &pb, 3, x, step, 300, 1e-12);
	l = x[0];
	if (origin && (origin->t <= 0 || origin->t >= n))
		origin->t = 0;
	for (int t = 0; t < n; t++)
	{
		double		b = t > 0 ? pb.slope[t - 1] : 0;
		double		f;

		theta_origin(origin, fm, idx, t, n, l, b);

		qt *= 1 - x[1];
		f = l + (1 - 1 / x[2]) * b * (1 - qt) / x[1];
		sse += (ya[t] - f) * (ya[t] - f);
		if (fitted)
			fitted[t] = reseason(fm, idx, t, f);
		l = x[1] * ya[t] + (1 - x[1]) * l;
	}
	fm->level = l;
	fm->alpha = x[1];
	fm->phi = x[2];				/* theta */
	fm->drift = pb.slope[n - 1];	/* B_n */
	fm->sigma2 = sse / Max(1, n - 4);
	pfree(pb.slope);
	pfree(ya);
}
