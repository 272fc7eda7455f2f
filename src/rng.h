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
extern uint64 rng_next(Rng *rng);
extern double rng_uniform(Rng *rng);	/* [0, 1) */
extern uint64 rng_below(Rng *rng, uint64 n);	/* [0, n), unbiased */
extern double rng_normal(Rng *rng);		/* standard normal */
/* n standard normals by the ziggurat (rng_ziggurat.c): not the draws of n rng_normal calls */
extern void rng_normals(Rng *rng, double *out, int n);

#endif
