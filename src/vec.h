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

#endif
