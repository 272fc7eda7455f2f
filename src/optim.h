/*
 * optim.h - small-dimension minimizers shared by the model fits
 *
 * Dense BFGS with an Armijo line search and the Hessian by central
 * differences of an analytic gradient, for the few-parameter
 * maximum-likelihood fits (BG/NBD, Gamma-Gamma) whose log-likelihoods have
 * closed-form gradients (dimension at most OPTIM_MAX_DIM); and Nelder-Mead
 * with bounds expressed by the objective, for the forecasting methods (ETS,
 * Theta, ARIMA), whose objectives have no cheap gradient.
 */
#ifndef ECOMML_OPTIM_H
#define ECOMML_OPTIM_H

#include "c.h"

#define OPTIM_MAX_DIM 8

/* objective at x, gradient into g; may return NaN/Inf outside its domain */
typedef double (*OptimFunc) (const double *x, double *g, void *arg);

typedef struct OptimResult
{
	double		value;			/* objective at the returned x */
	double		gnorm;			/* max |gradient| there */
	int			iterations;
	bool		converged;		/* gnorm <= gtol */
} OptimResult;

/* minimize f from x (overwritten by the minimizer) */
extern OptimResult optim_bfgs(OptimFunc f, void *arg, double *x, int n, int max_iter,
							  double gtol);

/* h (n x n, symmetric) = Hessian of f at x from central differences of g */
extern void optim_hessian(OptimFunc f, void *arg, const double *x, int n, double *h);

/*
 * cov = inverse of the symmetric positive definite h (n x n); false (cov
 * untouched) when h is not positive definite.
 */
extern bool optim_inverse_spd(const double *h, int n, double *cov);

/* Nelder-Mead */
typedef double (*NmObjective) (const double *x, void *arg);

/*
 * Minimize f over R^d from x (inside the feasible region; infeasible points
 * score +inf).  step[] is the initial simplex edge per coordinate.  Stops
 * after maxeval evaluations or when the simplex values agree to reltol.
 * x receives the best point; returns its value.
 */
extern double nelder_mead(NmObjective f, void *arg, int d, double *x, const double *step,
						  int maxeval, double reltol);

/*
 * An objective told the value it must get below to matter: where f(x) >=
 * bound it may return any value >= bound (e.g. stop a sum of squares
 * early).  bound is +inf where the exact value is needed.
 */
typedef double (*NmBoundedObjective) (const double *x, double bound, void *arg);

/* Nelder-Mead as above, passing each trial point its bound */
extern double nelder_mead_bounded(NmBoundedObjective f, void *arg, int d, double *x,
								  const double *step, int maxeval, double reltol);

#endif
