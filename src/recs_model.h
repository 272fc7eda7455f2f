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
	/* lambda search (explicit ALS, lambda "auto") */
	int32		n_lambda;
	double	   *lambda_grid;
	double	   *lambda_rmse;	/* best validation RMSE of each grid value */
	int32	   *lambda_iters;	/* iterations at that RMSE */
	/* derived at decode time */
	double	   *qnorm;			/* item factor norms (ALS) */
	double	   *YtY;			/* Q'Q (implicit), k x k */
	double	   *popularity;		/* training users per item, for the fallback */
} RecModel;

extern double *rec_alloc_doubles(Size n);
extern double *rec_zeros(Size n);

/* als_implicit.c */
extern void fit_als_implicit(RecModel *m, const RecData *d);

/* ease.c */
extern void fit_ease(RecModel *m, const RecData *d);
extern void ease_write(const RecModel *m, ByteWriter *w);
extern void ease_read(RecModel *m, ByteReader *r);

#endif
