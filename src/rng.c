/*
 * rng.c - xoshiro256** (Blackman & Vigna 2018) seeded by splitmix64
 */
#include "postgres.h"

#include <math.h>

#include "rng.h"

void
rng_seed(Rng *rng, uint64 seed)
{
	/* splitmix64 spreads any seed, even 0, over the whole 256-bit state */
	for (int i = 0; i < 4; i++)
	{
		uint64		z = (seed += UINT64CONST(0x9e3779b97f4a7c15));

		z = (z ^ (z >> 30)) * UINT64CONST(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64CONST(0x94d049bb133111eb);
		rng->s[i] = z ^ (z >> 31);
	}
}

double
rng_uniform(Rng *rng)
{
	return (rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64
rng_below(Rng *rng, uint64 n)
{
	/* rejection keeps the result unbiased for any n */
	uint64		limit = PG_UINT64_MAX - PG_UINT64_MAX % n;
	uint64		x;

	Assert(n > 0);
	do
		x = rng_next(rng);
	while (x >= limit);
	return x % n;
}

/* Marsaglia's polar method: two independent standard normals per accepted draw */
static inline void
polar_pair(Rng *rng, double *z1, double *z2)
{
	double		u,
				v,
				s,
				f;

	do
	{
		u = 2.0 * rng_uniform(rng) - 1.0;
		v = 2.0 * rng_uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	f = sqrt(-2.0 * log(s) / s);
	*z1 = u * f;
	*z2 = v * f;
}

double
rng_normal(Rng *rng)
{
	/* the second variate is dropped to stay stateless */
	double		z1,
				z2;

	polar_pair(rng, &z1, &z2);
	return z1;
}
