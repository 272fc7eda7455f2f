/*
 * recs_model.h - the decoded recommender model shared by training (recs.c,
 * ease.c) and serving (recs_serve.c); internal to the recommender files
 */
#ifndef ECOMML_RECS_MODEL_H
#define ECOMML_RECS_MODEL_H

#include "codec.h"
#include "idmap.h"
#include "interactions.h"

#define MAX_FACTORS 1024

/* The decoded model of every recommender kind. */
typedef struct RecModel
{
	int			kind;
	RecOptions	opt;
	int64		rows;			/* non-NULL input rows */
	int64		skipped;		/* rows skipped for a NULL */
	int64		nnz;			/* distinct pairs trained on */
	int64		n_valid;		/* distinct pairs held out */
	double		mu;				/* mean training rating (explicit) */
	double		r_max;			/* largest training value */
	int32		nu;
	int32		ni;
	int32		k;				/* factors; 0 for kNN and EASE */
	IdMap	   *users;
	IdMap	   *items;
	/* seen items per user (CSR, columns ascending); values kept for kNN, EASE */
	int64	   *sptr;
	int32	   *scol;
	double	   *sval;
	/* factors (ALS) */
	double	   *P;				/* nu x k */
	double	   *Q;				/* ni x k */
	double	   *bu;				/* explicit only */
	double	   *bi;
	/* neighbors (kNN), per item sorted by similarity descending */
	int64	   *nptr;
	int32	   *ncol;
	double	   *nsim;
	/* EASE item x item weights, row-major, zero diagonal */
	float	   *B;
	/* training history */
	int32		n_iter;
	double	   *loss;
	double	   *train_rmse;
	double	   *valid_rmse;
	/* lambda search (lambda "auto": explicit ALS, EASE) */
	int32		n_lambda;
	double	   *lambda_grid;
	double	   *lambda_score;	/* validation RMSE (ALS) or ndcg@10 (EASE) */
	int32	   *lambda_iters;	/* iterations at that score (ALS) */
	/* derived at decode time */
	double	   *qnorm;			/* item factor norms (ALS) */
	double	   *YtY;			/* Q'Q (implicit), k x k */
	double	   *popularity;		/* training users per item, for the fallback */
} RecModel;

extern double *rec_alloc_doubles(Size n);
extern double *rec_zeros(Size n);

/* recs_lambda.c: lambda "auto" */
typedef struct LambdaGrid
{
	double		first;			/* first value tried */
	double		factor;			/* ratio of neighbouring grid values */
	int			steps_up;		/* at most this many steps up from first */
	int			steps_down;		/* and down */
} LambdaGrid;

/* Fit with lambda on the held-out split; return the validation score. */
typedef double (*LambdaFit) (void *arg, double lambda, int *iters);

/* Fills m->lambda_grid/score/iters; returns the index of the best value. */
extern int	rec_lambda_search(RecModel *m, const LambdaGrid *g, bool maximize,
							  LambdaFit fit, void *arg);

/* training pairs held out to choose lambda (a hash of user, item and seed) */
#define REC_AUTO_HOLDOUT 0.1

/* als_implicit.c */
extern void fit_als_implicit(RecModel *m, const RecData *d);

/* ease.c */
extern void fit_ease(RecModel *m, const RecData *d);
extern void ease_write(const RecModel *m, ByteWriter *w);
extern void ease_read(RecModel *m, ByteReader *r);

#endif
