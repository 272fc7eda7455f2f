/*
 * binmetrics.c - the binary-classification metric aggregates roc_auc, pr_auc,
 * binary_metrics (scoring by model kind lives in scoring.c)
 *
 * roc_auc and pr_auc follow scikit-learn exactly, ties included: rows are
 * sorted by score descending and one point of the curve is taken per distinct
 * score (all tied rows enter together).  ROC AUC is the trapezoidal area
 * under those points, so a tie between a positive and a negative counts one
 * half; average precision is sum_k (R_k - R_{k-1}) P_k over the same points
 * (no interpolation).  See doc/fraud.md.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "fraud.h"
#include "kinds.h"


/* Sorting and the two curve metrics */

/* a qsort specialized for ScoredLabel by score descending (no callback) */
#define ST_SORT sort_scores_desc
#define ST_ELEMENT_TYPE ScoredLabel
#define ST_COMPARE(a, b) ((a)->score > (b)->score ? -1 : ((a)->score < (b)->score ? 1 : 0))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * From this many rows on, rows are first distributed into 256 buckets by
 * linear interpolation between the extreme scores (monotone, so the buckets
 * come in score order), in place as an American flag sort, and each bucket of
 * more than a few hundred rows is distributed the same way: the 256 write
 * positions stay in cache, so a pass costs little more than reading the rows,
 * and the last buckets are small for the comparison sort.  One comparison
 * sort of all rows took a tenth of train_logreg's time.
 */
#define SORT_BUCKETS_FROM 8192
/* buckets larger than this are distributed again (the scores crowd in few) */
#define SORT_BUCKETS_AGAIN 256
#define SORT_BUCKETS 256
#define SORT_BUCKET_DEPTH 4

static inline int
score_bucket(double score, double lo, double scale)
{
	int			b = (int) ((score - lo) * scale);

	return SORT_BUCKETS - 1 - Min(b, SORT_BUCKETS - 1);	/* highest scores first */
}

static void
bucket_sort_scores(ScoredLabel *v, int64 n, int depth)
{
	double		lo = INFINITY,
				hi = -INFINITY,
				scale;
	int64		end[SORT_BUCKETS + 1],
				next[SORT_BUCKETS];

	if (n < (depth == 0 ? SORT_BUCKETS_FROM : SORT_BUCKETS_AGAIN) || depth >= SORT_BUCKET_DEPTH)
	{
		sort_scores_desc(v, n);
		return;
	}
	for (int64 i = 0; i < n; i++)
	{
		lo = Min(lo, v[i].score);
		hi = Max(hi, v[i].score);
	}
	scale = SORT_BUCKETS / (hi - lo);
	/* NaN, infinite or equal scores: the comparison sort */
	if (!isfinite(lo) || !isfinite(hi) || !(scale > 0) || !isfinite(scale))
	{
		sort_scores_desc(v, n);
		return;
	}
	memset(end, 0, sizeof(end));
	for (int64 i = 0; i < n; i++)
		end[score_bucket(v[i].score, lo, scale) + 1]++;
	for (int b = 0; b < SORT_BUCKETS; b++)
	{
		end[b + 1] += end[b];
		next[b] = end[b];
	}
	/* end[b + 1] is the end of bucket b; each row moves at most once */
	for (int b = 0; b < SORT_BUCKETS; b++)
		while (next[b] < end[b + 1])
		{
			ScoredLabel e = v[next[b]];
			int			tb = score_bucket(e.score, lo, scale);

			while (tb != b)
			{
				ScoredLabel t = v[next[tb]];

				v[next[tb]++] = e;
				e = t;
				tb = score_bucket(e.score, lo, scale);
			}
			v[next[b]++] = e;
		}
	for (int b = 0; b < SORT_BUCKETS; b++)
		if (end[b + 1] - end[b] > 1)
			bucket_sort_scores(v + end[b], end[b + 1] - end[b], depth + 1);
}

void
fraud_sort_scores(ScoredLabel *v, int64 n)
{
	bucket_sort_scores(v, n, 0);
}

/*
 * Trapezoids between consecutive distinct-score points, summed in integer
 * counts (exact below 2^53) and divided once by 2 P N.
 */
double
fraud_roc_auc_sorted(const ScoredLabel *v, int64 n)
{
	int64		tp = 0,
				fp = 0,
				tp_prev = 0,
				fp_prev = 0;
	double		area2 = 0;

	for (int64 i = 0; i < n; i++)
	{
		if (v[i].label)
			tp++;
		else
			fp++;
		if (i == n - 1 || v[i + 1].score != v[i].score)
		{
			area2 += (double) (fp - fp_prev) * (double) (tp + tp_prev);
			tp_prev = tp;
			fp_prev = fp;
		}
	}
	if (tp == 0 || fp == 0)
		return NAN;
	return area2 / (2.0 * (double) tp * (double) fp);
}

/* ascending doubles, for the smaller class in fraud_roc_auc */
#define ST_SORT sort_doubles_asc
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) (*(a) < *(b) ? -1 : (*(a) > *(b) ? 1 : 0))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* the interpolation bucket of x in [lo, hi]: monotone in x */
static inline int64
auc_bucket(double x, double lo, double scale, int64 buckets)
{
	int64		b = (int64) ((x - lo) * scale);

	return Min(b, buckets - 1);
}

/*
 * The same figure as fraud_roc_auc_sorted from unsorted scores, as the
 * Mann-Whitney statistic (a tie counts one half): only the smaller class is
 * sorted, and each row of the larger class counts the rows of the smaller
 * class below and equal to it.  An interpolation index of one bucket per
 * sorted row leaves a short binary search inside one bucket (buckets are
 * monotone in the score, so every row of an earlier bucket is smaller).
 * Sorting all n pairs was a tenth of train_logreg's time.
 */
double
fraud_roc_auc(const double *score, const uint8 *label, int64 n)
{
	int64		npos = 0,
				m = 0,
				buckets = 0;
	uint8		minority;
	double	   *a;
	int64	   *first = NULL;
	double		lo,
				hi,
				scale = 0;
	int64		area2 = 0;		/* twice the pairs ranked right; exact below 2^63 */

	for (int64 i = 0; i < n; i++)
	{
		if (isnan(score[i]))
			return NAN;
		npos += label[i] != 0;
	}
	if (npos == 0 || npos == n)
		return NAN;
	minority = npos <= n - npos;
	a = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * Min(npos, n - npos));
	for (int64 i = 0; i < n; i++)
		if ((label[i] != 0) == minority)
			a[m++] = score[i];
	sort_doubles_asc(a, m);
	lo = a[0];
	hi = a[m - 1];
	if (hi > lo && isfinite(m / (hi - lo)))
	{
		buckets = m;
		scale = buckets / (hi - lo);
		/* first[b]: the first sorted row of bucket b or later */
		first = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * (buckets + 1));
		for (int64 b = 0, i = 0; b <= buckets; b++)
		{
			while (i < m && auc_bucket(a[i], lo, scale, buckets) < b)
				i++;
			first[b] = i;
		}
	}
	for (int64 i = 0; i < n; i++)
	{
		double		x = score[i];
		int64		below,
					upto;		/* sorted rows < x and <= x */

		if ((label[i] != 0) == minority)
			continue;
		if (x < lo)
			below = upto = 0;
		else if (x > hi)
			below = upto = m;
		else
		{
			int64		l = 0,
						r = m;

			if (buckets > 0)
			{
				int64		b = auc_bucket(x, lo, scale, buckets);

				l = first[b];
				r = first[b + 1];
			}
			below = l;
			upto = r;
			/* first >= x, then first > x, both inside [l, r) */
			while (below < r)
			{
				int64		mid = below + (r - below) / 2;

				if (a[mid] < x)
					below = mid + 1;
				else
					r = mid;
			}
			for (l = below; l < upto;)
			{
				int64		mid = l + (upto - l) / 2;

				if (a[mid] <= x)
					l = mid + 1;
				else
					upto = mid;
			}
		}
		/* pairs with the positive above the negative count 2, ties 1 */
		if (minority)
			area2 += 2 * (m - upto) + (upto - below);
		else
			area2 += 2 * below + (upto - below);
	}
	pfree(a);
	if (first)
		pfree(first);
	return (double) area2 / (2.0 * (double) npos * (double) (n - npos));
}

double
fraud_average_precision_sorted(const ScoredLabel *v, int64 n)
{
	int64		tp = 0,
				fp = 0,
				positives = 0;
	double		ap = 0,
				recall_prev = 0;

	for (int64 i = 0; i < n; i++)
		positives += v[i].label;
	if (positives == 0)
		return NAN;
	for (int64 i = 0; i < n; i++)
	{
		if (v[i].label)
			tp++;
		else
			fp++;
		if (i == n - 1 || v[i + 1].score != v[i].score)
		{
			double		recall = (double) tp / positives;

			ap += (recall - recall_prev) * ((double) tp / (tp + fp));
			recall_prev = recall;
			if (tp == positives)
				break;
		}
	}
	return ap;
}

/*
 * The metric aggregates keep ecomml.agg_state like the training aggregates,
 * so Citus can run them partially on its workers.  roc_auc / pr_auc keep
 * every (score, label) pair; binary_metrics keeps a confusion matrix.
 */

typedef struct PairState
{
	int64		n;
	int64		cap;
	ScoredLabel *v;
} PairState;

/* room for extra more pairs, allocated in CurrentMemoryContext */
static void
pair_reserve(PairState *s, int64 extra)
{
	int64		need = s->n + extra;

	if (need <= s->cap)
		return;
	s->cap = Max(need, Max(s->cap * 2, 1024));
	if (s->v == NULL)
		s->v = MemoryContextAllocHuge(CurrentMemoryContext, s->cap * sizeof(ScoredLabel));
	else
		s->v = repalloc_huge(s->v, s->cap * sizeof(ScoredLabel));
}

static void
pairs_write(const void *data, ByteWriter *w)
{
	const PairState *s = data;

	write_i64(w, s->n);
	for (int64 i = 0; i < s->n; i++)
	{
		write_f64(w, s->v[i].score);
		write_u8(w, s->v[i].label);
	}
}

static void *
pairs_read(ByteReader *r)
{
	PairState  *s = palloc0(sizeof(PairState));
	int64		n = read_count(r, PG_INT64_MAX / 16, 9);

	pair_reserve(s, n);
	for (int64 i = 0; i < n; i++)
	{
		s->v[i].score = read_f64(r);
		s->v[i].label = read_u8(r) != 0;
		if (isnan(s->v[i].score))
			reader_corrupt(r, "The state holds a NaN score");
	}
	s->n = n;
	return s;
}

static void
pairs_combine(void *into, const void *from)
{
	PairState  *a = into;
	const PairState *b = from;

	pair_reserve(a, b->n);
	if (b->n > 0)
		memcpy(a->v + a->n, b->v, b->n * sizeof(ScoredLabel));
	a->n += b->n;
}

const TrainStateOps score_label_state_ops = {
	STATE_SCORE_LABELS, pairs_write, pairs_read, pairs_combine
};

PG_FUNCTION_INFO_V1(score_label_transfn);
Datum
score_label_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &score_label_state_ops);
	MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);
	PairState  *s = st->data;

	if (s == NULL)
		st->data = s = palloc0(sizeof(PairState));
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		score = PG_GETARG_FLOAT8(1);

		if (isnan(score))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("score must not be NaN")));
		pair_reserve(s, 1);
		s->v[s->n].score = score;
		s->v[s->n].label = PG_GETARG_BOOL(2);
		s->n++;
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_AGG_STATE(st);
}

/*
 * The pairs sorted by score, or NULL without rows.  The final functions are
 * FINALFUNC_MODIFY = READ_WRITE, so sorting the state in place is allowed.
 */
static PairState *
sorted_pairs(FunctionCallInfo fcinfo)
{
	PairState  *s = (PairState *) train_state_get_data(fcinfo, 0, &score_label_state_ops);

	if (s == NULL || s->n == 0)
		return NULL;
	fraud_sort_scores(s->v, s->n);
	return s;
}

PG_FUNCTION_INFO_V1(roc_auc_finalfn);
Datum
roc_auc_finalfn(PG_FUNCTION_ARGS)
{
	PairState  *s = sorted_pairs(fcinfo);
	double		auc = s ? fraud_roc_auc_sorted(s->v, s->n) : NAN;

	if (isnan(auc))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(auc);
}

PG_FUNCTION_INFO_V1(pr_auc_finalfn);
Datum
pr_auc_finalfn(PG_FUNCTION_ARGS)
{
	PairState  *s = sorted_pairs(fcinfo);
	double		ap = s ? fraud_average_precision_sorted(s->v, s->n) : NAN;

	if (isnan(ap))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(ap);
}

/* binary_metrics: a confusion matrix at a fixed threshold */

typedef struct ConfusionState
{
	int64		tp,
				fp,
				tn,
				fn;
	double		threshold;
	bool		have_threshold;
} ConfusionState;

static void
check_same_threshold(double a, double b)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("binary_metrics threshold must be the same on every row: %g, then %g",
						a, b)));
}

static void
confusion_write(const void *data, ByteWriter *w)
{
	const ConfusionState *s = data;

	write_i64(w, s->tp);
	write_i64(w, s->fp);
	write_i64(w, s->tn);
	write_i64(w, s->fn);
	write_f64(w, s->threshold);
	write_u8(w, s->have_threshold);
}

static void *
confusion_read(ByteReader *r)
{
	ConfusionState *s = palloc(sizeof(ConfusionState));

	s->tp = read_i64(r);
	s->fp = read_i64(r);
	s->tn = read_i64(r);
	s->fn = read_i64(r);
	s->threshold = read_f64(r);
	s->have_threshold = read_u8(r) != 0;
	if (s->tp < 0 || s->fp < 0 || s->tn < 0 || s->fn < 0 || isnan(s->threshold))
		reader_corrupt(r, "The binary_metrics state holds impossible values");
	return s;
}

static void
confusion_combine(void *into, const void *from)
{
	ConfusionState *a = into;
	const ConfusionState *b = from;

	if (a->have_threshold && b->have_threshold)
		check_same_threshold(a->threshold, b->threshold);
	else if (!a->have_threshold)
	{
		a->threshold = b->threshold;
		a->have_threshold = b->have_threshold;
	}
	a->tp += b->tp;
	a->fp += b->fp;
	a->tn += b->tn;
	a->fn += b->fn;
}

const TrainStateOps confusion_state_ops = {
	STATE_CONFUSION, confusion_write, confusion_read, confusion_combine
};

PG_FUNCTION_INFO_V1(binary_metrics_transfn);
Datum
binary_metrics_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &confusion_state_ops);
	ConfusionState *s = st->data;

	if (s == NULL)
		st->data = s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(ConfusionState));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("binary_metrics threshold must not be NULL")));
	if (!s->have_threshold)
	{
		s->threshold = PG_GETARG_FLOAT8(3);
		if (isnan(s->threshold))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("binary_metrics threshold must not be NaN")));
		s->have_threshold = true;
	}
	else
		check_same_threshold(s->threshold, PG_GETARG_FLOAT8(3));
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		score = PG_GETARG_FLOAT8(1);
		bool		label = PG_GETARG_BOOL(2);
		bool		predicted;

		if (isnan(score))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("score must not be NaN")));
		predicted = score >= s->threshold;
		if (predicted && label)
			s->tp++;
		else if (predicted)
			s->fp++;
		else if (label)
			s->fn++;
		else
			s->tn++;
	}
	PG_RETURN_AGG_STATE(st);
}

/* ",\"key\":value" with the shortest decimal that reads back exactly */
static void
append_shortest(StringInfo buf, const char *key, double v)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (!isfinite(v))
	{
		appendStringInfo(buf, ",\"%s\":null", key);	/* JSON has no Infinity */
		return;
	}
	double_to_shortest_decimal_buf(v, num);
	appendStringInfo(buf, ",\"%s\":%s", key, num);
}

static double
ratio(int64 num, int64 den)
{
	return den == 0 ? 0.0 : (double) num / (double) den;
}

PG_FUNCTION_INFO_V1(binary_metrics_finalfn);
Datum
binary_metrics_finalfn(PG_FUNCTION_ARGS)
{
	const ConfusionState *s = train_state_get_data(fcinfo, 0, &confusion_state_ops);
	StringInfoData buf;
	double		precision,
				recall,
				f1;
	int64		n;

	if (s == NULL)
		PG_RETURN_NULL();
	n = s->tp + s->fp + s->tn + s->fn;
	if (n == 0)
		PG_RETURN_NULL();
	precision = ratio(s->tp, s->tp + s->fp);
	recall = ratio(s->tp, s->tp + s->fn);
	f1 = ratio(2 * s->tp, 2 * s->tp + s->fp + s->fn);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"tp\":" INT64_FORMAT, s->tp);
	append_shortest(&buf, "threshold", s->threshold);
	json_append_int(&buf, "fp", s->fp);
	json_append_int(&buf, "tn", s->tn);
	json_append_int(&buf, "fn", s->fn);
	append_shortest(&buf, "precision", precision);
	append_shortest(&buf, "recall", recall);
	append_shortest(&buf, "f1", f1);
	append_shortest(&buf, "accuracy", ratio(s->tp + s->tn, n));
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
