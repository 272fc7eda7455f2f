/*
 * fraud.h - fraud scoring: logistic regression, isolation forest, binary
 * classification metrics (src/logreg.c, src/iforest.c, src/binmetrics.c)
 */
#ifndef ECOMML_FRAUD_H
#define ECOMML_FRAUD_H

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

#include "codec.h"
#include "train_state.h"


/* Scores and labels sorted by score descending; metrics as scikit-learn. */
typedef struct ScoredLabel
{
	double		score;
	bool		label;
} ScoredLabel;

extern void fraud_sort_scores(ScoredLabel *v, int64 n);
/* both return NaN when undefined (no positives, or for AUC no negatives) */
extern double fraud_roc_auc_sorted(const ScoredLabel *v, int64 n);
extern double fraud_average_precision_sorted(const ScoredLabel *v, int64 n);
/* fraud_roc_auc_sorted of unsorted scores and 0/1 labels (NaN also for a NaN score) */
extern double fraud_roc_auc(const double *score, const uint8 *label, int64 n);

/* binmetrics.c: states of roc_auc/pr_auc and binary_metrics */
extern const TrainStateOps score_label_state_ops;
extern const TrainStateOps confusion_state_ops;

/* logreg.c */
extern const TrainStateOps logreg_state_ops;
extern void *logreg_decode(ByteReader *r);
extern void logreg_describe(const void *decoded, StringInfo buf);
extern double logreg_score(const void *model, const double *x, int d);
/* contributions[j] for j < d; returns d */
extern int	logreg_explain(const void *model, const double *x, int d, double *contrib);
extern int	logreg_features(const void *model);
extern bool logreg_imputes(const void *model);

/* iforest.c */
extern const TrainStateOps iforest_state_ops;
extern void *iforest_decode(ByteReader *r);
extern void iforest_describe(const void *decoded, StringInfo buf);
extern double iforest_score(const void *model, const double *x, int d);
extern int	iforest_explain(const void *model, const double *x, int d, double *contrib);
extern int	iforest_features(const void *model);

#endif
