/*
 * gbdt.c - ecomml.train_gbdt(features float8[], label float8|boolean [, options])
 *
 * Gradient-boosted decision trees with the histogram algorithm (as XGBoost's
 * "hist" and LightGBM).  This file holds the aggregate and the boosting
 * loop: each round computes every row's gradient and hessian under the
 * objective, grows one tree on them (src/gbdt_grow.c) and adds it to the
 * margins; with a validation fraction it records the validation metric and
 * stops early.
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
#include "gbdt_train.h"
#include "kinds.h"
#include "options.h"
#include "rng.h"

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
gbdt_state_combine(void *into, const void *from)
{
	GbdtState  *a = into;
	const GbdtState *b = from;

	if (b->n == 0)
		return;
	if (a->d == 0)
		a->d = b->d;
	check_feature_length("train_gbdt", b->d, a->d);
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
	Jsonb	   *opts = train_state_options(st, fcinfo, 3);
	GbdtState  *s = st->data;
	const double *x;
	double		y;
	int			d;

	if (s == NULL)
	{
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

/* Boosting: objectives, the validation split, the round loop */

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
	gbdt_check_hist_memory(p, s->d);
	split_validation(&t, s);
	gbdt_place_cuts(&t, s->x);
	gbdt_bin_rows(&t, s->x);

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
		gbdt_grow_tree(&t);
		t.tree_start[round] = t.n_nodes;
		gbdt_emit_tree(&t);
		gbdt_apply_tree(&t);
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
