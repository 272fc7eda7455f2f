/*
 * optim.h - derivative-free minimization shared by the forecasting methods
 * (ETS, Theta, ARIMA): Nelder-Mead with bounds expressed by the objective.
 */
#ifndef ECOMML_OPTIM_H
#define ECOMML_OPTIM_H

typedef double (*NmObjective) (const double *x, void *arg);

/*
 * Minimize f over R^d from x (inside the feasible region; infeasible points
 * score +inf).  step[] is the initial simplex edge per coordinate.  Stops
 * after maxeval evaluations or when the simplex values agree to reltol.
 * x receives the best point; returns its value.
 */
extern double nelder_mead(NmObjective f, void *arg, int d, double *x, const double *step,
						  int maxeval, double reltol);

#endif
