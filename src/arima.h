/*
 * arima.h - seasonal ARIMA with automatic order selection (src/arima.c)
 */
#ifndef ECOMML_ARIMA_H
#define ECOMML_ARIMA_H

#include "codec.h"
#include "forecast.h"

#define ARIMA_MAX_SEASON 24		/* seasonal ARIMA only up to this m */

/*
 * Fit into fm.  spec: p, d, q, P, D, Q, constant; -1 = choose (the orders
 * are all given or all chosen; constant -1 = when d + D <= 1).  fitted[]
 * (if not NULL) gets one-step in-sample forecasts (NaN where undefined).
 * False if no model could be fitted (too short, constant series).
 */
extern bool arima_fit(ForecastModel *fm, const double *y, int n, int m, const int32 *spec,
					  double *fitted);
extern void arima_point(const ForecastModel *fm, int h, double *mean);
extern void arima_psi(const ForecastModel *fm, int h, double *psi);
extern void arima_write(ByteWriter *w, const ForecastModel *fm);
extern void arima_read(ByteReader *r, ForecastModel *fm);
extern void arima_describe(const ForecastModel *fm, StringInfo buf);

#endif
