/*
 * optim.c - dense BFGS for few-parameter likelihoods, numerical Hessians;
 * Nelder-Mead simplex minimization (Nelder & Mead 1965, standard
 * coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2) for
 * the forecasting methods' likelihood or least-squares fits
 *
 * BFGS keeps the n x n inverse-Hessian approximation (Nocedal & Wright,
 * Algorithm 6.1) and a backtracking Armijo line search that also backs off
 * from points where the objective is not finite (a parameter pushed out of
 * its domain).  The curvature update is skipped when s'y is not positive, so
 * the approximation stays positive definite without a Wolfe search.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "blas.h"
#include "optim.h"

static double
max_abs(const double *v, int n)
{
	double		m = 0;

	for (int i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

OptimResult
optim_bfgs(OptimFunc f, void *arg, double *x, int n, int max_iter, double gtol)
{
	double		hinv[OPTIM_MAX_DIM * OPTIM_MAX_DIM];
	double		g[OPTIM_MAX_DIM],
				gn[OPTIM_MAX_DIM],
				xn[OPTIM_MAX_DIM],
				dir[OPTIM_MAX_DIM],
				s[OPTIM_MAX_DIM],
				y[OPTIM_MAX_DIM],
				hy[OPTIM_MAX_DIM];
	OptimResult res = {0};
	double		fx;
	int			stalled = 0;

	Assert(n >= 1 && n <= OPTIM_MAX_DIM);
	memset(hinv, 0, sizeof(hinv));
	for (int i = 0; i < n; i++)
		hinv[i * n + i] = 1;
	fx = f(x, g, arg);
	if (!isfinite(fx))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the likelihood is not finite at the starting point")));
	for (;;)
	{
		double		slope = 0,
					t = 1,
					fn = 0,
					sy = 0,
					yhy = 0;
		bool		accepted = false;

		CHECK_FOR_INTERRUPTS();
		res.gnorm = max_abs(g, n);
		if (res.gnorm <= gtol)
		{
			res.converged = true;
			break;
		}
		if (res.iterations >= max_iter)
			break;
		for (int i = 0; i < n; i++)
		{
			dir[i] = 0;
			for (int j = 0; j < n; j++)
				dir[i] -= hinv[i * n + j] * g[j];
			slope += dir[i] * g[i];
		}
		if (!(slope < 0))
		{
			/* lost positive definiteness numerically: restart from steepest descent */
			for (int i = 0; i < n; i++)
			{
				for (int j = 0; j < n; j++)
					hinv[i * n + j] = i == j;
				dir[i] = -g[i];
			}
			slope = 0;
			for (int i = 0; i < n; i++)
				slope -= g[i] * g[i];
		}
		/* keep the first step of a fresh approximation within a unit box in x */
		if (max_abs(dir, n) > 1)
			t = 1 / max_abs(dir, n);
		for (int ls = 0; ls < 60; ls++)
		{
			for (int i = 0; i < n; i++)
				xn[i] = x[i] + t * dir[i];
			fn = f(xn, gn, arg);
			if (isfinite(fn) && fn <= fx + 1e-4 * t * slope)
			{
				accepted = true;
				break;
			}
			t *= 0.5;
		}
		res.iterations++;
		if (!accepted)
			break;				/* no progress possible at double precision */
		for (int i = 0; i < n; i++)
		{
			s[i] = xn[i] - x[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
			x[i] = xn[i];
			g[i] = gn[i];
		}
		if (fx - fn <= 1e-15 * fabs(fx))
			stalled++;
		else
			stalled = 0;
		fx = fn;
		if (stalled >= 5)
			break;				/* no more progress in double precision */
		if (sy > 1e-300)
		{
			/* H+ = H + (sy + y'Hy) ss'/sy^2 - (Hy s' + s y'H)/sy */
			for (int i = 0; i < n; i++)
			{
				hy[i] = 0;
				for (int j = 0; j < n; j++)
					hy[i] += hinv[i * n + j] * y[j];
				yhy += y[i] * hy[i];
			}
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					hinv[i * n + j] += (sy + yhy) * s[i] * s[j] / (sy * sy) -
						(hy[i] * s[j] + s[i] * hy[j]) / sy;
		}
	}
	res.value = fx;
	return res;
}

void
optim_hessian(OptimFunc f, void *arg, const double *x, int n, double *h)
{
	double		xp[OPTIM_MAX_DIM],
				gp[OPTIM_MAX_DIM],
				gm[OPTIM_MAX_DIM];

	for (int j = 0; j < n; j++)
	{
		double		step = 1e-5 * Max(1.0, fabs(x[j]));

		memcpy(xp, x, sizeof(double) * n);
		xp[j] = x[j] + step;
		f(xp, gp, arg);
		xp[j] = x[j] - step;
		f(xp, gm, arg);
		for (int i = 0; i < n; i++)
			h[i * n + j] = (gp[i] - gm[i]) / (2 * step);
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			h[i * n + j] = h[j * n + i] = 0.5 * (h[i * n + j] + h[j * n + i]);
}

bool
optim_inverse_spd(const double *h, int n, double *cov)
{
	double		a[OPTIM_MAX_DIM * OPTIM_MAX_DIM];
	double		e[OPTIM_MAX_DIM];
	double		out[OPTIM_MAX_DIM * OPTIM_MAX_DIM];

	for (int j = 0; j < n; j++)
	{
		memcpy(a, h, sizeof(double) * n * n);
		for (int i = 0; i < n; i++)
			e[i] = i == j;
		if (!blas_cholesky_solve(a, e, n))
			return false;
		for (int i = 0; i < n; i++)
			out[i * n + j] = e[i];
	}
	memcpy(cov, out, sizeof(double) * n * n);
	return true;
}

/* sum[] = the coordinate sums of the d + 1 points */
static void
nm_sum(double **pts, int d, double *sum)
{
	for (int j = 0; j < d; j++)
	{
		sum[j] = 0;
		for (int i = 0; i <= d; i++)
			sum[j] += pts[i][j];
	}
}

/* the worst point becomes x, the running sums follow */
static void
nm_replace(double *worst, const double *x, int d, double *sum)
{
	for (int j = 0; j < d; j++)
		sum[j] += x[j] - worst[j];
	memcpy(worst, x, d * sizeof(double));
}

/* a plain objective under the bounded interface: the bound is not used */
typedef struct NmPlain
{
	NmObjective f;
	void	   *arg;
} NmPlain;

static double
nm_plain(const double *x, double bound, void *arg)
{
	NmPlain    *p = arg;

	return p->f(x, p->arg);
}

double
nelder_mead(NmObjective f, void *arg, int d, double *x, const double *step,
			int maxeval, double reltol)
{
	NmPlain		p = {f, arg};

	return nelder_mead_bounded(nm_plain, &p, d, x, step, maxeval, reltol);
}

/*
 * Nelder-Mead simplex minimization (Nelder & Mead 1965, standard
 * coefficients).  Bounds are enforced by the objective returning +inf.
 * x holds the start (inside the feasible region) and receives the best
 * point; step[] the initial simplex edge per coordinate.
 *
 * A trial point only replaces the worst one, or the reflected one, when it
 * is below that point's value: that value goes to the objective as its
 * bound, and an objective that can tell early that it will not get below
 * (a sum of squares already past it) may stop there and return anything at
 * least as large.  The search takes the same path as with exact values.
 */
double
nelder_mead_bounded(NmBoundedObjective f, void *arg, int d, double *x, const double *step,
					int maxeval, double reltol)
{
	double	  **pts = palloc((d + 1) * sizeof(double *));
	double	   *fv = palloc((d + 1) * sizeof(double));
	double	   *c = palloc(d * sizeof(double));
	double	   *xr = palloc(d * sizeof(double));
	double	   *xe = palloc(d * sizeof(double));
	double	   *sum = palloc(d * sizeof(double));
	int			evals = 0;
	bool		stale = true;	/* sum[] to be recomputed */

	for (int i = 0; i <= d; i++)
		pts[i] = palloc(d * sizeof(double));
	for (int i = 0; i <= d; i++)
	{
		memcpy(pts[i], x, d * sizeof(double));
		if (i > 0)
		{
			pts[i][i - 1] += step[i - 1];
			fv[i] = f(pts[i], INFINITY, arg);
			if (!isfinite(fv[i]))
			{
				pts[i][i - 1] -= 2 * step[i - 1];
				fv[i] = f(pts[i], INFINITY, arg);
			}
		}
		else
			fv[i] = f(pts[i], INFINITY, arg);
		evals++;
	}
	for (;;)
	{
		int			lo = 0,
					hi = 0;
		double		flo = fv[0],
					fhi = fv[0],
					fnh,
					fr;

		CHECK_FOR_INTERRUPTS();
		/* the values in registers, not reloaded through the indices */
		for (int i = 1; i <= d; i++)
		{
			double		v = fv[i];

			if (v < flo)
			{
				flo = v;
				lo = i;
			}
			if (v > fhi)
			{
				fhi = v;
				hi = i;
			}
		}
		fnh = flo;				/* the next-worst value */
		for (int i = 0; i <= d; i++)
			if (i != hi && fv[i] > fnh)
				fnh = fv[i];
		if (evals >= maxeval ||
			(isfinite(fhi) &&
			 fabs(fhi - flo) <= reltol * (fabs(flo) + reltol)))
		{
			memcpy(x, pts[lo], d * sizeof(double));
			for (int i = 0; i <= d; i++)
				pfree(pts[i]);
			pfree(pts);
			pfree(fv);
			pfree(c);
			pfree(xr);
			pfree(xe);
			pfree(sum);
			return flo;
		}
		/* the centroid of all but the worst from running sums: O(d), not O(d^2) */
		if (stale)
			nm_sum(pts, d, sum);
		stale = false;
		for (int j = 0; j < d; j++)
			c[j] = (sum[j] - pts[hi][j]) / d;
		for (int j = 0; j < d; j++)
			xr[j] = c[j] + (c[j] - pts[hi][j]);
		/* at or above the worst, xr only decides the contraction's side */
		fr = f(xr, fhi, arg);
		evals++;
		if (fr < flo)
		{
			double		fe;

			for (int j = 0; j < d; j++)
				xe[j] = c[j] + 2 * (c[j] - pts[hi][j]);
			fe = f(xe, fr, arg);
			evals++;
			nm_replace(pts[hi], fe < fr ? xe : xr, d, sum);
			fv[hi] = fe < fr ? fe : fr;
		}
		else if (fr < fnh)
		{
			nm_replace(pts[hi], xr, d, sum);
			fv[hi] = fr;
		}
		else
		{
			double		fc;
			bool		outside = fr < fhi;

			for (int j = 0; j < d; j++)
				xe[j] = outside ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (pts[hi][j] - c[j]);
			fc = f(xe, outside ? fr : fhi, arg);
			evals++;
			if (fc < (outside ? fr : fhi))
			{
				nm_replace(pts[hi], xe, d, sum);
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
					fv[i] = f(pts[i], INFINITY, arg);
					evals++;
				}
				stale = true;	/* every point moved */
			}
		}
	}
}
