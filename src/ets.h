/*
 * ets.h - exponential smoothing state space models (src/ets.c)
 */
#ifndef ECOMML_ETS_H
#define ECOMML_ETS_H

#include "forecast.h"

#define ETS_MAX_SEASON	24		/* seasonal ETS only up to this m (as R's ets) */

/* fit ETS into fm: spec -1 chooses by AICc, else e*100 + t*10 + s */
extern bool ets_choose(ForecastModel *fm, const double *y, int n, int m, int spec,
					   bool positive, double *fitted, FcOrigin *origin);
/* free parameters incl. sigma: smoothing, initial states (m - 1 seasonal) */
extern int	ets_nparams(int t, int s, int m);

#endif
