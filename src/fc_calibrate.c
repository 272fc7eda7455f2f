/*
 * fc_calibrate.c - prediction interval calibration for fit_forecast
 * (doc/forecasting.md, "Prediction intervals"; measured in
 * doc/benchmarks-forecast.md, "Coverage").
 *
 * Model-based intervals treat the fitted parameters and the chosen model as
 * known; out of sample the errors are wider than the model says (on the
 * simulated benchmark 5-20% at one step, 35-75% at the last horizon), so
 * 80% intervals cover about 74%.  The remedy costs no refit: the fitted
 * filter's state H periods before the end is forecast H steps ahead with the
 * model's own interval widths, and when those H held-back values miss by
 * more than the widths say (k^2 = mean of the squared standardized errors
 * above 1), every interval of the model is widened by k about its point
 * forecast.  Narrowing is never done: one origin's k is noisy, and narrowing
 * by it lost more coverage than widening gained.  The factor also carries
 * the Student-t correction for the estimated parameters: the 97.5% t quantile
 * with sigma2's degrees of freedom over the normal one (one factor for every
 * level, so that stock plans and simulated paths widen alike).
 *
 * The same origin's point forecasts score the two candidates of method auto
 * (fc_holdout_mae).
 */
#include "postgres.h"

#include <math.h>

#include "forecast.h"

#define CALIB_MIN_H		2		/* fewer held-back periods say nothing */
#define CALIB_SIMS		200		/* paths for the widths of simulated models */
#define CALIB_MAX		4.0		/* a cap: an outlier at the end is not a scale */

/*
 * Student-t quantile by its expansion about the normal one (Cornish-Fisher,
 * Abramowitz & Stegun 26.7.5): 4e-3 below the exact value at 3 degrees of
 * freedom, within 3e-4 from 5 on.
 */
static double
t_quantile(double p, double df)
{
	double		z = fc_qnorm(p),
				z2 = z * z;

	df = Max(3.0, df);
	return z + z * (z2 + 1) / (4 * df) +
		z * ((5 * z2 + 16) * z2 + 3) / (96 * df * df) +
		z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / (384 * df * df * df) +
		z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / (92160 * df * df * df * df);
}

/*
 * Periods held back: one and a half seasons, at least 6 (a typical planning
 * horizon: 18 months, 6 quarters, 6 years, 11 days), leaving at least two
 * seasons (and 10 periods) before the origin; 0 when the series is too short.
 */
int
fc_calibration_horizon(int n, int m)
{
	int			h = Max(6, (3 * m + 1) / 2);
	int			keep = Max(10, 2 * m);

	h = Min(h, n - keep);
	return h >= CALIB_MIN_H ? h : 0;
}

/* fm as it stood at origin->t (the held-back periods unseen by its states) */
static void
origin_model(const ForecastModel *fm, const FcOrigin *origin, ForecastModel *om)
{
	*om = *fm;
	om->level = origin->level;
	om->trend = origin->trend;
	if (fm->method == FC_THETA || fm->method == FC_DOTM)
		om->drift = origin->drift;
	om->season = origin->season;
	om->n = origin->t;
	om->calib = 1;
	om->nsim = Min(fm->nsim, CALIB_SIMS);
}

/*
 * Mean absolute error of fm's forecasts of y[origin->t .. n-1] from its state
 * at the origin (the auto rule's score); NaN without an origin.
 */
double
fc_holdout_mae(const ForecastModel *fm, const FcOrigin *origin, const double *y, int n)
{
	ForecastModel om;
	int			h = n - origin->t;
	double	   *mean;
	double		ae = 0;

	if (origin->t <= 0 || h < 1)
		return NAN;
	origin_model(fm, origin, &om);
	mean = palloc(h * sizeof(double));
	fc_point(&om, h, mean);
	for (int j = 0; j < h; j++)
		ae += fabs(y[origin->t + j] - mean[j]);
	pfree(mean);
	return ae / h;
}

/*
 * The widening factor k >= 1 of fm's intervals from its state at origin
 * (y[origin->t .. n-1] held back); 1 when there is nothing to measure.
 */
double
fc_calibration(const ForecastModel *fm, const FcOrigin *origin, const double *y, int n, int df)
{
	ForecastModel om;
	int			h = n - origin->t;
	double	   *mean,
			   *sd,
			   *psi,
			   *scale,
			   *sim;
	double		k2 = 0;
	int			used = 0;

	if (origin->t <= 0 || h < CALIB_MIN_H)
		return 1;
	origin_model(fm, origin, &om);
	mean = palloc(h * sizeof(double));
	sd = palloc(h * sizeof(double));
	psi = palloc(h * sizeof(double));
	scale = palloc(h * sizeof(double));
	fc_point(&om, h, mean);
	sim = fc_simulate(&om, h);
	if (sim)
	{
		for (int j = 0; j < h; j++)
		{
			double		s1 = 0,
						s2 = 0;

			for (int p = 0; p < om.nsim; p++)
			{
				double		d = sim[(Size) p * h + j] - mean[j];

				s1 += d;
				s2 += d * d;
			}
			s1 /= om.nsim;
			sd[j] = sqrt(Max(0.0, s2 / om.nsim - s1 * s1));
		}
		pfree(sim);
	}
	else if (fc_psi(&om, h, psi, scale))
	{
		double		cum = 0;

		for (int j = 0; j < h; j++)
		{
			cum += j == 0 ? 1 : psi[j] * psi[j];
			sd[j] = sqrt(om.sigma2 * cum) * fabs(scale[j]);
		}
	}
	else
		return 1;
	for (int j = 0; j < h; j++)
		if (sd[j] > 0 && isfinite(sd[j]) && isfinite(mean[j]))
		{
			double		z = (y[origin->t + j] - mean[j]) / sd[j];

			k2 += z * z;
			used++;
		}
	if (used < CALIB_MIN_H || !isfinite(k2))
		return 1;
	return Min(CALIB_MAX, Max(1.0, sqrt(k2 / used)) * t_quantile(0.975, df) / fc_qnorm(0.975));
}
