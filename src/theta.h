/*
 * theta.h - classic Theta and dynamic optimised Theta (src/theta.c)
 */
#ifndef ECOMML_THETA_H
#define ECOMML_THETA_H

#include "forecast.h"

/* fit into fm (level, alpha, drift, season); fitted[] one-step in-sample */
extern void theta_fit(ForecastModel *fm, const double *y, int n, int m, bool positive,
					  double *fitted, FcOrigin *origin);
/* the same for DOTM: also phi = theta, drift = the last slope B_n */
extern void dotm_fit(ForecastModel *fm, const double *y, int n, int m, bool positive,
					 double *fitted, FcOrigin *origin);

#endif
