/*
 * gbdt_grow.c - growing one boosted tree: quantile bins, gradient/hessian
 * histograms with subtraction, the split search, row partitioning
 *
 * Every row is one byte per feature.  A node's histogram holds, per feature
 * and bin, the sums of the gradients and hessians of its rows and their
 * count; the best split of a node is read from it in one pass per feature.
 * Of two children only the smaller one's histogram is built from its rows:
 * the sibling's is the parent's minus it.  Missing values have a bin of
 * their own and each split tries them on both sides.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "gbdt_train.h"

#define CUT_SAMPLE_ROWS 200000	/* rows whose values place the quantile cuts */
#define MIN_SPLIT_GAIN 1e-6		/* as XGBoost's kRtEps */
#define PREFETCH_ROWS 16		/* rows ahead that build_hist asks the cache for */

/* sort doubles ascending without a callback */
#define ST_SORT sort_doubles
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : (*(a) > *(b) ? 1 : 0))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Quantile cuts per feature from (a sample of) the training rows.  With at
 * most max_bins distinct values every value gets its own bin and the cuts
 * are the values themselves, as XGBoost's hist method places them, so both
 * see the same candidate splits.
 */
void
gbdt_place_cuts(Trainer *t, const double *x)
{
	int64		m = Min(t->n_train, (int64) CUT_SAMPLE_ROWS);
	int32	   *rows = palloc(sizeof(int32) * m);
	double	   *vals = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * m);
	int			max_bins = t->p->max_bins;

	if (m == t->n_train)
		memcpy(rows, t->train_rows, sizeof(int32) * m);
	else
	{
		/* Floyd's sample of m distinct positions, then in row order */
		bool	   *taken = MemoryContextAllocExtended(CurrentMemoryContext, t->n_train,
													  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		int64		k = 0;

		for (int64 j = t->n_train - m; j < t->n_train; j++)
		{
			int64		r = rng_below(&t->rng, j + 1);

			taken[taken[r] ? j : r] = true;
		}
		for (int64 i = 0; i < t->n_train; i++)
			if (taken[i])
				rows[k++] = t->train_rows[i];
		pfree(taken);
	}
	t->ncuts = palloc0(sizeof(int32) * t->d);
	t->cuts = palloc0(sizeof(double *) * t->d);
	for (int j = 0; j < t->d; j++)
	{
		int64		cnt = 0,
					nu = 0;
		double	   *cuts = palloc(sizeof(double) * max_bins);
		int32		nc = 0;

		CHECK_FOR_INTERRUPTS();
		for (int64 r = 0; r < m; r++)
		{
			double		v = x[(Size) rows[r] * t->d + j];

			if (!isnan(v))
				vals[cnt++] = v;
		}
		sort_doubles(vals, cnt);
		for (int64 r = 0; r < cnt; r++)
			if (r == 0 || vals[r] != vals[r - 1])
				nu++;
		if (nu <= max_bins)
		{
			for (int64 r = 1; r < cnt; r++)
				if (vals[r] != vals[r - 1])
					cuts[nc++] = vals[r];
		}
		else
			for (int b = 1; b < max_bins; b++)
			{
				double		c = vals[(int64) ((double) b * cnt / max_bins)];

				if (c > vals[0] && (nc == 0 || c > cuts[nc - 1]))
					cuts[nc++] = c;
			}
		t->ncuts[j] = nc;
		t->cuts[j] = cuts;
	}
	pfree(vals);
	pfree(rows);
}

/*
 * Number of cuts <= v: the bin of v.  A branch-free binary search (the
 * ternary compiles to a conditional move): every comparison is a coin flip
 * that a branch would mispredict half the time.
 */
static inline uint8
bin_of(const double *cuts, int32 nc, double v)
{
	const double *base = cuts;
	int32		n = nc;

	if (n == 0)
		return 0;
	while (n > 1)
	{
		int32		half = n / 2;

		base = base[half] <= v ? base + half : base;
		n -= half;
	}
	return (uint8) ((base - cuts) + (*base <= v));
}

void
gbdt_bin_rows(Trainer *t, const double *x)
{
	int			d = t->d;

	t->bins = MemoryContextAllocHuge(CurrentMemoryContext, (Size) t->n * d);
	t->cols = MemoryContextAllocHuge(CurrentMemoryContext, (Size) t->n * d);
	for (int64 i = 0; i < t->n; i++)
	{
		const double *row = x + (Size) i * d;
		uint8	   *out = t->bins + (Size) i * d;

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < d; j++)
		{
			out[j] = isnan(row[j]) ? MISSING_BIN : bin_of(t->cuts[j], t->ncuts[j], row[j]);
			t->cols[(Size) j * t->n + i] = out[j];
		}
	}
}

/* Split search */

static inline double
leaf_weight(const GbdtParams *p, double g, double h)
{
	double		w = -g / (h + p->lambda);

	if (p->max_delta_step > 0 && fabs(w) > p->max_delta_step)
		w = copysign(p->max_delta_step, w);
	return w;
}

/* how much a leaf with these sums lowers the objective (XGBoost's CalcGain) */
static inline double
leaf_gain(const GbdtParams *p, double g, double h)
{
	double		w;

	if (p->max_delta_step <= 0)
		return g * g / (h + p->lambda);
	w = leaf_weight(p, g, h);
	return -(2 * g * w + (h + p->lambda) * w * w);
}

static inline bool
children_allowed(const GbdtParams *p, double hl, double cl, double hr, double cr)
{
	return hl >= p->min_child_weight && hr >= p->min_child_weight &&
		cl >= p->min_samples_leaf && cr >= p->min_samples_leaf;
}

static inline void
consider(Split *best, const GbdtParams *p, double parent_gain, int j, int b, bool dl,
		 double gl, double hl, double cl, double g, double h, double c)
{
	double		gain;

	if (!children_allowed(p, hl, cl, h - hl, c - cl))
		return;
	gain = leaf_gain(p, gl, hl) + leaf_gain(p, g - gl, h - hl) - parent_gain;
	if (gain > best->gain)
	{
		best->gain = gain;
		best->feature = j;
		best->bin = b;
		best->default_left = dl;
		best->gl = gl;
		best->hl = hl;
		best->cl = cl;
	}
}

static void
find_split(Trainer *t, OpenLeaf *leaf)
{
	const GbdtParams *p = t->p;
	double		parent_gain = leaf_gain(p, leaf->g, leaf->h);
	Split	   *best = &leaf->best;

	best->gain = 0;
	best->feature = -1;
	for (int f = 0; f < t->n_feats; f++)
	{
		int			j = t->feats[f];
		const HistBin *hb = leaf->hist + (Size) j * NBINS;
		const HistBin *miss = &hb[MISSING_BIN];
		int			nb = t->ncuts[j] + 1;
		double		gl = 0,
					hl = 0,
					cl = 0;

		for (int b = 0; b < nb - 1; b++)
		{
			gl += hb[b].g;
			hl += hb[b].h;
			cl += hb[b].c;
			if (miss->c == 0)
			{
				/* no missing value seen: send unseen ones to the heavier side */
				bool		dl = hl >= leaf->h - hl;

				consider(best, p, parent_gain, j, b, dl, gl, hl, cl, leaf->g, leaf->h, leaf->c);
				continue;
			}
			consider(best, p, parent_gain, j, b, false, gl, hl, cl, leaf->g, leaf->h, leaf->c);
			consider(best, p, parent_gain, j, b, true, gl + miss->g, hl + miss->h,
					 cl + miss->c, leaf->g, leaf->h, leaf->c);
		}
	}
	if (best->gain <= MIN_SPLIT_GAIN || best->gain < p->gamma)
		best->feature = -1;
}

/* Histograms */

static HistBin *
take_hist(Trainer *t)
{
	if (t->n_free_hists > 0)
		return t->free_hists[--t->n_free_hists];
	return MemoryContextAllocHuge(CurrentMemoryContext, sizeof(HistBin) * NBINS * t->d);
}

static void
release_hist(Trainer *t, OpenLeaf *leaf)
{
	if (leaf->hist)
		t->free_hists[t->n_free_hists++] = leaf->hist;
	leaf->hist = NULL;
}

/*
 * The hot loop: every row of the node adds its gradient pair to one bin per
 * feature.  Rows are read in ascending order (partitions are stable), so the
 * row bytes and gradient pairs stream; the d histograms (d * 6 KB) stay in
 * L2.
 */
static void
build_hist(Trainer *t, const GrowNode *node, HistBin *hist)
{
	int			d = t->d;
	const uint8 *bins = t->bins;
	const GradPair *gp = t->gp;
	const int32 *idx = t->idx;

	for (int f = 0; f < t->n_feats; f++)
		memset(hist + (Size) t->feats[f] * NBINS, 0, sizeof(HistBin) * NBINS);
	for (int32 r0 = node->begin; r0 < node->end; r0 += 65536)
	{
		int32		r1 = Min(node->end, r0 + 65536);

		CHECK_FOR_INTERRUPTS();
		if (t->n_feats == d)
			for (int32 r = r0; r < r1; r++)
			{
				int32		i = idx[r];
				const uint8 *row = bins + (Size) i * d;
				double		g = gp[i].g,
							h = gp[i].h;
				HistBin    *hj = hist;

				/* deeper nodes' rows are scattered: fetch ahead of the loop */
				if (r + PREFETCH_ROWS < r1)
				{
					int32		ahead = idx[r + PREFETCH_ROWS];

					__builtin_prefetch(&gp[ahead]);
					__builtin_prefetch(bins + (Size) ahead * d);
				}

				for (int j = 0; j < d; j++, hj += NBINS)
				{
					HistBin    *b = hj + row[j];

					b->g += g;
					b->h += h;
					b->c += 1;
				}
			}
		else
			for (int32 r = r0; r < r1; r++)
			{
				int32		i = idx[r];
				const uint8 *row = bins + (Size) i * d;
				double		g = gp[i].g,
							h = gp[i].h;

				if (r + PREFETCH_ROWS < r1)
				{
					int32		ahead = idx[r + PREFETCH_ROWS];

					__builtin_prefetch(&gp[ahead]);
					__builtin_prefetch(bins + (Size) ahead * d);
				}
				for (int f = 0; f < t->n_feats; f++)
				{
					int			j = t->feats[f];
					HistBin    *b = hist + (Size) j * NBINS + row[j];

					b->g += g;
					b->h += h;
					b->c += 1;
				}
			}
	}
}

/* into = parent - child, for this tree's features */
static void
subtract_hist(Trainer *t, HistBin *into, const HistBin *child)
{
	for (int f = 0; f < t->n_feats; f++)
	{
		Size		off = (Size) t->feats[f] * NBINS;

		for (int b = 0; b < NBINS; b++)
		{
			into[off + b].g -= child[off + b].g;
			into[off + b].h -= child[off + b].h;
			into[off + b].c -= child[off + b].c;
		}
	}
}

/* Growing one tree */

static int32
new_grow_node(Trainer *t, int32 begin, int32 end)
{
	GrowNode   *nd;

	if (t->n_grow == t->grow_cap)
	{
		t->grow_cap *= 2;
		t->grow = repalloc(t->grow, sizeof(GrowNode) * t->grow_cap);
	}
	nd = &t->grow[t->n_grow];
	memset(nd, 0, sizeof(GrowNode));
	nd->feature = -1;
	nd->begin = begin;
	nd->end = end;
	return t->n_grow++;
}

static bool
can_split(const Trainer *t, const OpenLeaf *leaf)
{
	return leaf->depth < t->p->max_depth && leaf->c >= 2.0 * t->p->min_samples_leaf;
}

/*
 * Stable: both sides keep ascending row order.  Every row is written to both
 * sides and only one cursor advances, so no branch depends on the data.  The
 * column-major copy of the bins keeps the rows' bytes of one feature close.
 */
static int32
partition_rows(Trainer *t, const GrowNode *node, const Split *s)
{
	int32		wl = node->begin,
				wr = 0;
	const uint8 *col = t->cols + (Size) s->feature * t->n;
	int32	   *idx = t->idx;
	int32	   *scratch = t->scratch;
	int			dl = s->default_left;
	int			split_bin = s->bin;

	for (int32 r = node->begin; r < node->end; r++)
	{
		int32		i = idx[r];
		int			b = col[i];
		int			left = (b == MISSING_BIN) ? dl : (b <= split_bin);

		idx[wl] = i;
		scratch[wr] = i;
		wl += left;
		wr += 1 - left;
	}
	memcpy(idx + wl, scratch, sizeof(int32) * wr);
	return wl;
}

/* the next leaf to split: the best gain (leafwise) or the oldest (depthwise) */
static int
pick_leaf(const Trainer *t)
{
	int			pick = -1;

	for (int i = 0; i < t->n_open; i++)
	{
		const OpenLeaf *l = &t->open[i];

		if (l->best.feature < 0)
			continue;
		if (pick < 0 ||
			(t->p->leafwise ? l->best.gain > t->open[pick].best.gain :
			 (l->depth < t->open[pick].depth ||
			  (l->depth == t->open[pick].depth && l->node < t->open[pick].node))))
			pick = i;
	}
	return pick;
}

static void
split_leaf(Trainer *t, int which)
{
	OpenLeaf	parent = t->open[which];
	Split	   *s = &parent.best;
	GrowNode   *pn = &t->grow[parent.node];
	int32		mid = partition_rows(t, pn, s);
	int32		left = new_grow_node(t, pn->begin, mid);
	int32		right;
	OpenLeaf	kids[2];
	bool		want_hist;

	right = new_grow_node(t, mid, t->grow[parent.node].end);
	pn = &t->grow[parent.node];
	pn->feature = s->feature;
	pn->bin = s->bin;
	pn->default_left = s->default_left;
	pn->threshold = t->cuts[s->feature][s->bin];
	pn->left = left;
	pn->right = right;
	pn->gain = s->gain;

	memset(kids, 0, sizeof(kids));
	kids[0].node = left;
	kids[0].g = s->gl;
	kids[0].h = s->hl;
	kids[0].c = s->cl;
	kids[1].node = right;
	kids[1].g = parent.g - s->gl;
	kids[1].h = parent.h - s->hl;
	kids[1].c = parent.c - s->cl;
	for (int k = 0; k < 2; k++)
	{
		kids[k].depth = parent.depth + 1;
		kids[k].best.feature = -1;
	}
	want_hist = can_split(t, &kids[0]) || can_split(t, &kids[1]);
	if (want_hist)
	{
		/* build the smaller child; the parent's histogram minus it is the other */
		int			small = kids[0].c <= kids[1].c ? 0 : 1;

		kids[small].hist = take_hist(t);
		build_hist(t, &t->grow[kids[small].node], kids[small].hist);
		kids[1 - small].hist = parent.hist;
		parent.hist = NULL;
		subtract_hist(t, kids[1 - small].hist, kids[small].hist);
		for (int k = 0; k < 2; k++)
		{
			if (can_split(t, &kids[k]))
				find_split(t, &kids[k]);
			if (kids[k].best.feature < 0)
				release_hist(t, &kids[k]);
		}
	}
	else
		release_hist(t, &parent);
	t->open[which] = kids[0];
	t->open[t->n_open++] = kids[1];
}

/* Appends the grown tree to the forest in preorder. */
static void
emit_preorder(Trainer *t, int32 g)
{
	const GrowNode *gn = &t->grow[g];
	int32		k;

	if (t->n_nodes == t->nodes_cap)
	{
		t->nodes_cap *= 2;
		t->nodes = repalloc_huge(t->nodes, sizeof(GbdtNode) * t->nodes_cap);
		t->node_gain = repalloc_huge(t->node_gain, sizeof(double) * t->nodes_cap);
	}
	k = t->n_nodes++;
	t->node_gain[k] = gn->gain;
	t->nodes[k].feature = gn->feature;
	t->nodes[k].default_left = gn->default_left;
	t->nodes[k].cover = gn->cover;
	t->nodes[k].right = -1;
	if (gn->feature < 0)
	{
		t->nodes[k].value = gn->value;
		return;
	}
	t->nodes[k].value = gn->threshold;
	emit_preorder(t, gn->left);
	t->nodes[k].right = t->n_nodes;
	emit_preorder(t, gn->right);
}

/* covers of split nodes: the sums of their children's, so TreeSHAP adds up */
static double
sum_covers(Trainer *t, int32 g)
{
	GrowNode   *gn = &t->grow[g];

	if (gn->feature >= 0)
		gn->cover = sum_covers(t, gn->left) + sum_covers(t, gn->right);
	return gn->cover;
}

/* the leaf value of row i's bins in the grown tree */
static double
grown_value(const Trainer *t, int32 i)
{
	const uint8 *row = t->bins + (Size) i * t->d;
	const GrowNode *gn = &t->grow[0];

	while (gn->feature >= 0)
	{
		uint8		b = row[gn->feature];
		bool		left = b == MISSING_BIN ? gn->default_left : b <= gn->bin;

		gn = &t->grow[left ? gn->left : gn->right];
	}
	return gn->value;
}

static void
sample_features(Trainer *t)
{
	int			k = Max(1, (int) ceil(t->p->colsample * t->d));

	for (int j = 0; j < t->d; j++)
		t->feats[j] = j;
	if (k < t->d)
	{
		/* a partial Fisher-Yates shuffle, then back to ascending order */
		for (int j = 0; j < k; j++)
		{
			int			r = j + (int) rng_below(&t->rng, t->d - j);
			int			tmp = t->feats[j];

			t->feats[j] = t->feats[r];
			t->feats[r] = tmp;
		}
		for (int a = 1; a < k; a++)
			for (int b = a; b > 0 && t->feats[b - 1] > t->feats[b]; b--)
			{
				int			tmp = t->feats[b];

				t->feats[b] = t->feats[b - 1];
				t->feats[b - 1] = tmp;
			}
	}
	t->n_feats = k;
}

void
gbdt_grow_tree(Trainer *t)
{
	const GbdtParams *p = t->p;
	OpenLeaf	root;
	int			max_leaves = p->num_leaves > 0 ? p->num_leaves : GBDT_MAX_LEAVES;

	/* this tree's rows */
	t->n_idx = 0;
	for (int64 r = 0; r < t->n_train; r++)
		if (p->subsample >= 1 || rng_uniform(&t->rng) < p->subsample)
			t->idx[t->n_idx++] = t->train_rows[r];
	if (t->n_idx == 0)
		t->idx[t->n_idx++] = t->train_rows[rng_below(&t->rng, t->n_train)];
	sample_features(t);

	t->n_grow = 0;
	t->n_open = 0;
	memset(&root, 0, sizeof(root));
	root.node = new_grow_node(t, 0, t->n_idx);
	root.best.feature = -1;
	for (int32 r = 0; r < t->n_idx; r++)
	{
		root.g += t->gp[t->idx[r]].g;
		root.h += t->gp[t->idx[r]].h;
	}
	root.c = t->n_idx;
	if (can_split(t, &root))
	{
		root.hist = take_hist(t);
		build_hist(t, &t->grow[root.node], root.hist);
		find_split(t, &root);
		if (root.best.feature < 0)
			release_hist(t, &root);
	}
	t->open[t->n_open++] = root;
	while (t->n_open < max_leaves)
	{
		int			which = pick_leaf(t);

		if (which < 0)
			break;
		split_leaf(t, which);
	}
	for (int i = 0; i < t->n_open; i++)
	{
		OpenLeaf   *l = &t->open[i];
		GrowNode   *gn = &t->grow[l->node];

		release_hist(t, l);
		gn->value = p->learning_rate * leaf_weight(p, l->g, l->h);
		gn->cover = l->h;
		if (!isfinite(gn->value) || !(gn->cover > 0 && isfinite(gn->cover)))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("train_gbdt diverged: a leaf value or hessian sum is not finite"),
					 errhint("Lower \"learning_rate\", set \"max_delta_step\" (e.g. 0.7), or rescale the labels.")));
	}
	sum_covers(t, 0);
}

void
gbdt_apply_tree(Trainer *t)
{
	if (t->p->subsample >= 1)
	{
		/* every training row is in some leaf's range */
		for (int i = 0; i < t->n_open; i++)
		{
			const GrowNode *gn = &t->grow[t->open[i].node];

			for (int32 r = gn->begin; r < gn->end; r++)
				t->margin[t->idx[r]] += gn->value;
		}
	}
	else
		for (int64 r = 0; r < t->n_train; r++)
			t->margin[t->train_rows[r]] += grown_value(t, t->train_rows[r]);
	for (int64 r = 0; r < t->n_val; r++)
		t->margin[t->val_rows[r]] += grown_value(t, t->val_rows[r]);
}

/* Histograms live for the leaves that can still split: refuse what cannot fit. */
void
gbdt_check_hist_memory(const GbdtParams *p, int d)
{
	double		leaves = p->num_leaves > 0 ? p->num_leaves : GBDT_MAX_LEAVES;
	double		bytes;

	if (!p->leafwise)
		leaves = Min(leaves, ldexp(1.0, p->max_depth - 1));
	bytes = (leaves + 1) * d * NBINS * sizeof(HistBin);
	if (bytes > (double) MaxAllocHugeSize / 2 || bytes > 4e9)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gbdt histograms of %.0f leaves x %d features would need %.0f MB",
						leaves, d, bytes / 1048576),
				 errhint("Lower \"max_depth\" or \"num_leaves\", or use fewer features.")));
}

void
gbdt_emit_tree(Trainer *t)
{
	emit_preorder(t, 0);
}
