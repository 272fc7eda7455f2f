/*
 * gbdt.c - ecomml.train_gbdt(features float8[], label float8|boolean [, options])
 *
 * Gradient-boosted decision trees with the histogram algorithm (as XGBoost's
 * "hist" and LightGBM): every feature is cut once into at most max_bins
 * quantile bins, the rows become one byte per feature, and a split search
 * needs only the per-bin sums of gradients and hessians of a node's rows.
 * Of two children only the smaller one's histogram is built from its rows;
 * the sibling's is the parent's minus it.  Missing values (NULL elements)
 * get a bin of their own, and each split learns the side they go to.
 *
 * The aggregate keeps every row (features as float8, label); the final
 * function bins them and boosts.  Combining states appends rows, so a
 * parallel plan trains on the same rows; only floating-point summation
 * order differs from a serial run (see doc/fraud.md).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "gbdt.h"
#include "kinds.h"
#include "options.h"
#include "rng.h"

#define NBINS 256
#define MISSING_BIN 255
#define CUT_SAMPLE_ROWS 200000	/* rows whose values place the quantile cuts */
#define MIN_SPLIT_GAIN 1e-6		/* as XGBoost's kRtEps */
#define PREFETCH_ROWS 16		/* rows ahead that build_hist asks the cache for */

typedef struct GbdtState
{
	GbdtParams	p;
	bool		bool_label;
	int32		d;				/* 0 until the first row */
	int64		n;
	int64		cap;
	double	   *x;				/* n * d, row-major; NaN = missing */
	double	   *y;
} GbdtState;

static const char *const gbdt_options[] = {
	"objective", "rounds", "learning_rate", "max_depth", "num_leaves", "growth",
	"min_child_weight", "min_samples_leaf", "lambda", "gamma", "max_delta_step",
	"subsample", "colsample", "seed", "max_bins", "scale_pos_weight", "base_score",
	"validation_fraction", "early_stopping_rounds", "tweedie_variance_power",
	"progress_every", NULL
};
static const char *const objective_choices[] = {"binary", "regression", "poisson", "tweedie", NULL};
static const char *const growth_choices[] = {"depthwise", "leafwise", NULL};

/* Options and state */

static void
read_options(Jsonb *opts, bool bool_label, GbdtParams *p)
{
	const char *objective;

	options_check_keys(opts, gbdt_options);
	objective = options_choice(opts, "objective", bool_label ? "binary" : "regression",
							   objective_choices);
	p->objective = strcmp(objective, "binary") == 0 ? GBDT_BINARY :
		strcmp(objective, "regression") == 0 ? GBDT_REGRESSION :
		strcmp(objective, "poisson") == 0 ? GBDT_POISSON : GBDT_TWEEDIE;
	if (bool_label && p->objective != GBDT_BINARY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a boolean label needs objective \"binary\", not \"%s\"", objective),
				 errhint("Cast the label to float8 for a %s objective.", objective)));
	p->leafwise = strcmp(options_choice(opts, "growth", "depthwise", growth_choices),
						 "leafwise") == 0;
	p->rounds = options_int(opts, "rounds", 100, 1, GBDT_MAX_ROUNDS);
	p->learning_rate = options_double(opts, "learning_rate", 0.1, 1e-6, 1);
	p->max_depth = options_int(opts, "max_depth", p->leafwise ? GBDT_MAX_DEPTH : 6,
							   1, GBDT_MAX_DEPTH);
	p->num_leaves = options_int(opts, "num_leaves", p->leafwise ? 31 : 0, 0, GBDT_MAX_LEAVES);
	if (p->num_leaves == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"num_leaves\" must be 0 (no limit) or between 2 and %d",
						GBDT_MAX_LEAVES)));
	p->min_child_weight = options_double(opts, "min_child_weight", 1, 0, 1e12);
	p->min_samples_leaf = options_int(opts, "min_samples_leaf", 1, 1, PG_INT32_MAX);
	p->lambda = options_double(opts, "lambda", 1, 0, 1e12);
	p->gamma = options_double(opts, "gamma", 0, 0, 1e12);
	/* XGBoost's default for poisson keeps early steps from overshooting exp() */
	p->max_delta_step = options_double(opts, "max_delta_step",
									   p->objective == GBDT_POISSON ? 0.7 : 0, 0, 1e6);
	p->subsample = options_double(opts, "subsample", 1, 1e-6, 1);
	p->colsample = options_double(opts, "colsample", 1, 1e-6, 1);
	p->seed = options_int64(opts, "seed", 42, PG_INT64_MIN / 2, PG_INT64_MAX / 2);
	p->max_bins = options_int(opts, "max_bins", 255, 2, 255);
	p->scale_pos_weight = options_double(opts, "scale_pos_weight", 1, 1e-6, 1e6);
	p->base_score = options_double(opts, "base_score", NAN, -1e12, 1e12);
	p->validation_fraction = options_double(opts, "validation_fraction", 0, 0, 0.5);
	p->early_stopping_rounds = options_int(opts, "early_stopping_rounds", 10, 1, GBDT_MAX_ROUNDS);
	p->tweedie_power = options_double(opts, "tweedie_variance_power", 1.5, 1.0001, 1.9999);
	p->progress_every = options_int(opts, "progress_every", 100, 0, GBDT_MAX_ROUNDS);
	if (!isnan(p->base_score))
	{
		bool		ok = p->objective == GBDT_BINARY ? (p->base_score > 0 && p->base_score < 1) :
			p->objective == GBDT_REGRESSION ? true : p->base_score > 0;

		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"base_score\" %g is outside the %s objective's range",
							p->base_score, objective),
					 errdetail("binary needs 0 < base_score < 1; poisson and tweedie need base_score > 0.")));
	}
}

static void
gbdt_reserve(GbdtState *s, int64 extra, MemoryContext cxt)
{
	int64		need = s->n + extra;
	int64		cap;

	if (need <= s->cap)
		return;
	cap = Max(need, Max(s->cap * 2, 1024));
	/* the flat state must stay below 1 GB to leave a parallel worker */
	if ((double) cap * (s->d + 1) * sizeof(double) > (double) MaxAllocHugeSize / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("gbdt training state cannot hold " INT64_FORMAT " rows of %d features",
						need, s->d)));
	if (s->x == NULL)
	{
		s->x = MemoryContextAllocHuge(cxt, cap * s->d * sizeof(double));
		s->y = MemoryContextAllocHuge(cxt, cap * sizeof(double));
	}
	else
	{
		s->x = repalloc_huge(s->x, cap * s->d * sizeof(double));
		s->y = repalloc_huge(s->y, cap * sizeof(double));
	}
	s->cap = cap;
}

static bool
label_allowed(const GbdtParams *p, double y)
{
	if (!isfinite(y))
		return false;
	if (p->objective == GBDT_BINARY)
		return y == 0 || y == 1;
	if (p->objective == GBDT_POISSON || p->objective == GBDT_TWEEDIE)
		return y >= 0;
	return true;
}

static void
check_label(const GbdtParams *p, double y)
{
	if (!isfinite(y))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_gbdt label must be finite, got %g", y)));
	if (p->objective == GBDT_BINARY && y != 0 && y != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_gbdt label %g is not 0 or 1, as objective \"binary\" needs", y)));
	if ((p->objective == GBDT_POISSON || p->objective == GBDT_TWEEDIE) && y < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("train_gbdt label %g is negative, objective \"%s\" needs counts >= 0",
						y, gbdt_objective_name(p->objective))));
}

static void
gbdt_state_write(const void *data, ByteWriter *w)
{
	const GbdtState *s = data;

	gbdt_write_params(w, &s->p);
	write_u8(w, s->bool_label);
	write_i32(w, s->d);
	write_i64(w, s->n);
	if (s->n > 0)
	{
		write_f64_array(w, s->x, (Size) s->n * s->d);
		write_f64_array(w, s->y, s->n);
	}
}

static void *
gbdt_state_read(ByteReader *r)
{
	GbdtState  *s = palloc0(sizeof(GbdtState));
	int64		n;

	gbdt_read_params(r, &s->p);
	s->bool_label = read_u8(r) != 0;
	s->d = read_i32(r);
	n = read_i64(r);
	if (s->d < 0 || s->d > FEATURES_MAX || n < 0 || (s->d == 0 && n != 0) ||
		(s->d > 0 && n > (int64) ((r->len - r->pos) / sizeof(double) / (s->d + 1))))
		reader_corrupt(r, "The gbdt state holds impossible values");
	if (n > 0)
	{
		gbdt_reserve(s, n, CurrentMemoryContext);
		read_bytes(r, s->x, (Size) n * s->d * sizeof(double));
		read_bytes(r, s->y, (Size) n * sizeof(double));
		for (int64 i = 0; i < n; i++)
			if (!label_allowed(&s->p, s->y[i]))
				reader_corrupt(r, "The gbdt state holds a label outside its objective's domain");
		for (Size k = 0; k < (Size) n * s->d; k++)
			if (isinf(s->x[k]))
				reader_corrupt(r, "The gbdt state holds an infinite feature");
	}
	s->n = n;
	return s;
}

static void
check_same_d(int got, int expected)
{
	if (got != expected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("train_gbdt features have %d elements, expected %d", got, expected),
				 errdetail("Every row's feature array must have the length of the first one.")));
}

static void
gbdt_state_combine(void *into, const void *from)
{
	GbdtState  *a = into;
	const GbdtState *b = from;

	if (b->n == 0)
		return;
	if (a->d == 0)
		a->d = b->d;
	check_same_d(b->d, a->d);
	gbdt_reserve(a, b->n, CurrentMemoryContext);
	memcpy(a->x + (Size) a->n * a->d, b->x, (Size) b->n * b->d * sizeof(double));
	memcpy(a->y + a->n, b->y, (Size) b->n * sizeof(double));
	a->n += b->n;
}

const TrainStateOps gbdt_state_ops = {
	MODEL_GBDT, gbdt_state_write, gbdt_state_read, gbdt_state_combine
};

static Datum
gbdt_transition(FunctionCallInfo fcinfo, bool bool_label)
{
	TrainState *st = train_state_for_update(fcinfo, &gbdt_state_ops);
	GbdtState  *s = st->data;
	const double *x;
	double		y;
	int			d;

	if (s == NULL)
	{
		Jsonb	   *opts = (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ? PG_GETARG_JSONB_P(3) : NULL;

		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(GbdtState));
		read_options(opts, bool_label, &s->p);
		s->bool_label = bool_label;
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_AGG_STATE(st);
	y = bool_label ? (PG_GETARG_BOOL(2) ? 1.0 : 0.0) : PG_GETARG_FLOAT8(2);
	check_label(&s->p, y);
	x = array_features(PG_GETARG_ARRAYTYPE_P(1), s->d, true, NULL, &d, "train_gbdt");
	if (s->d == 0)
		s->d = d;
	gbdt_reserve(s, 1, st->hdr.eoh_context);
	memcpy(s->x + (Size) s->n * d, x, sizeof(double) * d);
	s->y[s->n++] = y;
	PG_RETURN_AGG_STATE(st);
}

PG_FUNCTION_INFO_V1(train_gbdt_transfn);
Datum
train_gbdt_transfn(PG_FUNCTION_ARGS)
{
	return gbdt_transition(fcinfo, false);
}

PG_FUNCTION_INFO_V1(train_gbdt_bool_transfn);
Datum
train_gbdt_bool_transfn(PG_FUNCTION_ARGS)
{
	return gbdt_transition(fcinfo, true);
}

/* Training */

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
static void
place_cuts(Trainer *t, const double *x)
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

static void
bin_rows(Trainer *t, const double *x)
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

/* Objectives */

static inline double
row_weight(const GbdtParams *p, double y)
{
	return (p->objective == GBDT_BINARY && y == 1) ? p->scale_pos_weight : 1.0;
}

/* The first margin: base_score, or the link of the weighted mean label. */
static double
base_margin(const Trainer *t)
{
	const GbdtParams *p = t->p;
	double		mean = p->base_score;

	if (isnan(mean))
	{
		double		sw = 0,
					swy = 0;

		for (int64 r = 0; r < t->n_train; r++)
		{
			double		y = t->y[t->train_rows[r]];
			double		w = row_weight(p, y);

			sw += w;
			swy += w * y;
		}
		mean = swy / sw;
		if (p->objective == GBDT_BINARY && (mean <= 0 || mean >= 1))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("cannot train a binary gbdt model on labels of one class"),
					 errdetail("All " INT64_FORMAT " training rows have label %g.",
							   t->n_train, t->y[t->train_rows[0]])));
		if ((p->objective == GBDT_POISSON || p->objective == GBDT_TWEEDIE) && mean <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("cannot train a %s gbdt model on labels that are all zero",
							gbdt_objective_name(p->objective))));
	}
	switch (p->objective)
	{
		case GBDT_BINARY:
			return log(mean / (1 - mean));
		case GBDT_POISSON:
		case GBDT_TWEEDIE:
			return log(mean);
		default:
			return mean;
	}
}

static void
gradients(Trainer *t)
{
	const GbdtParams *p = t->p;
	double		rho = p->tweedie_power;
	double		poisson_damping = exp(p->max_delta_step);

	for (int64 r = 0; r < t->n_train; r++)
	{
		int32		i = t->train_rows[r];
		double		y = t->y[i],
					f = t->margin[i];
		GradPair   *gp = &t->gp[i];

		switch (p->objective)
		{
			case GBDT_BINARY:
				{
					double		prob = 1.0 / (1.0 + exp(-f));
					double		w = row_weight(p, y);

					gp->g = w * (prob - y);
					gp->h = w * Max(prob * (1 - prob), 1e-16);
					break;
				}
			case GBDT_REGRESSION:
				gp->g = f - y;
				gp->h = 1;
				break;
			case GBDT_POISSON:
				{
					double		mu = exp(f);

					gp->g = mu - y;
					/* XGBoost's hessian exp(f + max_delta_step) damps the step */
					gp->h = mu * poisson_damping;
					break;
				}
			case GBDT_TWEEDIE:
				{
					double		a = exp((1 - rho) * f),
								b = exp((2 - rho) * f);

					gp->g = -y * a + b;
					gp->h = -y * (1 - rho) * a + (2 - rho) * b;
					break;
				}
		}
	}
}

/* mean validation loss: log loss, RMSE or mean deviance (lower is better) */
static double
validation_loss(const Trainer *t)
{
	const GbdtParams *p = t->p;
	double		rho = p->tweedie_power;
	double		sum = 0;

	for (int64 r = 0; r < t->n_val; r++)
	{
		int32		i = t->val_rows[r];
		double		y = t->y[i],
					f = t->margin[i];

		switch (p->objective)
		{
			case GBDT_BINARY:
				/* -log sigmoid(+-f), stable for large |f| */
				sum += y == 1 ? log1p(exp(-fabs(f))) + Max(-f, 0) :
					log1p(exp(-fabs(f))) + Max(f, 0);
				break;
			case GBDT_REGRESSION:
				sum += (f - y) * (f - y);
				break;
			case GBDT_POISSON:
				sum += 2 * ((y > 0 ? y * (log(y) - f) : 0) - (y - exp(f)));
				break;
			case GBDT_TWEEDIE:
				sum += 2 * (pow(y, 2 - rho) / ((1 - rho) * (2 - rho)) -
							y * exp((1 - rho) * f) / (1 - rho) + exp((2 - rho) * f) / (2 - rho));
				break;
		}
	}
	sum /= t->n_val;
	return p->objective == GBDT_REGRESSION ? sqrt(sum) : sum;
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

static void
grow_tree(Trainer *t)
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

/* Adds the grown tree to the margins of the training and validation rows. */
static void
apply_tree(Trainer *t)
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
static void
check_hist_memory(const GbdtParams *p, int d)
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

static void
split_validation(Trainer *t, const GbdtState *s)
{
	t->train_rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * s->n);
	t->val_rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * s->n);
	t->n_train = t->n_val = 0;
	for (int64 i = 0; i < s->n; i++)
	{
		if (s->p.validation_fraction > 0 && rng_uniform(&t->rng) < s->p.validation_fraction)
			t->val_rows[t->n_val++] = (int32) i;
		else
			t->train_rows[t->n_train++] = (int32) i;
	}
	if (s->p.validation_fraction > 0 && (t->n_val == 0 || t->n_train == 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("validation_fraction %g of " INT64_FORMAT " rows leaves no %s rows",
						s->p.validation_fraction, s->n, t->n_val == 0 ? "validation" : "training"),
				 errhint("Train on more rows or change \"validation_fraction\".")));
}

static bytea *
train(const GbdtState *s)
{
	const GbdtParams *p = &s->p;
	Trainer		t;
	GbdtModel	m;
	double	   *curve = NULL;
	double		best_loss = INFINITY;
	int			best_round = 0,
				round;
	ByteWriter	out;

	memset(&t, 0, sizeof(t));
	t.p = p;
	t.n = s->n;
	t.d = s->d;
	t.y = s->y;
	rng_seed(&t.rng, (uint64) p->seed);
	check_hist_memory(p, s->d);
	split_validation(&t, s);
	place_cuts(&t, s->x);
	bin_rows(&t, s->x);

	memset(&m, 0, sizeof(m));
	m.p = *p;
	m.d = s->d;
	m.rows = t.n_train;
	m.validation_rows = t.n_val;
	m.base_margin = base_margin(&t);

	t.margin = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * t.n);
	for (int64 i = 0; i < t.n; i++)
		t.margin[i] = m.base_margin;
	t.gp = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(GradPair) * t.n);
	t.idx = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * t.n_train);
	t.scratch = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * t.n_train);
	t.feats = palloc(sizeof(int) * t.d);
	t.grow_cap = 64;
	t.grow = palloc(sizeof(GrowNode) * t.grow_cap);
	t.open = palloc(sizeof(OpenLeaf) * (GBDT_MAX_LEAVES + 1));
	t.free_hists = palloc(sizeof(HistBin *) * (GBDT_MAX_LEAVES + 2));
	t.nodes_cap = 1024;
	t.nodes = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(GbdtNode) * t.nodes_cap);
	t.node_gain = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * t.nodes_cap);
	t.tree_start = palloc(sizeof(int32) * (p->rounds + 1));
	if (t.n_val > 0)
		curve = palloc(sizeof(double) * p->rounds);

	for (round = 0; round < p->rounds; round++)
	{
		CHECK_FOR_INTERRUPTS();
		gradients(&t);
		grow_tree(&t);
		t.tree_start[round] = t.n_nodes;
		emit_preorder(&t, 0);
		apply_tree(&t);
		if (p->progress_every > 0 && t.n_train >= 100000 && (round + 1) % p->progress_every == 0)
			ereport(NOTICE,
					(errmsg("train_gbdt: %d of %d trees", round + 1, p->rounds)));
		if (t.n_val > 0)
		{
			curve[round] = validation_loss(&t);
			if (curve[round] < best_loss)
			{
				best_loss = curve[round];
				best_round = round;
			}
			else if (round - best_round >= p->early_stopping_rounds)
			{
				round++;
				break;
			}
		}
	}
	m.curve_len = t.n_val > 0 ? round : 0;
	m.trees = t.n_val > 0 ? best_round + 1 : round;
	t.tree_start[m.trees] = m.trees < round ? t.tree_start[m.trees] : t.n_nodes;
	m.nodes = t.tree_start[m.trees];
	m.tree_start = t.tree_start;
	m.node = t.nodes;
	m.best_round = m.trees;
	m.curve = curve;
	/* importances of the trees kept */
	m.gain = palloc0(sizeof(double) * t.d);
	m.splits = palloc0(sizeof(int64) * t.d);
	for (int32 k = 0; k < m.nodes; k++)
		if (m.node[k].feature >= 0)
		{
			m.gain[m.node[k].feature] += t.node_gain[k];
			m.splits[m.node[k].feature]++;
		}
	writer_init(&out, 1024);
	gbdt_write_model(&out, &m);
	return model_build(MODEL_GBDT, &out);
}

PG_FUNCTION_INFO_V1(train_gbdt_finalfn);
Datum
train_gbdt_finalfn(PG_FUNCTION_ARGS)
{
	const GbdtState *s = train_state_get_data(fcinfo, 0, &gbdt_state_ops);

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a gbdt model on zero rows"),
				 errdetail("Every feature array or label was NULL, or there were no rows.")));
	if (s->n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("train_gbdt takes at most %d rows", PG_INT32_MAX)));
	PG_RETURN_BYTEA_P(train(s));
}
