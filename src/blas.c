/*
 * blas.c - OpenBLAS thread control and a Cholesky solve via LAPACK
 */
#include "postgres.h"

#include "blas.h"

/* OpenBLAS exports LAPACK's Fortran entry points; no LAPACKE needed. */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					const int *lda, double *b, const int *ldb, int *info);
extern void openblas_set_num_threads(int n);

int			ecomml_blas_threads = 1;

void
blas_begin(int threads_override)
{
	openblas_set_num_threads(threads_override > 0 ? threads_override : ecomml_blas_threads);
}

bool
blas_cholesky_solve(double *a, double *b, int n)
{
	/*
	 * LAPACK is column-major; a symmetric matrix is its own transpose, so the
	 * row-major upper triangle is the column-major lower one.
	 */
	int			info = 0;
	int			one = 1;

	dpotrf_("L", &n, a, &n, &info);
	if (info != 0)
		return false;
	dpotrs_("L", &n, &one, a, &n, b, &n, &info);
	return info == 0;
}
