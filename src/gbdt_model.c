/*
 * gbdt_model.c - the gbdt model: its bytes, model_info, scoring and exact
 * TreeSHAP explanations
 *
 * TreeSHAP follows Lundberg, Erion & Lee, "Consistent Individualized Feature
 * Attribution for Tree Ensembles" (2018), Algorithm 2: one pass over a tree
 * keeps, along the path to each leaf, the weights of every subset size of the
 * features met so far, so the Shapley values come out in O(leaves * depth^2)
 * instead of by enumerating subsets.  The "absent feature" expectation is
 * taken over the training rows' hessian cover, so the contributions add up to
 * the margin minus the cover-weighted mean margin (expected_margin).
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/memutils.h"

#include "arrays.h"
#include "gbdt.h"
#include "kinds.h"

/* Parameters */

void
gbdt_write_params(ByteWriter *w, const GbdtParams *p)
{
	write_i32(w, p->objective);
	write_i32(w, p->rounds);
	write_f64(w, p->learning_rate);
	write_i32(w, p->max_depth);
	write_i32(w, p->num_leaves);
	write_u8(w, p->leafwise);
	write_f64(w, p->min_child_weight);
	write_i32(w, p->min_samples_leaf);
	write_f64(w, p->lambda);
	write_f64(w, p->gamma);
	write_f64(w, p->max_delta_step);
	write_f64(w, p->subsample);
	write_f64(w, p->colsample);
	write_i64(w, p->seed);
	write_i32(w, p->max_bins);
	write_f64(w, p->scale_pos_weight);
	write_f64(w, p->base_score);
	write_f64(w, p->validation_fraction);
	write_i32(w, p->early_stopping_rounds);
	write_f64(w, p->tweedie_power);
	write_i32(w, p->progress_every);
}

/* The same ranges as the options (src/gbdt.c); anything else is damage. */
void
gbdt_read_params(ByteReader *r, GbdtParams *p)
{
	p->objective = read_i32(r);
	p->rounds = read_i32(r);
	p->learning_rate = read_f64(r);
	p->max_depth = read_i32(r);
	p->num_leaves = read_i32(r);
	p->leafwise = read_u8(r) != 0;
	p->min_child_weight = read_f64(r);
	p->min_samples_leaf = read_i32(r);
	p->lambda = read_f64(r);
	p->gamma = read_f64(r);
	p->max_delta_step = read_f64(r);
	p->subsample = read_f64(r);
	p->colsample = read_f64(r);
	p->seed = read_i64(r);
	p->max_bins = read_i32(r);
	p->scale_pos_weight = read_f64(r);
	p->base_score = read_f64(r);
	p->validation_fraction = read_f64(r);
	p->early_stopping_rounds = read_i32(r);
	p->tweedie_power = read_f64(r);
	p->progress_every = read_i32(r);
	if (p->objective < GBDT_BINARY || p->objective > GBDT_TWEEDIE ||
		p->rounds < 1 || p->rounds > GBDT_MAX_ROUNDS ||
		!(p->learning_rate > 0 && p->learning_rate <= 1) ||
		p->max_depth < 1 || p->max_depth > GBDT_MAX_DEPTH ||
		(p->num_leaves != 0 && (p->num_leaves < 2 || p->num_leaves > GBDT_MAX_LEAVES)) ||
		!(p->min_child_weight >= 0 && p->min_child_weight <= 1e12) ||
		p->min_samples_leaf < 1 ||
		!(p->lambda >= 0 && p->lambda <= 1e12) ||
		!(p->gamma >= 0 && p->gamma <= 1e12) ||
		!(p->max_delta_step >= 0 && p->max_delta_step <= 1e6) ||
		!(p->subsample > 0 && p->subsample <= 1) ||
		!(p->colsample > 0 && p->colsample <= 1) ||
		p->max_bins < 2 || p->max_bins > 255 ||
		!(p->scale_pos_weight > 0 && p->scale_pos_weight <= 1e6) ||
		!(isnan(p->base_score) || isfinite(p->base_score)) ||
		!(p->validation_fraction >= 0 && p->validation_fraction <= 0.5) ||
		p->early_stopping_rounds < 1 ||
		!(p->tweedie_power > 1 && p->tweedie_power < 2) ||
		p->progress_every < 0)
		reader_corrupt(r, "The gbdt options hold impossible values");
}

const char *
gbdt_objective_name(int objective)
{
	switch (objective)
	{
		case GBDT_BINARY:
			return "binary";
		case GBDT_REGRESSION:
			return "regression";
		case GBDT_POISSON:
			return "poisson";
		case GBDT_TWEEDIE:
			return "tweedie";
	}
	return "unknown";
}

const char *
gbdt_metric_name(int objective)
{
	switch (objective)
	{
		case GBDT_BINARY:
			return "log_loss";
		case GBDT_REGRESSION:
			return "rmse";
		case GBDT_POISSON:
			return "poisson_deviance";
		case GBDT_TWEEDIE:
			return "tweedie_deviance";
	}
	return "unknown";
}

/* Model bytes */

void
gbdt_write_model(ByteWriter *w, const GbdtModel *m)
{
	gbdt_write_params(w, &m->p);
	write_i32(w, m->d);
	write_i64(w, m->rows);
	write_i64(w, m->validation_rows);
	write_f64(w, m->base_margin);
	write_i32(w, m->trees);
	write_i32(w, m->nodes);
	write_i32_array(w, m->tree_start, m->trees + 1);
	for (int32 k = 0; k < m->nodes; k++)
	{
		write_i32(w, m->node[k].feature);
		write_i32(w, m->node[k].right);
		write_u8(w, m->node[k].default_left);
		write_f64(w, m->node[k].value);
		write_f64(w, m->node[k].cover);
	}
	write_f64_array(w, m->gain, m->d);
	write_i64_array(w, m->splits, m->d);
	write_i32(w, m->best_round);
	write_i32(w, m->curve_len);
	write_f64_array(w, m->curve, m->curve_len);
}

#define GBDT_NODE_BYTES 25

/*
 * Checks one tree in preorder: children inside the tree and after their
 * parent, every node reached exactly once (a right child starts where the
 * left subtree ends), finite values, positive cover.  Returns its depth.
 */
static int
check_tree(ByteReader *r, GbdtModel *m, int32 start, int32 end)
{
	int32		stack[GBDT_MAX_DEPTH + 2];
	int32		depth_of[GBDT_MAX_DEPTH + 2];
	int			top = 0;
	int32		k = start;
	int			depth = 0,
				max_depth = 0;

	for (;;)
	{
		const GbdtNode *nd;

		if (k >= end)
			reader_corrupt(r, "A gbdt tree's nodes run past its end");
		nd = &m->node[k];
		if (!isfinite(nd->value) || !(nd->cover > 0 && isfinite(nd->cover)))
			reader_corrupt(r, "A gbdt node holds an impossible value or cover");
		max_depth = Max(max_depth, depth);
		if (nd->feature >= 0)
		{
			if (nd->feature >= m->d || nd->right <= k + 1 || nd->right >= end ||
				depth >= GBDT_MAX_DEPTH)
				reader_corrupt(r, "A gbdt split node is inconsistent");
			stack[top] = nd->right;
			depth_of[top++] = depth + 1;
			k++;
			depth++;
			continue;
		}
		if (nd->feature != -1)
			reader_corrupt(r, "A gbdt leaf is inconsistent");
		if (top == 0)
			break;
		top--;
		if (stack[top] != k + 1)
			reader_corrupt(r, "A gbdt tree's right child is misplaced");
		k = stack[top];
		depth = depth_of[top];
	}
	if (k + 1 != end)
		reader_corrupt(r, "A gbdt tree holds unreachable nodes");
	return max_depth;
}

/* Cover-weighted mean of a tree's leaves: E[tree(x)] under TreeSHAP. */
static double
tree_expectation(const GbdtModel *m, int t)
{
	double		sum = 0;
	int32		root = m->tree_start[t];

	for (int32 k = root; k < m->tree_start[t + 1]; k++)
		if (m->node[k].feature < 0)
			sum += m->node[k].value * m->node[k].cover;
	return sum / m->node[root].cover;
}

void *
gbdt_decode(ByteReader *r)
{
	GbdtModel  *m = palloc0(sizeof(GbdtModel));

	gbdt_read_params(r, &m->p);
	m->d = read_i32(r);
	m->rows = read_i64(r);
	m->validation_rows = read_i64(r);
	m->base_margin = read_f64(r);
	m->trees = read_i32(r);
	m->nodes = read_i32(r);
	if (m->d < 1 || m->d > FEATURES_MAX || m->rows < 1 || m->validation_rows < 0 ||
		!isfinite(m->base_margin) || m->trees < 1 || m->trees > m->p.rounds ||
		m->nodes < m->trees || (Size) m->nodes > (r->len - r->pos) / GBDT_NODE_BYTES)
		reader_corrupt(r, "The gbdt model holds impossible values");
	m->tree_start = read_i32_array(r, m->trees + 1);
	m->node = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(GbdtNode) * m->nodes);
	for (int32 k = 0; k < m->nodes; k++)
	{
		m->node[k].feature = read_i32(r);
		m->node[k].right = read_i32(r);
		m->node[k].default_left = read_u8(r) != 0;
		m->node[k].value = read_f64(r);
		m->node[k].cover = read_f64(r);
	}
	if (m->tree_start[0] != 0 || m->tree_start[m->trees] != m->nodes)
		reader_corrupt(r, "The gbdt model's trees are inconsistent");
	m->expected_margin = m->base_margin;
	m->tree_depth = palloc(sizeof(int32) * m->trees);
	for (int t = 0; t < m->trees; t++)
	{
		if (m->tree_start[t + 1] <= m->tree_start[t])
			reader_corrupt(r, "The gbdt model's trees are inconsistent");
		m->tree_depth[t] = check_tree(r, m, m->tree_start[t], m->tree_start[t + 1]);
		m->depth = Max(m->depth, m->tree_depth[t]);
		m->expected_margin += tree_expectation(m, t);
	}
	m->step = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(GbdtStep) * m->nodes);
	m->leaf_value = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * m->nodes);
	for (int32 k = 0; k < m->nodes; k++)
	{
		const GbdtNode *nd = &m->node[k];
		bool		leaf = nd->feature < 0;

		m->step[k].threshold = leaf ? -INFINITY : nd->value;
		m->step[k].feature_dl = (leaf ? 0 : (uint32) nd->feature) |
			((!leaf && nd->default_left) ? 0x80000000u : 0);
		m->step[k].right = leaf ? k : nd->right;
		m->leaf_value[k] = leaf ? nd->value : 0;
	}
	m->gain = read_f64_array(r, m->d);
	m->splits = read_i64_array(r, m->d);
	m->best_round = read_i32(r);
	m->curve_len = read_i32(r);
	if (m->best_round != m->trees || m->curve_len < 0 || m->curve_len > m->p.rounds ||
		(m->curve_len > 0 && m->curve_len < m->trees) ||
		(m->curve_len > 0) != (m->validation_rows > 0))
		reader_corrupt(r, "The gbdt model's validation record is inconsistent");
	m->curve = read_f64_array(r, m->curve_len);
	for (int j = 0; j < m->d; j++)
		if (!(m->gain[j] >= 0 && isfinite(m->gain[j])) || m->splits[j] < 0 ||
			m->splits[j] > m->nodes)
			reader_corrupt(r, "The gbdt model's feature importances are impossible");
	return m;
}

void
gbdt_describe(const void *decoded, StringInfo buf)
{
	const GbdtModel *m = decoded;
	const GbdtParams *p = &m->p;
	double	   *splits = palloc(sizeof(double) * m->d);

	for (int j = 0; j < m->d; j++)
		splits[j] = (double) m->splits[j];
	json_append_text(buf, "objective", gbdt_objective_name(p->objective));
	json_append_int(buf, "features", m->d);
	json_append_int(buf, "rows", m->rows);
	json_append_int(buf, "validation_rows", m->validation_rows);
	json_append_int(buf, "trees", m->trees);
	json_append_int(buf, "nodes", m->nodes);
	json_append_int(buf, "depth", m->depth);
	json_append_double(buf, "base_margin", m->base_margin);
	json_append_double(buf, "expected_margin", m->expected_margin);
	json_append_int(buf, "rounds", p->rounds);
	json_append_double(buf, "learning_rate", p->learning_rate);
	json_append_text(buf, "growth", p->leafwise ? "leafwise" : "depthwise");
	json_append_int(buf, "max_depth", p->max_depth);
	json_append_int(buf, "num_leaves", p->num_leaves);
	json_append_double(buf, "min_child_weight", p->min_child_weight);
	json_append_int(buf, "min_samples_leaf", p->min_samples_leaf);
	json_append_double(buf, "lambda", p->lambda);
	json_append_double(buf, "gamma", p->gamma);
	json_append_double(buf, "max_delta_step", p->max_delta_step);
	json_append_double(buf, "subsample", p->subsample);
	json_append_double(buf, "colsample", p->colsample);
	json_append_int(buf, "seed", p->seed);
	json_append_int(buf, "max_bins", p->max_bins);
	if (p->objective == GBDT_BINARY)
		json_append_double(buf, "scale_pos_weight", p->scale_pos_weight);
	if (p->objective == GBDT_TWEEDIE)
		json_append_double(buf, "tweedie_power", p->tweedie_power);
	if (m->curve_len > 0)
	{
		json_append_double(buf, "validation_fraction", p->validation_fraction);
		json_append_int(buf, "early_stopping_rounds", p->early_stopping_rounds);
		json_append_text(buf, "validation_metric", gbdt_metric_name(p->objective));
		json_append_int(buf, "best_round", m->best_round);
		json_append_double(buf, "best_validation", m->curve[m->best_round - 1]);
		json_append_double_array(buf, "validation_curve", m->curve, m->curve_len);
	}
	json_append_double_array(buf, "importance_gain", m->gain, m->d);
	json_append_double_array(buf, "importance_splits", splits, m->d);
	pfree(splits);
}

int
gbdt_features(const void *model)
{
	return ((const GbdtModel *) model)->d;
}

/* Scoring */

static inline bool
goes_left(const GbdtNode *nd, const double *x)
{
	double		v = x[nd->feature];

	return isnan(v) ? nd->default_left : v < nd->value;
}

#define LOCKSTEP 16

double
gbdt_margin(const GbdtModel *m, const double *x)
{
	const GbdtStep *step = m->step;
	double		margin = m->base_margin;

	for (int t0 = 0; t0 < m->trees; t0 += LOCKSTEP)
	{
		int32		k[LOCKSTEP];
		int			g = Min(LOCKSTEP, m->trees - t0);
		int			depth = 0;

		for (int i = 0; i < g; i++)
		{
			k[i] = m->tree_start[t0 + i];
			depth = Max(depth, m->tree_depth[t0 + i]);
		}
		for (int level = 0; level < depth; level++)
			for (int i = 0; i < g; i++)
			{
				const GbdtStep *st = &step[k[i]];
				double		v = x[st->feature_dl & 0x7fffffff];
				/* NaN compares false: it goes left only by default_left */
				int32		left = -(int32) ((v < st->threshold) |
											 ((v != v) & (st->feature_dl >> 31)));

				/* select without a branch: the outcome is a coin flip */
				k[i] = st->right ^ ((st->right ^ (k[i] + 1)) & left);
			}
		for (int i = 0; i < g; i++)
			margin += m->leaf_value[k[i]];
	}
	return margin;
}

/* x: NaN for NULL elements (missing values) */
double
gbdt_score(const void *model, const double *x, int d)
{
	const GbdtModel *m = model;
	double		margin = gbdt_margin(m, x);

	switch (m->p.objective)
	{
		case GBDT_BINARY:
			return 1.0 / (1.0 + exp(-margin));
		case GBDT_POISSON:
		case GBDT_TWEEDIE:
			return exp(margin);
		default:
			return margin;
	}
}

/* TreeSHAP */

typedef struct PathElement
{
	int32		feature;
	double		zero_fraction;	/* share of the cover that follows this path */
	double		one_fraction;	/* 1 if x follows it, else 0 */
	double		weight;			/* permutation weight of this subset size */
} PathElement;

typedef struct Shap
{
	const GbdtModel *m;
	const double *x;
	double	   *phi;
} Shap;

static void
extend_path(PathElement *path, int depth, double zero_fraction, double one_fraction,
			int32 feature)
{
	path[depth].feature = feature;
	path[depth].zero_fraction = zero_fraction;
	path[depth].one_fraction = one_fraction;
	path[depth].weight = depth == 0 ? 1.0 : 0.0;
	for (int i = depth - 1; i >= 0; i--)
	{
		path[i + 1].weight += one_fraction * path[i].weight * (i + 1) / (double) (depth + 1);
		path[i].weight = zero_fraction * path[i].weight * (depth - i) / (double) (depth + 1);
	}
}

/* undo the extension by element 'index' */
static void
unwind_path(PathElement *path, int depth, int index)
{
	double		one = path[index].one_fraction;
	double		zero = path[index].zero_fraction;
	double		next = path[depth].weight;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = path[i].weight;

			path[i].weight = next * (depth + 1) / ((i + 1) * one);
			next = tmp - path[i].weight * zero * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].weight = path[i].weight * (depth + 1) / (zero * (depth - i));
	}
	for (int i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

/* the total weight the path would have with element 'index' unwound */
static double
unwound_sum(const PathElement *path, int depth, int index)
{
	double		one = path[index].one_fraction;
	double		zero = path[index].zero_fraction;
	double		next = path[depth].weight;
	double		total = 0;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one != 0)
		{
			double		tmp = next * (depth + 1) / ((i + 1) * one);

			total += tmp;
			next = path[i].weight - tmp * zero * (depth - i) / (double) (depth + 1);
		}
		else
			total += path[i].weight / (zero * (depth - i) / (double) (depth + 1));
	}
	return total;
}

/*
 * parent_path holds 'depth' elements; this call's path is written just past
 * them (each level keeps its own copy, so siblings start from the same path).
 */
static void
tree_shap(Shap *s, int32 k, PathElement *parent_path, int depth,
		  double zero_fraction, double one_fraction, int32 feature)
{
	const GbdtNode *nd = &s->m->node[k];
	PathElement *path = parent_path + depth;
	int32		hot,
				cold;
	double		incoming_zero = 1,
				incoming_one = 1;
	int			index;

	if (depth > 0)
		memcpy(path, parent_path, sizeof(PathElement) * depth);
	extend_path(path, depth, zero_fraction, one_fraction, feature);
	if (nd->feature < 0)
	{
		for (int i = 1; i <= depth; i++)
			s->phi[path[i].feature] += unwound_sum(path, depth, i) *
				(path[i].one_fraction - path[i].zero_fraction) * nd->value;
		return;
	}
	hot = goes_left(nd, s->x) ? k + 1 : nd->right;
	cold = hot == k + 1 ? nd->right : k + 1;
	/* a feature met again on the path: undo its first split and redo both */
	for (index = 1; index <= depth; index++)
		if (path[index].feature == nd->feature)
			break;
	if (index <= depth)
	{
		incoming_zero = path[index].zero_fraction;
		incoming_one = path[index].one_fraction;
		unwind_path(path, depth, index);
		depth--;
	}
	tree_shap(s, hot, path, depth + 1, incoming_zero * s->m->node[hot].cover / nd->cover,
			  incoming_one, nd->feature);
	tree_shap(s, cold, path, depth + 1, incoming_zero * s->m->node[cold].cover / nd->cover,
			  0, nd->feature);
}

int
gbdt_explain(const void *model, const double *x, int d, double *contrib)
{
	const GbdtModel *m = model;
	/* each of depth + 2 levels keeps a path of at most depth + 2 elements */
	int			levels = m->depth + 2;
	PathElement *path = palloc(sizeof(PathElement) * levels * (levels + 1));
	Shap		s = {m, x, contrib};

	memset(contrib, 0, sizeof(double) * d);
	for (int t = 0; t < m->trees; t++)
		tree_shap(&s, m->tree_start[t], path, 0, 1, 1, -1);
	pfree(path);
	return d;
}
