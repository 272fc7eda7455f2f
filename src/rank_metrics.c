/*
 * rank_metrics.c - evaluation aggregates for recommenders
 *
 * ecomml.ranking_metrics(recommended bigint[], relevant bigint[], k int):
 * precision@k, recall@k, nDCG@k, MAP@k and hit rate averaged over the rows
 * (one row per user) whose relevant set is non-empty.  ecomml.rmse and
 * ecomml.mae over (predicted, actual) pairs.  The states are float8[] of
 * running sums, so the aggregates combine in parallel by adding arrays.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "arrays.h"
#include "kinds.h"

/* ranking state: k, users, precision, recall, ndcg, ap, hits */
#define RM_LEN 7
/* error state: n, sum of squares, sum of absolute values */
#define ERR_LEN 3

static ArrayType *
sums_new(int n)
{
	Datum		d[RM_LEN];

	for (int i = 0; i < n; i++)
		d[i] = Float8GetDatum(0.0);
	return construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * The sums of a state, which SQL can hand in (a float8[]): every sum is
 * finite and non-negative, and the first (k, or the row count) and for the
 * ranking state the second (users) are whole numbers a count can hold.
 */
static double *
sums_of(ArrayType *a, int n)
{
	double	   *s;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != n || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metrics aggregate state")));
	s = (double *) ((char *) a + ARR_OVERHEAD_NONULLS(1));
	for (int i = 0; i < n; i++)
		if (!(s[i] >= 0 && isfinite(s[i])) ||
			((i == 0 || (i == 1 && n == RM_LEN)) && (s[i] != floor(s[i]) || s[i] > PG_INT32_MAX)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid metrics aggregate state"),
					 errdetail("Element %d is %g.", i + 1, s[i])));
	return s;
}

/* the state, writable: the aggregate's own copy */
static ArrayType *
state_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(0))
	{
		MemoryContext aggcxt;
		MemoryContext old;
		ArrayType  *a;

		if (!AggCheckCallContext(fcinfo, &aggcxt))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("metrics transition function called in non-aggregate context")));
		old = MemoryContextSwitchTo(aggcxt);
		a = sums_new(n);
		MemoryContextSwitchTo(old);
		return a;
	}
	if (!AggCheckCallContext(fcinfo, NULL))
		return PG_GETARG_ARRAYTYPE_P_COPY(0);
	return PG_GETARG_ARRAYTYPE_P(0);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

static bool
bsearch_i64(const int64 *v, int n, int64 x)
{
	return bsearch(&x, v, n, sizeof(int64), cmp_i64) != NULL;
}

/* ranking_metrics_transfn(state, recommended, relevant, k) */
PG_FUNCTION_INFO_V1(ranking_metrics_transfn);
Datum
ranking_metrics_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *st = state_arg(fcinfo, RM_LEN);
	double	   *s = sums_of(st, RM_LEN);
	int64	   *rec,
			   *rel;
	int			nrec,
				nrel,
				w = 0,
				hits = 0,
				k;
	double		dcg = 0,
				idcg = 0,
				ap = 0;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("ranking_metrics needs k")));
	k = PG_GETARG_INT32(3);
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1, not %d", k)));
	if (s[0] == 0)
		s[0] = k;
	else if (s[0] != k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be the same on every row, got %d after %d", k, (int) s[0])));
	if (PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(st);
	rel = array_int64(PG_GETARG_ARRAYTYPE_P(2), &nrel, true, "relevant");
	qsort(rel, nrel, sizeof(int64), cmp_i64);
	for (int i = 0; i < nrel; i++)
		if (i == 0 || rel[i] != rel[i - 1])
			rel[w++] = rel[i];
	nrel = w;
	if (nrel == 0)
		PG_RETURN_ARRAYTYPE_P(st);	/* users without relevant items are not counted */
	if (PG_ARGISNULL(1))
		nrec = 0, rec = NULL;
	else
		rec = array_int64(PG_GETARG_ARRAYTYPE_P(1), &nrec, true, "recommended");
	for (int i = 0; i < Min(nrec, k); i++)
	{
		bool		dup = false;

		for (int j = 0; j < i; j++)
			if (rec[j] == rec[i])
				dup = true;
		if (!dup && bsearch_i64(rel, nrel, rec[i]))
		{
			hits++;
			dcg += 1.0 / log2(i + 2.0);
			ap += (double) hits / (i + 1);
		}
	}
	for (int i = 0; i < Min(nrel, k); i++)
		idcg += 1.0 / log2(i + 2.0);
	s[1] += 1;
	s[2] += (double) hits / k;
	s[3] += (double) hits / nrel;
	s[4] += dcg / idcg;
	s[5] += ap / Min(nrel, k);
	s[6] += hits > 0 ? 1 : 0;
	PG_RETURN_ARRAYTYPE_P(st);
}

static Datum
sums_combine(FunctionCallInfo fcinfo, int n, bool first_is_k)
{
	ArrayType  *a,
			   *b;
	double	   *x,
			   *y;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		MemoryContext aggcxt;
		MemoryContext old;
		ArrayType  *c;

		if (!AggCheckCallContext(fcinfo, &aggcxt))
			aggcxt = CurrentMemoryContext;
		old = MemoryContextSwitchTo(aggcxt);
		c = PG_GETARG_ARRAYTYPE_P_COPY(1);
		MemoryContextSwitchTo(old);
		PG_RETURN_ARRAYTYPE_P(c);
	}
	a = state_arg(fcinfo, n);
	b = PG_GETARG_ARRAYTYPE_P(1);
	x = sums_of(a, n);
	y = sums_of(b, n);
	for (int i = 0; i < n; i++)
	{
		if (i == 0 && first_is_k)
		{
			if (x[0] == 0)
				x[0] = y[0];
			else if (y[0] != 0 && x[0] != y[0])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("k must be the same on every row")));
			continue;
		}
		x[i] = check_sum(x[i] + y[i], "metrics sum");
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(ranking_metrics_combine);
Datum
ranking_metrics_combine(PG_FUNCTION_ARGS)
{
	return sums_combine(fcinfo, RM_LEN, true);
}

PG_FUNCTION_INFO_V1(ranking_metrics_finalfn);
Datum
ranking_metrics_finalfn(PG_FUNCTION_ARGS)
{
	double	   *s;
	StringInfoData buf;
	double		n;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = sums_of(PG_GETARG_ARRAYTYPE_P(0), RM_LEN);
	n = s[1];
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"k\":%d", (int) s[0]);
	json_append_int(&buf, "users", (int64) n);
	if (n > 0)
	{
		json_append_double(&buf, "precision", s[2] / n);
		json_append_double(&buf, "recall", s[3] / n);
		json_append_double(&buf, "ndcg", s[4] / n);
		json_append_double(&buf, "map", s[5] / n);
		json_append_double(&buf, "hit_rate", s[6] / n);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* error_metrics_transfn(state, predicted, actual): NULL pairs skipped */
PG_FUNCTION_INFO_V1(error_metrics_transfn);
Datum
error_metrics_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *st = state_arg(fcinfo, ERR_LEN);
	double	   *s = sums_of(st, ERR_LEN);
	double		p,
				a;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(st);
	p = PG_GETARG_FLOAT8(1);
	a = PG_GETARG_FLOAT8(2);
	if (!isfinite(p) || !isfinite(a))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("predicted and actual values must be finite, not %g and %g", p, a)));
	s[0] += 1;
	s[1] = check_sum(s[1] + (p - a) * (p - a), "sum of squared errors");
	s[2] = check_sum(s[2] + fabs(p - a), "sum of absolute errors");
	PG_RETURN_ARRAYTYPE_P(st);
}

PG_FUNCTION_INFO_V1(error_metrics_combine);
Datum
error_metrics_combine(PG_FUNCTION_ARGS)
{
	return sums_combine(fcinfo, ERR_LEN, false);
}

PG_FUNCTION_INFO_V1(rmse_finalfn);
Datum
rmse_finalfn(PG_FUNCTION_ARGS)
{
	double	   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = sums_of(PG_GETARG_ARRAYTYPE_P(0), ERR_LEN);
	if (s[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sqrt(s[1] / s[0]));
}

PG_FUNCTION_INFO_V1(mae_finalfn);
Datum
mae_finalfn(PG_FUNCTION_ARGS)
{
	double	   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = sums_of(PG_GETARG_ARRAYTYPE_P(0), ERR_LEN);
	if (s[0] == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s[2] / s[0]);
}
