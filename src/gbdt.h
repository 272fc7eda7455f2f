/*
 * gbdt.h - gradient-boosted decision trees: training (src/gbdt.c) and the
 * model's format, scoring and TreeSHAP explanations (src/gbdt_model.c)
 */
#ifndef ECOMML_GBDT_H
#define ECOMML_GBDT_H

#include "lib/stringinfo.h"

#include "codec.h"
#include "train_state.h"

#define GBDT_MAX_DEPTH 32
#define GBDT_MAX_LEAVES 4096
#define GBDT_MAX_ROUNDS 100000

typedef enum GbdtObjective
{
	GBDT_BINARY = 1,			/* log loss, margin = logit */
	GBDT_REGRESSION = 2,		/* squared error, margin = prediction */
	GBDT_POISSON = 3,			/* Poisson log likelihood, margin = log mean */
	GBDT_TWEEDIE = 4			/* Tweedie log likelihood, margin = log mean */
} GbdtObjective;

/* The options of train_gbdt, stored in the training state and in the model. */
typedef struct GbdtParams
{
	int32		objective;
	int32		rounds;
	double		learning_rate;
	int32		max_depth;
	int32		num_leaves;		/* 0: no limit but max_depth */
	bool		leafwise;		/* grow the best leaf first, else level by level */
	double		min_child_weight;
	int32		min_samples_leaf;
	double		lambda;
	double		gamma;
	double		max_delta_step; /* 0: no cap on a leaf's step */
	double		subsample;
	double		colsample;
	int64		seed;
	int32		max_bins;
	double		scale_pos_weight;
	double		base_score;		/* NaN: from the labels' mean */
	double		validation_fraction;
	int32		early_stopping_rounds;
	double		tweedie_power;
	int32		progress_every; /* NOTICE every N trees; 0 never */
} GbdtParams;

/*
 * A node of a stored tree, trees in preorder: an internal node's left child
 * is the next node, its right child is 'right'.  x goes left when
 * x[feature] < value, or when x[feature] is missing and default_left.
 */
typedef struct GbdtNode
{
	double		value;			/* split threshold, or leaf value (learning rate applied) */
	double		cover;			/* sum of hessians of the training rows that reached it */
	int32		feature;		/* -1 at a leaf */
	int32		right;
	bool		default_left;
} GbdtNode;

/*
 * The decoded form the scorer walks: 16 bytes, no branch on the data.  A
 * leaf loops to itself (threshold -Inf, right = itself), so every tree of a
 * group is walked for the group's depth in lockstep and the CPU overlaps the
 * trees' dependent loads (as iforest.c does).
 */
typedef struct GbdtStep
{
	double		threshold;
	uint32		feature_dl;		/* feature | default_left << 31 */
	int32		right;
} GbdtStep;

typedef struct GbdtModel
{
	GbdtParams	p;
	int32		d;
	int64		rows;			/* training rows */
	int64		validation_rows;
	double		base_margin;
	int32		trees;
	int32		nodes;
	int32	   *tree_start;		/* trees + 1 */
	GbdtNode   *node;
	double	   *gain;			/* per feature: total gain of its splits */
	int64	   *splits;			/* per feature: number of splits */
	int32		best_round;		/* 1-based count of trees kept; == trees without validation */
	int32		curve_len;
	double	   *curve;			/* validation metric after each round */
	/* decoded */
	double		expected_margin;	/* TreeSHAP's base value */
	int32		depth;			/* deepest leaf over all trees */
	int32	   *tree_depth;
	GbdtStep   *step;
	double	   *leaf_value;		/* 0 at split nodes */
} GbdtModel;

extern const TrainStateOps gbdt_state_ops;

/* gbdt_model.c */
extern void gbdt_write_params(ByteWriter *w, const GbdtParams *p);
extern void gbdt_read_params(ByteReader *r, GbdtParams *p);
extern const char *gbdt_objective_name(int objective);
extern const char *gbdt_metric_name(int objective);
extern void gbdt_write_model(ByteWriter *w, const GbdtModel *m);
extern void *gbdt_decode(ByteReader *r);
extern void gbdt_describe(const void *decoded, StringInfo buf);
extern int	gbdt_features(const void *model);
extern double gbdt_margin(const GbdtModel *m, const double *x);
extern double gbdt_score(const void *model, const double *x, int d);
/* TreeSHAP: contrib[j] for j < d add up to the margin minus expected_margin */
extern int	gbdt_explain(const void *model, const double *x, int d, double *contrib);

#endif
