/*
 * rng.h - seeded xoshiro256** generator, seeded through splitmix64
 *
 * Every random choice in ecomml draws from an Rng seeded by the caller's
 * "seed" option, so the same data and seed give the same model.
 */
#ifndef ECOMML_RNG_H
#define ECOMML_RNG_H

#include "c.h"

typedef struct Rng
{
	uint64		s[4];
} Rng;

extern void rng_seed(Rng *rng, uint64 seed);
static inline uint64
rng_rotl(uint64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/*
 * One xoshiro256** step, inline: the ziggurat (rng_ziggurat.c) spends one step
 * per draw, and a call across files cost as much as the rest of the draw.
 */
static inline uint64
rng_next(Rng *rng)
{
	uint64	   *s = rng->s;
	uint64		result = rng_rotl(s[1] * 5, 7) * 9;
	uint64		t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

extern double rng_uniform(Rng *rng);	/* [0, 1) */
extern uint64 rng_below(Rng *rng, uint64 n);	/* [0, n), unbiased */
extern double rng_normal(Rng *rng);		/* standard normal */
/* n standard normals by the ziggurat: other draws than n rng_normal calls give */
extern void rng_normals(Rng *rng, double *out, int n);

#endif
