/*
 * inventory.c - stock projection and replenishment from a forecast model:
 * ecomml.stock_plan(model, on_hand, lead_time, service_level, options) and
 * ecomml.reorder_point(model, on_hand, lead_time, service_level, options).
 *
 * Both need the distribution of cumulative demand C_t = y_{n+1} + ... +
 * y_{n+t}.  For the linear models (additive ETS, Theta, naive, seasonal
 * naive, mean) it is normal with the exact variance from the psi weights;
 * for multiplicative ETS it is the empirical distribution of the model's
 * seeded sample paths; for Croston/SBA/TSB periods are independent
 * compound-Bernoulli draws and C_t is approximated as normal (truncated at
 * zero).  Formulas in doc/inventory.md.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "arrays.h"
#include "forecast.h"
#include "model_cache.h"
#include "options.h"

#define INV_MAX_HORIZON 10000

static const char *const plan_options[] = {
	"orders", "horizon", "review_period", "order_cost", "holding_cost", NULL
};

typedef struct CumDemand
{
	int			h;
	double	   *mean;			/* per period, h */
	double	   *cmean;			/* cumulative mean C_1..C_h */
	double	   *csd;			/* cumulative sd (normal cases) */
	double	   *paths;			/* nsim x h cumulative sums, or NULL */
	int			nsim;
} CumDemand;

static void
cum_demand(const ForecastModel *fm, int h, CumDemand *cd)
{
	double	   *psi = palloc(h * sizeof(double));
	double	   *scale = palloc(h * sizeof(double));
	double	   *sim;
	double		c = 0;

	cd->h = h;
	cd->mean = palloc(h * sizeof(double));
	cd->cmean = palloc(h * sizeof(double));
	cd->csd = palloc0(h * sizeof(double));
	cd->paths = NULL;
	cd->nsim = 0;
	fc_point(fm, h, cd->mean);
	/*
	 * Demand is never negative: a model whose point forecast heads below zero
	 * (an additive trend on a falling series) must not add stock.  The mean
	 * is clamped at zero per period, as is every simulated period.
	 */
	for (int t = 0; t < h; t++)
	{
		cd->mean[t] = Max(0.0, cd->mean[t]);
		c += cd->mean[t];
		cd->cmean[t] = c;
	}
	sim = fc_simulate(fm, h);
	if (sim)
	{
		/* cumulative sums of non-negative demand along every path, in place */
		for (int p = 0; p < fm->nsim; p++)
		{
			sim[(Size) p * h] = Max(0.0, sim[(Size) p * h]);
			for (int t = 1; t < h; t++)
				sim[(Size) p * h + t] = Max(0.0, sim[(Size) p * h + t]) + sim[(Size) p * h + t - 1];
		}
		cd->paths = sim;
		cd->nsim = fm->nsim;
	}
	else if (fc_psi(fm, h, psi, scale))
	{
		/*
		 * C_t = sum_i a_i(t) e_{n+i}, a_i(t) = sc_i + sum_{i<j<=t} sc_j
		 * psi_{j-i}; a_i(t) = a_i(t-1) + sc_t psi_{t-i}.
		 */
		double	   *a = palloc0(h * sizeof(double));

		for (int t = 0; t < h; t++)
		{
			double		v = 0;

			if ((t & 255) == 0)
				CHECK_FOR_INTERRUPTS();
			for (int i = 0; i < t; i++)
				a[i] += scale[t] * psi[t - i];
			a[t] = scale[t];
			for (int i = 0; i <= t; i++)
				v += a[i] * a[i];
			cd->csd[t] = sqrt(fm->sigma2 * v);
		}
	}
	else
	{
		/* Croston family: independent periods, Y = debias * B(prob) * size */
		double		d = fm->debias,
					p = Min(1.0, Max(0.0, fm->prob)),
					mu = d * p * fm->size_mean,
					var = d * d * p * (fm->size_sd * fm->size_sd + fm->size_mean * fm->size_mean) - mu * mu;

		for (int t = 0; t < h; t++)
			cd->csd[t] = sqrt(Max(0.0, var) * (t + 1));
	}
}

/* P(C_t > x), t 1-based */
static double
cum_exceed(const CumDemand *cd, int t, double x)
{
	if (t <= 0)
		return x < 0 ? 1 : 0;
	if (cd->paths)
	{
		int			k = 0;

		for (int p = 0; p < cd->nsim; p++)
			if (cd->paths[(Size) p * cd->h + t - 1] > x)
				k++;
		return (double) k / cd->nsim;
	}
	if (cd->csd[t - 1] <= 0)
		return cd->cmean[t - 1] > x ? 1 : 0;
	return 1 - fc_pnorm((x - cd->cmean[t - 1]) / cd->csd[t - 1]);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* quantile q of C_t, t 1-based (0 for t = 0); demand is never negative */
static double
cum_quantile(const CumDemand *cd, int t, double q)
{
	double		v;

	if (t <= 0)
		return 0;
	if (cd->paths)
	{
		double	   *col = palloc(cd->nsim * sizeof(double));
		double		pos;
		int			i;

		for (int p = 0; p < cd->nsim; p++)
			col[p] = cd->paths[(Size) p * cd->h + t - 1];
		qsort(col, cd->nsim, sizeof(double), cmp_double);
		pos = q * (cd->nsim - 1);
		i = (int) floor(pos);
		v = i >= cd->nsim - 1 ? col[cd->nsim - 1] : col[i] + (pos - i) * (col[i + 1] - col[i]);
		pfree(col);
	}
	else
		v = cd->cmean[t - 1] + fc_qnorm(q) * cd->csd[t - 1];
	return Max(0.0, v);
}

typedef struct PlanInput
{
	const ForecastModel *fm;
	double		on_hand;
	int			lead_time;
	double		service_level;
	int			horizon;
	int			review;
	double		order_cost;
	double		holding_cost;
	double		open_orders;	/* all open order quantities */
	double	   *receipts;		/* per future period, horizon */
} PlanInput;

static void
plan_input(FunctionCallInfo fcinfo, PlanInput *in)
{
	Jsonb	   *opts = PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4);
	JsonbValue	k;
	JsonbValue *orders;

	options_require_args(fcinfo, 4);
	in->fm = model_cache_get(fcinfo, 0, MODEL_FORECAST, NULL);
	in->on_hand = PG_GETARG_FLOAT8(1);
	in->lead_time = PG_GETARG_INT32(2);
	in->service_level = PG_GETARG_FLOAT8(3);
	if (!isfinite(in->on_hand))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("on_hand must be finite, not %g", in->on_hand)));
	check_value(in->on_hand, "on_hand");
	if (in->lead_time < 0 || in->lead_time > INV_MAX_HORIZON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lead_time must be between 0 and %d periods, not %d",
						INV_MAX_HORIZON, in->lead_time)));
	if (!(in->service_level > 0 && in->service_level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("service_level must be between 0 and 1 (exclusive), not %g", in->service_level),
				 errhint("A 95%% cycle service level is 0.95.")));
	options_check_keys(opts, plan_options);
	in->review = options_int(opts, "review_period", 1, 1, INV_MAX_HORIZON);
	in->horizon = options_int(opts, "horizon",
							  Min(INV_MAX_HORIZON, 2 * (in->lead_time + in->review)),
							  1, INV_MAX_HORIZON);
	in->order_cost = options_double(opts, "order_cost", NAN, 0, 1e15);
	in->holding_cost = options_double(opts, "holding_cost", NAN, 1e-12, 1e15);
	if (isnan(in->order_cost) != isnan(in->holding_cost))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"order_cost\" and \"holding_cost\" go together"),
				 errdetail("The economic order quantity needs both.")));
	in->receipts = palloc0(in->horizon * sizeof(double));
	in->open_orders = 0;
	if (opts == NULL)
		return;
	k.type = jbvString;
	k.val.string.val = "orders";
	k.val.string.len = 6;
	orders = findJsonbValueFromContainer(&opts->root, JB_FOBJECT, &k);
	if (orders == NULL || orders->type == jbvNull)
		return;
	if (orders->type != jbvBinary || !JsonContainerIsArray(orders->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"orders\" must be an array of {\"period\": ..., \"qty\": ...}")));
	{
		JsonbContainer *arr = orders->val.binary.data;
		int			n = JsonContainerSize(arr);

		for (int i = 0; i < n; i++)
		{
			JsonbValue *o = getIthJsonbValueFromContainer(arr, i);
			JsonbValue	kp,
					   *vp,
					   *vq;
			TimestampTz when;
			double		qty;
			char	   *s;
			int			step;

			if (o == NULL || o->type != jbvBinary || !JsonContainerIsObject(o->val.binary.data))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("open order %d is not an object", i + 1),
						 errhint("Write orders like {\"orders\": [{\"period\": \"2026-11-03\", \"qty\": 40}]}.")));
			kp.type = jbvString;
			kp.val.string.val = "period";
			kp.val.string.len = 6;
			vp = findJsonbValueFromContainer(o->val.binary.data, JB_FOBJECT, &kp);
			kp.val.string.val = "qty";
			kp.val.string.len = 3;
			vq = findJsonbValueFromContainer(o->val.binary.data, JB_FOBJECT, &kp);
			if (vp == NULL || vp->type != jbvString || vq == NULL || vq->type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("open order %d needs a \"period\" string and a numeric \"qty\"", i + 1)));
			s = pnstrdup(vp->val.string.val, vp->val.string.len);
			when = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)));
			qty = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													 NumericGetDatum(vq->val.numeric)));
			if (!isfinite(qty) || qty < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("open order %d has an invalid quantity %g", i + 1, qty)));
			check_value(qty, "open order quantity");
			in->open_orders += qty;
			/* arrives in the first future period not before its date; overdue -> step 1 */
			for (step = 1; step <= in->horizon; step++)
				if (fc_period(in->fm, step) >= when)
					break;
			if (step <= in->horizon)
				in->receipts[step - 1] += qty;
		}
	}
}

/*
 * ecomml.stock_plan(...) -> (step, period, demand, receipts,
 * projected_on_hand, stockout_probability)
 */
PG_FUNCTION_INFO_V1(stock_plan_srf);
Datum
stock_plan_srf(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PlanInput	in;
	CumDemand	cd;
	double		received = 0,
				risk = 0;

	plan_input(fcinfo, &in);
	InitMaterializedSRF(fcinfo, 0);
	cum_demand(in.fm, in.horizon, &cd);
	for (int t = 1; t <= in.horizon; t++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		double		avail;

		CHECK_FOR_INTERRUPTS();
		received += in.receipts[t - 1];
		avail = in.on_hand + received;
		/* stock runs out by t if it does at some s <= t: running maximum */
		risk = Max(risk, cum_exceed(&cd, t, avail));
		values[0] = Int32GetDatum(t);
		values[1] = TimestampTzGetDatum(fc_period(in.fm, t));
		values[2] = Float8GetDatum(cd.mean[t - 1]);
		values[3] = Float8GetDatum(in.receipts[t - 1]);
		values[4] = Float8GetDatum(avail - cd.cmean[t - 1]);
		values[5] = Float8GetDatum(risk);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * ecomml.reorder_point(...) -> one record: lead_time_demand, safety_stock,
 * reorder_point, order_up_to, inventory_position, order_qty, eoq,
 * stockout_period, days_of_cover
 */
PG_FUNCTION_INFO_V1(reorder_point);
Datum
reorder_point(PG_FUNCTION_ARGS)
{
	PlanInput	in;
	CumDemand	cd;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
	int			L,
				LR,
				h;
	double		ltd,
				rop,
				upto,
				ip,
				qty,
				eoq = NAN,
				received = 0,
				cover = NAN;
	int			stockout = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "reorder_point must return a composite type");
	plan_input(fcinfo, &in);
	L = in.lead_time;
	LR = in.lead_time + in.review;
	h = Max(in.horizon, LR);
	if (h > in.horizon)
	{
		in.receipts = repalloc(in.receipts, h * sizeof(double));
		memset(in.receipts + in.horizon, 0, (h - in.horizon) * sizeof(double));
	}
	cum_demand(in.fm, h, &cd);
	ltd = L > 0 ? cd.cmean[L - 1] : 0;
	rop = Max(ltd, cum_quantile(&cd, L, in.service_level));
	upto = Max(cd.cmean[LR - 1], cum_quantile(&cd, LR, in.service_level));
	ip = in.on_hand + in.open_orders;
	if (!isnan(in.order_cost))
	{
		double		d = cd.cmean[h - 1] / h;

		eoq = d > 0 ? sqrt(2 * d * in.order_cost / in.holding_cost) : 0;
	}
	qty = 0;
	if (ip <= rop)
	{
		qty = upto - ip;
		if (!isnan(eoq))
			qty = Max(qty, eoq);
	}
	for (int t = 1; t <= h; t++)
	{
		double		before = in.on_hand + received - (t > 1 ? cd.cmean[t - 2] : 0);
		double		after;

		received += in.receipts[t - 1];
		before += in.receipts[t - 1];
		after = in.on_hand + received - cd.cmean[t - 1];
		if (after < 0)
		{
			stockout = t;
			/* fraction of period t covered by the stock available in it */
			cover = (t - 1) + (cd.mean[t - 1] > 0 ? Max(0.0, before) / cd.mean[t - 1] : 0);
			break;
		}
	}
	if (stockout == 0)
	{
		/* beyond the horizon: extend at the horizon's average demand */
		double		d = cd.cmean[h - 1] / h;
		double		left = in.on_hand + received - cd.cmean[h - 1];

		if (d > 0)
			cover = h + left / d;
	}
	values[0] = Float8GetDatum(ltd);
	values[1] = Float8GetDatum(rop - ltd);
	values[2] = Float8GetDatum(rop);
	values[3] = Float8GetDatum(upto);
	values[4] = Float8GetDatum(ip);
	values[5] = Float8GetDatum(qty);
	values[6] = Float8GetDatum(eoq);
	nulls[6] = isnan(eoq);
	values[7] = stockout ? TimestampTzGetDatum(fc_period(in.fm, stockout)) : (Datum) 0;
	nulls[7] = stockout == 0;
	values[8] = Float8GetDatum(cover * fc_period_days(in.fm));
	nulls[8] = isnan(cover);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
