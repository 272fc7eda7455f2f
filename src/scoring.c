/*
 * scoring.c - ecomml.score / explain_score: one dispatch by model kind
 *
 * Each scorable kind exposes its feature count, whether NULL elements are
 * allowed (they arrive as NaN), a scorer and an explainer; this table is the
 * only place that knows them all, so the metric aggregates (binmetrics.c) and
 * the trainers (logreg.c, iforest.c, gbdt.c) do not depend on one another.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

#include "arrays.h"
#include "fraud.h"
#include "gbdt.h"
#include "model_cache.h"

typedef struct ScoringKind
{
	int			kind;
	int			(*features) (const void *model);
	bool		(*allows_null) (const void *model);
	double		(*score) (const void *model, const double *x, int d);
	int			(*explain) (const void *model, const double *x, int d, double *contrib);
} ScoringKind;

static bool
never_null(const void *model)
{
	return false;
}

static bool
always_null(const void *model)
{
	return true;
}

static const ScoringKind scoring_kinds[] = {
	{MODEL_LOGREG, logreg_features, logreg_imputes, logreg_score, logreg_explain},
	{MODEL_IFOREST, iforest_features, never_null, iforest_score, iforest_explain},
	{MODEL_GBDT, gbdt_features, always_null, gbdt_score, gbdt_explain},
};

static const ScoringKind *
scoring_kind(int kind)
{
	for (size_t i = 0; i < lengthof(scoring_kinds); i++)
		if (scoring_kinds[i].kind == kind)
			return &scoring_kinds[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("expected a logreg, iforest or gbdt model, got a %s model",
					model_kind_name(kind))));
	pg_unreachable();
}

/* ecomml.score(model bytea, features float8[]) -> probability, anomaly score or prediction */
PG_FUNCTION_INFO_V1(fraud_score);
Datum
fraud_score(PG_FUNCTION_ARGS)
{
	int			kind;
	const void *m = model_cache_get(fcinfo, 0, MODEL_ANY, &kind);
	const ScoringKind *sk = scoring_kind(kind);
	const double *x;
	double		buf[FEATURES_SHORT_MAX];
	int			d;

	/* a short array is read from the tuple as it lies, without detoasting it */
	x = array_features_datum(PG_GETARG_DATUM(1), sk->features(m), sk->allows_null(m),
							 buf, &d, "score");
	PG_RETURN_FLOAT8(sk->score(m, x, d));
}

typedef struct Contribution
{
	int			feature;
	double		value;
} Contribution;

static int
cmp_contribution(const void *a, const void *b)
{
	const Contribution *x = a;
	const Contribution *y = b;
	double		ax = fabs(x->value),
				ay = fabs(y->value);

	if (ax != ay)
		return ax > ay ? -1 : 1;
	return x->feature - y->feature;
}

/* ecomml.explain_score(model, features) -> (feature, contribution) rows */
PG_FUNCTION_INFO_V1(fraud_explain_score);
Datum
fraud_explain_score(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			kind;
	const void *m = model_cache_get(fcinfo, 0, MODEL_ANY, &kind);
	const ScoringKind *sk = scoring_kind(kind);
	const double *x;
	double	   *contrib;
	Contribution *rows;
	int			d;

	InitMaterializedSRF(fcinfo, 0);
	x = array_features(PG_GETARG_ARRAYTYPE_P(1), sk->features(m), sk->allows_null(m),
					   NULL, &d, "explain_score");
	contrib = palloc(sizeof(double) * d);
	sk->explain(m, x, d, contrib);
	rows = palloc(sizeof(Contribution) * d);
	for (int j = 0; j < d; j++)
	{
		rows[j].feature = j + 1;
		rows[j].value = contrib[j];
	}
	qsort(rows, d, sizeof(Contribution), cmp_contribution);
	for (int j = 0; j < d; j++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int32GetDatum(rows[j].feature);
		values[1] = Float8GetDatum(rows[j].value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
