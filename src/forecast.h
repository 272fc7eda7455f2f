/*
 * forecast.h - per-series demand forecasting (doc/forecasting.md)
 *
 * ecomml.fit_forecast() collects (period, value) pairs of one series,
 * regularizes them to a fixed frequency and fits one of: naive,
 * seasonal_naive, mean, ETS (Hyndman et al. 2008), Theta, Croston, SBA, TSB.
 * The decoded ForecastModel is shared with the stock planning functions
 * (src/inventory.c).
 */
#ifndef ECOMML_FORECAST_H
#define ECOMML_FORECAST_H

#include "lib/stringinfo.h"
#include "train_state.h"

typedef enum FcMethod
{
	FC_AUTO = 0,
	FC_NAIVE = 1,
	FC_SNAIVE = 2,
	FC_MEAN = 3,
	FC_ETS = 4,
	FC_THETA = 5,
	FC_CROSTON = 6,
	FC_SBA = 7,
	FC_TSB = 8,
	FC_ARIMA = 9,
	FC_DOTM = 10
} FcMethod;

typedef enum FcFreq
{
	FREQ_DAY = 0,
	FREQ_WEEK = 1,
	FREQ_MONTH = 2,
	FREQ_QUARTER = 3,
	FREQ_YEAR = 4
} FcFreq;

/* ETS component codes */
#define ETS_N 0
#define ETS_A 1
#define ETS_AD 2				/* damped additive trend */
#define ETS_M 2					/* multiplicative error / season */

typedef struct ForecastModel
{
	int32		method;			/* FcMethod actually fitted */
	int32		requested;		/* FcMethod asked for */
	int32		freq;
	int32		m;				/* season length used (1 = none) */
	int32		etype,
				ttype,
				stype;			/* ETS components */
	int32		nsim;
	int64		seed;
	int64		n;				/* regular periods after filling */
	int64		rows;			/* input rows used */
	int64		null_periods;
	int64		null_values;
	int64		filled;			/* periods added by the fill rule */
	TimestampTz start;			/* first period */
	double		alpha,
				beta,
				gamma,
				phi;
	double		drift;			/* theta */
	double		size_mean,
				size_sd,
				prob,			/* croston family: demand size, occurrence */
				debias;			/* mean = debias * prob * size_mean */
	double		level,
				trend;
	double	   *season;			/* m values; season[m-1] applies to step 1 */
	double		sigma2;
	double		loglik,
				aicc,
				mase;
	double		zero_share;
	double		calib;			/* interval widening, >= 1 (src/fc_calibrate.c) */
	double		holdout_mae;	/* MAE of the held-back periods from the origin, or NaN */
	char	   *note;			/* why a fallback happened, or "" */

	/*
	 * ARIMA (src/arima.c), in the form the forecasts need:
	 * y_t = c + sum_i ar[i] y_{t-1-i} + e_t + sum_j ma[j] e_{t-1-j}, the
	 * differencing folded into ar; hist_y[i] = y_{n-i}, hist_e[j] = e_{n-j}.
	 */
	int32		order[6];		/* p d q P D Q */
	int32		constant;		/* mean (d + D = 0) or drift (d + D = 1) */
	int32		ar_n,
				ma_n,
				coef_n;
	double		c;
	double	   *ar,
			   *ma,
			   *hist_y,
			   *hist_e,
			   *coef;			/* phi, theta, Phi, Theta, mean/drift */
} ForecastModel;

/*
 * The fitted filter's state after the first t periods (t = 0: not wanted or
 * not available), in ForecastModel's layout: season[m-1] applies to period
 * t + 1.  Fits fill it when origin->t > 0 for interval calibration.
 */
typedef struct FcOrigin
{
	int			t;
	double		level,
				trend,
				drift;
	double	   *season;
} FcOrigin;

extern const TrainStateOps forecast_state_ops;
extern void *forecast_decode(ByteReader *r);
extern void forecast_describe(const void *decoded, StringInfo buf);

/* point forecasts for steps 1..h */
extern void fc_point(const ForecastModel *fm, int h, double *mean);
#define FC_POSITIVE_STEPS 2		/* forecasts fc_positive checks */
extern bool fc_positive(const ForecastModel *fm);

/*
 * Sample paths (nsim x h, row-major) of future demand for models without an
 * analytic distribution; NULL for the linear ones, where fc_psi applies.
 */
extern double *fc_simulate(const ForecastModel *fm, int h);

/*
 * Linear models: y_{n+j} = mean_j + e_{n+j} + sum_{i<j} psi_{j-i} e_{n+i},
 * times scale[j] (seasonal factor of Theta, else 1), e ~ N(0, sigma2).
 * Fills psi[0..h-1] (psi[0] = 1) and scale[0..h-1]; false if not linear.
 */
extern bool fc_psi(const ForecastModel *fm, int h, double *psi, double *scale);

/* interval calibration (src/fc_calibrate.c) */
extern int	fc_calibration_horizon(int n, int m);
extern double fc_calibration(const ForecastModel *fm, const FcOrigin *origin, const double *y, int n,
							 int df);
extern double fc_holdout_mae(const ForecastModel *fm, const FcOrigin *origin, const double *y, int n);

/* period label of future step h (h = 0 is the last observed period) */
extern TimestampTz fc_period(const ForecastModel *fm, int64 step);
extern double fc_period_days(const ForecastModel *fm);
/* shared numerics of the methods (src/series.c) */
extern double fc_qnorm(double p);
extern double fc_pnorm(double x);
extern void fc_linear_fit(const double *y, int n, double *intercept, double *slope);
extern void fc_classical_season(const double *y, int n, int m, bool mult, double *idx);
extern bool fc_seasonality_test(const double *y, int n, int m);
#define FC_MAX_POLY 64
extern bool fc_roots_in_disc(const double *coef, int deg, double radius);

#endif
