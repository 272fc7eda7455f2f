/*
 * series.c - numerics shared by the forecasting methods: normal quantile
 * and distribution, trend line, classical seasonal decomposition, the
 * seasonality test of the M3/M4 Theta benchmarks, polynomial stability.
 */
#include "postgres.h"

#include <math.h>

#include "forecast.h"

/* Wichura's AS241 (PPND16): the standard normal quantile, |rel err| < 1e-16 */
double
fc_qnorm(double p)
{
	double		q = p - 0.5,
				r,
				x;

	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (fabs(q) <= 0.425)
	{
		r = 0.180625 - q * q;
		return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
						 67265.770927008700853) * r + 45921.953931549871457) * r +
					   13731.693765509461125) * r + 1971.5909503065514427) * r +
					 133.14166789178437745) * r + 3.387132872796366608) /
			(((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
				  39307.89580009271061) * r + 21213.794301586595867) * r +
				5394.1960214247511077) * r + 687.1870074920579083) * r +
			  42.313330701600911252) * r + 1.0);
	}
	r = q < 0 ? p : 1 - p;
	r = sqrt(-log(r));
	if (r <= 5)
	{
		r -= 1.6;
		x = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
				  0.24178072517745061177) * r + 1.27045825245236838258) * r +
				3.64784832476320460504) * r + 5.7694972214606914055) * r +
			  4.6303378461565452959) * r + 1.42343711074968357734) /
			(((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
				  0.0151986665636164571966) * r + 0.14810397642748007459) * r +
				0.68976733498510000455) * r + 1.6763848301838038494) * r +
			  2.05319162663775882187) * r + 1.0);
	}
	else
	{
		r -= 5;
		x = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
				  0.0012426609473880784386) * r + 0.026532189526576123093) * r +
				0.29656057182850489123) * r + 1.7848265399172913358) * r +
			  5.4637849111641143699) * r + 6.6579046435011037772) /
			(((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
				  1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
				0.0148753612908506148525) * r + 0.13692988092273580531) * r +
			  0.59983220655588793769) * r + 1.0);
	}
	return q < 0 ? -x : x;
}

double
fc_pnorm(double x)
{
	return 0.5 * erfc(-x / M_SQRT2);
}

/* slope and intercept (at t = 0) of y[0..n-1] on t = 0..n-1 */
void
fc_linear_fit(const double *y, int n, double *intercept, double *slope)
{
	double		tm = (n - 1) / 2.0,
				ym = 0,
				sxy = 0,
				sxx = 0;

	for (int i = 0; i < n; i++)
		ym += y[i];
	ym /= n;
	for (int i = 0; i < n; i++)
	{
		sxy += (i - tm) * (y[i] - ym);
		sxx += (i - tm) * (i - tm);
	}
	*slope = sxx > 0 ? sxy / sxx : 0;
	*intercept = ym - *slope * tm;
}

/*
 * Classical decomposition (centred moving average of order m, 2 x m when m
 * is even) of y[0..n-1], n >= 2m: idx[j] is the seasonal index of positions
 * j, j+m, ..., normalized to mean 0 (additive) or 1 (multiplicative).
 */
void
fc_classical_season(const double *y, int n, int m, bool mult, double *idx)
{
	double	   *sum = palloc0(m * sizeof(double));
	int		   *cnt = palloc0(m * sizeof(int));
	int			half = m / 2;
	double		mean = 0;

	for (int t = half; t < n - half; t++)
	{
		double		ma = 0;

		if (m % 2 == 0)
		{
			for (int k = -half; k <= half; k++)
				ma += (k == -half || k == half ? 0.5 : 1.0) * y[t + k];
		}
		else
			for (int k = -half; k <= half; k++)
				ma += y[t + k];
		ma /= m;
		if (mult)
		{
			if (ma <= 0)
				continue;
			sum[t % m] += y[t] / ma;
		}
		else
			sum[t % m] += y[t] - ma;
		cnt[t % m]++;
	}
	for (int j = 0; j < m; j++)
	{
		idx[j] = cnt[j] ? sum[j] / cnt[j] : (mult ? 1 : 0);
		mean += idx[j];
	}
	mean /= m;
	for (int j = 0; j < m; j++)
	{
		if (mult)
			idx[j] = mean > 0 ? idx[j] / mean : 1;
		else
			idx[j] -= mean;
		if (mult && idx[j] < 1e-2)
			idx[j] = 1e-2;
	}
	pfree(sum);
	pfree(cnt);
}

/*
 * The seasonality test of the M3/M4 Theta benchmarks: the lag-m
 * autocorrelation is significant at 90% under Bartlett's variance.
 */
bool
fc_seasonality_test(const double *y, int n, int m)
{
	double		mean = 0,
				var = 0,
				sum_r2 = 0,
				rm = 0;

	if (m <= 1 || n < 3 * m)
		return false;
	for (int i = 0; i < n; i++)
		mean += y[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		var += (y[i] - mean) * (y[i] - mean);
	if (var <= 0)
		return false;
	for (int k = 1; k <= m; k++)
	{
		double		c = 0;

		for (int i = k; i < n; i++)
			c += (y[i] - mean) * (y[i - k] - mean);
		c /= var;
		if (k < m)
			sum_r2 += c * c;
		else
			rm = c;
	}
	return fabs(rm) > 1.645 * sqrt((1 + 2 * sum_r2) / n);
}

/*
 * True if every root of c[0] + c[1] z + ... + c[deg] z^deg lies strictly
 * within |z| < radius (deg <= FC_MAX_POLY).  Schur-Cohn: p has all roots in
 * the unit disc iff |c0| < |c_deg| and the reduced polynomial
 * (c_deg p(z) - c0 p*(z)) / z does; testing p(radius z) moves the circle.
 * Kept monic, a step is the Levinson recursion: with k = c0 / c_deg,
 * b_i = (a_{i+1} - k a_{deg-1-i}) / (1 - k^2) is monic again, so the
 * coefficients need no other rescaling (one division per step; this test
 * runs at every likelihood evaluation of a seasonal ETS fit).
 * O(deg^2) real operations, no root finding.
 */
bool
fc_roots_in_disc(const double *coef, int deg, double radius)
{
	double		buf[2][FC_MAX_POLY + 1];
	double	   *a = buf[0],
			   *b = buf[1];
	double		rk = 1,
				lead;

	Assert(deg <= FC_MAX_POLY);
	lead = coef[deg];
	for (int i = 0; i < deg; i++)
		rk *= radius;
	lead *= rk;
	if (!(lead != 0 && isfinite(lead)))
		return false;
	lead = 1 / lead;
	rk = 1;
	for (int i = 0; i <= deg; i++)
	{
		a[i] = coef[i] * rk * lead;
		rk *= radius;
	}
	for (int n = deg; n > 0; n--)
	{
		double		k = a[0],
					inv;
		double	   *t;

		if (!(fabs(k) < 1))
			return false;
		inv = 1 / (1 - k * k);
		for (int i = 0; i < n - 1; i++)
			b[i] = (a[i + 1] - k * a[n - 1 - i]) * inv;
		b[n - 1] = 1;
		t = a;
		a = b;
		b = t;
	}
	return true;
}
