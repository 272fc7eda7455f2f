/*
 * gbdt_train.h - what the boosting loop (src/gbdt.c) and the tree growing
 * (src/gbdt_grow.c) share: the trainer's working state
 */
#ifndef ECOMML_GBDT_TRAIN_H
#define ECOMML_GBDT_TRAIN_H

#include "gbdt.h"
#include "rng.h"

#define NBINS 256
#define MISSING_BIN 255

typedef struct GradPair
{
	double		g;
	double		h;
} GradPair;

/* one histogram bin; the count serves min_samples_leaf */
typedef struct HistBin
{
	double		g;
	double		h;
	double		c;
} HistBin;

typedef struct Split
{
	double		gain;			/* <= 0: none */
	int32		feature;
	int32		bin;			/* rows with bin <= this go left */
	bool		default_left;
	double		gl,
				hl,
				cl;				/* the left child's sums */
} Split;

/* a node of the tree being grown; converted to preorder GbdtNodes at the end */
typedef struct GrowNode
{
	int32		feature;		/* -1 leaf */
	int32		bin;
	bool		default_left;
	double		threshold;
	double		value;
	double		cover;
	double		gain;
	int32		left,
				right;
	int32		begin,
				end;			/* its rows in the index array (leaves) */
} GrowNode;

typedef struct OpenLeaf
{
	int32		node;
	int32		depth;
	double		g,
				h,
				c;
	HistBin    *hist;			/* NULL when it cannot be split */
	Split		best;
} OpenLeaf;

typedef struct Trainer
{
	const GbdtParams *p;
	int64		n;
	int			d;
	const double *y;
	uint8	   *bins;			/* n * d row-major: one row's bytes are adjacent */
	uint8	   *cols;			/* the same column-major, for partitioning */
	int32	   *ncuts;			/* per feature */
	double	  **cuts;			/* per feature: bin b holds cuts[b-1] <= x < cuts[b] */
	GradPair   *gp;
	double	   *margin;
	int32	   *train_rows;
	int64		n_train;
	int32	   *val_rows;
	int64		n_val;
	int32	   *idx;			/* this tree's rows, partitioned by node */
	int32	   *scratch;
	int32		n_idx;
	int32	   *feats;			/* this tree's features */
	int			n_feats;
	Rng			rng;
	/* the tree being grown */
	GrowNode   *grow;
	int32		n_grow;
	int32		grow_cap;
	OpenLeaf   *open;
	int32		n_open;
	HistBin   **free_hists;
	int32		n_free_hists;
	/* the forest */
	GbdtNode   *nodes;
	int32		n_nodes;
	int32		nodes_cap;
	double	   *node_gain;		/* per forest node: its split's gain */
	int32	   *tree_start;
} Trainer;

/* gbdt_grow.c */
extern void gbdt_check_hist_memory(const GbdtParams *p, int d);
extern void gbdt_place_cuts(Trainer *t, const double *x);
extern void gbdt_bin_rows(Trainer *t, const double *x);
extern void gbdt_grow_tree(Trainer *t);
/* appends the grown tree to t->nodes in preorder */
extern void gbdt_emit_tree(Trainer *t);
/* adds the grown tree to the margins of the training and validation rows */
extern void gbdt_apply_tree(Trainer *t);

#endif
