/*
 * vec.h - GCC vector types for the numeric kernels, and the attribute that
 * clones a hot function for x86-64-v3 CPUs (AVX2 + FMA)
 *
 * PostgreSQL builds with -O2 for baseline x86-64, so loops written on these
 * types run as SSE2 pairs there; the clone picked at load time on a newer CPU
 * runs them as single AVX instructions.  The types allow unaligned loads
 * (aligned(8)): kernels may cast any double pointer.
 */
#ifndef ECOMML_VEC_H
#define ECOMML_VEC_H

typedef double v4d __attribute__((vector_size(32), aligned(8)));
typedef long long v4i __attribute__((vector_size(32), aligned(8)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VEC_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VEC_CLONES
#endif

/*
 * Lanes of a where mask (a vector comparison's result) is set, else of b; a
 * macro: a function passing 32-byte vectors draws -Wpsabi warnings.
 */
#define V4D_SELECT(mask, a, b) ((v4d) (((mask) & (v4i) (a)) | (~(mask) & (v4i) (b))))

/*
 * The least lane of v in every lane of m (a v4d variable), by two swaps of
 * lanes: no branch (Min over the lanes one by one compiled to compare and
 * jump) and the result already broadcast.  Exact: a minimum never rounds.
 */
#define V4D_HMIN(m, v) \
	do { \
		v4d			hmin_a_ = (v), \
					hmin_b_ = __builtin_shufflevector(hmin_a_, hmin_a_, 2, 3, 0, 1); \
		hmin_a_ = V4D_SELECT(hmin_b_ < hmin_a_, hmin_b_, hmin_a_); \
		hmin_b_ = __builtin_shufflevector(hmin_a_, hmin_a_, 1, 0, 3, 2); \
		(m) = V4D_SELECT(hmin_b_ < hmin_a_, hmin_b_, hmin_a_); \
	} while (0)

#endif
