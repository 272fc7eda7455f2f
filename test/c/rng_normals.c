/*
 * rng_normals.c - distribution check of the ziggurat normals (src/rng_ziggurat.c)
 *
 * Built against src/rng.c and src/rng_ziggurat.c alone and run by test/run check.
 * 10^6 draws from seed 42 must show the standard normal's figures within about four
 * standard errors:
 *   mean 0 (se 1/sqrt(n) = 0.001), variance 1 (se sqrt(2/n) = 0.0014),
 *   P(|z| > 1.96) = 0.049996 (se 0.00022), P(|z| > 3) = 0.0026998 (se 0.000052)
 *   -- the shares are 2 * (1 - Phi(t)), scipy.stats.norm.sf([1.96, 3]) * 2,
 *   Kolmogorov-Smirnov D against Phi below 0.0016 (the 1 % critical value 1.628 / sqrt(n)),
 *   as scipy.stats.kstest(draws, 'norm') computes it.
 * The tail beyond r = 3.654 (share 2.6e-4) is exercised too: P(|z| > 4) = 6.334e-5.
 */
#include "postgres.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"

/* a stand-alone program: the C library's, not libpgport's (port.h redirects them) */
#undef printf
#undef qsort

#define N 1000000

static int	failures = 0;

static void
check(const char *what, double got, double want, double tol)
{
	int			ok = fabs(got - want) <= tol;

	printf("%s %s: %.6g (want %.6g +- %.2g)\n", ok ? "ok" : "NOT OK", what, got, want, tol);
	failures += !ok;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(void)
{
	double	   *z = malloc(N * sizeof(double));
	Rng			rng;
	double		sum = 0,
				ss = 0,
				d = 0,
				mean;
	long		over196 = 0,
				over3 = 0,
				over4 = 0;

	rng_seed(&rng, 42);
	/* odd block lengths, as forecast horizons are */
	for (int i = 0; i < N; i += 7)
		rng_normals(&rng, z + i, Min(7, N - i));
	for (int i = 0; i < N; i++)
	{
		sum += z[i];
		over196 += fabs(z[i]) > 1.96;
		over3 += fabs(z[i]) > 3;
		over4 += fabs(z[i]) > 4;
	}
	mean = sum / N;
	for (int i = 0; i < N; i++)
		ss += (z[i] - mean) * (z[i] - mean);
	qsort(z, N, sizeof(double), cmp_double);
	for (int i = 0; i < N; i++)
	{
		double		cdf = 0.5 * erfc(-z[i] / sqrt(2.0));

		d = Max(d, Max((i + 1.0) / N - cdf, cdf - (double) i / N));
	}
	check("mean", mean, 0, 0.004);
	check("variance", ss / (N - 1), 1, 0.0057);
	check("P(|z| > 1.96)", (double) over196 / N, 0.0499958, 0.0009);
	check("P(|z| > 3)", (double) over3 / N, 0.0026998, 0.00021);
	check("P(|z| > 4)", (double) over4 / N, 6.334e-5, 3.2e-5);
	check("KS D", d, 0, 0.0016);
	free(z);
	return failures != 0;
}
