/*
 * constant.c - ecomml.train_mean(x) and ecomml.predict(model)
 *
 * The state is a running count, mean and sum of squared deviations
 * (Welford); two states merge exactly by Chan et al.'s parallel formula, so
 * a parallel or distributed run gives the serial answer up to rounding.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/jsonb.h"

#include "arrays.h"
#include "constant.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"

/*
 * Youngs-Cramer, as PostgreSQL's own float8 avg(): the running sum rather
 * than a running mean, so that combining partial states adds sums (exact for
 * integral data below 2^53, like a serial run) instead of blending rounded
 * means; m2 is the sum of squared deviations.
 */
typedef struct MeanState
{
	int64		n;
	double		sum;
	double		m2;
	int64		min_rows;		/* from options */
} MeanState;

typedef struct ConstantModel
{
	int64		n;
	double		mean;
	double		stddev;
} ConstantModel;

static const char *const mean_options[] = {"min_rows", NULL};

static void
mean_write(const void *data, ByteWriter *w)
{
	const MeanState *s = data;

	write_i64(w, s->n);
	write_f64(w, s->sum);
	write_f64(w, s->m2);
	write_i64(w, s->min_rows);
}

static void *
mean_read(ByteReader *r)
{
	MeanState  *s = palloc(sizeof(MeanState));

	s->n = read_i64(r);
	s->sum = read_f64(r);
	s->m2 = read_f64(r);
	s->min_rows = read_i64(r);
	if (s->n < 0 || s->min_rows < 1 || !isfinite(s->sum) || !isfinite(s->m2) || s->m2 < 0 ||
		(s->n == 0 && (s->sum != 0 || s->m2 != 0)))
		reader_corrupt(r, "The mean state holds impossible values");
	return s;
}

static void
mean_combine(void *into, const void *from)
{
	MeanState  *a = into;
	const MeanState *b = from;
	int64		n = a->n + b->n;

	if (b->n == 0)
		return;
	if (a->n > 0)
	{
		double		delta = a->sum / a->n - b->sum / b->n;

		a->m2 = check_sum(a->m2 + b->m2 + delta * delta * ((double) a->n * b->n / n),
						  "train_mean sum of squares");
	}
	else
		a->m2 = b->m2;
	a->sum = check_sum(a->sum + b->sum, "train_mean sum");
	a->n = n;
}

const TrainStateOps constant_state_ops = {
	MODEL_CONSTANT, mean_write, mean_read, mean_combine
};

/* train_mean(state, x [, options]): NULL x is skipped, NaN/Inf rejected */
PG_FUNCTION_INFO_V1(train_mean_transfn);
Datum
train_mean_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &constant_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 2);
	MeanState  *s = st->data;
	double		x;

	if (s == NULL)
	{
		options_check_keys(opts, mean_options);
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(MeanState));
		s->min_rows = options_int64(opts, "min_rows", 1, 1, PG_INT64_MAX / 2);
		st->data = s;
	}
	if (!PG_ARGISNULL(1))
	{
		x = check_value(PG_GETARG_FLOAT8(1), "train_mean input");
		s->n++;
		s->sum += x;
		if (s->n > 1)
		{
			double		d = x * s->n - s->sum;

			/* divided before multiplying: d * d alone may overflow */
			s->m2 += (d / s->n) * (d / (s->n - 1));
		}
	}
	PG_RETURN_AGG_STATE(st);
}

PG_FUNCTION_INFO_V1(train_mean_finalfn);
Datum
train_mean_finalfn(PG_FUNCTION_ARGS)
{
	const MeanState *s = train_state_get_data(fcinfo, 0, &constant_state_ops);
	ByteWriter	w;

	if (s == NULL || s->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a constant model on zero rows"),
				 errdetail("Every input value was NULL, or there were no rows.")));
	if (s->n < s->min_rows)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a constant model on " INT64_FORMAT " rows", s->n),
				 errdetail("Option min_rows asks for at least " INT64_FORMAT ".", s->min_rows)));
	writer_init(&w, 64);
	write_i64(&w, s->n);
	write_f64(&w, s->sum / s->n);
	write_f64(&w, s->n > 1 ? sqrt(check_sum(s->m2, "train_mean sum of squares") / (s->n - 1)) : 0.0);
	PG_RETURN_BYTEA_P(model_build(MODEL_CONSTANT, &w));
}

void *
constant_decode(ByteReader *r)
{
	ConstantModel *m = palloc(sizeof(ConstantModel));

	m->n = read_i64(r);
	m->mean = read_f64(r);
	m->stddev = read_f64(r);
	if (m->n < 1 || !isfinite(m->mean) || !isfinite(m->stddev) || m->stddev < 0)
		reader_corrupt(r, "The constant model holds impossible values");
	return m;
}

void
constant_describe(const void *decoded, StringInfo buf)
{
	const ConstantModel *m = decoded;

	json_append_int(buf, "rows", m->n);
	json_append_double(buf, "mean", m->mean);
	json_append_double(buf, "stddev", m->stddev);
}

/* ecomml.predict(model bytea) -> the constant */
PG_FUNCTION_INFO_V1(predict_constant);
Datum
predict_constant(PG_FUNCTION_ARGS)
{
	const ConstantModel *m = model_cache_get(fcinfo, 0, MODEL_CONSTANT, NULL);

	PG_RETURN_FLOAT8(m->mean);
}
