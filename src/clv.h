/*
 * clv.h - customer lifetime value: BG/NBD purchase counts and Gamma-Gamma
 * spend (src/clv_fit.c: likelihoods, fits, predictions; src/clv.c: the
 * training aggregate, the model and the SQL functions)
 */
#ifndef ECOMML_CLV_H
#define ECOMML_CLV_H

#include "lib/stringinfo.h"

#include "codec.h"
#include "train_state.h"

/* A maximum-likelihood fit: parameters, their standard errors, how it went */
typedef struct ClvFit
{
	double		par[4];			/* BG/NBD r, alpha, a, b; Gamma-Gamma p, q, v */
	double		se[4];			/* NaN where the Hessian is not positive definite */
	double		loglik;			/* total log-likelihood, without the penalty */
	int32		iterations;
	bool		converged;
} ClvFit;

/*
 * BG/NBD (Fader, Hardie & Lee 2005) on n distinct (x, t_x, T) with weights w
 * (customers sharing them), sorted by x.
 */
extern void bgnbd_fit(const double *x, const double *tx, const double *T, const double *w,
					  int64 n, double penalizer, ClvFit *fit);

/* Gamma-Gamma (Fader, Hardie & Lee 2005b) on n repeat buyers sorted by x */
extern void gamma_gamma_fit(const double *x, const double *m, int64 n, double penalizer,
							ClvFit *fit);

/* predictions; par as in ClvFit */
extern double bgnbd_p_alive(const double *par, double x, double tx, double T);
extern double bgnbd_expected_purchases(const double *par, double x, double tx, double T,
									   double t);
extern double gamma_gamma_expected_spend(const double *par, double x, double m);

/* clv.c */
extern const TrainStateOps clv_state_ops;
extern void *clv_decode(ByteReader *r);
extern void clv_describe(const void *decoded, StringInfo buf);

#endif
