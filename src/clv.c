/*
 * clv.c - ecomml.train_clv(customer_id, ordered_at, amount [, options]),
 * the per-customer predictions p_alive, expected_purchases, expected_spend,
 * clv, and ecomml.customer_value(model)
 *
 * BG/NBD counts repeat purchase *days*: several orders of a customer on one
 * (UTC) day are one purchase whose amount is their sum, as in the papers and
 * lifetimes' summary_data_from_transaction_data.  Counting distinct days
 * exactly across partial states needs the days themselves, so the state is
 * the recommenders' interaction store (src/interactions.c) with the customer
 * as user, the day as item and the amount as value: combining appends, and
 * the final function's interactions_build sorts it, sums the amounts of a
 * customer-day and gives each customer's days in ascending order.  The
 * summaries (and the model) therefore do not depend on the order of the rows
 * or on how workers split them.
 *
 * Per customer, with days d_1 < ... < d_k up to the calibration end E:
 * frequency x = k - 1, recency t_x = (d_k - d_1) / unit, age T = (E - d_1) /
 * unit, and monetary m = mean amount of the days d_2..d_k (0 when x = 0).
 * BG/NBD is fitted on (x, t_x, T) of every customer; Gamma-Gamma on (x, m) of
 * the repeat buyers with m > 0 (src/clv_fit.c).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "interactions.h"
#include "kinds.h"
#include "model_cache.h"
#include "options.h"

/* a model keeps every customer: 36 bytes each, well under the 1 GB bytea limit */
#define CLV_MAX_CUSTOMERS 20000000

typedef enum ClvUnit
{
	UNIT_DAY = 0,
	UNIT_WEEK = 1,
	UNIT_MONTH = 2
} ClvUnit;

static const char *const unit_names[] = {"day", "week", "month", NULL};
static const double unit_days[] = {1, 7, 365.25 / 12};

static const char *const clv_options[] = {
	"end", "time_unit", "penalizer", "keep_customers", NULL
};

typedef struct ClvState
{
	/* options */
	bool		has_end;
	TimestampTz end;
	int32		unit;
	double		penalizer;
	bool		keep_customers;
	/* data */
	bool		any;			/* an order at or before end was seen */
	TimestampTz latest;			/* the latest such order */
	int64		orders;
	int64		after_end;
	RecState	days;			/* user = customer, item = day, value = amount */
} ClvState;

typedef struct ClvModel
{
	int32		unit;
	TimestampTz end;
	double		penalizer;
	int64		customers;
	int64		repeat_customers;
	int64		gg_customers;
	int64		orders;
	int64		order_days;
	int64		after_end;
	ClvFit		bg;
	bool		has_gg;
	ClvFit		gg;
	double		correlation;	/* frequency vs mean spend, repeat buyers */
	/* the training customers (kept unless keep_customers is false) */
	int64		n;
	int64	   *ids;
	int32	   *x;
	double	   *tx;
	double	   *T;
	double	   *m;
} ClvModel;

static int32
day_of(TimestampTz t)
{
	int64		d = t / USECS_PER_DAY;

	if (t < 0 && t % USECS_PER_DAY != 0)
		d--;					/* floor, also before 2000 */
	return (int32) d;
}

/* State */

static void
clv_write(const void *data, ByteWriter *w)
{
	const ClvState *s = data;

	write_u8(w, s->has_end);
	write_i64(w, s->end);
	write_i32(w, s->unit);
	write_f64(w, s->penalizer);
	write_u8(w, s->keep_customers);
	write_u8(w, s->any);
	write_i64(w, s->latest);
	write_i64(w, s->orders);
	write_i64(w, s->after_end);
	rec_state_write(&s->days, w);
}

static void *
clv_read(ByteReader *r)
{
	ClvState   *s = palloc0(sizeof(ClvState));

	s->has_end = read_u8(r) != 0;
	s->end = read_i64(r);
	s->unit = read_i32(r);
	s->penalizer = read_f64(r);
	s->keep_customers = read_u8(r) != 0;
	s->any = read_u8(r) != 0;
	s->latest = read_i64(r);
	s->orders = read_i64(r);
	s->after_end = read_i64(r);
	if (s->unit < UNIT_DAY || s->unit > UNIT_MONTH || !(s->penalizer >= 0) ||
		!isfinite(s->penalizer) || s->orders < 0 || s->after_end < 0 ||
		(s->has_end && TIMESTAMP_NOT_FINITE(s->end)) ||
		(s->any && TIMESTAMP_NOT_FINITE(s->latest)))
		reader_corrupt(r, "The train_clv state holds impossible values");
	s->days = *(RecState *) rec_state_read(r);
	if (s->days.n > s->orders || (s->days.n > 0) != s->any)
		reader_corrupt(r, "The train_clv state holds impossible counts");
	for (int64 i = 0; i < s->days.n; i++)
		if (!(s->days.values[i] >= 0) || s->days.items[i] > day_of(s->latest) ||
			s->days.items[i] < PG_INT32_MIN)
			reader_corrupt(r, "The train_clv state holds an impossible order");
	return s;
}

static void
clv_combine(void *into, const void *from)
{
	ClvState   *a = into;
	const ClvState *b = from;

	a->orders += b->orders;
	a->after_end += b->after_end;
	if (!b->any)
		return;
	if (!a->any || b->latest > a->latest)
		a->latest = b->latest;
	a->any = true;
	rec_state_combine(&a->days, &b->days);
}

const TrainStateOps clv_state_ops = {
	MODEL_CLV, clv_write, clv_read, clv_combine
};

static void
clv_read_options(ClvState *s, Jsonb *opts)
{
	char	   *end;

	options_check_keys(opts, clv_options);
	end = options_text(opts, "end");
	if (end != NULL)
	{
		s->has_end = true;
		s->end = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(end),
														 ObjectIdGetDatum(InvalidOid),
														 Int32GetDatum(-1)));
		if (TIMESTAMP_NOT_FINITE(s->end))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"end\" must be a finite timestamp")));
	}
	s->unit = 0;
	{
		const char *u = options_choice(opts, "time_unit", "week", unit_names);

		while (strcmp(unit_names[s->unit], u) != 0)
			s->unit++;
	}
	s->penalizer = options_double(opts, "penalizer", 0, 0, 1e6);
	s->keep_customers = options_bool(opts, "keep_customers", true);
}

/* train_clv(state, customer_id, ordered_at, amount [, options]) */
PG_FUNCTION_INFO_V1(train_clv_transfn);
Datum
train_clv_transfn(PG_FUNCTION_ARGS)
{
	TrainState *st = train_state_for_update(fcinfo, &clv_state_ops);
	Jsonb	   *opts = train_state_options(st, fcinfo, 4);
	ClvState   *s = st->data;
	TimestampTz t;
	double		amount;

	if (s == NULL)
	{
		s = MemoryContextAllocZero(st->hdr.eoh_context, sizeof(ClvState));
		clv_read_options(s, opts);
		st->data = s;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("train_clv %s must not be NULL",
						PG_ARGISNULL(1) ? "customer_id" : PG_ARGISNULL(2) ? "ordered_at" : "amount"),
				 errhint("Filter incomplete orders out, or COALESCE the amount.")));
	t = PG_GETARG_TIMESTAMPTZ(2);
	amount = PG_GETARG_FLOAT8(3);
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("train_clv ordered_at must be a finite timestamp")));
	if (!isfinite(amount) || amount < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("train_clv amount must be finite and not negative, not %g", amount),
				 errhint("Leave refunds and cancellations out of the order history.")));
	s->orders++;
	if (s->has_end && t > s->end)
	{
		s->after_end++;			/* counted, left out of the calibration */
		PG_RETURN_AGG_STATE(st);
	}
	if (!s->any || t > s->latest)
		s->latest = t;
	s->any = true;
	rec_state_append(&s->days, st->hdr.eoh_context, PG_GETARG_INT64(1), day_of(t), amount);
	PG_RETURN_AGG_STATE(st);
}

/* Training */

typedef struct RfmKey
{
	int32		x;
	int32		tx_days;
	int32		T_days;
} RfmKey;

#define ST_SORT sort_rfm_keys
#define ST_ELEMENT_TYPE RfmKey
#define ST_COMPARE(a, b) \
	((a)->x != (b)->x ? ((a)->x < (b)->x ? -1 : 1) : \
	 (a)->tx_days != (b)->tx_days ? ((a)->tx_days < (b)->tx_days ? -1 : 1) : \
	 ((a)->T_days != (b)->T_days ? ((a)->T_days < (b)->T_days ? -1 : 1) : 0))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

typedef struct Spend
{
	double		x;
	double		m;
} Spend;

#define ST_SORT sort_spend
#define ST_ELEMENT_TYPE Spend
#define ST_COMPARE(a, b) \
	((a)->x != (b)->x ? ((a)->x < (b)->x ? -1 : 1) : \
	 ((a)->m != (b)->m ? ((a)->m < (b)->m ? -1 : 1) : 0))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* fit BG/NBD on the distinct (x, t_x, T) of the customers */
static void
fit_purchases(ClvModel *m, RfmKey *keys, int64 n)
{
	double		ud = unit_days[m->unit];
	double	   *x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *tx = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *T = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	double	   *w = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	int64		g = -1;

	sort_rfm_keys(keys, n);
	for (int64 i = 0; i < n; i++)
	{
		if (g < 0 || memcmp(&keys[i], &keys[i - 1], sizeof(RfmKey)) != 0)
		{
			g++;
			x[g] = keys[i].x;
			tx[g] = keys[i].tx_days / ud;
			T[g] = keys[i].T_days / ud;
			w[g] = 0;
		}
		w[g]++;
	}
	bgnbd_fit(x, tx, T, w, g + 1, m->penalizer, &m->bg);
}

/* fit Gamma-Gamma on the repeat buyers who spent; Pearson r of x and m */
static void
fit_spend(ClvModel *m, Spend *sp, int64 n)
{
	double	   *x,
			   *mv,
				mx = 0,
				mm = 0,
				sxx = 0,
				smm = 0,
				sxm = 0;

	m->gg_customers = n;
	m->correlation = get_float8_nan();
	for (int k = 0; k < 4; k++)
		m->gg.par[k] = m->gg.se[k] = get_float8_nan();
	m->gg.loglik = get_float8_nan();
	if (n < 2)
		return;
	sort_spend(sp, n);
	x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	mv = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * n);
	for (int64 i = 0; i < n; i++)
	{
		x[i] = sp[i].x;
		mv[i] = sp[i].m;
		mx += x[i];
		mm += mv[i];
	}
	mx /= n;
	mm /= n;
	for (int64 i = 0; i < n; i++)
	{
		sxx += (x[i] - mx) * (x[i] - mx);
		smm += (mv[i] - mm) * (mv[i] - mm);
		sxm += (x[i] - mx) * (mv[i] - mm);
	}
	if (sxx > 0 && smm > 0)
		m->correlation = sxm / sqrt(sxx * smm);
	if (smm == 0)
		return;					/* every mean spend equal: no spread to fit */
	gamma_gamma_fit(x, mv, n, m->penalizer, &m->gg);
	m->gg.par[3] = m->gg.se[3] = get_float8_nan();
	m->has_gg = true;
}

static void
clv_write_fit(ByteWriter *w, const ClvFit *f)
{
	write_f64_array(w, f->par, 4);
	write_f64_array(w, f->se, 4);
	write_f64(w, f->loglik);
	write_i32(w, f->iterations);
	write_u8(w, f->converged);
}

static void
clv_read_fit(ByteReader *r, ClvFit *f, int k, bool present)
{
	read_bytes(r, f->par, sizeof(double) * 4);
	read_bytes(r, f->se, sizeof(double) * 4);
	f->loglik = read_f64(r);
	f->iterations = read_i32(r);
	f->converged = read_u8(r) != 0;
	if (!present)
		return;
	for (int i = 0; i < k; i++)
		if (!(f->par[i] > 0) || !isfinite(f->par[i]))
			reader_corrupt(r, "The clv model holds an impossible parameter");
}

PG_FUNCTION_INFO_V1(train_clv_finalfn);
Datum
train_clv_finalfn(PG_FUNCTION_ARGS)
{
	const ClvState *s = train_state_get_data(fcinfo, 0, &clv_state_ops);
	ClvModel	m = {0};
	RecData    *d;
	RfmKey	   *keys;
	Spend	   *sp;
	int32		end_day;
	int64		nc,
				nsp = 0;
	ByteWriter	w;

	if (s == NULL || !s->any)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot train a clv model without orders"),
				 errdetail(s && s->after_end > 0 ? "Every order is after option \"end\"." :
						   "There were no rows.")));
	m.unit = s->unit;
	m.end = s->has_end ? s->end : s->latest;
	m.penalizer = s->penalizer;
	m.orders = s->orders - s->after_end;
	m.after_end = s->after_end;
	end_day = day_of(m.end);

	/* customers in id order, each one's purchase days ascending with summed amounts */
	d = interactions_build(&s->days, REC_DUP_SUM, 0, 0);
	nc = d->n_users;
	m.order_days = d->nnz;
	keys = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(RfmKey) * nc);
	sp = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(Spend) * nc);
	if (s->keep_customers)
	{
		m.ids = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int64) * nc);
		m.x = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(int32) * nc);
		m.tx = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * nc);
		m.T = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * nc);
		m.m = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * nc);
	}
	for (int32 u = 0; u < nc; u++)
	{
		int64		first = d->uptr[u],
					last = d->uptr[u + 1] - 1;
		int32		first_day = (int32) d->items->ids[d->ucol[first]];
		double		repeat_sum = 0;
		RfmKey	   *k = &keys[u];

		if ((u & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 e = first + 1; e <= last; e++)
			repeat_sum += d->uval[e];
		k->x = (int32) (last - first);
		k->tx_days = (int32) d->items->ids[d->ucol[last]] - first_day;
		k->T_days = end_day - first_day;
		if (k->x > 0)
		{
			m.repeat_customers++;
			if (repeat_sum > 0)
			{
				sp[nsp].x = k->x;
				sp[nsp].m = repeat_sum / k->x;
				nsp++;
			}
		}
		if (s->keep_customers)
		{
			m.ids[u] = d->users->ids[u];
			m.x[u] = k->x;
			m.tx[u] = k->tx_days / unit_days[m.unit];
			m.T[u] = k->T_days / unit_days[m.unit];
			m.m[u] = k->x > 0 ? repeat_sum / k->x : 0;
		}
	}
	m.customers = nc;
	m.n = s->keep_customers ? nc : 0;
	if (nc > CLV_MAX_CUSTOMERS && s->keep_customers)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a clv model cannot keep " INT64_FORMAT " customers", nc),
				 errhint("Pass {\"keep_customers\": false} and score customers with "
						 "ecomml.p_alive and ecomml.clv.")));
	if (m.repeat_customers == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot fit BG/NBD: no customer bought on more than one day"),
				 errdetail("%lld customers, each with a single purchase day up to the end.",
						   (long long) nc)));
	fit_purchases(&m, keys, nc);
	fit_spend(&m, sp, nsp);

	writer_init(&w, 512 + (Size) m.n * 36);
	write_i32(&w, m.unit);
	write_i64(&w, m.end);
	write_f64(&w, m.penalizer);
	write_i64(&w, m.customers);
	write_i64(&w, m.repeat_customers);
	write_i64(&w, m.gg_customers);
	write_i64(&w, m.orders);
	write_i64(&w, m.order_days);
	write_i64(&w, m.after_end);
	clv_write_fit(&w, &m.bg);
	write_u8(&w, m.has_gg);
	clv_write_fit(&w, &m.gg);
	write_f64(&w, m.correlation);
	write_i64(&w, m.n);
	write_i64_array(&w, m.ids, m.n);
	write_i32_array(&w, m.x, m.n);
	write_f64_array(&w, m.tx, m.n);
	write_f64_array(&w, m.T, m.n);
	write_f64_array(&w, m.m, m.n);
	PG_RETURN_BYTEA_P(model_build(MODEL_CLV, &w));
}

/* Model */

void *
clv_decode(ByteReader *r)
{
	ClvModel   *m = palloc0(sizeof(ClvModel));

	m->unit = read_i32(r);
	m->end = read_i64(r);
	m->penalizer = read_f64(r);
	m->customers = read_i64(r);
	m->repeat_customers = read_i64(r);
	m->gg_customers = read_i64(r);
	m->orders = read_i64(r);
	m->order_days = read_i64(r);
	m->after_end = read_i64(r);
	if (m->unit < UNIT_DAY || m->unit > UNIT_MONTH || TIMESTAMP_NOT_FINITE(m->end) ||
		!(m->penalizer >= 0) || m->customers < 1 || m->repeat_customers < 1 ||
		m->repeat_customers > m->customers || m->gg_customers < 0 ||
		m->gg_customers > m->repeat_customers || m->order_days < m->customers ||
		m->orders < m->order_days || m->after_end < 0)
		reader_corrupt(r, "The clv model holds impossible values");
	clv_read_fit(r, &m->bg, 4, true);
	m->has_gg = read_u8(r) != 0;
	clv_read_fit(r, &m->gg, 3, m->has_gg);
	m->correlation = read_f64(r);
	m->n = read_count(r, m->customers, sizeof(int64) + sizeof(int32) + 3 * sizeof(double));
	if (m->n != 0 && m->n != m->customers)
		reader_corrupt(r, "The clv model holds impossible counts");
	m->ids = read_i64_array(r, m->n);
	m->x = read_i32_array(r, m->n);
	m->tx = read_f64_array(r, m->n);
	m->T = read_f64_array(r, m->n);
	m->m = read_f64_array(r, m->n);
	for (int64 i = 0; i < m->n; i++)
		if (m->x[i] < 0 || !(m->tx[i] >= 0) || !(m->T[i] >= m->tx[i]) || !isfinite(m->T[i]) ||
			!(m->m[i] >= 0) || !isfinite(m->m[i]))
			reader_corrupt(r, "The clv model holds an impossible customer");
	return m;
}

static void
describe_fit(StringInfo buf, const ClvFit *f, const char *const *names, int k,
			 const char *prefix)
{
	char		key[64];

	for (int i = 0; i < k; i++)
		json_append_double(buf, names[i], f->par[i]);
	for (int i = 0; i < k; i++)
	{
		snprintf(key, sizeof(key), "%s_se", names[i]);
		json_append_double(buf, key, f->se[i]);
	}
	snprintf(key, sizeof(key), "%s_log_likelihood", prefix);
	json_append_double(buf, key, f->loglik);
	snprintf(key, sizeof(key), "%s_iterations", prefix);
	json_append_int(buf, key, f->iterations);
	appendStringInfo(buf, ",\"%s_converged\":%s", prefix, f->converged ? "true" : "false");
}

void
clv_describe(const void *decoded, StringInfo buf)
{
	static const char *const bg_names[] = {"r", "alpha", "a", "b"};
	static const char *const gg_names[] = {"p", "q", "v"};
	const ClvModel *m = decoded;

	json_append_text(buf, "time_unit", unit_names[m->unit]);
	json_append_text(buf, "end", timestamptz_to_str(m->end));
	json_append_double(buf, "penalizer", m->penalizer);
	describe_fit(buf, &m->bg, bg_names, 4, "bgnbd");
	if (m->has_gg)
		describe_fit(buf, &m->gg, gg_names, 3, "gamma_gamma");
	json_append_double(buf, "frequency_spend_correlation", m->correlation);
	json_append_int(buf, "customers", m->customers);
	json_append_int(buf, "repeat_customers", m->repeat_customers);
	json_append_int(buf, "gamma_gamma_customers", m->gg_customers);
	json_append_int(buf, "orders", m->orders);
	json_append_int(buf, "purchase_days", m->order_days);
	json_append_int(buf, "orders_after_end", m->after_end);
	appendStringInfo(buf, ",\"keeps_customers\":%s", m->n > 0 ? "true" : "false");
}

/* Per-customer functions */

static double
arg_nonneg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (!isfinite(v) || v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be finite and not negative, not %g", what, v)));
	return v;
}

/* frequency, recency and T of arguments 1..3, checked for consistency */
static void
args_rfm(FunctionCallInfo fcinfo, double *x, double *tx, double *T)
{
	*x = arg_nonneg(fcinfo, 1, "frequency");
	*tx = arg_nonneg(fcinfo, 2, "recency");
	*T = arg_nonneg(fcinfo, 3, "T");
	if (*tx > *T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency %g is after the end of the observation period T %g", *tx, *T)));
	if (*x > 0 && *tx == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a customer with repeat purchases needs a recency above 0")));
}

static void
check_purchase_model(const ClvModel *m)
{
	if (!(m->bg.par[2] > 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases need BG/NBD a > 1, the model has a = %g",
						m->bg.par[2]),
				 errhint("Refit with a \"penalizer\", or on a longer order history.")));
}

static void
check_spend_model(const ClvModel *m)
{
	if (!m->has_gg)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the clv model has no spend model"),
				 errdetail("Fewer than two repeat buyers with spend, or all spent the same.")));
	if (!(m->gg.par[1] > 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend needs Gamma-Gamma q > 1, the model has q = %g",
						m->gg.par[1])));
}

/*
 * Discounted value over horizon time units: the purchases expected in each
 * unit (the last one partial) times the expected spend, discounted by
 * (1 + rate)^i for unit i.
 */
static double
clv_value(const ClvModel *m, double x, double tx, double T, double spend, double horizon,
		  double rate)
{
	double		total = 0,
				prev_e = 0;
	int64		steps = (int64) ceil(horizon);

	for (int64 i = 1; i <= steps; i++)
	{
		double		t = Min((double) i, horizon);
		double		e = bgnbd_expected_purchases(m->bg.par, x, tx, T, t);

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		total += (e - prev_e) * spend / pow(1 + rate, (double) i);
		prev_e = e;
	}
	return total;
}

static double
arg_horizon(FunctionCallInfo fcinfo, int argno)
{
	double		h = arg_nonneg(fcinfo, argno, "horizon");

	if (h > 1e5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon %g time units is too long", h),
				 errdetail("At most 100000 time units.")));
	return h;
}

static double
arg_rate(FunctionCallInfo fcinfo, int argno)
{
	double		d = PG_GETARG_FLOAT8(argno);

	if (!isfinite(d) || d < 0 || d >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be in [0, 1), not %g", d),
				 errdetail("It is the rate per time unit of the model.")));
	return d;
}

/* ecomml.p_alive(model, frequency, recency, T) */
PG_FUNCTION_INFO_V1(clv_p_alive);
Datum
clv_p_alive(PG_FUNCTION_ARGS)
{
	const ClvModel *m = model_cache_get(fcinfo, 0, MODEL_CLV, NULL);
	double		x,
				tx,
				T;

	args_rfm(fcinfo, &x, &tx, &T);
	PG_RETURN_FLOAT8(bgnbd_p_alive(m->bg.par, x, tx, T));
}

/* ecomml.expected_purchases(model, frequency, recency, T, horizon) */
PG_FUNCTION_INFO_V1(clv_expected_purchases);
Datum
clv_expected_purchases(PG_FUNCTION_ARGS)
{
	const ClvModel *m = model_cache_get(fcinfo, 0, MODEL_CLV, NULL);
	double		x,
				tx,
				T;

	args_rfm(fcinfo, &x, &tx, &T);
	check_purchase_model(m);
	PG_RETURN_FLOAT8(bgnbd_expected_purchases(m->bg.par, x, tx, T, arg_horizon(fcinfo, 4)));
}

/* ecomml.expected_spend(model, frequency, monetary) */
PG_FUNCTION_INFO_V1(clv_expected_spend);
Datum
clv_expected_spend(PG_FUNCTION_ARGS)
{
	const ClvModel *m = model_cache_get(fcinfo, 0, MODEL_CLV, NULL);
	double		x = arg_nonneg(fcinfo, 1, "frequency");
	double		mv = arg_nonneg(fcinfo, 2, "monetary");

	check_spend_model(m);
	PG_RETURN_FLOAT8(gamma_gamma_expected_spend(m->gg.par, x, x > 0 ? mv : 0));
}

/* ecomml.clv(model, frequency, recency, T, monetary, horizon, discount_rate) */
PG_FUNCTION_INFO_V1(clv_value_fn);
Datum
clv_value_fn(PG_FUNCTION_ARGS)
{
	const ClvModel *m = model_cache_get(fcinfo, 0, MODEL_CLV, NULL);
	double		x,
				tx,
				T,
				mv,
				horizon,
				rate;

	args_rfm(fcinfo, &x, &tx, &T);
	mv = arg_nonneg(fcinfo, 4, "monetary");
	horizon = arg_horizon(fcinfo, 5);
	rate = arg_rate(fcinfo, 6);
	check_purchase_model(m);
	check_spend_model(m);
	PG_RETURN_FLOAT8(clv_value(m, x, tx, T,
							   gamma_gamma_expected_spend(m->gg.par, x, x > 0 ? mv : 0),
							   horizon, rate));
}

/*
 * ecomml.customer_value(model, horizon, discount_rate) -> one row per
 * training customer; horizon NULL = one year in the model's time units
 */
PG_FUNCTION_INFO_V1(customer_value);
Datum
customer_value(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const ClvModel *m;
	double		horizon,
				rate;
	bool		can_buy,
				can_spend;

	if (PG_ARGISNULL(0))
	{
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	m = model_cache_get(fcinfo, 0, MODEL_CLV, NULL);
	horizon = PG_ARGISNULL(1) ? 365.25 / unit_days[m->unit] : arg_horizon(fcinfo, 1);
	rate = PG_ARGISNULL(2) ? 0 : arg_rate(fcinfo, 2);
	if (m->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the clv model keeps no customers"),
				 errhint("It was trained with {\"keep_customers\": false}.")));
	/* a reporting view gets NULL where the model cannot predict, not an error */
	can_buy = m->bg.par[2] > 1;
	can_spend = m->has_gg && m->gg.par[1] > 1;
	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < m->n; i++)
	{
		Datum		values[9];
		bool		nulls[9] = {0};
		double		spend = can_spend ? gamma_gamma_expected_spend(m->gg.par, m->x[i], m->m[i]) : 0;

		CHECK_FOR_INTERRUPTS();
		values[0] = Int64GetDatum(m->ids[i]);
		values[1] = Int32GetDatum(m->x[i]);
		values[2] = Float8GetDatum(m->tx[i]);
		values[3] = Float8GetDatum(m->T[i]);
		values[4] = Float8GetDatum(m->m[i]);
		values[5] = Float8GetDatum(bgnbd_p_alive(m->bg.par, m->x[i], m->tx[i], m->T[i]));
		if (can_buy)
			values[6] = Float8GetDatum(bgnbd_expected_purchases(m->bg.par, m->x[i], m->tx[i],
																m->T[i], horizon));
		nulls[6] = !can_buy;
		values[7] = Float8GetDatum(spend);
		nulls[7] = !can_spend;
		if (can_buy && can_spend)
			values[8] = Float8GetDatum(clv_value(m, m->x[i], m->tx[i], m->T[i], spend, horizon,
												 rate));
		nulls[8] = !(can_buy && can_spend);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
