/*
 * arima.c - seasonal ARIMA(p,d,q)(P,D,Q)_m for fit_forecast's method "arima"
 *
 * Model (Box & Jenkins; R's stats::arima conventions, so coefficients
 * compare with R's Arima()): w = (1-B)^d (1-B^m)^D y,
 *   phi(B) Phi(B^m) (w_t - mu) = theta(B) Theta(B^m) e_t,  e ~ N(0, s2),
 * phi(B) = 1 - phi_1 B - ..., theta(B) = 1 + theta_1 B + ...; mu is the mean
 * (d + D = 0) or the drift's image under differencing (d + D = 1: the slope
 * per period, times m after a seasonal difference), as auto.arima includes
 * them.
 *
 * Fitting as R's default "CSS-ML": conditional sum of squares first, then
 * exact Gaussian maximum likelihood from the CSS optimum, by the Kalman
 * filter on Harvey's state-space form of the ARMA part, with the stationary
 * initial state covariance (discrete Lyapunov equation, by doubling).
 * Parameters outside the stationary / invertible region score +inf.
 *
 * Order selection: Hyndman & Khandakar (2008) - D from a seasonal-strength
 * test (R's nsdiffs default, classical decomposition instead of STL), d from
 * repeated KPSS tests (5%), then the stepwise search over p, q, P, Q and the
 * constant by AICc; during the search models are compared by their CSS
 * likelihood (R's "approximation" mode), the chosen one is refitted by ML.
 *
 * Forecasts and intervals use the model with the differencing folded into
 * the AR polynomial: point forecasts by the recursion, variances from the
 * MA(infinity) (psi) weights.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "arima.h"
#include "blas.h"
#include "kinds.h"
#include "optim.h"

#define AR_MAX_ORDER	5		/* p, q <= 5; P, Q <= 2; p + q + P + Q <= 5 */
#define AR_MAX_SORDER	2
#define AR_MAX_SUM		5
#define AR_MAX_MODELS	94		/* as R's stepwise search */
#define AR_KPSS_CRIT	0.463	/* 5% critical value of the level KPSS test */
#define AR_SEAS_STRENGTH 0.64	/* R's nsdiffs threshold */
#define AR_EXACT_MAX_N	150		/* longer series are searched by CSS */
#define AR_SEAS_HALFSPAN 3		/* seasonal smoother: +-3 cycles */

/* one candidate model on the differenced series w */
typedef struct ArmaProblem
{
	const double *w;
	int			nw;
	int			m;
	int			p,
				q,
				P,
				Q;
	bool		constant;
	int			np,				/* expanded AR / MA lengths */
				nq;
	double	   *a,				/* expanded AR coefficients, np */
			   *b,				/* expanded MA coefficients, nq */
			   *e;				/* residual scratch, nw */
	/* Kalman scratch */
	int			r;
	double	   *P0,
			   *Pt,
			   *tmp,
			   *st,
			   *rv;
	int			nres;			/* residuals in the CSS sum */
} ArmaProblem;

static int
arma_npar(const ArmaProblem *pb)
{
	return pb->p + pb->q + pb->P + pb->Q + (pb->constant ? 1 : 0);
}

/*
 * Stationarity (sign -1: 1 - sum c_i z^i) or invertibility (sign +1:
 * 1 + sum c_i z^i) of one factor: its roots lie outside the unit circle iff
 * those of z^deg p(1/z) lie inside (within radius).
 */
static bool
factor_stable(const double *c, int deg, double sign, double radius)
{
	double		poly[AR_MAX_ORDER + 1];

	if (deg == 0)
		return true;
	for (int i = 0; i < deg; i++)
		poly[i] = sign * c[deg - 1 - i];
	poly[deg] = 1;
	return fc_roots_in_disc(poly, deg, radius);
}

/* a = expanded AR of phi, Phi; b = expanded MA of theta, Theta; false if not stationary/invertible */
static bool
arma_expand(ArmaProblem *pb, const double *x, double radius)
{
	const double *phi = x,
			   *theta = x + pb->p,
			   *sphi = x + pb->p + pb->q,
			   *stheta = x + pb->p + pb->q + pb->P;
	int			m = pb->m;

	if (!factor_stable(phi, pb->p, -1, radius) || !factor_stable(sphi, pb->P, -1, radius) ||
		!factor_stable(theta, pb->q, 1, radius) || !factor_stable(stheta, pb->Q, 1, radius))
		return false;
	/* (1 - sum phi B^i)(1 - sum Phi B^km) = 1 - sum a_j B^j */
	memset(pb->a, 0, pb->np * sizeof(double));
	for (int i = 1; i <= pb->p; i++)
		pb->a[i - 1] += phi[i - 1];
	for (int k = 1; k <= pb->P; k++)
	{
		pb->a[k * m - 1] += sphi[k - 1];
		for (int i = 1; i <= pb->p; i++)
			pb->a[k * m + i - 1] -= phi[i - 1] * sphi[k - 1];
	}
	/* (1 + sum theta B^i)(1 + sum Theta B^km) = 1 + sum b_j B^j */
	memset(pb->b, 0, pb->nq * sizeof(double));
	for (int i = 1; i <= pb->q; i++)
		pb->b[i - 1] += theta[i - 1];
	for (int k = 1; k <= pb->Q; k++)
	{
		pb->b[k * m - 1] += stheta[k - 1];
		for (int i = 1; i <= pb->q; i++)
			pb->b[k * m + i - 1] += theta[i - 1] * stheta[k - 1];
	}
	return true;
}

/* conditional residuals e[t], t >= np (zero before); returns their SSE */
static double
arma_css_residuals(ArmaProblem *pb, double mu)
{
	const double *w = pb->w;
	double		sse = 0;

	for (int t = 0; t < pb->nw; t++)
	{
		double		v;

		if (t < pb->np)
		{
			pb->e[t] = 0;
			continue;
		}
		v = w[t] - mu;
		for (int i = 0; i < pb->np; i++)
			v -= pb->a[i] * (w[t - 1 - i] - mu);
		for (int j = 0; j < pb->nq && j < t; j++)
			v -= pb->b[j] * pb->e[t - 1 - j];
		pb->e[t] = v;
		sse += v * v;
	}
	pb->nres = pb->nw - pb->np;
	return sse;
}

static double
arma_css_objective(const double *x, void *arg)
{
	ArmaProblem *pb = arg;
	double		sse;

	if (!arma_expand(pb, x, 1.0))
		return INFINITY;
	sse = arma_css_residuals(pb, pb->constant ? x[arma_npar(pb) - 1] : 0);
	if (!isfinite(sse) || pb->nres <= 0)
		return INFINITY;
	return 0.5 * log(sse / pb->nres + 1e-300);
}

/*
 * Stationary covariance of Harvey's state (x_{t+1} = T x_t + R e_t, T the
 * companion matrix of a, R = (1, b_1, ..., b_{r-1})): P = sum_k T^k RR' T'^k,
 * summed by doubling (S <- S + A S A', A <- A^2), which converges in
 * O(log) steps for stationary a.  Dense r x r, row-major.
 */
static void
arma_stationary_cov(ArmaProblem *pb)
{
	int			r = pb->r;
	double	   *S = pb->P0,
			   *A = palloc(r * r * sizeof(double)),
			   *AS = palloc(r * r * sizeof(double)),
			   *A2 = palloc(r * r * sizeof(double));

	for (int i = 0; i < r; i++)
		pb->rv[i] = i == 0 ? 1 : (i - 1 < pb->nq ? pb->b[i - 1] : 0);
	for (int i = 0; i < r; i++)
		for (int j = 0; j < r; j++)
		{
			S[i * r + j] = pb->rv[i] * pb->rv[j];
			A[i * r + j] = (j == 0 && i < pb->np ? pb->a[i] : 0) + (j == i + 1 ? 1 : 0);
		}
	for (int it = 0; it < 40; it++)
	{
		double		change = 0,
					scale = 0;

		/* A2 = (A S) A', summed into S */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, r, r, 1.0, A, r, S, r, 0.0, AS, r);
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, r, 1.0, AS, r, A, r, 0.0, A2, r);
		for (int i = 0; i < r * r; i++)
		{
			S[i] += A2[i];
			change = Max(change, fabs(A2[i]));
			scale = Max(scale, fabs(S[i]));
		}
		if (change <= 1e-12 * scale)
			break;
		/* A = A^2 */
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, r, r, 1.0, A, r, A, r, 0.0, A2, r);
		memcpy(A, A2, r * r * sizeof(double));
	}
	pfree(A);
	pfree(AS);
	pfree(A2);
}

/*
 * Exact Gaussian log-likelihood of w - mu under the ARMA model in pb->a/b,
 * with s2 concentrated out (returned in *s2).
 */
static double
arma_exact_loglik(ArmaProblem *pb, double mu, double *s2)
{
	int			r = pb->r,
				n = pb->nw;
	double	   *P = pb->Pt,
			   *st = pb->st,
			   *tmp = pb->tmp;
	double		ssq = 0,
				sumlog = 0;
	bool		steady = false;

	arma_stationary_cov(pb);
	memcpy(P, pb->P0, r * r * sizeof(double));
	memset(st, 0, r * sizeof(double));
	for (int t = 0; t < n; t++)
	{
		double		v = pb->w[t] - mu - st[0],
					F = P[0],
					s0;

		if (!(F > 0))
			return -INFINITY;
		ssq += v * v / F;
		sumlog += log(F);
		if (steady)
		{
			/* P has converged to R R' (F = 1): the filter is the CSS recursion */
			s0 = st[0] + v;
			for (int i = 0; i < r; i++)
				st[i] = (i < pb->np ? pb->a[i] * s0 : 0) +
					(i + 1 < r ? st[i + 1] + pb->rv[i + 1] * v : 0);
			continue;
		}
		/* update: st += P[:,0] v / F; P -= P[:,0] P[0,:] / F */
		for (int i = 0; i < r; i++)
			tmp[i] = P[i * r];
		for (int i = 0; i < r; i++)
			st[i] += tmp[i] * v / F;
		for (int i = 0; i < r; i++)
			for (int j = 0; j < r; j++)
				P[i * r + j] -= tmp[i] * tmp[j] / F;
		/* predict: st = T st; P = T P T' + R R' (T companion: O(r^2)) */
		s0 = st[0];
		for (int i = 0; i < r; i++)
			st[i] = (i < pb->np ? pb->a[i] * s0 : 0) + (i + 1 < r ? st[i + 1] : 0);
		/* rows: (T P)[i][j] = a_i P[0][j] + P[i+1][j] */
		{
			double	   *TP = tmp + r;
			double		dmax = 0;

			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
					TP[i * r + j] = (i < pb->np ? pb->a[i] * P[j] : 0) +
						(i + 1 < r ? P[(i + 1) * r + j] : 0);
			for (int i = 0; i < r; i++)
				for (int j = 0; j < r; j++)
				{
					double		v2 = (j < pb->np ? pb->a[j] * TP[i * r] : 0) +
						(j + 1 < r ? TP[i * r + j + 1] : 0) + pb->rv[i] * pb->rv[j];

					dmax = Max(dmax, fabs(v2 - pb->rv[i] * pb->rv[j]));
					P[i * r + j] = v2;
				}
			steady = dmax < 1e-9;
		}
	}
	*s2 = ssq / n;
	return -0.5 * (n * log(2 * M_PI * *s2 + 1e-300) + sumlog + n);
}

static double
arma_ml_objective(const double *x, void *arg)
{
	ArmaProblem *pb = arg;
	double		s2,
				ll;

	if (!arma_expand(pb, x, 1.0 / 1.0001))
		return INFINITY;
	ll = arma_exact_loglik(pb, pb->constant ? x[arma_npar(pb) - 1] : 0, &s2);
	return isfinite(ll) ? -ll : INFINITY;
}

static void
arma_problem(ArmaProblem *pb, const double *w, int nw, int m, int p, int q, int P, int Q,
			 bool constant)
{
	memset(pb, 0, sizeof(ArmaProblem));
	pb->w = w;
	pb->nw = nw;
	pb->m = m;
	pb->p = p;
	pb->q = q;
	pb->P = P;
	pb->Q = Q;
	pb->constant = constant;
	pb->np = p + P * m;
	pb->nq = q + Q * m;
	pb->a = palloc0((pb->np + 1) * sizeof(double));
	pb->b = palloc0((pb->nq + 1) * sizeof(double));
	pb->e = palloc0(nw * sizeof(double));
}

static void
arma_problem_free(ArmaProblem *pb)
{
	pfree(pb->a);
	pfree(pb->b);
	pfree(pb->e);
	if (pb->P0)
	{
		pfree(pb->P0);
		pfree(pb->Pt);
		pfree(pb->tmp);
		pfree(pb->st);
		pfree(pb->rv);
	}
}

typedef struct ArmaFit
{
	int			p,
				q,
				P,
				Q;
	bool		constant;
	bool		ok;
	double		x[AR_MAX_SUM + 1];
	double		loglik,
				aicc,
				sigma2;
	int			r;
	double	   *state;			/* Kalman predicted state a_{n+1|n} after ML */
} ArmaFit;

static void
arma_fill_fit(ArmaFit *f, const ArmaProblem *pb, double loglik, double s2, int nu)
{
	int			k = arma_npar(pb) + 1;

	f->loglik = loglik;
	/* forecast::Arima's sigma2, which sets the intervals: SSE / (n - coefficients) */
	f->sigma2 = nu - (k - 1) > 0 ? s2 * nu / (nu - (k - 1)) : s2;
	f->aicc = nu - k - 1 > 0 ?
		-2 * loglik + 2.0 * k + 2.0 * k * (k + 1) / (nu - k - 1) : INFINITY;
	f->ok = isfinite(f->aicc);
}

/* CSS fit; the likelihood is scaled to all nw periods so models compare */
static void
arma_fit_css(const double *w, int nw, int m, int p, int q, int P, int Q, bool constant,
			 ArmaFit *f)
{
	ArmaProblem pb;
	int			d = p + q + P + Q + (constant ? 1 : 0);
	double		step[AR_MAX_SUM + 1],
				obj,
				sse,
				s2;

	memset(f, 0, sizeof(ArmaFit));
	f->p = p;
	f->q = q;
	f->P = P;
	f->Q = Q;
	f->constant = constant;
	arma_problem(&pb, w, nw, m, p, q, P, Q, constant);
	if (pb.np >= nw - 2 || d + 2 >= nw - pb.np)
	{
		arma_problem_free(&pb);
		return;
	}
	for (int i = 0; i < d; i++)
	{
		f->x[i] = 0;
		step[i] = 0.1;
	}
	if (constant)
	{
		double		mean = 0,
					sd = 0;

		for (int t = 0; t < nw; t++)
			mean += w[t];
		mean /= nw;
		for (int t = 0; t < nw; t++)
			sd += (w[t] - mean) * (w[t] - mean);
		sd = sqrt(sd / nw);
		f->x[d - 1] = mean;
		step[d - 1] = Max(0.1 * sd, 1e-6 * (fabs(mean) + 1));
	}
	if (d > 0)
	{
		obj = nelder_mead(arma_css_objective, &pb, d, f->x, step, 150 * d, 1e-9);
		for (int i = 0; i < d; i++)
			step[i] *= 0.3;
		obj = nelder_mead(arma_css_objective, &pb, d, f->x, step, 100 * d, 1e-11);
	}
	else
		obj = arma_css_objective(f->x, &pb);
	if (!isfinite(obj))
	{
		arma_problem_free(&pb);
		return;
	}
	arma_expand(&pb, f->x, 1.0);
	sse = arma_css_residuals(&pb, constant ? f->x[d - 1] : 0);
	s2 = sse / pb.nres;
	arma_fill_fit(f, &pb, -0.5 * nw * (log(2 * M_PI * s2 + 1e-300) + 1), s2, nw);
	arma_problem_free(&pb);
}

/* exact ML from the CSS optimum (R's "CSS-ML") */
static void
arma_fit_ml(const double *w, int nw, int m, ArmaFit *f, bool quick)
{
	ArmaProblem pb;
	int			d = f->p + f->q + f->P + f->Q + (f->constant ? 1 : 0);
	double		step[AR_MAX_SUM + 1],
				x[AR_MAX_SUM + 1],
				obj,
				s2,
				ll;

	arma_problem(&pb, w, nw, m, f->p, f->q, f->P, f->Q, f->constant);
	pb.r = Max(pb.np, pb.nq + 1);
	pb.P0 = palloc(pb.r * pb.r * sizeof(double));
	pb.Pt = palloc(pb.r * pb.r * sizeof(double));
	pb.tmp = palloc((pb.r + pb.r * pb.r) * sizeof(double));
	pb.st = palloc(pb.r * sizeof(double));
	pb.rv = palloc(pb.r * sizeof(double));
	memcpy(x, f->x, d * sizeof(double));
	/* a CSS optimum on the boundary: pull it inside */
	if (!isfinite(arma_ml_objective(x, &pb)))
		for (int i = 0; i < d - (f->constant ? 1 : 0); i++)
			x[i] *= 0.5;
	for (int i = 0; i < d; i++)
		step[i] = Max(0.05 * fabs(x[i]), 0.02);
	if (f->constant)
		step[d - 1] = Max(0.05 * fabs(x[d - 1]), sqrt(f->sigma2) * 0.05 + 1e-9);
	if (d > 0)
	{
		/* restart from the optimum until a restart gains nothing */
		obj = nelder_mead(arma_ml_objective, &pb, d, x, step, (quick ? 40 : 200) * d, 1e-10);
		for (int it = 0; it < (quick ? 0 : 6); it++)
		{
			double		prev = obj;

			obj = nelder_mead(arma_ml_objective, &pb, d, x, step, 200 * d, 1e-12);
			if (!(obj < prev - 1e-7))
				break;
		}
	}
	else
		obj = arma_ml_objective(x, &pb);
	if (isfinite(obj))
	{
		arma_expand(&pb, x, 1.0 / 1.0001);
		ll = arma_exact_loglik(&pb, f->constant ? x[d - 1] : 0, &s2);
		memcpy(f->x, x, d * sizeof(double));
		arma_fill_fit(f, &pb, ll, s2, nw);
		f->r = pb.r;
		f->state = palloc(pb.r * sizeof(double));
		memcpy(f->state, pb.st, pb.r * sizeof(double));
	}
	else
		f->ok = false;
	arma_problem_free(&pb);
}

/* ------------------------------------------------------------------------
 * Order selection
 * ------------------------------------------------------------------------ */

static double *
difference(const double *y, int n, int lag, int *nout)
{
	double	   *w = palloc(Max(1, n - lag) * sizeof(double));

	for (int t = lag; t < n; t++)
		w[t - lag] = y[t] - y[t - lag];
	*nout = n - lag;
	return w;
}

/*
 * KPSS level-stationarity statistic (Kwiatkowski et al. 1992) with the
 * Bartlett long-run variance over trunc(3 sqrt(n) / 13) lags, as R's ndiffs.
 */
static double
kpss_stat(const double *x, int n)
{
	double		mean = 0,
				s2 = 0,
				eta = 0,
				cum = 0;
	int			L = (int) (3 * sqrt((double) n) / 13);

	for (int t = 0; t < n; t++)
		mean += x[t];
	mean /= n;
	for (int t = 0; t < n; t++)
	{
		double		e = x[t] - mean;

		cum += e;
		eta += cum * cum;
		s2 += e * e;
	}
	for (int l = 1; l <= L; l++)
	{
		double		g = 0;

		for (int t = l; t < n; t++)
			g += (x[t] - mean) * (x[t - l] - mean);
		s2 += 2 * (1 - (double) l / (L + 1)) * g;
	}
	s2 /= n;
	if (!(s2 > 0))
		return 0;
	return eta / ((double) n * n * s2);
}

static bool
is_constant(const double *x, int n)
{
	for (int t = 1; t < n; t++)
		if (x[t] != x[0])
			return false;
	return true;
}

/*
 * Seasonal strength (Wang, Smith & Hyndman 2006) of an additive
 * decomposition: 1 - var(remainder) / var(season + remainder).  R's nsdiffs
 * decomposes by STL, whose season evolves; here the trend is the centred
 * 2 x m moving average and the season of each position a moving mean of its
 * detrended values over +-AR_SEAS_HALFSPAN cycles (an evolving season, as
 * STL's seasonal smoother, without loess).
 */
static double
seasonal_strength(const double *y, int n, int m)
{
	int			half = m / 2,
				lo = half,
				hi = n - half;	/* detrended values exist for t in [lo, hi) */
	double	   *dt = palloc0(n * sizeof(double));
	double		vr = 0,
				vsr = 0,
				mr = 0,
				msr = 0;
	int			cnt = 0;

	for (int t = lo; t < hi; t++)
	{
		double		ma = 0;

		for (int k = -half; k <= half; k++)
			ma += (m % 2 == 0 && (k == -half || k == half) ? 0.5 : 1.0) * y[t + k];
		dt[t] = y[t] - ma / m;
	}
	for (int t = lo; t < hi; t++)
	{
		double		season = 0;
		int			ns = 0;

		for (int k = -AR_SEAS_HALFSPAN; k <= AR_SEAS_HALFSPAN; k++)
		{
			int			u = t + k * m;

			if (u >= lo && u < hi)
			{
				season += dt[u];
				ns++;
			}
		}
		season /= ns;
		mr += dt[t] - season;
		msr += dt[t];
		vr += (dt[t] - season) * (dt[t] - season);
		vsr += dt[t] * dt[t];
		cnt++;
	}
	pfree(dt);
	if (cnt < 2)
		return 0;
	vr = vr / cnt - (mr / cnt) * (mr / cnt);
	vsr = vsr / cnt - (msr / cnt) * (msr / cnt);
	if (!(vsr > 0))
		return 0;
	return Max(0.0, 1 - vr / vsr);
}

typedef struct StepState
{
	const double *w;
	int			nw,
				m;
	bool		seasonal;
	bool		allow_constant;
	bool		exact;			/* compare candidates by exact ML, not CSS */
	int			nfit;
	ArmaFit		best;
	uint8		tried[AR_MAX_ORDER + 1][AR_MAX_ORDER + 1][AR_MAX_SORDER + 1][AR_MAX_SORDER + 1][2];
} StepState;

/* fit one candidate if new and allowed; true if it became the best */
static bool
step_try(StepState *ss, int p, int q, int P, int Q, bool constant)
{
	ArmaFit		f;

	if (p < 0 || q < 0 || P < 0 || Q < 0 || p > AR_MAX_ORDER || q > AR_MAX_ORDER ||
		P > AR_MAX_SORDER || Q > AR_MAX_SORDER || p + q + P + Q > AR_MAX_SUM)
		return false;
	if (!ss->seasonal && (P > 0 || Q > 0))
		return false;
	if (constant && !ss->allow_constant)
		return false;
	if (ss->tried[p][q][P][Q][constant ? 1 : 0] || ss->nfit >= AR_MAX_MODELS)
		return false;
	ss->tried[p][q][P][Q][constant ? 1 : 0] = 1;
	ss->nfit++;
	CHECK_FOR_INTERRUPTS();
	arma_fit_css(ss->w, ss->nw, ss->m, p, q, P, Q, constant, &f);
	if (f.ok && ss->exact)
		arma_fit_ml(ss->w, ss->nw, ss->m, &f, ss->seasonal);
	/* as auto.arima: no candidate with a root within 1.01 of the unit circle */
	if (f.ok)
	{
		ArmaProblem pb;

		arma_problem(&pb, ss->w, ss->nw, ss->m, p, q, P, Q, constant);
		f.ok = arma_expand(&pb, f.x, 1 / 1.01);
		arma_problem_free(&pb);
	}
	if (f.ok && (!ss->best.ok || f.aicc < ss->best.aicc - 1e-9))
	{
		ss->best = f;
		return true;
	}
	return false;
}

/* Hyndman & Khandakar's stepwise search; result in ss->best */
static void
stepwise(StepState *ss)
{
	bool		c = ss->allow_constant;
	bool		moved = true;

	if (ss->seasonal)
	{
		step_try(ss, 2, 2, 1, 1, c);
		step_try(ss, 0, 0, 0, 0, c);
		step_try(ss, 1, 0, 1, 0, c);
		step_try(ss, 0, 1, 0, 1, c);
	}
	else
	{
		step_try(ss, 2, 2, 0, 0, c);
		step_try(ss, 0, 0, 0, 0, c);
		step_try(ss, 1, 0, 0, 0, c);
		step_try(ss, 0, 1, 0, 0, c);
	}
	if (c)
		step_try(ss, 0, 0, 0, 0, false);
	while (moved && ss->best.ok && ss->nfit < AR_MAX_MODELS)
	{
		ArmaFit		b = ss->best;
		int			p = b.p,
					q = b.q,
					P = b.P,
					Q = b.Q;
		bool		k = b.constant;

		moved = step_try(ss, p, q, P - 1, Q, k) || step_try(ss, p, q, P + 1, Q, k) ||
			step_try(ss, p, q, P, Q - 1, k) || step_try(ss, p, q, P, Q + 1, k) ||
			step_try(ss, p, q, P - 1, Q - 1, k) || step_try(ss, p, q, P + 1, Q + 1, k) ||
			step_try(ss, p - 1, q, P, Q, k) || step_try(ss, p + 1, q, P, Q, k) ||
			step_try(ss, p, q - 1, P, Q, k) || step_try(ss, p, q + 1, P, Q, k) ||
			step_try(ss, p - 1, q - 1, P, Q, k) || step_try(ss, p + 1, q + 1, P, Q, k) ||
			step_try(ss, p - 1, q + 1, P, Q, k) || step_try(ss, p + 1, q - 1, P, Q, k) ||
			step_try(ss, p, q, P, Q, !k);
	}
}

/* ------------------------------------------------------------------------
 * Fit driver and the forecasting form
 * ------------------------------------------------------------------------ */

/* multiply polynomial u (1 + sum u_i B^i, stored u[1..]) in place by (1 - B^lag) */
static void
poly_times_diff(double *u, int *deg, int lag)
{
	for (int i = *deg + lag; i >= lag; i--)
		u[i] -= u[i - lag];
	*deg += lag;
}

static double
arma_sum(const double *a, int n)
{
	double		s = 0;

	for (int i = 0; i < n; i++)
		s += a[i];
	return s;
}

/* the AR polynomial with the differencing folded in: y_t = sum full[i] y_{t-1-i} + ... */
static double *
arima_folded_ar(const ForecastModel *fm, int *K)
{
	int			d = fm->order[1],
				D = fm->order[4],
				m = fm->m,
				deg = fm->ar_n;
	double	   *u = palloc0((fm->ar_n + d + D * m + 1) * sizeof(double));
	double	   *full;

	u[0] = 1;
	for (int i = 0; i < fm->ar_n; i++)
		u[i + 1] = -fm->ar[i];
	for (int i = 0; i < d; i++)
		poly_times_diff(u, &deg, 1);
	for (int i = 0; i < D; i++)
		poly_times_diff(u, &deg, m);
	full = palloc0(Max(1, deg) * sizeof(double));
	for (int i = 0; i < deg; i++)
		full[i] = -u[i + 1];
	pfree(u);
	*K = deg;
	return full;
}

bool
arima_fit(ForecastModel *fm, const double *y, int n, int m, const int32 *spec, double *fitted)
{
	int			d,
				D,
				nw,
				nd;
	double	   *w,
			   *tmp;
	ArmaFit		fit;
	bool		seasonal = m > 1 && m <= ARIMA_MAX_SEASON;

	if (n < 4 || is_constant(y, n))
		return false;
	blas_begin(0);
	/* differencing orders */
	if (spec[4] >= 0)
		D = seasonal ? spec[4] : 0;
	else
		D = (seasonal && n >= 2 * m + 3 && seasonal_strength(y, n, m) > AR_SEAS_STRENGTH) ? 1 : 0;
	w = palloc(n * sizeof(double));
	memcpy(w, y, n * sizeof(double));
	nw = n;
	if (D > 0)
	{
		tmp = difference(w, nw, m, &nd);
		pfree(w);
		w = tmp;
		nw = nd;
	}
	if (spec[1] >= 0)
	{
		d = spec[1];
		for (int i = 0; i < d; i++)
		{
			tmp = difference(w, nw, 1, &nd);
			pfree(w);
			w = tmp;
			nw = nd;
		}
	}
	else
	{
		d = 0;
		while (d < 2 && nw > 4 && !is_constant(w, nw) && kpss_stat(w, nw) > AR_KPSS_CRIT)
		{
			tmp = difference(w, nw, 1, &nd);
			pfree(w);
			w = tmp;
			nw = nd;
			d++;
		}
	}
	if (nw < 3)
		return false;

	if (spec[0] >= 0)
	{
		bool		constant = spec[6] >= 0 ? spec[6] != 0 : d + D <= 1;

		arma_fit_css(w, nw, m, spec[0], spec[2], seasonal ? spec[3] : 0,
					 seasonal ? spec[5] : 0, constant && d + D <= 1, &fit);
	}
	else
	{
		StepState  *ss = palloc0(sizeof(StepState));

		ss->w = w;
		ss->nw = nw;
		ss->m = m;
		ss->seasonal = seasonal;
		ss->allow_constant = d + D <= 1;
		/*
		 * R's auto.arima compares exact likelihoods unless the series is long
		 * or m > 12; seasonal state spaces (r up to 2m + 3) make that about
		 * 1 s per monthly series here, so seasonal searches compare CSS ones.
		 */
		ss->exact = nw <= AR_EXACT_MAX_N && m <= 12;
		stepwise(ss);
		fit = ss->best;
		pfree(ss);
	}
	if (!fit.ok)
		return false;
	if (fit.state == NULL || seasonal)
		arma_fit_ml(w, nw, seasonal ? m : 1, &fit, false);
	if (!fit.ok)
		return false;

	/*
	 * Stored for forecasting: the expanded ARMA polynomials, mu, the Kalman
	 * state at the end of the sample (which carries the MA part exactly, as
	 * R's predict.Arima) and the last d + D m observations to undo the
	 * differencing.  In-sample one-step forecasts (for MASE only) come from
	 * the conditional recursion with the differencing folded in.
	 */
	{
		ArmaProblem pb;
		int			npar = fit.p + fit.q + fit.P + fit.Q + (fit.constant ? 1 : 0);
		int			nd = d + D * m;
		double	   *full,
				   *e;
		int			K;

		arma_problem(&pb, w, nw, seasonal ? m : 1, fit.p, fit.q, fit.P, fit.Q, fit.constant);
		arma_expand(&pb, fit.x, 2.0);
		fm->order[0] = fit.p;
		fm->order[1] = d;
		fm->order[2] = fit.q;
		fm->order[3] = fit.P;
		fm->order[4] = D;
		fm->order[5] = fit.Q;
		fm->m = seasonal ? m : 1;
		fm->ar_n = pb.np;
		fm->ma_n = pb.nq;
		fm->ar = palloc0(Max(1, pb.np) * sizeof(double));
		memcpy(fm->ar, pb.a, pb.np * sizeof(double));
		fm->ma = palloc0(Max(1, pb.nq) * sizeof(double));
		memcpy(fm->ma, pb.b, pb.nq * sizeof(double));
		fm->c = fit.constant ? fit.x[npar - 1] : 0;
		fm->hist_e = fit.state;
		Assert(fit.r == Max(pb.np, pb.nq + 1));
		fm->hist_y = palloc0(Max(1, nd) * sizeof(double));
		for (int i = 0; i < nd; i++)
			fm->hist_y[i] = y[n - 1 - i];
		if (fitted)
		{
			full = arima_folded_ar(fm, &K);
			e = palloc0(n * sizeof(double));
			for (int t = 0; t < n; t++)
			{
				double		f;

				fitted[t] = NAN;
				if (t < K)
					continue;
				f = fm->c * (1 - arma_sum(pb.a, pb.np));
				for (int i = 0; i < K; i++)
					f += full[i] * y[t - 1 - i];
				for (int j = 0; j < pb.nq && j < t; j++)
					f += pb.b[j] * e[t - 1 - j];
				e[t] = y[t] - f;
				fitted[t] = f;
			}
			pfree(e);
			pfree(full);
		}
		arma_problem_free(&pb);
	}
	fm->method = FC_ARIMA;
	fm->constant = fit.constant;
	fm->coef_n = fit.p + fit.q + fit.P + fit.Q + (fit.constant ? 1 : 0);
	fm->coef = palloc0(Max(1, fm->coef_n) * sizeof(double));
	memcpy(fm->coef, fit.x, fm->coef_n * sizeof(double));
	/* report the drift per period, as R's Arima(include.drift = TRUE) */
	if (fit.constant && D == 1)
		fm->coef[fm->coef_n - 1] /= m;
	fm->sigma2 = fit.sigma2;
	fm->loglik = fit.loglik;
	fm->aicc = fit.aicc;
	fm->level = y[n - 1];
	fm->trend = 0;
	pfree(w);
	return true;
}

void
arima_point(const ForecastModel *fm, int h, double *mean)
{
	int			np = fm->ar_n,
				r = Max(fm->ar_n, fm->ma_n + 1),
				nd = fm->order[1] + fm->order[4] * fm->m;
	double	   *st = palloc(r * sizeof(double));
	double	   *delta,
			   *yy = palloc((nd + h) * sizeof(double));
	int			K;

	/* 1 - sum delta_i B^i = (1-B)^d (1-B^m)^D */
	{
		ForecastModel diff = *fm;

		diff.ar_n = 0;
		delta = arima_folded_ar(&diff, &K);
		Assert(K == nd);
	}
	memcpy(st, fm->hist_e, r * sizeof(double));
	for (int i = 0; i < nd; i++)
		yy[nd - 1 - i] = fm->hist_y[i];
	for (int j = 0; j < h; j++)
	{
		double		wv = fm->c + st[0],
					s0 = st[0];

		for (int i = 0; i < nd; i++)
			wv += delta[i] * yy[nd + j - 1 - i];
		yy[nd + j] = wv;
		mean[j] = wv;
		/* state transition without innovation */
		for (int i = 0; i < r; i++)
			st[i] = (i < np ? fm->ar[i] * s0 : 0) + (i + 1 < r ? st[i + 1] : 0);
	}
	pfree(st);
	pfree(yy);
	pfree(delta);
}

void
arima_psi(const ForecastModel *fm, int h, double *psi)
{
	int			K;
	double	   *full = arima_folded_ar(fm, &K);

	for (int j = 0; j < h; j++)
	{
		double		v = j <= fm->ma_n ? (j == 0 ? 1 : fm->ma[j - 1]) : 0;

		for (int i = 1; i <= Min(j, K); i++)
			v += full[i - 1] * psi[j - i];
		psi[j] = v;
	}
	pfree(full);
}

void
arima_write(ByteWriter *w, const ForecastModel *fm)
{
	int			r = Max(fm->ar_n, fm->ma_n + 1),
				nd = fm->order[1] + fm->order[4] * fm->m;

	for (int i = 0; i < 6; i++)
		write_i32(w, fm->order[i]);
	write_i32(w, fm->constant);
	write_i32(w, fm->coef_n);
	write_f64_array(w, fm->coef, fm->coef_n);
	write_i32(w, fm->ar_n);
	write_f64_array(w, fm->ar, fm->ar_n);
	write_i32(w, fm->ma_n);
	write_f64_array(w, fm->ma, fm->ma_n);
	write_f64_array(w, fm->hist_e, r);
	write_f64_array(w, fm->hist_y, nd);
	write_f64(w, fm->c);
}

void
arima_read(ByteReader *r, ForecastModel *fm)
{
	int			nr,
				nd;

	for (int i = 0; i < 6; i++)
	{
		fm->order[i] = read_i32(r);
		if (fm->order[i] < 0 || fm->order[i] > AR_MAX_ORDER)
			reader_corrupt(r, "The ARIMA model holds impossible orders");
	}
	if (fm->order[3] > AR_MAX_SORDER || fm->order[5] > AR_MAX_SORDER || fm->order[1] > 2 ||
		fm->order[4] > 1 || fm->m > ARIMA_MAX_SEASON)
		reader_corrupt(r, "The ARIMA model holds impossible orders");
	fm->constant = read_i32(r);
	fm->coef_n = read_i32(r);
	if (fm->coef_n < 0 || fm->coef_n > AR_MAX_SUM + 1)
		reader_corrupt(r, "The ARIMA model holds impossible orders");
	fm->coef = read_f64_array(r, fm->coef_n);
	fm->ar_n = read_i32(r);
	if (fm->ar_n != fm->order[0] + fm->order[3] * fm->m)
		reader_corrupt(r, "The ARIMA model holds impossible orders");
	fm->ar = read_f64_array(r, fm->ar_n);
	fm->ma_n = read_i32(r);
	if (fm->ma_n != fm->order[2] + fm->order[5] * fm->m)
		reader_corrupt(r, "The ARIMA model holds impossible orders");
	fm->ma = read_f64_array(r, fm->ma_n);
	nr = Max(fm->ar_n, fm->ma_n + 1);
	nd = fm->order[1] + fm->order[4] * fm->m;
	fm->hist_e = read_f64_array(r, nr);
	fm->hist_y = read_f64_array(r, nd);
	fm->c = read_f64(r);
	for (int i = 0; i < fm->ar_n; i++)
		if (!isfinite(fm->ar[i]))
			reader_corrupt(r, "The ARIMA model holds a non-finite value");
	for (int i = 0; i < fm->ma_n; i++)
		if (!isfinite(fm->ma[i]))
			reader_corrupt(r, "The ARIMA model holds a non-finite value");
	for (int i = 0; i < nr; i++)
		if (!isfinite(fm->hist_e[i]))
			reader_corrupt(r, "The ARIMA model holds a non-finite value");
	for (int i = 0; i < nd; i++)
		if (!isfinite(fm->hist_y[i]))
			reader_corrupt(r, "The ARIMA model holds a non-finite value");
	if (!isfinite(fm->c))
		reader_corrupt(r, "The ARIMA model holds a non-finite value");
}

void
arima_describe(const ForecastModel *fm, StringInfo buf)
{
	static const char *const pre[] = {"ar", "ma", "sar", "sma"};
	int			k = 0;
	char		name[64];

	snprintf(name, sizeof(name), "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s",
			 fm->order[0], fm->order[1], fm->order[2], fm->order[3], fm->order[4],
			 fm->order[5], fm->m,
			 fm->constant ? (fm->order[1] + fm->order[4] == 0 ? " with mean" : " with drift") : "");
	json_append_text(buf, "model", name);
	for (int g = 0; g < 4; g++)
	{
		int			cnt = fm->order[g == 0 ? 0 : g == 1 ? 2 : g == 2 ? 3 : 5];

		for (int i = 0; i < cnt && k < fm->coef_n; i++, k++)
		{
			char		key[16];

			snprintf(key, sizeof(key), "%s%d", pre[g], i + 1);
			json_append_double(buf, key, fm->coef[k]);
		}
	}
	if (fm->constant && k < fm->coef_n)
		json_append_double(buf, fm->order[1] + fm->order[4] == 0 ? "mean" : "drift", fm->coef[k]);
	json_append_double(buf, "loglik", fm->loglik);
	json_append_double(buf, "aicc", fm->aicc);
}
