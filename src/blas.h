/*
 * blas.h - OpenBLAS access and the small dense solvers built on it
 *
 * blas_begin() applies the ecomml.blas_threads GUC before heavy work: the
 * default of 1 keeps parallel workers from oversubscribing the cores.
 */
#ifndef ECOMML_BLAS_H
#define ECOMML_BLAS_H

#include <cblas.h>

extern int	ecomml_blas_threads;

extern void blas_begin(int threads_override);	/* <= 0: use the GUC */

/*
 * Solve A x = b for symmetric positive definite A (n x n, row-major, which
 * is overwritten by its Cholesky factor); b is overwritten by x.  Returns
 * false if A is not positive definite.
 */
extern bool blas_cholesky_solve(double *a, double *b, int n);

#endif
