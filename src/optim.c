/*
 * optim.c - Nelder-Mead simplex minimization (Nelder & Mead 1965, standard
 * coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2),
 * used by every forecasting method's likelihood or least-squares fit.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "optim.h"

/*
 * Nelder-Mead simplex minimization (Nelder & Mead 1965, standard
 * coefficients).  Bounds are enforced by the objective returning +inf.
 * x holds the start (inside the feasible region) and receives the best
 * point; step[] the initial simplex edge per coordinate.
 */
double
nelder_mead(NmObjective f, void *arg, int d, double *x, const double *step,
			int maxeval, double reltol)
{
	double	  **pts = palloc((d + 1) * sizeof(double *));
	double	   *fv = palloc((d + 1) * sizeof(double));
	double	   *c = palloc(d * sizeof(double));
	double	   *xr = palloc(d * sizeof(double));
	double	   *xe = palloc(d * sizeof(double));
	int			evals = 0;

	for (int i = 0; i <= d; i++)
		pts[i] = palloc(d * sizeof(double));
	for (int i = 0; i <= d; i++)
	{
		memcpy(pts[i], x, d * sizeof(double));
		if (i > 0)
		{
			pts[i][i - 1] += step[i - 1];
			fv[i] = f(pts[i], arg);
			if (!isfinite(fv[i]))
			{
				pts[i][i - 1] -= 2 * step[i - 1];
				fv[i] = f(pts[i], arg);
			}
		}
		else
			fv[i] = f(pts[i], arg);
		evals++;
	}
	for (;;)
	{
		int			lo = 0,
					hi = 0,
					nh = 0;
		double		fr;

		CHECK_FOR_INTERRUPTS();
		for (int i = 1; i <= d; i++)
		{
			if (fv[i] < fv[lo])
				lo = i;
			if (fv[i] > fv[hi])
				hi = i;
		}
		nh = lo;
		for (int i = 0; i <= d; i++)
			if (i != hi && fv[i] > fv[nh])
				nh = i;
		if (evals >= maxeval ||
			(isfinite(fv[hi]) &&
			 fabs(fv[hi] - fv[lo]) <= reltol * (fabs(fv[lo]) + reltol)))
		{
			double		best = fv[lo];

			memcpy(x, pts[lo], d * sizeof(double));
			for (int i = 0; i <= d; i++)
				pfree(pts[i]);
			pfree(pts);
			pfree(fv);
			pfree(c);
			pfree(xr);
			pfree(xe);
			return best;
		}
		for (int j = 0; j < d; j++)
		{
			c[j] = 0;
			for (int i = 0; i <= d; i++)
				if (i != hi)
					c[j] += pts[i][j];
			c[j] /= d;
		}
		for (int j = 0; j < d; j++)
			xr[j] = c[j] + (c[j] - pts[hi][j]);
		fr = f(xr, arg);
		evals++;
		if (fr < fv[lo])
		{
			double		fe;

			for (int j = 0; j < d; j++)
				xe[j] = c[j] + 2 * (c[j] - pts[hi][j]);
			fe = f(xe, arg);
			evals++;
			if (fe < fr)
			{
				memcpy(pts[hi], xe, d * sizeof(double));
				fv[hi] = fe;
			}
			else
			{
				memcpy(pts[hi], xr, d * sizeof(double));
				fv[hi] = fr;
			}
		}
		else if (fr < fv[nh])
		{
			memcpy(pts[hi], xr, d * sizeof(double));
			fv[hi] = fr;
		}
		else
		{
			double		fc;
			bool		outside = fr < fv[hi];

			for (int j = 0; j < d; j++)
				xe[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (pts[hi][j] - c[j]);
			fc = f(xe, arg);
			evals++;
			if (fc < (outside ? fr : fv[hi]))
			{
				memcpy(pts[hi], xe, d * sizeof(double));
				fv[hi] = fc;
			}
			else
			{
				/* shrink towards the best point */
				for (int i = 0; i <= d; i++)
				{
					if (i == lo)
						continue;
					for (int j = 0; j < d; j++)
						pts[i][j] = pts[lo][j] + 0.5 * (pts[i][j] - pts[lo][j]);
					fv[i] = f(pts[i], arg);
					evals++;
				}
			}
		}
	}
}
