/*
 * rfm.c - ecomml.rfm(customer_id, order_time, amount, as_of): recency,
 * frequency and monetary value per customer with 1-5 quintile scores
 *
 * An aggregate that returns ecomml.rfm_score[] (one element per customer,
 * in customer_id order).  The state is an id map (customer -> dense index)
 * with the last order time, the order count and the amount sum per customer;
 * it is kept in ecomml.agg_state like a training state (so Citus can run
 * rfm partially on its workers), and combining two states merges them
 * customer by customer (max of the last order, sums of the rest): a parallel
 * run gives the serial result up to the order of the floating-point sums.
 *
 * Scores (doc/customers.md): among the n customers, a customer's F score is
 * 1 + floor(5 L / n) with L the number of customers whose frequency is
 * strictly lower; M the same with the monetary value; R the same with L the
 * number of customers whose recency is strictly longer (older last order).
 * Ties therefore share a score, the score only depends on the ranks, and it
 * equals 1 + floor(5 * (rank() OVER (ORDER BY v) - 1) / n) in SQL.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "arrays.h"
#include "customers.h"
#include "idmap.h"

typedef struct RfmState
{
	MemoryContext cxt;
	bool		have_as_of;
	TimestampTz as_of;
	IdMap	   *ids;
	int32		cap;
	TimestampTz *last;
	int64	   *freq;
	double	   *money;
} RfmState;

static RfmState *
rfm_new(MemoryContext cxt)
{
	RfmState   *s = MemoryContextAllocZero(cxt, sizeof(RfmState));
	MemoryContext old = MemoryContextSwitchTo(cxt);

	s->cxt = cxt;
	s->ids = idmap_create(1024);
	s->cap = 1024;
	s->last = MemoryContextAllocHuge(cxt, sizeof(TimestampTz) * s->cap);
	s->freq = MemoryContextAllocHuge(cxt, sizeof(int64) * s->cap);
	s->money = MemoryContextAllocHuge(cxt, sizeof(double) * s->cap);
	MemoryContextSwitchTo(old);
	return s;
}

/* index of customer id, a new zeroed entry if unseen; call in s->cxt */
static int32
rfm_slot(RfmState *s, int64 id)
{
	int32		before = s->ids->count;
	int32		i = idmap_insert(s->ids, id);

	if (i < before)
		return i;
	if (i >= s->cap)
	{
		s->cap *= 2;
		s->last = repalloc_huge(s->last, sizeof(TimestampTz) * s->cap);
		s->freq = repalloc_huge(s->freq, sizeof(int64) * s->cap);
		s->money = repalloc_huge(s->money, sizeof(double) * s->cap);
	}
	s->last[i] = DT_NOBEGIN;
	s->freq[i] = 0;
	s->money[i] = 0;
	return i;
}

static void
rfm_set_as_of(RfmState *s, TimestampTz as_of)
{
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("rfm as_of must be a finite timestamp")));
	if (!s->have_as_of)
	{
		s->as_of = as_of;
		s->have_as_of = true;
	}
	else if (s->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rfm as_of must be the same on every row"),
				 errdetail("Found %s and %s.", pstrdup(timestamptz_to_str(s->as_of)),
						   pstrdup(timestamptz_to_str(as_of))),
				 errhint("Pass a constant, for example now() or a timestamptz literal.")));
}

/* rfm(state, customer_id, order_time, amount, as_of) */
PG_FUNCTION_INFO_V1(rfm_transfn);
Datum
rfm_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &rfm_state_ops);
	RfmState   *s = st->data;
	TimestampTz t;
	double		amount;
	int32		i;
	MemoryContext old;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rfm as_of must not be NULL")));
	if (s == NULL)
		st->data = s = rfm_new(st->hdr.eoh_context);
	rfm_set_as_of(s, PG_GETARG_TIMESTAMPTZ(4));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_AGG_STATE(st);
	t = PG_GETARG_TIMESTAMPTZ(2);
	amount = PG_GETARG_FLOAT8(3);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("rfm order_time must be a finite timestamp")));
	if (!isfinite(amount))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("rfm amount must be finite, not %g", amount)));
	check_value(amount, "rfm amount");
	if (t > s->as_of)
		PG_RETURN_AGG_STATE(st);	/* after the reference time: not yet happened */
	old = MemoryContextSwitchTo(s->cxt);
	i = rfm_slot(s, PG_GETARG_INT64(1));
	MemoryContextSwitchTo(old);
	if (t > s->last[i])
		s->last[i] = t;
	s->freq[i]++;
	s->money[i] += amount;
	PG_RETURN_AGG_STATE(st);
}

static void
rfm_combine(void *into, const void *from)
{
	RfmState   *a = into;
	const RfmState *b = from;
	MemoryContext old;

	if (b->have_as_of)
		rfm_set_as_of(a, b->as_of);
	old = MemoryContextSwitchTo(a->cxt);
	for (int32 j = 0; j < b->ids->count; j++)
	{
		int32		i = rfm_slot(a, b->ids->ids[j]);

		if (b->last[j] > a->last[i])
			a->last[i] = b->last[j];
		a->freq[i] += b->freq[j];
		a->money[i] += b->money[j];
	}
	MemoryContextSwitchTo(old);
}

static void
rfm_write(const void *data, ByteWriter *w)
{
	const RfmState *s = data;
	int32		n = s->ids->count;

	write_u8(w, s->have_as_of);
	write_i64(w, s->as_of);
	write_i64(w, n);
	write_i64_array(w, s->ids->ids, n);
	write_i64_array(w, s->last, n);
	write_i64_array(w, s->freq, n);
	write_f64_array(w, s->money, n);
}

static void *
rfm_read(ByteReader *r)
{
	RfmState   *s = rfm_new(CurrentMemoryContext);
	bool		have;
	TimestampTz as_of;
	int64		n;
	int64	   *ids,
			   *last,
			   *freq;
	double	   *money;

	have = read_u8(r) != 0;
	as_of = read_i64(r);
	n = read_count(r, PG_INT32_MAX / 2, 32);
	ids = read_i64_array(r, n);
	last = read_i64_array(r, n);
	freq = read_i64_array(r, n);
	money = read_f64_array(r, n);
	if (have)
		rfm_set_as_of(s, as_of);
	for (int64 j = 0; j < n; j++)
	{
		int32		i = rfm_slot(s, ids[j]);

		if (freq[j] < 1 || !isfinite(money[j]) || i != (int32) j)
			reader_corrupt(r, "The rfm state holds impossible values");
		s->last[i] = last[j];
		s->freq[i] = freq[j];
		s->money[i] = money[j];
	}
	/* the state lives as long as the aggregate: drop the copies now */
	pfree(ids);
	pfree(last);
	pfree(freq);
	pfree(money);
	return s;
}

const TrainStateOps rfm_state_ops = {
	STATE_RFM, rfm_write, rfm_read, rfm_combine
};

/* Scores */

typedef struct RankEntry
{
	double		v;
	int32		i;
} RankEntry;

static int
cmp_rank(const void *a, const void *b)
{
	const RankEntry *x = a;
	const RankEntry *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i - y->i;
}

/* score[i] = 1 + floor(5 L / n), L = entries with a strictly smaller v */
static void
quintile_scores(RankEntry *e, int32 n, int32 *score)
{
	int32		lower = 0;

	qsort(e, n, sizeof(RankEntry), cmp_rank);
	for (int32 p = 0; p < n; p++)
	{
		if (p > 0 && e[p].v != e[p - 1].v)
			lower = p;
		score[e[p].i] = 1 + (int32) ((5 * (int64) lower) / n);
	}
}

static int
cmp_id_index(const void *a, const void *b, void *arg)
{
	const int64 *ids = arg;
	int64		x = ids[*(const int32 *) a];
	int64		y = ids[*(const int32 *) b];

	return x < y ? -1 : (x > y ? 1 : 0);
}

PG_FUNCTION_INFO_V1(rfm_finalfn);
Datum
rfm_finalfn(PG_FUNCTION_ARGS)
{
	const RfmState *s = train_state_get_data(fcinfo, 0, &rfm_state_ops);
	int32		n;
	RankEntry  *e;
	int32	   *rs,
			   *fs,
			   *ms,
			   *order;
	Oid			arrtype,
				elemtype;
	TupleDesc	tupdesc;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	arrtype = get_fn_expr_rettype(fcinfo->flinfo);
	elemtype = get_element_type(arrtype);
	if (!OidIsValid(elemtype))
		elog(ERROR, "rfm must return an array");
	tupdesc = lookup_rowtype_tupdesc_copy(elemtype, -1);
	tupdesc = BlessTupleDesc(tupdesc);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	/* no rows, or none on or before as_of: an empty array */
	if (s == NULL || s->ids->count == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elemtype));
	n = s->ids->count;

	e = palloc(sizeof(RankEntry) * n);
	rs = palloc(sizeof(int32) * n);
	fs = palloc(sizeof(int32) * n);
	ms = palloc(sizeof(int32) * n);
	/* recency: a more recent last order is better, so rank by last */
	for (int32 i = 0; i < n; i++)
		e[i] = (RankEntry) {(double) s->last[i], i};
	quintile_scores(e, n, rs);
	for (int32 i = 0; i < n; i++)
		e[i] = (RankEntry) {(double) s->freq[i], i};
	quintile_scores(e, n, fs);
	for (int32 i = 0; i < n; i++)
		e[i] = (RankEntry) {s->money[i], i};
	quintile_scores(e, n, ms);

	order = palloc(sizeof(int32) * n);
	for (int32 i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int32), cmp_id_index, s->ids->ids);

	elems = palloc(sizeof(Datum) * n);
	for (int32 p = 0; p < n; p++)
	{
		int32		i = order[p];
		Datum		values[8];
		bool		nulls[8] = {false, false, false, false, false, false, false, false};
		char		cell[4];

		CHECK_FOR_INTERRUPTS();
		snprintf(cell, sizeof(cell), "%d%d%d", rs[i], fs[i], ms[i]);
		values[0] = Int64GetDatum(s->ids->ids[i]);
		values[1] = Float8GetDatum((double) (s->as_of - s->last[i]) / USECS_PER_DAY);
		values[2] = Int64GetDatum(s->freq[i]);
		values[3] = Float8GetDatum(s->money[i]);
		values[4] = Int32GetDatum(rs[i]);
		values[5] = Int32GetDatum(fs[i]);
		values[6] = Int32GetDatum(ms[i]);
		values[7] = CStringGetTextDatum(cell);
		elems[p] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, elemtype, typlen, typbyval, typalign));
}
